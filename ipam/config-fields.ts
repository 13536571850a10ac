/**
 * The config's fields, object by object, and the bounds of its whole numbers: read by the
 * validator (ipam/config.ts: unknown fields are refused, numbers checked) and by the JSON
 * schema generator (ipam/config-schema.ts), so both know the same fields.
 */
export const CONFIG_FIELDS = {
  "": ["$schema", "region", "cluster", "vpc", "nodeGroup", "multus", "whereabouts", "agent"],
  cluster: ["name", "version", "endpoint", "certificateAuthority", "serviceCidr", "securityGroupId"],
  vpc: ["id", "cidr"],
  nodeGroup: ["name", "instanceType", "minSize", "desiredSize", "maxSize", "amiFamily", "amiId", "volumeSize", "keyName", "subnetIds", "bootstrapArguments"],
  multus: ["strategy", "podsPerNode", "workerHeadroom", "podHeadroom", "reserveWorkerBlock", "securityGroupIds", "interfaceTags", "subnets", "image"],
  "multus.subnets[]": ["cidr", "id", "availabilityZone", "podRange"],
  whereabouts: ["image"],
  agent: ["image"],
  /** The cluster form's top level (ipam/cluster-config.ts): `multus` then holds only `image`. */
  "cluster-form": ["$schema", "region", "cluster", "vpc", "networks", "nodeGroups", "multus", "whereabouts", "agent"],
  "networks[]": ["name", "subnets", "type", "mode", "securityGroupIds", "sourceDestCheck", "interfaceTags", "podBlock", "nad"],
  "networks[].nad": ["name", "namespace"],
  "nodeGroups[]": [
    "name", "instanceType", "minSize", "desiredSize", "maxSize", "amiFamily", "amiId", "volumeSize", "keyName", "subnetIds", "bootstrapArguments",
    "availabilityZones", "strategy", "podsPerNode", "workerHeadroom", "podHeadroom", "reserveWorkerBlock", "networks",
  ],
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
export const OPTIONAL_FIELDS = ["$schema", "nodeGroup.keyName", "multus.workerHeadroom", "multus.image", "multus.subnets[].podRange", "whereabouts", "agent", "whereabouts.image", "agent.image"] as const;

/** AWS resource ids: prefix, dash, 8 or 17 hex digits. */
export const idPattern = (prefix: string) => `^${prefix}-[0-9a-f]{8,17}$`;
