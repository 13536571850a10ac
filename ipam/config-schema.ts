import { STRATEGIES } from "../contract/lifecycle";
import { CONFIG_FIELDS, CONFIG_LIMITS, OPTIONAL_FIELDS, idPattern } from "./config-fields";
import { DEFAULT_CONFIG } from "./config";
import { isPlaceholder } from "./placeholders";
import { REGION_PATTERN } from "./regions";
import { ARN_PATTERNS, ASG_METRICS, ON_DEMAND_ALLOCATION_STRATEGIES, PLACEMENT_STRATEGIES, ROOT_VOLUME_TYPES, SPOT_ALLOCATION_STRATEGIES, TAINT_EFFECTS, TERMINATION_POLICIES, VOLUME_TYPES } from "./node-options";

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
  "multus.subnets[].ipv6Cidr": { type: "string", description: "the subnet's IPv6 /64, for a dual-stack network (IPv6 worker and pod blocks, IPv6 reservations)" },
  "whereabouts.image": { type: "string" },
  "agent.image": { type: "string", description: "built from agent/Dockerfile and pushed" },
};

const int = (minimum?: number, maximum?: number): Schema => ({ type: "integer", ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const bool: Schema = { type: "boolean" };
const str: Schema = { type: "string", minLength: 1 };
const arn = (kind: keyof typeof ARN_PATTERNS): Schema => ({ type: "string", pattern: ARN_PATTERNS[kind].source });
const tagMap: Schema = { type: "object", additionalProperties: { type: "string" } };
const list = (items: Schema, minItems = 0): Schema => ({ type: "array", minItems, items });

/** The node group's production options and the top-level iam, tags and lambda (ipam/node-options.ts), as the validator takes them. */
const OPTION_TYPES: Record<string, Schema> = {
  "nodeGroup.instanceTypes": { ...list(str, 1), maxItems: 40, description: "mixed instances policy; the plan checks every type, kubelet max-pods is the smallest" },
  "nodeGroup.manageDesiredCapacity": { ...bool, description: "false: desired capacity ignored after creation (the cluster autoscaler's)" },
  "nodeGroup.clusterAutoscaler": { ...bool, description: "cluster-autoscaler discovery and node-template tags; default true" },
  "nodeGroup.spot.onDemandBaseCapacity": int(0),
  "nodeGroup.spot.onDemandPercentageAboveBaseCapacity": int(0, 100),
  "nodeGroup.spot.allocationStrategy": { enum: [...SPOT_ALLOCATION_STRATEGIES] },
  "nodeGroup.spot.onDemandAllocationStrategy": { enum: [...ON_DEMAND_ALLOCATION_STRATEGIES] },
  "nodeGroup.spot.maxPrice": { type: "string", pattern: "^\\d+(\\.\\d+)?$" },
  "nodeGroup.capacityRebalance": bool,
  "nodeGroup.instanceRefresh.enabled": bool,
  "nodeGroup.instanceRefresh.minHealthyPercentage": int(0, 100),
  "nodeGroup.instanceRefresh.maxHealthyPercentage": int(100, 200),
  "nodeGroup.instanceRefresh.instanceWarmup": int(0, 86400),
  "nodeGroup.instanceRefresh.skipMatching": bool,
  "nodeGroup.instanceRefresh.autoRollback": bool,
  "nodeGroup.instanceRefresh.checkpointPercentages": list(int(1, 100), 1),
  "nodeGroup.instanceRefresh.checkpointDelay": int(0, 172800),
  "nodeGroup.placementGroup.strategy": { enum: [...PLACEMENT_STRATEGIES] },
  "nodeGroup.placementGroup.partitionCount": int(1, 7),
  "nodeGroup.placementGroup.spreadLevel": { enum: ["rack", "host"] },
  "nodeGroup.terminationPolicies": list({ anyOf: [{ enum: [...TERMINATION_POLICIES] }, arn("lambda")] }, 1),
  "nodeGroup.maxInstanceLifetime": { anyOf: [{ const: 0 }, int(86400, 31536000)] },
  "nodeGroup.healthCheckGracePeriod": int(0, 86400),
  "nodeGroup.enabledMetrics": list({ enum: [...ASG_METRICS] }),
  "nodeGroup.volume.type": { enum: [...ROOT_VOLUME_TYPES] },
  "nodeGroup.volume.size": int(20, 65536),
  "nodeGroup.volume.iops": int(100, 256000),
  "nodeGroup.volume.throughput": int(125, 2000),
  "nodeGroup.volume.kmsKeyId": arn("kmsKey"),
  "nodeGroup.volume.encrypted": bool,
  "nodeGroup.extraVolumes[].deviceName": { type: "string", pattern: "^/dev/(sd[b-z]|xvd[b-z][a-z]?|nvme\\d+n\\d+)$" },
  "nodeGroup.extraVolumes[].type": { enum: [...VOLUME_TYPES] },
  "nodeGroup.extraVolumes[].size": int(1, 65536),
  "nodeGroup.extraVolumes[].iops": int(100, 256000),
  "nodeGroup.extraVolumes[].throughput": int(125, 2000),
  "nodeGroup.extraVolumes[].kmsKeyId": arn("kmsKey"),
  "nodeGroup.extraVolumes[].encrypted": bool,
  "nodeGroup.extraVolumes[].deleteOnTermination": bool,
  "nodeGroup.preBootstrapScript": { ...str, description: "shell run before the node's bootstrap" },
  "nodeGroup.postBootstrapScript": { ...str, description: "shell run after the node's bootstrap parts" },
  "nodeGroup.nodeConfig": { type: "object", description: "a nodeadm NodeConfig spec merged after the node group's own (AL2023)" },
  "nodeGroup.labels": tagMap,
  "nodeGroup.taints[].key": str,
  "nodeGroup.taints[].value": { type: "string" },
  "nodeGroup.taints[].effect": { enum: [...TAINT_EFFECTS] },
  "nodeGroup.lifecycleHooks[].name": str,
  "nodeGroup.lifecycleHooks[].transition": { enum: ["launch", "terminate"] },
  "nodeGroup.lifecycleHooks[].defaultResult": { enum: ["CONTINUE", "ABANDON"] },
  "nodeGroup.lifecycleHooks[].heartbeatTimeout": int(30, 7200),
  "nodeGroup.lifecycleHooks[].notificationTargetArn": arn("notificationTarget"),
  "nodeGroup.lifecycleHooks[].roleArn": arn("role"),
  "nodeGroup.lifecycleHooks[].notificationMetadata": str,
  "nodeGroup.tags": tagMap,
  "tags": tagMap,
  "iam.nodeAgent.credentials": { enum: ["pod-identity", "irsa"] },
  "iam.nodeAgent.oidcProviderArn": arn("oidcProvider"),
  "lambda.s3Bucket": str,
  "lambda.s3Key": str,
  "lambda.s3ObjectVersion": str,
};
for (const at of ["iam", "nodeGroup.iam"]) {
  Object.assign(OPTION_TYPES, {
    [`${at}.attachCniPolicy`]: { ...bool, description: "AmazonEKS_CNI_Policy on the node role; default true (false: the node agent gets its own role)" },
    [`${at}.roleArn`]: arn("role"),
    [`${at}.instanceProfileArn`]: arn("instanceProfile"),
    [`${at}.roleName`]: str,
    [`${at}.roleUseNamePrefix`]: bool,
    [`${at}.rolePath`]: { type: "string", pattern: "^/([\\w+=,.@-]+/)*$" },
    [`${at}.permissionsBoundary`]: arn("policy"),
    [`${at}.additionalPolicyArns`]: list(arn("policy")),
  });
}
for (const r of ["autoScalingGroup", "instance", "volume", "networkInterface", "launchTemplate"]) OPTION_TYPES[`nodeGroup.resourceTags.${r}`] = tagMap;
Object.assign(OPTIONAL_TYPES, OPTION_TYPES);

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
  } else if (`${path}[]` in CONFIG_FIELDS && value === undefined) {
    out = { type: "array", items: node(`${path}[]`, undefined) };
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
