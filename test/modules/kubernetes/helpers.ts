import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1";
import { DaemonSet, Deployment } from "kubernetes-models/apps/v1";
import { ClusterRole, ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Pod, ServiceAccount } from "kubernetes-models/v1";
import { DEFAULT_CONFIG, NetworkPlan, ShorthandMultusConfig, asShorthand, parseConfig, planNetwork } from "../../../ipam";
import { K8sObject, nadCrd, unescapeTerraform, whereaboutsCrds } from "../../../modules/kubernetes";
import { isObject } from "../../../contract/json";

type Json = Record<string, unknown>;


/** Config over the defaults, and its plan. */
export function configAndPlan(user: unknown = {}): { config: ShorthandMultusConfig; plan: NetworkPlan } {
  const config = asShorthand(parseConfig(user));
  return { config, plan: planNetwork(config) };
}

export const DEFAULT = configAndPlan();
export { DEFAULT_CONFIG };

/** The synthesized JSON of a stack. */
export function synthJson(stack: TerraformStack): Json {
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** Resources of one type in a synthesized stack, by logical id. */
export function resourcesOf(json: Json, type: string): Record<string, Json> {
  const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  return resources[type] ?? {};
}

/** Every kubernetes_manifest of a synthesized stack turned back into the object it applies. */
export function manifestsOf(json: Json): K8sObject[] {
  return Object.values(resourcesOf(json, "kubernetes_manifest")).map((r) => unescapeTerraform(r.manifest) as K8sObject);
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit) throw new Error(`no ${kind} ${name ?? ""} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return hit;
}

export function newApp(): App {
  return Testing.app();
}

/**
 * Checks a value against a CRD's OpenAPI v3 schema the way the API server treats structural
 * schemas: types, required fields, items, additionalProperties, and fields the schema does not
 * name (the server prunes them silently, so a typo would be lost: we report them).
 */
export function schemaErrors(schema: Json, value: unknown, path = ""): string[] {
  const at = path || "(root)";
  const errors: string[] = [];
  const type = schema.type;
  const typeOk: Record<string, (v: unknown) => boolean> = {
    object: isObject,
    array: Array.isArray,
    string: (v) => typeof v === "string",
    integer: (v) => Number.isInteger(v),
    number: (v) => typeof v === "number",
    boolean: (v) => typeof v === "boolean",
  };
  if (typeof type === "string" && !typeOk[type]!(value)) return [`${at}: must be ${type}, got ${JSON.stringify(value)}`];
  if (isObject(value)) {
    for (const req of (schema.required as string[] | undefined) ?? []) if (!(req in value)) errors.push(`${at}: missing required field ${req}`);
    const props = schema.properties as Record<string, Json> | undefined;
    const extra = schema.additionalProperties as Json | boolean | undefined;
    const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
    for (const [k, v] of Object.entries(value)) {
      if (props && props[k]) errors.push(...schemaErrors(props[k]!, v, `${path}.${k}`));
      else if (isObject(extra)) errors.push(...schemaErrors(extra, v, `${path}.${k}`));
      else if ((props || extra === false) && !preserve) errors.push(`${path}.${k}: unknown field (the API server would prune it)`);
    }
  }
  if (Array.isArray(value) && isObject(schema.items)) value.forEach((v, i) => errors.push(...schemaErrors(schema.items as Json, v, `${path}[${i}]`)));
  return errors;
}

/** Structural schema rule: every node names its type (apiextensions v1 refuses CRDs otherwise). */
export function structuralErrors(schema: Json, path = "openAPIV3Schema"): string[] {
  const errors: string[] = [];
  if (typeof schema.type !== "string" && schema["x-kubernetes-int-or-string"] !== true) errors.push(`${path}: no type`);
  for (const [k, v] of Object.entries((schema.properties as Record<string, Json>) ?? {})) errors.push(...structuralErrors(v, `${path}.properties.${k}`));
  if (isObject(schema.additionalProperties)) errors.push(...structuralErrors(schema.additionalProperties, `${path}.additionalProperties`));
  if (isObject(schema.items)) errors.push(...structuralErrors(schema.items, `${path}.items`));
  return errors;
}

/** Schemas of the custom kinds we create, from the CRDs we install. */
function crdSchemas(): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const crd of [nadCrd(), ...whereaboutsCrds()]) {
    const spec = crd.spec as Json;
    for (const v of spec.versions as Json[]) {
      const key = `${String(spec.group)}/${String(v.name)}/${String((spec.names as Json).kind)}`;
      out.set(key, (v.schema as Json).openAPIV3Schema as Json);
    }
  }
  return out;
}
const CUSTOM = crdSchemas();

type Model = { new (data: never): { validate(): void } };
const MODELS: Record<string, Model> = {
  "v1/ServiceAccount": ServiceAccount as unknown as Model,
  "v1/ConfigMap": ConfigMap as unknown as Model,
  "v1/Pod": Pod as unknown as Model,
  "apps/v1/DaemonSet": DaemonSet as unknown as Model,
  "apps/v1/Deployment": Deployment as unknown as Model,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole as unknown as Model,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding as unknown as Model,
  "apiextensions.k8s.io/v1/CustomResourceDefinition": CustomResourceDefinition as unknown as Model,
};

/**
 * Validates an object against the real schema of its kind: kubernetes-models (generated from
 * the Kubernetes OpenAPI) for built-in kinds, the installed CRD's OpenAPI schema (plus
 * ObjectMeta from kubernetes-models) for custom kinds. Returns the problems; [] when valid.
 */
export function validateObject(obj: K8sObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const model = MODELS[key];
  if (model) {
    try {
      new model(obj as never).validate();
    } catch (err) {
      return [`${key} ${obj.metadata.name}: ${(err as Error).message}`];
    }
    if (obj.kind === "CustomResourceDefinition") {
      const versions = ((obj.spec as Json).versions as Json[]) ?? [];
      return versions.flatMap((v) => structuralErrors(((v.schema as Json).openAPIV3Schema as Json) ?? {}));
    }
    return [];
  }
  const schema = CUSTOM.get(key);
  if (!schema) return [`${key}: no schema known for this kind`];
  const errors = schemaErrors(schema, obj);
  try {
    // ObjectMeta is the same for every kind: check it through a built-in one.
    new ConfigMap({ metadata: obj.metadata } as never).validate();
  } catch (err) {
    errors.push(`metadata: ${(err as Error).message}`);
  }
  return errors;
}

export interface ConfigShape {
  readonly prefix: number;
  readonly subnets: number;
  readonly zones: number;
  readonly strategy: "static" | "reservation";
  readonly maxSize: number;
  readonly podsPerNode: number;
  readonly amiFamily: "al2023" | "al2";
}

/** A user config with `subnets` multus subnets of /`prefix` spread over `zones` zones, or undefined when the plan cannot fit. */
export function configFor(shape: ConfigShape): { config: ShorthandMultusConfig; plan: NetworkPlan } | undefined {
  const size = 2 ** (32 - shape.prefix);
  const base = 10 * 2 ** 24; // 10.0.0.0
  const subnets = Array.from({ length: shape.subnets }, (_, k) => {
    const b = base + (k + 1) * size;
    const cidr = `${[b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join(".")}/${shape.prefix}`;
    return { cidr, id: `subnet-0c0ffee0c0ffee${String(100 + k)}`, availabilityZone: `us-west-2${"abc"[k % shape.zones]}` };
  });
  try {
    return configAndPlan({
      nodeGroup: { maxSize: shape.maxSize, minSize: 1, desiredSize: 1, amiFamily: shape.amiFamily },
      multus: { strategy: shape.strategy, podsPerNode: shape.podsPerNode, subnets },
    });
  } catch (err) {
    if ((err as Error).name === "PlanError") return undefined;
    throw err;
  }
}

/**
 * Fields of built-in objects that Kubernetes does not define (a typo such as
 * `mountPropogation` would be dropped or refused by the API server). kubernetes-models checks
 * types but lets unknown fields through; @kubernetes/client-node carries every model's field
 * list (generated from the Kubernetes 1.33 OpenAPI spec). It is ESM-only, so a child node
 * process walks the objects against those lists.
 */
export function unknownFields(objects: K8sObject[]): string[] {
  const models = join(dirname(require.resolve("@kubernetes/client-node/package.json")), "dist", "gen", "models");
  const script = `
    import { readFileSync } from "node:fs";
    const models = ${JSON.stringify(models)};
    const cache = new Map();
    async function attrs(type) {
      if (!cache.has(type)) cache.set(type, (await import(models + "/" + type + ".js"))[type].attributeTypeMap);
      return cache.get(type);
    }
    const out = [];
    async function walk(value, type, path) {
      let m;
      if ((m = /^Array<(.+)>$/.exec(type))) { if (Array.isArray(value)) for (const [i, v] of value.entries()) await walk(v, m[1], path + "[" + i + "]"); return; }
      if ((m = /^\\{ \\[key: string\\]: (.+); \\}$/.exec(type))) { for (const [k, v] of Object.entries(value ?? {})) await walk(v, m[1], path + "." + k); return; }
      if (!/^V\\d/.test(type) || value === null || typeof value !== "object") return;
      const list = await attrs(type);
      for (const [k, v] of Object.entries(value)) {
        const a = list.find((x) => x.baseName === k);
        if (!a) out.push(path + "." + k + ": not a field of " + type);
        else await walk(v, a.type, path + "." + k);
      }
    }
    for (const o of JSON.parse(readFileSync(0, "utf8"))) await walk(o, "V1" + o.kind, o.kind + "/" + o.metadata.name);
    process.stdout.write(JSON.stringify(out));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { input: JSON.stringify(objects), encoding: "utf8" });
  return JSON.parse(out) as string[];
}
