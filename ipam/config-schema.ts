import { HEARTBEAT_TIMEOUT_RANGE, HOOK_NAME_PATTERN, NODE_GROUP_KINDS, NODE_GROUP_NAME_PATTERN, STRATEGIES } from "../contract/lifecycle";
import { ENI_TAG_KEYS, MAX_TAGS_PER_RESOURCE, TAG_TEXT } from "../contract/tags";
import { VPC6_PREFIXES } from "../contract/address6";
import { CLUSTER_MULTUS_FIELDS, CONFIG_FIELDS, CONFIG_LIMITS, GROUP_ADDRESS_FIELDS, OPTIONAL_FIELDS, idPattern } from "./config-fields";
import { CLUSTER_PATTERNS, DEFAULT_CONFIG } from "./config";
import {
  AUTOSCALING_ONLY, CAPACITY_TYPES, CNI_MODES, CNI_TYPES, DEFAULT_CNI_TYPE, DEFAULT_NODE_GROUP_KIND, NAD_NAME_PATTERN, NAD_NAMESPACE_PATTERN, NETWORK_DEFAULTS,
  NETWORK_NAME_PATTERN, POD_BLOCKS, groupDefaults,
} from "./cluster-config";
import { isPlaceholder } from "./placeholders";
import { REGION_PATTERN, ZONE_PATTERN } from "./regions";
import { ARN_PATTERNS, MAX_INSTANCE_TYPES, OPTION_PATTERNS, ASG_METRICS, ON_DEMAND_ALLOCATION_STRATEGIES, PLACEMENT_STRATEGIES, ROOT_VOLUME_TYPES, SPOT_ALLOCATION_STRATEGIES, TAINT_EFFECTS, TERMINATION_POLICIES, VOLUME_TYPES } from "./node-options";

type Schema = Record<string, unknown>;

/** EC2 tags: at most `max`, keys of 1-128 characters not starting with aws: (nor one of `reserved`), values of at most 256 (contract/tags.ts). */
function tags(max: number, reserved: readonly string[] = []): Schema {
  const key: Schema = { type: "string", minLength: 1, maxLength: 128, pattern: TAG_TEXT.source, not: { pattern: "^[aA][wW][sS]:" } };
  return {
    type: "object",
    maxProperties: max,
    propertyNames: reserved.length ? { ...key, not: { anyOf: [key.not as Schema, { enum: [...reserved] }] } } : key,
    additionalProperties: { type: "string", maxLength: 256, pattern: TAG_TEXT.source },
  };
}

/** Where the schema is published beside the project (the example config points at it). */
export const CONFIG_SCHEMA_FILE = "multus.config.schema.json";

/** Per field, what the validator checks beyond the type (ipam/config.ts). */
const EXTRA: Record<string, Schema> = {
  region: { pattern: REGION_PATTERN.source },
  ...Object.fromEntries(Object.entries(CLUSTER_PATTERNS).map(([f, p]) => [`cluster.${f}`, { pattern: p.source }])),
  "cluster.securityGroupId": { pattern: idPattern("sg") },
  "vpc.id": { pattern: idPattern("vpc") },
  "nodeGroup.name": { type: "string", pattern: NODE_GROUP_NAME_PATTERN.source, not: { pattern: "-$" }, description: "also the value of the node group label, so it ends with a letter or digit" },
  "nodeGroup.amiId": { pattern: idPattern("ami") },
  "nodeGroup.amiFamily": { enum: ["al2023", "al2"] },
  "nodeGroup.subnetIds[]": { pattern: idPattern("subnet") },
  "multus.strategy": { enum: [...STRATEGIES] },
  "multus.securityGroupIds[]": { pattern: idPattern("sg") },
  "multus.subnets": { minItems: 1 },
  "multus.subnets[].id": { pattern: idPattern("subnet") },
  "multus.subnets[].availabilityZone": { pattern: ZONE_PATTERN.source },
  // EC2's tag rules, and room for the tags the Lambda sets itself (contract/tags.ts checkInterfaceTags).
  "multus.interfaceTags": tags(MAX_TAGS_PER_RESOURCE - Object.keys(ENI_TAG_KEYS).length, Object.values(ENI_TAG_KEYS)),
  // The cluster form (ipam/cluster-config.ts).
  networks: {
    minItems: 1,
    description: "The multus networks (cluster form, with nodeGroups): a subnet per availability zone, the ENI settings and the NAD that pods use",
  },
  "networks[].podBlock": {
    enum: [...POD_BLOCKS],
    description: "network: one pod block per subnet shared by every group attaching the network; group: a block per group",
  },
  nodeGroups: { minItems: 1, description: "The node groups (cluster form, with networks)" },
  "nodeGroups[].kind": {
    enum: [...NODE_GROUP_KINDS],
    description: "who launches the nodes: a self-managed Auto Scaling group, a Karpenter NodePool (maxSize is its node limit, required) or an EKS managed node group",
  },
  nodeGroup: { description: "The single-group shorthand (with multus); not beside networks and nodeGroups" },
  multus: { description: "The single-group shorthand's addresses and ENIs (with nodeGroup); beside networks and nodeGroups only image" },
};

/** Fields of the cluster form with no default: their types, as the validator takes them (ipam/cluster-config.ts). */
const CLUSTER_TYPES: Record<string, Schema> = {
  "networks[].name": { type: "string", pattern: NETWORK_NAME_PATTERN.source, description: "referred to by nodeGroups[].networks" },
  "networks[].type": { enum: [...CNI_TYPES], description: "CNI plugin of the NAD; default: the Kubernetes stack's networks.type, else ipvlan" },
  "networks[].mode": { enum: [...new Set(Object.values(CNI_MODES).flat())], description: "the CNI plugin's mode; default: the Kubernetes stack's networks.mode, else l2 (ipvlan) or bridge (macvlan)" },
  "networks[].sourceDestCheck": { type: "boolean", description: "EC2's source/destination check on the network's ENIs; default true" },
  "networks[].nad.name": { type: "string", pattern: NAD_NAME_PATTERN.source, description: "default: the network's name (-<zone> per AZ when it has several, -<group> per group's pod block)" },
  "networks[].nad.namespace": { type: "string", pattern: NAD_NAMESPACE_PATTERN.source, description: "default: the Kubernetes stack's networks.namespace, else default" },
  "nodeGroups[].availabilityZones": { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", pattern: ZONE_PATTERN.source }, description: "AZs of its primary subnetIds" },
  "nodeGroups[].networks": {
    type: "array",
    minItems: 1,
    uniqueItems: true,
    items: { type: "string", pattern: NETWORK_NAME_PATTERN.source },
    description: "networks it attaches, by name, in device order (device index 1, 2, ...)",
  },
  "nodeGroups[].capacityTypes": {
    type: "array",
    minItems: 1,
    uniqueItems: true,
    items: { enum: [...CAPACITY_TYPES] },
    description: "karpenter and managed groups: Karpenter's karpenter.sh/capacity-type values the nodes run on (a managed group takes one, its capacityType); default [\"on-demand\"]. An autoscaling group uses spot instead",
  },
};

/** Optional fields with no default: their types, as the validator takes them. */
const OPTIONAL_TYPES: Record<string, Schema> = {
  $schema: { type: "string" },
  "nodeGroup.keyName": { type: "string", minLength: 1 },
  "multus.workerHeadroom": { type: "integer" },
  "multus.image": { type: "string", description: "Multus thick image; default: the one EKS publishes in the region's add-on registry" },
  "multus.subnets[].podRange": { type: "string", description: "pod block as FIRST-LAST or a CIDR" },
  "vpc.ipv6Cidr": {
    type: "string",
    pattern: `/(${VPC6_PREFIXES.join("|")})$`,
    description: "the VPC's IPv6 CIDR block (a /56 from Amazon's pool, /44 to /60 in steps of /4 from IPAM or BYOIP); every multus subnet's ipv6Cidr must lie inside it",
  },
  "multus.subnets[].ipv6Cidr": { type: "string", description: "the subnet's IPv6 /64, for a dual-stack network (IPv6 worker and pod blocks, IPv6 reservations)" },
  "whereabouts.image": { type: "string" },
  "agent.image": { type: "string", description: "built from agent/Dockerfile and pushed" },
};

const int = (minimum?: number, maximum?: number): Schema => ({ type: "integer", ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const bool: Schema = { type: "boolean" };
const str: Schema = { type: "string", minLength: 1 };
const arn = (kind: keyof typeof ARN_PATTERNS): Schema => ({ type: "string", pattern: ARN_PATTERNS[kind].source });
const tagMap: Schema = tags(MAX_TAGS_PER_RESOURCE);
const list = (items: Schema, minItems = 0): Schema => ({ type: "array", minItems, items });

/** The node group's production options and the top-level iam, tags and lambda (ipam/node-options.ts), as the validator takes them. */
const OPTION_TYPES: Record<string, Schema> = {
  "nodeGroup.instanceTypes": { ...list(str, 1), maxItems: MAX_INSTANCE_TYPES, uniqueItems: true, description: "mixed instances policy; the plan checks every type, kubelet max-pods is the smallest" },
  "nodeGroup.manageDesiredCapacity": { ...bool, description: "false: desired capacity ignored after creation (the cluster autoscaler's)" },
  "nodeGroup.clusterAutoscaler": { ...bool, description: "cluster-autoscaler discovery and node-template tags; default true" },
  "nodeGroup.spot.onDemandBaseCapacity": int(0),
  "nodeGroup.spot.onDemandPercentageAboveBaseCapacity": int(0, 100),
  "nodeGroup.spot.allocationStrategy": { enum: [...SPOT_ALLOCATION_STRATEGIES] },
  "nodeGroup.spot.onDemandAllocationStrategy": { enum: [...ON_DEMAND_ALLOCATION_STRATEGIES] },
  "nodeGroup.spot.maxPrice": { type: "string", pattern: OPTION_PATTERNS.maxPrice.source },
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
  "nodeGroup.extraVolumes[].deviceName": { type: "string", pattern: OPTION_PATTERNS.deviceName.source },
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
  "nodeGroup.lifecycleHooks[].name": { type: "string", pattern: HOOK_NAME_PATTERN.source },
  "nodeGroup.lifecycleHooks[].transition": { enum: ["launch", "terminate"] },
  "nodeGroup.lifecycleHooks[].defaultResult": { enum: ["CONTINUE", "ABANDON"] },
  "nodeGroup.lifecycleHooks[].heartbeatTimeout": int(HEARTBEAT_TIMEOUT_RANGE.min, HEARTBEAT_TIMEOUT_RANGE.max),
  "nodeGroup.lifecycleHooks[].notificationTargetArn": arn("notificationTarget"),
  "nodeGroup.lifecycleHooks[].roleArn": arn("role"),
  "nodeGroup.lifecycleHooks[].notificationMetadata": { type: "string", pattern: OPTION_PATTERNS.notificationMetadata.source },
  "nodeGroup.tags": tagMap,
  "tags": tagMap,
  "iam.nodeAgent.credentials": { enum: ["pod-identity", "irsa"] },
  "iam.nodeAgent.oidcProviderArn": arn("oidcProvider"),
  "lambda.s3Bucket": { type: "string", pattern: OPTION_PATTERNS.s3Bucket.source },
  "lambda.s3Key": { type: "string", pattern: OPTION_PATTERNS.s3Text.source },
  "lambda.s3ObjectVersion": { type: "string", pattern: OPTION_PATTERNS.s3Text.source },
};
for (const at of ["iam", "nodeGroup.iam"]) {
  Object.assign(OPTION_TYPES, {
    [`${at}.attachCniPolicy`]: { ...bool, description: "AmazonEKS_CNI_Policy on the node role; default true (false: the node agent gets its own role)" },
    [`${at}.roleArn`]: arn("role"),
    [`${at}.instanceProfileArn`]: arn("instanceProfile"),
    [`${at}.roleName`]: { type: "string", pattern: OPTION_PATTERNS.roleName.source },
    [`${at}.roleUseNamePrefix`]: bool,
    [`${at}.rolePath`]: { type: "string", pattern: OPTION_PATTERNS.rolePath.source },
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

/**
 * Cluster-form fields the validator checks as the shorthand's (the same checks, field lists and
 * bounds): a network's ENI fields and subnets are `multus`'s, a group's node fields
 * `nodeGroup`'s and its address fields `multus`'s.
 */
const SHARED: readonly (readonly [string, string, readonly string[]])[] = [
  ["networks[]", "multus", ["securityGroupIds", "interfaceTags", "subnets"]],
  ["nodeGroups[]", "multus", GROUP_ADDRESS_FIELDS],
  ["nodeGroups[]", "nodeGroup", CONFIG_FIELDS.nodeGroup],
];

/** The key of a field in the tables (CONFIG_FIELDS, CONFIG_LIMITS and those above): a shared cluster-form field's shorthand key. */
function tableKey(path: string): string {
  for (const [from, to, fields] of SHARED) {
    const rest = path.startsWith(`${from}.`) ? path.slice(from.length + 1) : undefined;
    if (rest !== undefined && fields.includes(rest.split(/[.[]/)[0]!)) return `${to}.${rest}`;
  }
  return path;
}

const fieldsOf = (path: string): readonly string[] | undefined => {
  const table = CONFIG_FIELDS as Record<string, readonly string[]>;
  return table[path] ?? table[tableKey(path)];
};
const extra = (path: string): Schema | undefined => EXTRA[path] ?? EXTRA[tableKey(path)];

/** The shorthand default at a table key ("nodeGroup.subnetIds"), if any. */
function shorthandValue(key: string): unknown {
  return key.split(".").reduce<unknown>((v, k) => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined), DEFAULT_CONFIG);
}

/** What each item of the cluster form's lists is merged over (ipam/cluster-config.ts). */
const ITEM_DEFAULTS: Record<string, unknown> = {
  "networks[]": NETWORK_DEFAULTS,
  "nodeGroups[]": { ...groupDefaults(), kind: DEFAULT_NODE_GROUP_KIND },
};

/** Schemas that hold only if `field` is `value` (or left out, when `value` is the default). */
const when = (field: string, value: string, isDefault: boolean, then: Schema): Schema => ({
  if: { properties: { [field]: { const: value } }, ...(isDefault ? {} : { required: [field] }) },
  then,
});
const absent = (fields: readonly string[]): Schema => ({ properties: Object.fromEntries(fields.map((f) => [f, false])) });

/** The cluster form's lists, which make a config the cluster form (cluster-config.ts isClusterForm). */
const CLUSTER_LISTS = ["networks", "nodeGroups"] as const;

/**
 * The top level: the cluster form needs both lists, and refuses the shorthand's nodeGroup and
 * multus (but its image) beside them (cluster-config.ts notMixed).
 */
const FORMS: Schema = {
  dependentRequired: Object.fromEntries(CLUSTER_LISTS.map((l) => [l, CLUSTER_LISTS.filter((o) => o !== l)])),
  dependentSchemas: Object.fromEntries(
    CLUSTER_LISTS.map((l) => [l, { properties: { nodeGroup: false, multus: { type: "object", propertyNames: { enum: [...CLUSTER_MULTUS_FIELDS] } } } }]),
  ),
};

/** What the validator checks of one field against another that a schema can say: the if/then of an object, by path. */
const CONDITIONS: Record<string, Schema[]> = {
  // A network's mode is one of its CNI type's.
  "networks[]": CNI_TYPES.map((t) => when("type", t, t === DEFAULT_CNI_TYPE, { properties: { mode: { enum: [...CNI_MODES[t]] } } })),
  // A Karpenter NodePool or managed group has no Auto Scaling options; a NodePool no minimum or desired size, and maxSize is its node limit;
  // an EKS managed group one capacity type; an Auto Scaling group none (its Spot is spot).
  "nodeGroups[]": [
    when("kind", DEFAULT_NODE_GROUP_KIND, true, absent(["capacityTypes"])),
    ...NODE_GROUP_KINDS.filter((k) => k !== DEFAULT_NODE_GROUP_KIND).map((k) =>
      when("kind", k, false, k === "karpenter"
        ? { required: ["maxSize"], properties: { ...absent([...AUTOSCALING_ONLY, "minSize", "desiredSize"]).properties as Schema, maxSize: { description: "required: the NodePool's node limit (limits.nodes)" } } }
        : { properties: { ...absent(AUTOSCALING_ONLY).properties as Schema, capacityTypes: { type: "array", maxItems: 1, description: "one: an EKS managed node group's capacityType" } } }),
    ),
  ],
};

/** A whole-number field's bounds (CONFIG_LIMITS). */
function bounds(path: string): Schema {
  const limits = CONFIG_LIMITS[tableKey(path)];
  return limits ? { minimum: limits[0], maximum: limits[1] } : {};
}

/** Objects whose fields without a default the validator requires (elsewhere every field has a default or may be left out). */
const REQUIRING = ["multus.subnets[]", "networks[]", "nodeGroups[]"];

/** What the production options' objects require (ipam/node-options.ts: the fields the checks take without `!== undefined`). */
const REQUIRED: Record<string, readonly string[]> = {
  "nodeGroup.placementGroup": ["strategy"],
  "nodeGroup.extraVolumes[]": ["deviceName", "size"],
  "nodeGroup.taints[]": ["key", "effect"],
  "nodeGroup.lifecycleHooks[]": ["name", "transition"],
  lambda: ["s3Bucket", "s3Key"],
};

function node(path: string, value: unknown, fieldList = fieldsOf(path)): Schema {
  let out: Schema;
  if (fieldList) {
    const obj = (value ?? {}) as Record<string, unknown>;
    const properties: Record<string, Schema> = {};
    const optional = (p: string) => (OPTIONAL_FIELDS as readonly string[]).includes(tableKey(p));
    for (const f of fieldList) {
      const p = path ? `${path}.${f}` : f;
      const key = tableKey(p);
      // A shared field the cluster form gives no default for (a group's subnetIds): typed as the shorthand's.
      const twin = key !== p ? shorthandValue(key) : undefined;
      properties[f] = obj[f] !== undefined ? node(p, obj[f]) : Array.isArray(twin) ? node(p, twin) : { ...(CLUSTER_TYPES[key] ?? OPTIONAL_TYPES[key] ?? node(p, undefined)), ...bounds(p), ...extra(p) };
    }
    out = { type: "object", properties, additionalProperties: false };
    // An item's fields with a default (or placeholder) it is merged over, or optional ones, may be left out.
    const itemDefaults = (ITEM_DEFAULTS[path] ?? {}) as Record<string, unknown>;
    if (REQUIRING.includes(tableKey(path))) out.required = fieldList.filter((f) => itemDefaults[f] === undefined && !optional(`${path}.${f}`));
    else if (REQUIRED[tableKey(path)]) out.required = [...REQUIRED[tableKey(path)]!];
  } else if (fieldsOf(`${path}[]`) && value === undefined) {
    out = { type: "array", items: node(`${path}[]`, ITEM_DEFAULTS[`${path}[]`]) };
  } else if (Array.isArray(value)) {
    const item = `${path}[]`;
    out = { type: "array", minItems: 1, items: fieldsOf(item) ? node(item, value[0]) : { ...typeOf(value[0]), ...extra(item) } };
  } else if (value !== null && typeof value === "object") {
    out = { type: "object" };
  } else {
    out = typeOf(value);
  }
  Object.assign(out, bounds(path));
  // The example's placeholder ids are no default anyone should keep; a list's items are merged over nothing (but networks' and nodeGroups').
  const item = path.includes("[]") ? path.slice(0, path.lastIndexOf("[]") + 2) : "";
  if (value !== undefined && path !== "" && (item === "" || item in ITEM_DEFAULTS) && !isPlaceholder(value) && !Array.isArray(value) && (typeof value !== "object" || Object.keys(value as object).length === 0)) out.default = value;
  const conditions = CONDITIONS[path];
  return { ...out, ...extra(path), ...(conditions ? { allOf: conditions } : {}) };
}

/**
 * The config's JSON schema (draft 2020-12), generated from the validator's field lists and
 * bounds and the embedded defaults: the single-group shorthand (`nodeGroup` + `multus`) or the
 * cluster form (`networks` + `nodeGroups`), one or the other. The validator stays the authority: it also checks what a
 * schema cannot say (CIDRs inside the VPC, zones of the region, placeholders, plan feasibility).
 */
export function configSchema(): Schema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "multus-eks config (multus.config.json)",
    description: "Merged over the embedded defaults: objects merge, arrays and scalars replace. npm start validates it in full.",
    ...node("", DEFAULT_CONFIG, [...new Set([...CONFIG_FIELDS[""], ...CONFIG_FIELDS["cluster-form"]])]),
    ...FORMS,
  };
}
