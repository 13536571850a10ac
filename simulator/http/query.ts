// Query API requests (form-encoded `Action=...&Version=...&Name.1=...`) read back into the SDK
// input objects the models take, walking the SDK's input schema: the inverse of
// @aws-sdk/core's QueryShapeSerializer, so whatever an SDK, the AWS CLI or boto3 writes
// lands in the same input shape.
import { NormalizedSchema } from "@smithy/core/schema";
import type { StaticStructureSchema } from "@smithy/types";
import type { QueryService } from "./protocol";

/** A request parameter that is missing, malformed or unknown; `parameter` is its wire name. */
export class ParameterError extends Error {
  constructor(
    readonly code: "MissingParameter" | "InvalidParameterValue" | "UnknownParameter" | "MalformedQueryString",
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** Parameters of the request envelope and of signature version 2 and 4, not of the action. */
const ENVELOPE = new Set(["Action", "Version", "AWSAccessKeyId", "SignatureMethod", "SignatureVersion", "Signature", "Timestamp", "Expires", "SecurityToken"]);

interface Node {
  value?: string;
  children?: Map<string, Node>;
  used?: boolean;
}

/** `Filter.1.Value.2=x` as a tree: Filter → 1 → Value → 2 = x. */
function tree(params: URLSearchParams): Node {
  const root: Node = { children: new Map() };
  for (const [key, value] of params) {
    if (ENVELOPE.has(key) || key.startsWith("X-Amz-")) continue;
    let node = root;
    for (const part of key.split(".")) {
      if (part === "") throw new ParameterError("MalformedQueryString", key, `The parameter ${key} is malformed`);
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = {}));
      node = next;
    }
    if (node.value !== undefined) throw new ParameterError("InvalidParameterValue", key, `The parameter ${key} is given more than once`);
    node.value = value;
  }
  return root;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A member's key on the wire (QueryShapeSerializer.getKey with the protocol's settings). */
function memberKey(style: QueryService["style"], memberName: string, member: NormalizedSchema): string {
  const traits = member.getMergedTraits();
  if (style === "ec2") return (traits.ec2QueryName as string | undefined) ?? capitalize((traits.xmlName as string | undefined) ?? memberName);
  return (traits.xmlName as string | undefined) ?? memberName;
}

/** Numbered children (`.1`, `.2`, ...) in order, with their wire names; anything else under a list is not a parameter. */
function numbered(node: Node, path: string): [string, Node][] {
  const items: [number, Node][] = [];
  for (const [k, child] of node.children ?? []) {
    if (!/^[1-9]\d{0,4}$/.test(k)) throw new ParameterError("UnknownParameter", `${path}.${k}`, `The parameter ${path}.${k} is not recognized`);
    items.push([Number(k), child]);
  }
  return items.sort((a, b) => a[0] - b[0]).map(([k, n]) => [`${path}.${k}`, n]);
}

function leaf(node: Node, path: string): string {
  if (node.value === undefined || node.children?.size) {
    throw new ParameterError("InvalidParameterValue", path, `The parameter ${path} takes a single value, not a structure`);
  }
  return node.value;
}

class Reader {
  constructor(private readonly style: QueryService["style"]) {}

  read(schema: NormalizedSchema, node: Node, path: string): unknown {
    node.used = true;
    if (schema.isStructSchema()) return this.struct(schema, node, path);
    if (schema.isListSchema()) return this.list(schema, node, path);
    if (schema.isMapSchema()) return this.map(schema, node, path);
    const raw = leaf(node, path);
    if (schema.isBooleanSchema()) {
      if (raw !== "true" && raw !== "false") throw invalid(path, raw, "true or false");
      return raw === "true";
    }
    if (schema.isNumericSchema()) {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw invalid(path, raw, "a number");
      return n;
    }
    if (schema.isTimestampSchema()) {
      const t = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (Number.isNaN(t)) throw invalid(path, raw, "an ISO 8601 timestamp");
      return new Date(t);
    }
    if (schema.isBlobSchema()) return Uint8Array.from(Buffer.from(raw, "base64"));
    return raw;
  }

  private struct(schema: NormalizedSchema, node: Node, path: string): Record<string, unknown> {
    if (node.value !== undefined && node.value !== "" && !node.children?.size) {
      throw new ParameterError("InvalidParameterValue", path, `The parameter ${path} is a structure; give its members as ${path}.Name`);
    }
    const out: Record<string, unknown> = {};
    const raw = schema.getSchema() as unknown as StaticStructureSchema;
    const required = new Set((raw[4] ?? []).slice(0, raw[6] ?? 0));
    for (const [name, member] of schema.structIterator()) {
      const key = memberKey(this.style, name, member);
      const child = node.children?.get(key);
      const at = path ? `${path}.${key}` : key;
      if (!child) {
        if (required.has(name)) throw new ParameterError("MissingParameter", at, `The request must contain the parameter ${at}`);
        continue;
      }
      out[name] = this.read(member, child, at);
    }
    return out;
  }

  private list(schema: NormalizedSchema, node: Node, path: string): unknown[] {
    // awsQuery writes an empty list as `Name=` (serializeEmptyLists).
    if (node.value === "" && !node.children?.size) return [];
    const member = schema.getValueSchema();
    let items: [string, Node][];
    if (this.style === "ec2") items = numbered(node, path);
    else {
      const suffix = (member.getMergedTraits().xmlName as string | undefined) ?? "member";
      const wrapper = node.children?.get(suffix);
      for (const k of node.children?.keys() ?? []) {
        if (k !== suffix) throw new ParameterError("UnknownParameter", `${path}.${k}`, `The parameter ${path}.${k} is not recognized; list items are ${path}.${suffix}.N`);
      }
      if (wrapper) wrapper.used = true;
      items = wrapper ? numbered(wrapper, `${path}.${suffix}`) : [];
      if (!wrapper && node.value !== undefined) throw new ParameterError("InvalidParameterValue", path, `The parameter ${path} is a list; give its items as ${path}.${suffix}.N`);
    }
    if (this.style === "ec2" && !items.length && node.value !== undefined) {
      throw new ParameterError("InvalidParameterValue", path, `The parameter ${path} is a list; give its items as ${path}.N`);
    }
    return items.map(([at, child]) => this.read(member, child, at));
  }

  private map(schema: NormalizedSchema, node: Node, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const entries = this.style === "ec2" ? node : node.children?.get("entry");
    if (entries) entries.used = true;
    const keyName = (schema.getKeySchema().getMergedTraits().xmlName as string | undefined) ?? "key";
    const valueName = (schema.getValueSchema().getMergedTraits().xmlName as string | undefined) ?? "value";
    for (const [at, entry] of entries ? numbered(entries, path) : []) {
      entry.used = true;
      const k = entry.children?.get(keyName);
      const v = entry.children?.get(valueName);
      if (!k || !v) throw new ParameterError("MissingParameter", at, `The map entry ${at} needs .${keyName} and .${valueName}`);
      k.used = true;
      out[leaf(k, `${at}.${keyName}`)] = this.read(schema.getValueSchema(), v, `${at}.${valueName}`);
    }
    return out;
  }
}

function invalid(path: string, raw: string, expected: string): ParameterError {
  return new ParameterError("InvalidParameterValue", path, `Value (${raw}) for parameter ${path} is invalid. Expected ${expected}.`);
}

/** The first parameter the schema did not read. */
function unused(node: Node, path: string): string | undefined {
  if (!node.used && path) return path;
  for (const [k, child] of node.children ?? []) {
    const found = unused(child, path ? `${path}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}

/**
 * The action's input from its request parameters. Errors name the parameter on the wire:
 * MissingParameter for a required one that is absent (the SDK's schema lists them),
 * InvalidParameterValue for a value of the wrong type, and, for EC2, UnknownParameter for
 * one the action does not have ("An unknown or unrecognized parameter was supplied", EC2 API
 * reference, "Error codes"). Auto Scaling does not document that error; there an unknown
 * parameter is ignored (assumed).
 */
export function readInput(service: QueryService, input: StaticStructureSchema | undefined, params: URLSearchParams): Record<string, unknown> {
  const root = tree(params);
  root.used = true;
  const out = input ? (new Reader(service.style).read(NormalizedSchema.of(input), root, "") as Record<string, unknown>) : {};
  if (service.style === "ec2") {
    const extra = unused(root, "");
    if (extra) throw new ParameterError("UnknownParameter", extra, `The parameter ${extra} is not recognized`);
  }
  return out;
}
