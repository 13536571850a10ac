/**
 * The config's fields, object by object, and the bounds of its whole numbers: read by the
 * validator (ipam/config.ts: unknown fields are refused, numbers checked) and by the JSON
 * schema generator (ipam/config-schema.ts), so both know the same fields.
 */
/** A node group's production options (ipam/node-options.ts NodeGroupOptions): optional, no default in the config. */
export const NODE_GROUP_OPTIONS = [
  "instanceTypes", "manageDesiredCapacity", "clusterAutoscaler", "spot", "capacityRebalance", "instanceRefresh", "placementGroup",
  "terminationPolicies", "maxInstanceLifetime", "healthCheckGracePeriod", "enabledMetrics", "volume", "extraVolumes",
  "preBootstrapScript", "postBootstrapScript", "nodeConfig", "labels", "taints", "iam", "lifecycleHooks", "tags", "resourceTags",
] as const;

/** A node group's EC2 and Auto Scaling fields: the shorthand's `nodeGroup`, and each of `nodeGroups` (ipam/config.ts checkNodeGroupFields). */
const NODE_GROUP_FIELDS = ["name", "instanceType", "minSize", "desiredSize", "maxSize", "amiFamily", "amiId", "volumeSize", "keyName", "subnetIds", "bootstrapArguments"] as const;

/** A group's address fields: under the shorthand's `multus`, and on each of `nodeGroups` (ipam/config.ts checkGroupAddressFields). */
export const GROUP_ADDRESS_FIELDS = ["strategy", "podsPerNode", "workerHeadroom", "podHeadroom", "reserveWorkerBlock"] as const;

/** What the cluster form's `multus` may hold: the Multus image is the cluster's, the rest is the shorthand's. */
export const CLUSTER_MULTUS_FIELDS = ["image"] as const;

export const CONFIG_FIELDS = {
  "": ["$schema", "region", "cluster", "vpc", "nodeGroup", "multus", "whereabouts", "agent", "iam", "tags", "lambda"],
  cluster: ["name", "version", "endpoint", "certificateAuthority", "serviceCidr", "securityGroupId"],
  vpc: ["id", "cidr", "ipv6Cidr"],
  nodeGroup: [...NODE_GROUP_FIELDS, ...NODE_GROUP_OPTIONS],
  multus: [...GROUP_ADDRESS_FIELDS, "securityGroupIds", "interfaceTags", "subnets", ...CLUSTER_MULTUS_FIELDS],
  "multus.subnets[]": ["cidr", "id", "availabilityZone", "podRange", "ipv6Cidr"],
  whereabouts: ["image"],
  agent: ["image"],
  /** The cluster form's top level (ipam/cluster-config.ts): `multus` then holds only `image`. */
  "cluster-form": ["$schema", "region", "cluster", "vpc", "networks", "nodeGroups", "multus", "whereabouts", "agent", "iam", "tags", "lambda"],
  "networks[]": ["name", "subnets", "type", "mode", "securityGroupIds", "sourceDestCheck", "interfaceTags", "podBlock", "nad"],
  "networks[].nad": ["name", "namespace"],
  "nodeGroups[]": [
    ...NODE_GROUP_FIELDS, "availabilityZones", ...GROUP_ADDRESS_FIELDS, "networks", "kind", "capacityTypes", ...NODE_GROUP_OPTIONS,
  ],
  // A node group's production options (ipam/node-options.ts), in the shorthand's nodeGroup and in each of nodeGroups.
  "nodeGroup.spot": ["onDemandBaseCapacity", "onDemandPercentageAboveBaseCapacity", "allocationStrategy", "onDemandAllocationStrategy", "maxPrice"],
  "nodeGroup.instanceRefresh": ["enabled", "minHealthyPercentage", "maxHealthyPercentage", "instanceWarmup", "skipMatching", "autoRollback", "checkpointPercentages", "checkpointDelay"],
  "nodeGroup.placementGroup": ["strategy", "partitionCount", "spreadLevel"],
  "nodeGroup.volume": ["type", "size", "iops", "throughput", "kmsKeyId", "encrypted"],
  "nodeGroup.extraVolumes[]": ["deviceName", "type", "size", "iops", "throughput", "kmsKeyId", "encrypted", "deleteOnTermination"],
  "nodeGroup.taints[]": ["key", "value", "effect"],
  "nodeGroup.iam": ["attachCniPolicy", "roleArn", "instanceProfileArn", "roleName", "roleUseNamePrefix", "rolePath", "permissionsBoundary", "additionalPolicyArns"],
  "nodeGroup.lifecycleHooks[]": ["name", "transition", "defaultResult", "heartbeatTimeout", "notificationTargetArn", "roleArn", "notificationMetadata"],
  "nodeGroup.resourceTags": ["autoScalingGroup", "instance", "volume", "networkInterface", "launchTemplate"],
  iam: ["attachCniPolicy", "roleArn", "instanceProfileArn", "roleName", "roleUseNamePrefix", "rolePath", "permissionsBoundary", "additionalPolicyArns", "nodeAgent"],
  "iam.nodeAgent": ["credentials", "oidcProviderArn"],
  lambda: ["s3Bucket", "s3Key", "s3ObjectVersion"],
} as const;

/** Inclusive bounds of the whole-number fields. */
export const CONFIG_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  "nodeGroup.maxSize": [1, 1000],
  "nodeGroup.minSize": [0, 1000],
  "nodeGroup.desiredSize": [0, 1000],
  "nodeGroup.volumeSize": [20, 16384],
  "multus.podsPerNode": [1, 65000],
  "multus.workerHeadroom": [0, 65000],
  "multus.podHeadroom": [0, 65000],
};

/** Fields that may be left out (no default). */
export const OPTIONAL_FIELDS = [
  "$schema", "nodeGroup.keyName", "multus.workerHeadroom", "multus.image", "multus.subnets[].podRange", "multus.subnets[].ipv6Cidr", "vpc.ipv6Cidr", "whereabouts", "agent", "whereabouts.image", "agent.image",
  "iam", "tags", "lambda", ...NODE_GROUP_OPTIONS.map((f) => `nodeGroup.${f}` as const),
  "networks[].type", "networks[].mode", "networks[].sourceDestCheck", "networks[].nad.name", "networks[].nad.namespace",
  "nodeGroups[].capacityTypes",
] as const;

/** AWS resource ids: prefix, dash, 8 or 17 hex digits. */
export const idPattern = (prefix: string) => `^${prefix}-[0-9a-f]{8,17}$`;
