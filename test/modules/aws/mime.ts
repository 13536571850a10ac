import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { NODECONFIG_API_VERSION } from "../../../ipam/nodeadm";

/**
 * The user data's MIME parts as cloud-init reads them: cloud-init parses user data with
 * Python's standard `email` package (cloudinit/user_data.py, `email.message_from_string`), so
 * this runs the machine's python3 over it and returns every part with the defects the parser
 * found (a malformed multipart has some). nodeadm reads the same document with Go's
 * net/mail and mime/multipart (nodeadm/internal/configprovider/mime.go).
 */
export interface MimePart {
  readonly contentType: string;
  readonly body: string;
}
export interface ParsedMime {
  readonly multipart: boolean;
  readonly contentType: string;
  readonly boundary: string | null;
  readonly parts: MimePart[];
  readonly defects: string[];
}

const PARSER = `
import email, json, sys
msg = email.message_from_string(sys.stdin.read())
parts, defects = [], [type(d).__name__ for d in msg.defects]
if msg.is_multipart():
    for p in msg.get_payload():
        defects += [type(d).__name__ for d in p.defects]
        parts.append({"contentType": p.get_content_type(), "body": p.get_payload()})
print(json.dumps({"multipart": msg.is_multipart(), "contentType": msg.get_content_type(), "boundary": msg.get_boundary(), "parts": parts, "defects": defects}))
`;

const python = spawnSync("python3", ["-c", "import email"], { stdio: "ignore" });
/** Why the MIME checks cannot run here, or "" when they can. */
export const MIME_SKIP = python.status === 0 ? "" : "python3 (its email package parses the MIME user data as cloud-init does) is not on PATH";

export function parseMime(text: string): ParsedMime {
  const r = spawnSync("python3", ["-c", PARSER], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3 email parser failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ParsedMime;
}

export type Json = Record<string, any>;

/** The NodeConfig documents of the parts nodeadm reads (`application/node.eks.aws`), in order. */
export function nodeConfigDocs(mime: ParsedMime): Json[] {
  return mime.parts.filter((p) => p.contentType === "application/node.eks.aws").map((p) => parse(p.body) as Json);
}

const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function mergeOverride(dst: Json, src: Json, path: string[]): Json {
  const out: Json = { ...dst };
  for (const [k, v] of Object.entries(src)) {
    const at = [...path, k].join(".");
    // nodeadm's merge transformer appends kubelet flags and no other list (internal/api/merge.go).
    if (at === "spec.kubelet.flags") out[k] = [...((dst[k] as unknown[]) ?? []), ...(v as unknown[])];
    else if (isMap(v) && isMap(dst[k])) out[k] = mergeOverride(dst[k], v, [...path, k]);
    else out[k] = v;
  }
  return out;
}

/**
 * nodeadm's merge of the NodeConfig parts, later over earlier (nodeadm/internal/api/merge.go at
 * v20260724: mergo.Merge with WithOverride; kubelet flags appended; kubelet.config and other
 * maps merged key by key, lists replaced).
 */
export function mergeNodeConfigs(docs: Json[]): Json {
  for (const d of docs) if (d.apiVersion !== NODECONFIG_API_VERSION || d.kind !== "NodeConfig") throw new Error(`not a NodeConfig: ${JSON.stringify(d).slice(0, 80)}`);
  return docs.reduce((acc, d) => mergeOverride(acc, d, []), {} as Json);
}
