import { Subnet, overlaps, parseCidr, parseSubnet, rangeInside } from "../contract/address";
import { Ip6Range, Subnet6, overlaps6, parseSubnet6, parseVpcCidr6, rangeInside6 } from "../contract/address6";
import { PlanError } from "../contract/errors";
import { DEFAULT_NODE_GROUP_NAME, NODE_GROUP_NAME_PATTERN, STRATEGIES, Strategy } from "../contract/lifecycle";
import { instanceLimits } from "./capacity";
import { JsonObject as Json, isObject } from "../contract/json";
import { MULTUS_NODE_LABEL, isLabelValue } from "../contract/node-label";
import { CONFIG_FIELDS, CONFIG_LIMITS, idPattern } from "./config-fields";
import { isPinnedImage } from "./image-ref";
import { parsePodRange } from "./layout";
import { PLACEHOLDER_CERTIFICATE, PLACEHOLDER_ENDPOINT } from "./placeholders";
import { REGION_PATTERN, checkAvailabilityZone, eksAddonRegistry, nearestRegions } from "./regions";
import { withSource } from "./source";
import { NetworkConfig, NodeGroupConfig, isClusterForm, notMixed, parseClusterConfig, shorthandCluster } from "./cluster-config";
import { ClusterIamConfig, LambdaCodeConfig, NodeGroupOptions, checkClusterOptions, checkInstanceTypeAgrees, checkNodeGroupOptions } from "./node-options";

/** One multus subnet, in device order within its availability zone (device index 1, 2, ...). */
export interface MultusSubnetConfig {
  /** Subnet CIDR, /16 to /28. */
  readonly cidr: string;
  /** EC2 subnet id. */
  readonly id: string;
  readonly availabilityZone: string;
  /** Pod block as `FIRST-LAST` or a CIDR. @default the end of the subnet, sized maxSize x podsPerNode */
  readonly podRange?: string;
  /**
   * The subnet's IPv6 CIDR, the /64 AWS gives it, for a dual-stack network: the plan adds IPv6
   * worker and pod blocks (ipam/layout6.ts), the ENIs and pods get an IPv6 address too.
   * @default none (IPv4 only)
   */
  readonly ipv6Cidr?: string;
}

/** The single-group shorthand: `nodeGroup` + `multus`, as the embedded defaults write it. */
export interface ShorthandConfig {
  /** AWS region. @default "us-west-2" */
  readonly region: string;
  readonly cluster: {
    /** @default "eks-multus-cluster" */
    readonly name: string;
    /** Kubernetes version, for the AMI lookup and nodeadm. @default "1.33" */
    readonly version: string;
    /** API server endpoint, written into the node's NodeConfig. */
    readonly endpoint: string;
    /** Base64 cluster CA, written into the node's NodeConfig. */
    readonly certificateAuthority: string;
    /** Kubernetes service CIDR. @default "172.20.0.0/16" */
    readonly serviceCidr: string;
    /** The cluster's control-plane security group. */
    readonly securityGroupId: string;
  };
  readonly vpc: {
    readonly id: string;
    /** @default "10.0.0.0/16" */
    readonly cidr: string;
    /** The VPC's IPv6 block (a /56 from Amazon, /44../60 from IPAM or BYOIP): every multus subnet's ipv6Cidr must lie inside it. @default none (not checked) */
    readonly ipv6Cidr?: string;
  };
  readonly nodeGroup: {
    /** @default "ng1" */
    readonly name: string;
    /** @default "c5.2xlarge" */
    readonly instanceType: string;
    /** @default 2 */
    readonly minSize: number;
    /** @default 2 */
    readonly desiredSize: number;
    /** @default 3 */
    readonly maxSize: number;
    /** @default "al2023" */
    readonly amiFamily: "al2023" | "al2";
    /** EKS-optimized AMI id (no AWS lookup at synth or plan). */
    readonly amiId: string;
    /** Root volume GiB. @default 50 */
    readonly volumeSize: number;
    /** EC2 key pair. @default none */
    readonly keyName?: string;
    /** Primary (VPC CNI) subnets of the nodes. */
    readonly subnetIds: string[];
    /** Extra kubelet flags, e.g. node labels. @default "" */
    readonly bootstrapArguments: string;
  } & NodeGroupOptions;
  /** Node roles of every group (a group's `iam` overrides field by field) and the node agent's own role. @default {} */
  readonly iam?: ClusterIamConfig;
  /** Tags on every resource of the stack. @default {} */
  readonly tags?: Record<string, string>;
  /** The lifecycle Lambda's code from S3 instead of the local bundle. @default the local bundle (dist/lambda) */
  readonly lambda?: LambdaCodeConfig;
  readonly multus: {
    /** @default "static" */
    readonly strategy: Strategy;
    /** Multus pods per node on each multus subnet. @default 10 */
    readonly podsPerNode: number;
    /** Worker addresses beyond maxSize. @default maxSize */
    readonly workerHeadroom?: number;
    /**
     * Pod addresses per subnet beyond maxSize x podsPerNode: room for addresses whereabouts still
     * holds for a failed node's pods until its ip-reconciler frees them. @default 0
     */
    readonly podHeadroom: number;
    /** `static`: reserve the worker block. @default true */
    readonly reserveWorkerBlock: boolean;
    /** Security groups of the multus ENIs. */
    readonly securityGroupIds: string[];
    /** Tags on every multus ENI. @default {} */
    readonly interfaceTags: Record<string, string>;
    readonly subnets: MultusSubnetConfig[];
    /** Multus thick image. @default the one EKS publishes in the region's add-on registry */
    readonly image?: string;
  };
  /** whereabouts IPAM. */
  readonly whereabouts?: {
    /** @default WHEREABOUTS_IMAGE (modules/kubernetes/versions.ts) */
    readonly image?: string;
  };
  /** The node agent (agent/). */
  readonly agent?: {
    /** Built from agent/Dockerfile and pushed. @default asked for by the Terraform variable node_agent_image */
    readonly image?: string;
  };
}

/** What every validated config holds, whichever form the user wrote. */
interface ConfigCommon extends Omit<ShorthandConfig, "nodeGroup" | "multus"> {
  /** The multus networks, in config order (the shorthand: one per subnet, `net1`, `net2`, ...). */
  readonly networks: NetworkConfig[];
  /** The node groups, in config order (the shorthand: one). */
  readonly nodeGroups: NodeGroupConfig[];
}

/** A validated shorthand config: `nodeGroup` and `multus` as written, and the cluster they make. */
export interface ShorthandMultusConfig extends ConfigCommon, Pick<ShorthandConfig, "nodeGroup" | "multus"> {
  readonly form: "shorthand";
}

/** A validated cluster config (`networks` + `nodeGroups`); `multus` holds the Multus image alone. */
export interface ClusterMultusConfig extends ConfigCommon {
  readonly form: "cluster";
  readonly nodeGroup?: undefined;
  readonly multus?: { readonly image?: string };
}

/**
 * A validated config. Whichever form the user wrote (the shorthand, or `networks` +
 * `nodeGroups`), `networks` and `nodeGroups` hold the cluster: the shorthand is one group
 * attaching one network per subnet. `form` tells which; `nodeGroup` and `multus` are there in
 * the shorthand.
 */
export type MultusConfig = ShorthandMultusConfig | ClusterMultusConfig;

/**
 * The reference example's values: VPC 10.0.0.0/16, multus subnets 10.0.4.0/24 and 10.0.5.0/24,
 * c5.2xlarge, 2..3 nodes. Ids, endpoint and certificate are placeholders (ipam/placeholders.ts):
 * the example plans and synthesizes but is not deployable.
 */
export const DEFAULT_CONFIG: ShorthandConfig = {
  region: "us-west-2",
  cluster: {
    name: "eks-multus-cluster",
    version: "1.33",
    endpoint: PLACEHOLDER_ENDPOINT,
    certificateAuthority: PLACEHOLDER_CERTIFICATE,
    serviceCidr: "172.20.0.0/16",
    securityGroupId: "sg-0c0ffee0c0ffee001",
  },
  vpc: { id: "vpc-0c0ffee0c0ffee001", cidr: "10.0.0.0/16" },
  nodeGroup: {
    name: DEFAULT_NODE_GROUP_NAME,
    instanceType: "c5.2xlarge",
    minSize: 2,
    desiredSize: 2,
    maxSize: 3,
    amiFamily: "al2023",
    amiId: "ami-0c0ffee0c0ffee001",
    volumeSize: 50,
    subnetIds: ["subnet-0c0ffee0c0ffee002"],
    bootstrapArguments: "",
  },
  multus: {
    strategy: "static",
    podsPerNode: 10,
    podHeadroom: 0,
    reserveWorkerBlock: true,
    securityGroupIds: ["sg-0c0ffee0c0ffee002"],
    interfaceTags: {},
    subnets: [
      { cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" },
      { cidr: "10.0.5.0/24", id: "subnet-0c0ffee0c0ffee005", availabilityZone: "us-west-2a" },
    ],
  },
};


/** What the cluster form (`networks` + `nodeGroups`) is merged over: the cluster and VPC of the defaults. */
const CLUSTER_DEFAULTS = { region: DEFAULT_CONFIG.region, cluster: DEFAULT_CONFIG.cluster, vpc: DEFAULT_CONFIG.vpc };

/** Deep-merges user JSON over the defaults: objects merge, arrays and scalars replace. */
export function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

export class Checker {
  fail(field: string, problem: string, fix: string): never {
    throw new PlanError(field, problem, fix);
  }

  keys(obj: unknown, field: string, allowed: readonly string[]): Json {
    if (!isObject(obj)) this.fail(field || "config", "must be an object", `write ${field || "the config"} as a JSON object`);
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) this.fail(field ? `${field}.${k}` : k, "is not a known field", `remove it or use one of: ${allowed.join(", ")}`);
    }
    return obj;
  }

  str(v: unknown, field: string, pattern?: RegExp, example?: string): string {
    if (typeof v !== "string" || v.length === 0) this.fail(field, `must be a non-empty string, got ${JSON.stringify(v)}`, `set ${field}${example ? ` (e.g. "${example}")` : ""}`);
    if (pattern && !pattern.test(v)) this.fail(field, `"${v}" is not valid`, `use the form ${example ?? pattern.source}`);
    return v;
  }

  int(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`, `set ${field} to a whole number from ${min} to ${max}`);
    }
    return v;
  }

  bool(v: unknown, field: string): boolean {
    if (typeof v !== "boolean") this.fail(field, `must be true or false, got ${JSON.stringify(v)}`, `set ${field} to true or false`);
    return v;
  }

  list(v: unknown, field: string, minLength = 1): unknown[] {
    if (!Array.isArray(v) || v.length < minLength) this.fail(field, `must be a list of at least ${minLength}`, `give ${field} as a JSON array`);
    return v;
  }

  image(v: unknown, field: string): void {
    if (v !== undefined && !isPinnedImage(v)) this.fail(field, `${JSON.stringify(v)} is not a pinned image reference`, "give REGISTRY/REPOSITORY:TAG (not :latest) or REPOSITORY@sha256:DIGEST");
  }

  oneOf<T extends string>(v: unknown, field: string, options: readonly T[]): T {
    if (typeof v !== "string" || !options.includes(v as T)) this.fail(field, `must be one of ${options.join(", ")}, got ${JSON.stringify(v)}`, `set ${field} to ${options.join(" or ")}`);
    return v as T;
  }
}

export const ID = (prefix: string) => new RegExp(idPattern(prefix));

/** What `cluster`'s strings must look like (the EKS cluster name rule, a 1.x version, an https endpoint, base64). */
export const CLUSTER_PATTERNS = {
  name: /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/,
  version: /^1\.\d+$/,
  endpoint: /^https:\/\//,
  certificateAuthority: /^[A-Za-z0-9+/=]+$/,
} as const;

/** Checks a node group's EC2 and Auto Scaling fields (the shorthand's `nodeGroup`, or one of `nodeGroups`). */
export function checkNodeGroupFields(ng: Json, at: string, c: Checker): void {
  c.str(ng.name, `${at}.name`, NODE_GROUP_NAME_PATTERN, DEFAULT_NODE_GROUP_NAME);
  if (!isLabelValue(String(ng.name))) {
    throw new PlanError(`${at}.name`, `"${String(ng.name)}" ends with "-": it is the value of the node label ${MULTUS_NODE_LABEL}, which must end with a letter or digit`, "drop the trailing '-'");
  }
  instanceLimits(c.str(ng.instanceType, `${at}.instanceType`), `${at}.instanceType`);
  const maxSize = c.int(ng.maxSize, `${at}.maxSize`, ...CONFIG_LIMITS["nodeGroup.maxSize"]!);
  const minSize = c.int(ng.minSize, `${at}.minSize`, ...CONFIG_LIMITS["nodeGroup.minSize"]!);
  if (minSize > maxSize) c.fail(`${at}.minSize`, `${minSize} is above ${at}.maxSize ${maxSize}`, `lower ${at}.minSize or raise ${at}.maxSize`);
  const desiredSize = c.int(ng.desiredSize, `${at}.desiredSize`, ...CONFIG_LIMITS["nodeGroup.desiredSize"]!);
  if (desiredSize < minSize || desiredSize > maxSize) {
    c.fail(`${at}.desiredSize`, `${desiredSize} is outside ${at}.minSize ${minSize} .. ${at}.maxSize ${maxSize}`, `set ${at}.desiredSize from ${minSize} to ${maxSize}`);
  }
  c.oneOf(ng.amiFamily, `${at}.amiFamily`, ["al2023", "al2"] as const);
  c.str(ng.amiId, `${at}.amiId`, ID("ami"), "ami-0123456789abcdef0");
  c.int(ng.volumeSize, `${at}.volumeSize`, ...CONFIG_LIMITS["nodeGroup.volumeSize"]!);
  if (ng.keyName !== undefined) c.str(ng.keyName, `${at}.keyName`);
  c.list(ng.subnetIds, `${at}.subnetIds`).forEach((s, i) => c.str(s, `${at}.subnetIds[${i}]`, ID("subnet"), "subnet-0123456789abcdef0"));
  if (typeof ng.bootstrapArguments !== "string") c.fail(`${at}.bootstrapArguments`, "must be a string", 'set it to "" or kubelet flags');
}

/** Checks a group's address fields: strategy, podsPerNode, workerHeadroom, podHeadroom, reserveWorkerBlock (under `multus`, or on each of `nodeGroups`). */
export function checkGroupAddressFields(m: Json, at: string, c: Checker): void {
  c.oneOf(m.strategy, `${at}.strategy`, STRATEGIES);
  c.int(m.podsPerNode, `${at}.podsPerNode`, ...CONFIG_LIMITS["multus.podsPerNode"]!);
  if (m.workerHeadroom !== undefined) c.int(m.workerHeadroom, `${at}.workerHeadroom`, ...CONFIG_LIMITS["multus.workerHeadroom"]!);
  c.int(m.podHeadroom, `${at}.podHeadroom`, ...CONFIG_LIMITS["multus.podHeadroom"]!);
  c.bool(m.reserveWorkerBlock, `${at}.reserveWorkerBlock`);
}

/** Checks ENI settings shared by the shorthand's `multus` and each of `networks`: security groups and interface tags. */
export function checkInterfaceFields(m: Json, at: string, c: Checker): void {
  c.list(m.securityGroupIds, `${at}.securityGroupIds`).forEach((s, i) => c.str(s, `${at}.securityGroupIds[${i}]`, ID("sg"), "sg-0123456789abcdef0"));
  if (!isObject(m.interfaceTags) || Object.values(m.interfaceTags).some((v) => typeof v !== "string")) {
    c.fail(`${at}.interfaceTags`, "must be an object of string values", 'write it as {"key": "value"}');
  }
}

/** Multus subnets seen so far in a config: every subnet's CIDR (and IPv6 CIDR) is its own. */
export type SeenSubnets = { cidr: string; field: string; range?: { first: number; last: number }; range6?: Ip6Range }[];

/** Checks one multus subnet `{cidr, id, availabilityZone, podRange?, ipv6Cidr?}` at field `f`: in the region, inside the VPC (its IPv6 block too, when given), clear of those `seen`. */
export function checkMultusSubnet(s: unknown, f: string, c: Checker, region: string, vpcRange: Subnet, seen: SeenSubnets, vpcRange6?: Subnet6): Json {
  const sub = c.keys(s, f, CONFIG_FIELDS["multus.subnets[]"]);
  const parsed = parseSubnet(sub.cidr, `${f}.cidr`);
  c.str(sub.id, `${f}.id`, ID("subnet"), "subnet-0123456789abcdef0");
  checkAvailabilityZone(sub.availabilityZone, region, `${f}.availabilityZone`);
  if (sub.podRange !== undefined) parsePodRange(sub.podRange, parsed, `${f}.podRange`);
  const range = { first: parsed.base, last: parsed.last };
  if (!rangeInside(range, { first: vpcRange.base, last: vpcRange.last })) {
    c.fail(`${f}.cidr`, `${parsed.cidr} is not inside vpc.cidr ${vpcRange.cidr}`, "use a subnet of the VPC, or correct vpc.cidr");
  }
  const clash = seen.find((o) => o.range && overlaps(o.range, range));
  if (clash) c.fail(`${f}.cidr`, `${parsed.cidr} overlaps ${clash.field} (${clash.cidr})`, "give each multus subnet its own CIDR");
  seen.push({ cidr: parsed.cidr, field: `${f}.cidr`, range });
  if (sub.ipv6Cidr !== undefined) {
    const v6 = parseSubnet6(sub.ipv6Cidr, `${f}.ipv6Cidr`);
    if (vpcRange6 && !rangeInside6(v6, vpcRange6)) {
      c.fail(`${f}.ipv6Cidr`, `${v6.cidr} is not inside vpc.ipv6Cidr ${vpcRange6.cidr}`, "use a /64 of the VPC's IPv6 block, or correct vpc.ipv6Cidr");
    }
    const twin = seen.find((o) => o.range6 && overlaps6(o.range6, v6));
    if (twin) c.fail(`${f}.ipv6Cidr`, `${v6.cidr} is also ${twin.field}`, "give each multus subnet its own IPv6 /64");
    seen.push({ cidr: v6.cidr, field: `${f}.ipv6Cidr`, range6: v6 });
  }
  return sub;
}

/**
 * Validates user JSON merged over DEFAULT_CONFIG, field by field. `source` (a file name) is
 * added to every message. Throws PlanError naming the field and the fix. A config with
 * `networks` and `nodeGroups` is the cluster form (ipam/cluster-config.ts), merged over the
 * defaults' region, cluster and VPC only; otherwise `nodeGroup` + `multus` is the single-group
 * shorthand.
 */
export function parseConfig(user: unknown = {}, source = ""): MultusConfig {
  return withSource(source, () => {
    if (isClusterForm(user)) return checkConfig(merge(CLUSTER_DEFAULTS, notMixed(user, new Checker())), true);
    checkInstanceTypeAgrees(isObject(user) ? user.nodeGroup : undefined, "nodeGroup");
    return checkConfig(merge(DEFAULT_CONFIG, user ?? {}), false);
  });
}

function checkConfig(merged: unknown, clusterForm: boolean): MultusConfig {
  const c = new Checker();
  const raw = c.keys(merged, "", clusterForm ? CONFIG_FIELDS["cluster-form"] : CONFIG_FIELDS[""]);
  const region = c.str(raw.region, "region", REGION_PATTERN, "us-west-2");
  const multusImage = isObject(raw.multus) ? raw.multus.image : undefined;
  if (!eksAddonRegistry(region) && multusImage === undefined) {
    c.fail("region", `EKS publishes no add-on images in ${region}`, `use an EKS region (nearest: ${nearestRegions(region).join(", ")}), or set multus.image to a Multus image your nodes can pull`);
  }
  for (const part of ["whereabouts", "agent"] as const) {
    if (raw[part] !== undefined) c.image(c.keys(raw[part], part, CONFIG_FIELDS[part]).image, `${part}.image`);
  }

  const cluster = c.keys(raw.cluster, "cluster", CONFIG_FIELDS.cluster);
  c.str(cluster.name, "cluster.name", CLUSTER_PATTERNS.name, "eks-multus-cluster");
  c.str(cluster.version, "cluster.version", CLUSTER_PATTERNS.version, "1.33");
  c.str(cluster.endpoint, "cluster.endpoint", CLUSTER_PATTERNS.endpoint, "https://<id>.gr7.<region>.eks.amazonaws.com");
  c.str(cluster.certificateAuthority, "cluster.certificateAuthority", CLUSTER_PATTERNS.certificateAuthority, "the base64 certificate authority data");
  parseCidr(c.str(cluster.serviceCidr, "cluster.serviceCidr"), "cluster.serviceCidr");
  c.str(cluster.securityGroupId, "cluster.securityGroupId", ID("sg"), "sg-0123456789abcdef0");

  const vpc = c.keys(raw.vpc, "vpc", CONFIG_FIELDS.vpc);
  c.str(vpc.id, "vpc.id", ID("vpc"), "vpc-0123456789abcdef0");
  const vpcRange = parseCidr(c.str(vpc.cidr, "vpc.cidr"), "vpc.cidr");
  const vpcRange6 = vpc.ipv6Cidr === undefined ? undefined : parseVpcCidr6(vpc.ipv6Cidr, "vpc.ipv6Cidr");
  checkClusterOptions(raw, c);

  if (clusterForm) return parseClusterConfig(raw, region, vpcRange, c, vpcRange6);

  const ng = c.keys(raw.nodeGroup, "nodeGroup", CONFIG_FIELDS.nodeGroup);
  checkNodeGroupFields(ng, "nodeGroup", c);

  const m = c.keys(raw.multus, "multus", CONFIG_FIELDS.multus);
  c.image(m.image, "multus.image");
  checkGroupAddressFields(m, "multus", c);
  checkInterfaceFields(m, "multus", c);
  const subnets = c.list(m.subnets, "multus.subnets");
  const seen: SeenSubnets = [];
  subnets.forEach((s, i) => checkMultusSubnet(s, `multus.subnets[${i}]`, c, region, vpcRange, seen, vpcRange6));
  const ids = subnets.map((s) => (s as Json).id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) c.fail(`multus.subnets[${i}].id`, `${String(id)} is listed twice`, "list each multus subnet once");
  });
  const zones = new Set(subnets.map((s) => (s as Json).availabilityZone)).size;
  checkNodeGroupOptions(ng, "nodeGroup", c, zones, raw.iam as ClusterIamConfig | undefined);
  // The launch template's type is the first of instanceTypes; the plan checks them all.
  if (Array.isArray(ng.instanceTypes)) ng.instanceType = ng.instanceTypes[0];
  return shorthandCluster(raw as unknown as ShorthandConfig);
}
