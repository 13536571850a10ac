import type { Subnet } from "../contract/address";
import type { Subnet6 } from "../contract/address6";
import { JsonObject as Json, isObject } from "../contract/json";
import { NODE_GROUP_KINDS, NodeGroupKind, Strategy } from "../contract/lifecycle";
import { checkInterfaceTags } from "../contract/tags";
import { PlanError } from "../contract/errors";
import { CLUSTER_MULTUS_FIELDS, CONFIG_FIELDS } from "./config-fields";
import { ClusterIamConfig, NodeIamConfig, checkInstanceTypeAgrees, checkNodeGroupOptions, groupIam } from "./node-options";
import { nodeRoleName } from "./group-names";
import { checkAvailabilityZone } from "./regions";
import {
  Checker,
  ClusterMultusConfig,
  DEFAULT_CONFIG,
  MultusConfig,
  MultusSubnetConfig,
  SeenSubnets,
  ShorthandConfig,
  ShorthandMultusConfig,
  checkGroupAddressFields,
  checkInterfaceFields,
  checkMultusSubnet,
  checkNodeGroupFields,
  merge,
} from "./config";

/**
 * CNI plugins a generated NetworkAttachmentDefinition can use, and the modes each accepts
 * (containernetworking/plugins plugins/main/{ipvlan,macvlan}). Both put the pod's interface on
 * the worker's multus ENI; ipvlan shares the ENI's MAC address, which is what the VPC delivers to.
 */
export const CNI_TYPES = ["ipvlan", "macvlan"] as const;
export type CniType = (typeof CNI_TYPES)[number];
export const CNI_MODES: Record<CniType, readonly string[]> = {
  ipvlan: ["l2", "l3", "l3s"],
  macvlan: ["bridge", "private", "vepa", "passthru"],
};
export const DEFAULT_CNI_MODE: Record<CniType, string> = { ipvlan: "l2", macvlan: "bridge" };
/** The type whose modes a network's `mode` is checked against when it gives no `type`. */
export const DEFAULT_CNI_TYPE: CniType = "ipvlan";

/**
 * Where the pods of a network's groups take their addresses in each subnet: one block shared by
 * every group attaching the network (`network`), or a block per group (`group`, e.g. so one
 * group's pods cannot exhaust another's).
 */
export const POD_BLOCKS = ["network", "group"] as const;
export type PodBlockMode = (typeof POD_BLOCKS)[number];

/**
 * A network name: it names the network's NADs by default, module variables and plan owners, so
 * lowercase DNS-label characters, short enough for the NAD suffixes (`-<group>-<zone>`).
 */
export const NETWORK_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
/** A NAD's name: a DNS subdomain (Kubernetes object names). */
export const NAD_NAME_PATTERN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A NAD's namespace: a DNS label. */
export const NAD_NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A multus network: a subnet per availability zone, the ENI settings and the NAD that pods use. */
export interface NetworkConfig {
  /** Referred to by `nodeGroups[].networks`. */
  readonly name: string;
  /** At most one per availability zone (a node takes one ENI per network). */
  readonly subnets: MultusSubnetConfig[];
  /** CNI plugin of the NAD. @default the Kubernetes stack's networks.type, else "ipvlan" */
  readonly type?: CniType;
  /** @default the Kubernetes stack's networks.mode, else l2 (ipvlan) or bridge (macvlan) */
  readonly mode?: string;
  /** Security groups of the network's ENIs. */
  readonly securityGroupIds: string[];
  /** EC2's source/destination check on the network's ENIs. @default true (the stack's lambdaEnvironment.sourceDestCheck, when set) */
  readonly sourceDestCheck?: boolean;
  /** Tags on the network's ENIs. @default {} */
  readonly interfaceTags: Record<string, string>;
  /** @default "network" */
  readonly podBlock: PodBlockMode;
  /** The network's NetworkAttachmentDefinitions. */
  readonly nad: {
    /** @default the network's name (`-<zone>` added per AZ when the network has several, `-<group>` per group's pod block) */
    readonly name?: string;
    /** @default the Kubernetes stack's networks.namespace, else "default" */
    readonly namespace?: string;
  };
}

/** A node group: today's `nodeGroup` fields, its address strategy and the networks it attaches. */
export interface NodeGroupConfig extends Readonly<ShorthandConfig["nodeGroup"]> {
  /**
   * Who launches its nodes: a self-managed Auto Scaling group with lifecycle hooks, a Karpenter
   * NodePool (`maxSize` is its node limit, required), or an EKS managed node group.
   * @default "autoscaling"
   */
  readonly kind: NodeGroupKind;
  /** AZs of its primary `subnetIds` (an id alone does not tell). */
  readonly availabilityZones: string[];
  /** @default "static" */
  readonly strategy: Strategy;
  /** Multus pods per node on each network. @default 10 */
  readonly podsPerNode: number;
  /** Worker addresses beyond maxSize. @default maxSize */
  readonly workerHeadroom?: number;
  /** Pod addresses per subnet beyond maxSize x podsPerNode (a failed node's pods' addresses until whereabouts' reconciler frees them). @default 0 */
  readonly podHeadroom: number;
  /** `static`: reserve the worker block. @default true */
  readonly reserveWorkerBlock: boolean;
  /** Networks it attaches, by name, in device order (device index 1, 2, ...). */
  readonly networks: string[];
  /**
   * `karpenter` and `managed` groups: the capacity its nodes run on, as Karpenter's
   * `karpenter.sh/capacity-type` values. A NodePool takes a list (Karpenter picks among them);
   * an EKS managed node group one (its `capacityType`, ON_DEMAND or SPOT). An Auto Scaling group
   * takes Spot from `spot` (its mixed instances policy) instead.
   * @default ["on-demand"]
   */
  readonly capacityTypes?: CapacityType[];
}

/**
 * A hookless group's capacity types: Karpenter v1's `karpenter.sh/capacity-type` values
 * (karpenter.sh docs, "NodePools", Capacity Type; the vendored CRDs are v1.14.1), which an EKS
 * managed group's capacityType takes as ON_DEMAND and SPOT (EKS API CreateNodegroup).
 * Karpenter's third value, `reserved`, launches only into the capacity reservations an
 * EC2NodeClass selects (capacityReservationSelectorTerms, ReservedCapacity feature gate), and
 * EKS's CAPACITY_BLOCK needs a capacity block in the launch template: these stacks write neither.
 */
export const CAPACITY_TYPES = ["on-demand", "spot"] as const;
export type CapacityType = (typeof CAPACITY_TYPES)[number];
/** A hookless group's capacity types when it gives none. */
export const DEFAULT_CAPACITY_TYPES: readonly CapacityType[] = ["on-demand"];

/** The group's capacity types, defaulted, in CAPACITY_TYPES order (the config's order means nothing: Karpenter picks by price). */
export function capacityTypesOf(group: Pick<NodeGroupConfig, "capacityTypes">): CapacityType[] {
  const given = group.capacityTypes ?? DEFAULT_CAPACITY_TYPES;
  return CAPACITY_TYPES.filter((t) => given.includes(t));
}

/** `shorthand`: the config wrote `nodeGroup` + `multus`; `cluster`: `networks` + `nodeGroups`. */
export type ConfigForm = "shorthand" | "cluster";

/** True when the user wrote the cluster form (`networks` or `nodeGroups`). */
export function isClusterForm(user: unknown): user is Json {
  return isObject(user) && (user.networks !== undefined || user.nodeGroups !== undefined);
}

/**
 * Refuses the shorthand's `nodeGroup` and `multus` beside `networks` and `nodeGroups`, saying
 * where their fields go; `multus` may still give the Multus `image`, which is the cluster's.
 */
export function notMixed(user: Json, c: Checker): Json {
  if (user.nodeGroup !== undefined) c.fail("nodeGroup", "is the single-group shorthand and cannot be mixed with networks and nodeGroups", "move its fields into nodeGroups[]");
  if (user.multus !== undefined) {
    const extra = isObject(user.multus) ? Object.keys(user.multus).filter((k) => !(CLUSTER_MULTUS_FIELDS as readonly string[]).includes(k)) : [];
    if (!isObject(user.multus) || extra.length) {
      c.fail(
        extra.length ? `multus.${extra[0]}` : "multus",
        "is the single-group shorthand and cannot be mixed with networks and nodeGroups (only multus.image, the Multus image, is the cluster's)",
        "move it into networks[] (subnets, securityGroupIds, interfaceTags) or nodeGroups[] (strategy, podsPerNode, workerHeadroom, reserveWorkerBlock)",
      );
    }
  }
  return user;
}


/** What a network defaults to (its name, subnets and security groups have none). */
export const NETWORK_DEFAULTS = { interfaceTags: {}, podBlock: "network", nad: {} } as const;

/** A group's kind when it gives none. */
export const DEFAULT_NODE_GROUP_KIND: NodeGroupKind = "autoscaling";

/** What a group defaults to: the shorthand's node group and address defaults, but no name, subnets, zones or networks. */
export function groupDefaults(): Json {
  const { name: _name, subnetIds: _subnets, ...ng } = DEFAULT_CONFIG.nodeGroup;
  const { strategy, podsPerNode, podHeadroom, reserveWorkerBlock } = DEFAULT_CONFIG.multus;
  return { ...ng, strategy, podsPerNode, podHeadroom, reserveWorkerBlock };
}

function parseNetwork(n: unknown, at: string, c: Checker, region: string, vpcRange: Subnet, seen: SeenSubnets, vpcRange6?: Subnet6): NetworkConfig {
  const raw = c.keys(n, at, CONFIG_FIELDS["networks[]"]);
  const net = { ...NETWORK_DEFAULTS, ...raw } as Json;
  const name = c.str(net.name, `${at}.name`, NETWORK_NAME_PATTERN, "data");
  if (net.type !== undefined) c.oneOf(net.type, `${at}.type`, CNI_TYPES);
  if (net.mode !== undefined) {
    const type = (net.type ?? DEFAULT_CNI_TYPE) as CniType;
    if (typeof net.mode !== "string" || !CNI_MODES[type].includes(net.mode)) {
      c.fail(`${at}.mode`, `${JSON.stringify(net.mode)} is not a ${type} mode`, `use one of: ${CNI_MODES[type].join(", ")}`);
    }
  }
  checkInterfaceFields(net, at, c);
  checkInterfaceTags(net.interfaceTags as Record<string, string>, `${at}.interfaceTags`);
  if (net.sourceDestCheck !== undefined) c.bool(net.sourceDestCheck, `${at}.sourceDestCheck`);
  c.oneOf(net.podBlock, `${at}.podBlock`, POD_BLOCKS);
  const nad = c.keys(net.nad, `${at}.nad`, CONFIG_FIELDS["networks[].nad"]);
  if (nad.name !== undefined) c.str(nad.name, `${at}.nad.name`, NAD_NAME_PATTERN, "data-net");
  if (nad.namespace !== undefined) c.str(nad.namespace, `${at}.nad.namespace`, NAD_NAMESPACE_PATTERN, "default");
  const subnets = c.list(net.subnets, `${at}.subnets`).map((s, j) => checkMultusSubnet(s, `${at}.subnets[${j}]`, c, region, vpcRange, seen, vpcRange6) as unknown as MultusSubnetConfig);
  subnets.forEach((s, j) => {
    const k = subnets.findIndex((o) => o.availabilityZone === s.availabilityZone);
    if (k !== j) {
      c.fail(
        `${at}.subnets[${j}].availabilityZone`,
        `network "${name}" has two subnets in ${s.availabilityZone} (subnets[${k}] and subnets[${j}]); a node takes one ENI per network`,
        "give the network one subnet per availability zone, or make the second subnet a network of its own",
      );
    }
    if ((s.ipv6Cidr === undefined) !== (subnets[0]!.ipv6Cidr === undefined)) {
      // One NAD per zone: a pod of the network would get an IPv6 address in one zone only.
      c.fail(
        `${at}.subnets[${j}].ipv6Cidr`,
        `network "${name}" is dual-stack in ${subnets[0]!.ipv6Cidr === undefined ? `subnets[${j}]` : "subnets[0]"} but IPv4 only in ${subnets[0]!.ipv6Cidr === undefined ? "subnets[0]" : `subnets[${j}]`}; its pods would get an IPv6 address in some zones only`,
        "give every subnet of the network its IPv6 /64 (ipv6Cidr), or none",
      );
    }
    if (s.podRange !== undefined && net.podBlock === "group") {
      c.fail(`${at}.subnets[${j}].podRange`, `sets one pod block for the subnet, but network "${name}" gives each group its own (podBlock "group")`, 'remove podRange, or set podBlock to "network"');
    }
  });
  return net as unknown as NetworkConfig;
}

/** Options of the Auto Scaling group alone: a Karpenter NodePool or an EKS managed group has no such setting. */
export const AUTOSCALING_ONLY = ["manageDesiredCapacity", "clusterAutoscaler", "capacityRebalance", "instanceRefresh", "terminationPolicies", "maxInstanceLifetime", "healthCheckGracePeriod", "enabledMetrics", "lifecycleHooks", "placementGroup", "spot"] as const;

/**
 * The group's kind and what it rules out. A Karpenter NodePool has no minimum or desired size,
 * and its worst case is its node limit (`limits.nodes`, written from `maxSize`): without one
 * the plan cannot bound the worker block, and says so (infeasible, CLI exit 1).
 */
function checkKind(g: Json, at: string, c: Checker): NodeGroupKind {
  const kind = g.kind === undefined ? DEFAULT_NODE_GROUP_KIND : c.oneOf(g.kind, `${at}.kind`, NODE_GROUP_KINDS);
  if (kind === DEFAULT_NODE_GROUP_KIND) {
    if (g.capacityTypes !== undefined) {
      c.fail(`${at}.capacityTypes`, "is the capacity of a karpenter or managed group; an Auto Scaling group takes Spot from its mixed instances policy", `use ${at}.spot (and remove ${at}.capacityTypes), or set ${at}.kind to "karpenter" or "managed"`);
    }
    return kind;
  }
  if (g.capacityTypes !== undefined) checkCapacityTypes(g.capacityTypes, `${at}.capacityTypes`, kind, c);
  for (const f of AUTOSCALING_ONLY) {
    // Spot on a managed group is its capacityType; on Karpenter, the NodePool's capacity-type requirement: both capacityTypes.
    const instead = f === "spot" ? `use ${at}.capacityTypes (e.g. ["spot"]) instead of ${at}.spot` : `remove ${at}.${f}`;
    if (g[f] !== undefined) c.fail(`${at}.${f}`, `is an Auto Scaling group option; a ${kind} group has none`, `${instead}, or set ${at}.kind to "autoscaling"`);
  }
  if (kind === "karpenter") {
    for (const f of ["minSize", "desiredSize"] as const) {
      if (g[f] !== undefined) c.fail(`${at}.${f}`, "has no meaning for a Karpenter NodePool: Karpenter launches what pending pods need", `remove ${at}.${f}; ${at}.maxSize is the NodePool's node limit`);
    }
    if (g.maxSize === undefined) {
      throw new PlanError(
        `${at}.maxSize`,
        "is not set: a Karpenter NodePool without a node limit can launch any number of nodes, so the plan cannot bound the group's worker block (nor its pod block)",
        `set ${at}.maxSize, the NodePool's limits.nodes, to the most nodes the group may run`,
        "infeasible",
      );
    }
  }
  return kind;
}

function checkCapacityTypes(v: unknown, at: string, kind: NodeGroupKind, c: Checker): void {
  const types = c.list(v, at);
  types.forEach((t, k) => {
    if (t === "reserved") {
      c.fail(`${at}[${k}]`, "\"reserved\" launches only into capacity reservations the EC2NodeClass selects (capacityReservationSelectorTerms), which these stacks do not write", `use one of: ${CAPACITY_TYPES.join(", ")}`);
    }
    c.oneOf(t, `${at}[${k}]`, CAPACITY_TYPES);
    if (types.indexOf(t) !== k) c.fail(`${at}[${k}]`, `${String(t)} is listed twice`, "list each capacity type once");
  });
  if (kind === "managed" && types.length > 1) {
    c.fail(at, `lists ${types.length} capacity types; an EKS managed node group runs on one (its capacityType)`, `list one: ["on-demand"] or ["spot"] (or make a karpenter group, whose NodePool takes several)`);
  }
}

function parseGroup(g: unknown, at: string, c: Checker, region: string, networks: readonly NetworkConfig[], iam: ClusterIamConfig | undefined): NodeGroupConfig {
  c.keys(g, at, CONFIG_FIELDS["nodeGroups[]"]);
  checkInstanceTypeAgrees(g, at);
  const kind = checkKind(g as Json, at, c);
  // Karpenter keeps no minimum: its sizes are 0 .. maxSize.
  const ng = merge(groupDefaults(), { ...(g as Json), kind, ...(kind === "karpenter" ? { minSize: 0, desiredSize: 0 } : {}) }) as Json;
  checkNodeGroupFields(ng, at, c);
  checkGroupAddressFields(ng, at, c);
  const name = ng.name as string;
  const zones = c.list(ng.availabilityZones, `${at}.availabilityZones`).map((z, k) => checkAvailabilityZone(z, region, `${at}.availabilityZones[${k}]`));
  zones.forEach((z, k) => {
    if (zones.indexOf(z) !== k) c.fail(`${at}.availabilityZones[${k}]`, `${z} is listed twice`, "list each availability zone once");
  });
  const known = networks.map((n) => n.name);
  const attached = c.list(ng.networks, `${at}.networks`).map((n, k) => {
    const field = `${at}.networks[${k}]`;
    if (typeof n !== "string" || !known.includes(n)) c.fail(field, `${JSON.stringify(n)} is not a network of the config`, `use one of: ${known.join(", ")}`);
    return n;
  });
  attached.forEach((n, k) => {
    if (attached.indexOf(n) !== k) c.fail(`${at}.networks[${k}]`, `group "${name}" lists network "${n}" twice`, "list each network once: a node takes one ENI per network");
  });
  for (const n of attached) {
    const ni = known.indexOf(n);
    zones.forEach((z, k) => {
      if (!networks[ni]!.subnets.some((s) => s.availabilityZone === z)) {
        c.fail(
          `${at}.availabilityZones[${k}]`,
          `network "${n}" has no subnet in ${z}, an availability zone of group "${name}": its nodes there would lack the network's ENI`,
          `add a subnet in ${z} to networks[${ni}].subnets, or remove ${z} from ${at}.availabilityZones (or "${n}" from ${at}.networks)`,
        );
      }
    });
  }
  checkNodeGroupOptions(ng, at, c, zones.length, iam);
  if (kind === "karpenter" && groupIam(iam, ng.iam as NodeIamConfig | undefined).roleUseNamePrefix === true) {
    // The EC2NodeClass (Kubernetes stacks) names the role the AWS stack creates: a prefixed name is known only after apply.
    const where = (ng.iam as Json | undefined)?.roleUseNamePrefix !== undefined ? `${at}.iam.roleUseNamePrefix` : "iam.roleUseNamePrefix";
    c.fail(where, "is true for a Karpenter group, whose EC2NodeClass names its node role: a prefixed name is known only after the AWS stack's apply", `set ${at}.iam.roleUseNamePrefix to false (or leave it out), or give an existing role as ${at}.iam.roleArn`);
  }
  // The launch template's type is the first of instanceTypes; the plan checks them all.
  if (Array.isArray(ng.instanceTypes)) ng.instanceType = ng.instanceTypes[0];
  return ng as unknown as NodeGroupConfig;
}

/**
 * Device index of each network a group attaches in an AZ: 1, 2, ... in the group's order, over
 * the networks with a subnet in that AZ. (In the cluster form every attached network has one in
 * every AZ of the group; the shorthand's subnets each sit in one AZ, numbered per AZ as before.)
 */
export function deviceIndexes(group: NodeGroupConfig, networks: readonly NetworkConfig[], availabilityZone: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of group.networks) {
    const net = networks.find((n) => n.name === name);
    if (net?.subnets.some((s) => s.availabilityZone === availabilityZone)) out.set(name, out.size + 1);
  }
  return out;
}

/**
 * Groups that attach one network must agree on the device index of its ENI: the NAD names the
 * node interface by it (`multus<N>`, contract/node-network.ts), one name for every node.
 * Throws a PlanError naming both groups and the network.
 */
function checkSharedNetworks(groups: readonly NodeGroupConfig[], networks: readonly NetworkConfig[], c: Checker): void {
  for (const net of networks) {
    const users = groups.map((g, i) => ({ g, i })).filter(({ g }) => g.networks.includes(net.name));
    const first = users[0];
    if (!first) continue;
    for (const { g, i } of users.slice(1)) {
      for (const z of g.availabilityZones.filter((zone) => first.g.availabilityZones.includes(zone))) {
        const mine = deviceIndexes(g, networks, z).get(net.name);
        const theirs = deviceIndexes(first.g, networks, z).get(net.name);
        if (mine !== theirs) {
          c.fail(
            `nodeGroups[${i}].networks`,
            `network "${net.name}" is device ${mine} on group "${g.name}" but device ${theirs} on group "${first.g.name}" (nodeGroups[${first.i}]) in ${z}; its NAD names the node interface by device index, one for every node`,
            `list "${net.name}" at the same position in both groups' networks`,
          );
        }
      }
    }
  }
}

/**
 * Two groups that create a node role of one fixed name (no prefix) would collide in IAM: a
 * Karpenter group's role is fixed by default, so a top-level iam.roleName names all of theirs.
 */
function checkRoleNames(raw: Json, groups: readonly NodeGroupConfig[], c: Checker): void {
  const cluster = (raw.cluster as Json | undefined)?.name as string;
  const fixed = groups.map((g) => nodeRoleName(cluster, g, groupIam(raw.iam as ClusterIamConfig | undefined, g.iam)));
  fixed.forEach((r, i) => {
    if (r.existing || r.prefix) return;
    const k = fixed.findIndex((o) => !o.existing && !o.prefix && o.name === r.name);
    if (k !== i) {
      c.fail(`nodeGroups[${i}].iam.roleName`, `names the node role "${r.name}", also the role of nodeGroups[${k}]: IAM role names are unique in an account`, `set nodeGroups[${i}].iam.roleName to a name of its own`);
    }
  });
}

/** The cluster form after the common fields (region, cluster, vpc) were checked. */
export function parseClusterConfig(raw: Json, region: string, vpcRange: Subnet, c: Checker, vpcRange6?: Subnet6): ClusterMultusConfig {
  const seen: SeenSubnets = [];
  const networks = c.list(raw.networks, "networks").map((n, i) => parseNetwork(n, `networks[${i}]`, c, region, vpcRange, seen, vpcRange6));
  networks.forEach((n, i) => {
    const k = networks.findIndex((o) => o.name === n.name);
    if (k !== i) c.fail(`networks[${i}].name`, `"${n.name}" is also the name of networks[${k}]`, "give each network its own name");
  });
  const subnetIds = networks.flatMap((n, i) => n.subnets.map((s, j) => ({ id: s.id, field: `networks[${i}].subnets[${j}].id` })));
  subnetIds.forEach((s, k) => {
    const other = subnetIds.findIndex((o) => o.id === s.id);
    if (other !== k) c.fail(s.field, `${s.id} is also ${subnetIds[other]!.field}`, "list each multus subnet once, in one network");
  });
  const rawGroups = c.list(raw.nodeGroups, "nodeGroups");
  const nodeGroups = rawGroups.map((g, i) => parseGroup(g, `nodeGroups[${i}]`, c, region, networks, raw.iam as ClusterIamConfig | undefined));
  nodeGroups.forEach((g, i) => {
    // Case-blind: the name also goes into NAD names and labels, which are lowercase.
    const k = nodeGroups.findIndex((o) => o.name.toLowerCase() === g.name.toLowerCase());
    if (k !== i) {
      c.fail(`nodeGroups[${i}].name`, `"${g.name}" is also the name of nodeGroups[${k}]`, "give each node group its own name: it names the Auto Scaling group, its role and launch template");
    }
  });
  checkSharedNetworks(nodeGroups, networks, c);
  checkRoleNames(raw, nodeGroups, c);
  const { networks: _n, nodeGroups: _g, $schema: _s, ...common } = raw;
  return { ...(common as unknown as Pick<ClusterMultusConfig, "region" | "cluster" | "vpc" | "iam" | "tags" | "lambda">), networks, nodeGroups, form: "cluster" };
}

/** The shorthand as a cluster: one group attaching one network per subnet, `net1`, `net2`, ..., in config order. */
export function shorthandCluster(raw: ShorthandConfig): ShorthandMultusConfig {
  const { multus: m, nodeGroup: ng } = raw;
  const networks: NetworkConfig[] = m.subnets.map((s, i) => ({
    name: `net${i + 1}`,
    subnets: [s],
    securityGroupIds: m.securityGroupIds,
    interfaceTags: m.interfaceTags,
    podBlock: "network",
    nad: {},
  }));
  const group: NodeGroupConfig = {
    ...ng,
    kind: "autoscaling",
    availabilityZones: [...new Set(m.subnets.map((s) => s.availabilityZone))],
    strategy: m.strategy,
    podsPerNode: m.podsPerNode,
    ...(m.workerHeadroom !== undefined ? { workerHeadroom: m.workerHeadroom } : {}),
    podHeadroom: m.podHeadroom,
    reserveWorkerBlock: m.reserveWorkerBlock,
    networks: networks.map((n) => n.name),
  };
  const { $schema: _s, ...rest } = raw as ShorthandConfig & { $schema?: unknown };
  return { ...rest, networks, nodeGroups: [group], form: "shorthand" };
}

/** The config as its user wrote it: without the cluster view parseConfig adds to the shorthand. */
export function asWritten(config: MultusConfig): Omit<MultusConfig, "form" | "networks" | "nodeGroups"> | Omit<MultusConfig, "form"> {
  if (config.form === "cluster") {
    const { form: _f, ...written } = config;
    return written;
  }
  const { networks: _n, nodeGroups: _g, form: _f, ...written } = config;
  return written;
}

/** The config as the shorthand (`nodeGroup` + `multus`); a cluster config is refused, naming what needs the shorthand. */
export function asShorthand(config: MultusConfig, what = "this"): ShorthandMultusConfig {
  if (config.form !== "shorthand") {
    throw new PlanError("nodeGroups", `${what} takes the single-group config (nodeGroup + multus); the config has ${config.nodeGroups.length} node groups`, "use a config with nodeGroup and multus");
  }
  return config;
}
