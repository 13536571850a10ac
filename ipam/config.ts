import { overlaps, parseCidr, parseSubnet, rangeInside } from "../contract/address";
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

/** One multus subnet, in device order within its availability zone (device index 1, 2, ...). */
export interface MultusSubnetConfig {
  /** Subnet CIDR, /16 to /28. */
  readonly cidr: string;
  /** EC2 subnet id. */
  readonly id: string;
  readonly availabilityZone: string;
  /** Pod block as `FIRST-LAST` or a CIDR. @default the end of the subnet, sized maxSize x podsPerNode */
  readonly podRange?: string;
}

export interface MultusConfig {
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
  };
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

/**
 * The reference example's values: VPC 10.0.0.0/16, multus subnets 10.0.4.0/24 and 10.0.5.0/24,
 * c5.2xlarge, 2..3 nodes. Ids, endpoint and certificate are placeholders (ipam/placeholders.ts):
 * the example plans and synthesizes but is not deployable.
 */
export const DEFAULT_CONFIG: MultusConfig = {
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


/** Deep-merges user JSON over the defaults: objects merge, arrays and scalars replace. */
function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

class Checker {
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

const ID = (prefix: string) => new RegExp(idPattern(prefix));

/**
 * Validates user JSON merged over DEFAULT_CONFIG, field by field. `source` (a file name) is
 * added to every message. Throws PlanError naming the field and the fix.
 */
export function parseConfig(user: unknown = {}, source = ""): MultusConfig {
  return withSource(source, () => checkConfig(merge(DEFAULT_CONFIG, user ?? {})));
}

function checkConfig(merged: unknown): MultusConfig {
  const c = new Checker();
  const raw = c.keys(merged, "", CONFIG_FIELDS[""]);
  const region = c.str(raw.region, "region", REGION_PATTERN, "us-west-2");
  const multusImage = isObject(raw.multus) ? raw.multus.image : undefined;
  if (!eksAddonRegistry(region) && multusImage === undefined) {
    c.fail("region", `EKS publishes no add-on images in ${region}`, `use an EKS region (nearest: ${nearestRegions(region).join(", ")}), or set multus.image to a Multus image your nodes can pull`);
  }
  for (const part of ["whereabouts", "agent"] as const) {
    if (raw[part] !== undefined) c.image(c.keys(raw[part], part, CONFIG_FIELDS[part]).image, `${part}.image`);
  }

  const cluster = c.keys(raw.cluster, "cluster", CONFIG_FIELDS.cluster);
  c.str(cluster.name, "cluster.name", /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, "eks-multus-cluster");
  c.str(cluster.version, "cluster.version", /^1\.\d+$/, "1.33");
  c.str(cluster.endpoint, "cluster.endpoint", /^https:\/\//, "https://<id>.gr7.<region>.eks.amazonaws.com");
  c.str(cluster.certificateAuthority, "cluster.certificateAuthority", /^[A-Za-z0-9+/=]+$/, "the base64 certificate authority data");
  parseCidr(c.str(cluster.serviceCidr, "cluster.serviceCidr"), "cluster.serviceCidr");
  c.str(cluster.securityGroupId, "cluster.securityGroupId", ID("sg"), "sg-0123456789abcdef0");

  const vpc = c.keys(raw.vpc, "vpc", CONFIG_FIELDS.vpc);
  c.str(vpc.id, "vpc.id", ID("vpc"), "vpc-0123456789abcdef0");
  const vpcRange = parseCidr(c.str(vpc.cidr, "vpc.cidr"), "vpc.cidr");

  const ng = c.keys(raw.nodeGroup, "nodeGroup", CONFIG_FIELDS.nodeGroup);
  c.str(ng.name, "nodeGroup.name", NODE_GROUP_NAME_PATTERN, DEFAULT_NODE_GROUP_NAME);
  if (!isLabelValue(String(ng.name))) {
    throw new PlanError("nodeGroup.name", `"${String(ng.name)}" ends with "-": it is the value of the node label ${MULTUS_NODE_LABEL}, which must end with a letter or digit`, "drop the trailing '-'");
  }
  instanceLimits(c.str(ng.instanceType, "nodeGroup.instanceType"), "nodeGroup.instanceType");
  const maxSize = c.int(ng.maxSize, "nodeGroup.maxSize", ...CONFIG_LIMITS["nodeGroup.maxSize"]!);
  const minSize = c.int(ng.minSize, "nodeGroup.minSize", ...CONFIG_LIMITS["nodeGroup.minSize"]!);
  if (minSize > maxSize) c.fail("nodeGroup.minSize", `${minSize} is above nodeGroup.maxSize ${maxSize}`, "lower nodeGroup.minSize or raise nodeGroup.maxSize");
  const desiredSize = c.int(ng.desiredSize, "nodeGroup.desiredSize", ...CONFIG_LIMITS["nodeGroup.desiredSize"]!);
  if (desiredSize < minSize || desiredSize > maxSize) {
    c.fail("nodeGroup.desiredSize", `${desiredSize} is outside nodeGroup.minSize ${minSize} .. nodeGroup.maxSize ${maxSize}`, `set nodeGroup.desiredSize from ${minSize} to ${maxSize}`);
  }
  c.oneOf(ng.amiFamily, "nodeGroup.amiFamily", ["al2023", "al2"] as const);
  c.str(ng.amiId, "nodeGroup.amiId", ID("ami"), "ami-0123456789abcdef0");
  c.int(ng.volumeSize, "nodeGroup.volumeSize", ...CONFIG_LIMITS["nodeGroup.volumeSize"]!);
  if (ng.keyName !== undefined) c.str(ng.keyName, "nodeGroup.keyName");
  c.list(ng.subnetIds, "nodeGroup.subnetIds").forEach((s, i) => c.str(s, `nodeGroup.subnetIds[${i}]`, ID("subnet"), "subnet-0123456789abcdef0"));
  if (typeof ng.bootstrapArguments !== "string") c.fail("nodeGroup.bootstrapArguments", "must be a string", 'set it to "" or kubelet flags');

  const m = c.keys(raw.multus, "multus", CONFIG_FIELDS.multus);
  c.image(m.image, "multus.image");
  c.oneOf(m.strategy, "multus.strategy", STRATEGIES);
  c.int(m.podsPerNode, "multus.podsPerNode", ...CONFIG_LIMITS["multus.podsPerNode"]!);
  if (m.workerHeadroom !== undefined) c.int(m.workerHeadroom, "multus.workerHeadroom", ...CONFIG_LIMITS["multus.workerHeadroom"]!);
  c.int(m.podHeadroom, "multus.podHeadroom", ...CONFIG_LIMITS["multus.podHeadroom"]!);
  c.bool(m.reserveWorkerBlock, "multus.reserveWorkerBlock");
  c.list(m.securityGroupIds, "multus.securityGroupIds").forEach((s, i) => c.str(s, `multus.securityGroupIds[${i}]`, ID("sg"), "sg-0123456789abcdef0"));
  if (!isObject(m.interfaceTags) || Object.values(m.interfaceTags).some((v) => typeof v !== "string")) {
    c.fail("multus.interfaceTags", "must be an object of string values", 'write it as {"key": "value"}');
  }
  const subnets = c.list(m.subnets, "multus.subnets");
  const seen: { cidr: string; field: string; range: { first: number; last: number } }[] = [];
  subnets.forEach((s, i) => {
    const f = `multus.subnets[${i}]`;
    const sub = c.keys(s, f, CONFIG_FIELDS["multus.subnets[]"]);
    const parsed = parseSubnet(sub.cidr, `${f}.cidr`);
    c.str(sub.id, `${f}.id`, ID("subnet"), "subnet-0123456789abcdef0");
    checkAvailabilityZone(sub.availabilityZone, region, `${f}.availabilityZone`);
    if (sub.podRange !== undefined) parsePodRange(sub.podRange, parsed, `${f}.podRange`);
    const range = { first: parsed.base, last: parsed.last };
    if (!rangeInside(range, { first: vpcRange.base, last: vpcRange.last })) {
      c.fail(`${f}.cidr`, `${parsed.cidr} is not inside vpc.cidr ${vpcRange.cidr}`, "use a subnet of the VPC, or correct vpc.cidr");
    }
    const clash = seen.find((o) => overlaps(o.range, range));
    if (clash) c.fail(`${f}.cidr`, `${parsed.cidr} overlaps ${clash.field} (${clash.cidr})`, "give each multus subnet its own CIDR");
    seen.push({ cidr: parsed.cidr, field: `${f}.cidr`, range });
  });
  const ids = subnets.map((s) => (s as Json).id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) c.fail(`multus.subnets[${i}].id`, `${String(id)} is listed twice`, "list each multus subnet once");
  });
  return raw as unknown as MultusConfig;
}
