import { STRATEGIES } from "../contract/lifecycle";
import { CONFIG_FIELDS, CONFIG_LIMITS, OPTIONAL_FIELDS, idPattern } from "./config-fields";
import { DEFAULT_CONFIG } from "./config";
import { isPlaceholder } from "./placeholders";
import { REGION_PATTERN } from "./regions";

type Schema = Record<string, unknown>;

/** Where the schema is published beside the project (the example config points at it). */
export const CONFIG_SCHEMA_FILE = "multus.config.schema.json";

/** Per field, what the validator checks beyond the type (ipam/config.ts). */
const EXTRA: Record<string, Schema> = {
  region: { pattern: REGION_PATTERN.source },
  "cluster.securityGroupId": { pattern: idPattern("sg") },
  "vpc.id": { pattern: idPattern("vpc") },
  "nodeGroup.amiId": { pattern: idPattern("ami") },
  "nodeGroup.amiFamily": { enum: ["al2023", "al2"] },
  "nodeGroup.subnetIds[]": { pattern: idPattern("subnet") },
  "multus.strategy": { enum: [...STRATEGIES] },
  "multus.securityGroupIds[]": { pattern: idPattern("sg") },
  "multus.subnets[].id": { pattern: idPattern("subnet") },
  "multus.interfaceTags": { additionalProperties: { type: "string" } },
};

/** Optional fields with no default: their types, as the validator takes them. */
const OPTIONAL_TYPES: Record<string, Schema> = {
  $schema: { type: "string" },
  "nodeGroup.keyName": { type: "string", minLength: 1 },
  "multus.workerHeadroom": { type: "integer" },
  "multus.image": { type: "string", description: "Multus thick image; default: the one EKS publishes in the region's add-on registry" },
  "multus.subnets[].podRange": { type: "string", description: "pod block as FIRST-LAST or a CIDR" },
  "whereabouts.image": { type: "string" },
  "agent.image": { type: "string", description: "built from agent/Dockerfile and pushed" },
};

function typeOf(value: unknown): Schema {
  // An empty default (bootstrapArguments "") is a value the field may keep.
  if (typeof value === "string") return value === "" ? { type: "string" } : { type: "string", minLength: 1 };
  if (typeof value === "number") return { type: "integer" };
  if (typeof value === "boolean") return { type: "boolean" };
  return {};
}

function node(path: string, value: unknown): Schema {
  const fields = (CONFIG_FIELDS as Record<string, readonly string[]>)[path];
  let out: Schema;
  if (fields) {
    const obj = (value ?? {}) as Record<string, unknown>;
    const properties: Record<string, Schema> = {};
    for (const f of fields) {
      const p = path ? `${path}.${f}` : f;
      properties[f] = obj[f] !== undefined ? node(p, obj[f]) : { ...(OPTIONAL_TYPES[p] ?? node(p, undefined)), ...EXTRA[p] };
    }
    out = { type: "object", properties, additionalProperties: false };
    const required = fields.filter((f) => !(OPTIONAL_FIELDS as readonly string[]).includes(path ? `${path}.${f}` : f));
    // Everything but the subnets has a default: a config file gives only what it changes.
    if (path === "multus.subnets[]") out.required = required;
  } else if (Array.isArray(value)) {
    const item = `${path}[]`;
    out = { type: "array", minItems: 1, items: item in CONFIG_FIELDS ? node(item, value[0]) : { ...typeOf(value[0]), ...EXTRA[item] } };
  } else if (value !== null && typeof value === "object") {
    out = { type: "object" };
  } else {
    out = typeOf(value);
  }
  const limits = CONFIG_LIMITS[path];
  if (limits) Object.assign(out, { minimum: limits[0], maximum: limits[1] });
  // The example's placeholder ids are no default anyone should keep.
  if (value !== undefined && path !== "" && !isPlaceholder(value) && !Array.isArray(value) && (typeof value !== "object" || Object.keys(value as object).length === 0)) out.default = value;
  return { ...out, ...EXTRA[path] };
}

/**
 * The config's JSON schema (draft 2020-12), generated from the validator's field lists and
 * bounds and the embedded defaults. The validator stays the authority: it also checks what a
 * schema cannot say (CIDRs inside the VPC, zones of the region, placeholders, plan feasibility).
 */
export function configSchema(): Schema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "multus-eks config (multus.config.json)",
    description: "Merged over the embedded defaults: objects merge, arrays and scalars replace. npm start validates it in full.",
    ...node("", DEFAULT_CONFIG),
  };
}
