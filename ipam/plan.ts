import { IpRange, formatRange, rangeSize } from "../contract/address";
import { PlanError } from "../contract/errors";
import type { NodeGroupKind, Strategy } from "../contract/lifecycle";
import { InstanceLimits, checkRoomForPods, instanceLimits, kubeletMaxPods, multusPodsPerEni } from "./capacity";
import { ConfigForm, NetworkConfig, NodeGroupConfig, deviceIndexes } from "./cluster-config";
import { OwnedReservation, PlanBlock, SharedSubnetPlan, planSharedSubnet, subnetBlocks } from "./cluster-layout";
import type { MultusConfig, ShorthandMultusConfig } from "./config";
import { nadIpamRange, planSubnet, subnetPlanJson } from "./layout";
import { Plan6Block, Subnet6Plan, WhereaboutsRangeJson, nadIpv6Range, planSubnet6 } from "./layout6";
import { Subnet6, bigToIp6, formatRange6 } from "../contract/address6";
import { groupInstanceTypes, instanceTypeField } from "./node-options";

/**
 * A multus subnet's plan with where it sits on the node. The single-group fields (`strategy`,
 * `workers`, `pods`, `capacity`) are those of the first group attaching it; `blocks`,
 * `workerBlocks` and `podBlocks` hold every owner's.
 */
export interface PlannedSubnet extends SharedSubnetPlan {
  readonly id: string;
  readonly availabilityZone: string;
  /** EC2 device index of its ENI (the network's position among a group's networks in the AZ; the same on every group attaching it). */
  readonly deviceIndex: number;
  /** The network the subnet belongs to. */
  readonly network: string;
  /** Groups whose nodes take an ENI in it, in config order. */
  readonly groups: readonly string[];
  /** A dual-stack subnet (`ipv6Cidr` set): its IPv6 /64's blocks and reservations. */
  readonly ipv6?: Subnet6Plan;
}

/** A node group's share of the plan. */
export interface PlannedGroup {
  readonly name: string;
  /** Who launches its nodes (ipam/cluster-config.ts NodeGroupConfig.kind). */
  readonly kind: NodeGroupKind;
  readonly strategy: Strategy;
  readonly maxSize: number;
  readonly podsPerNode: number;
  readonly amiFamily: NodeGroupConfig["amiFamily"];
  /** The instance type that gives the smallest kubelet max-pods (of instanceTypes, when several). */
  readonly instance: InstanceLimits;
  /** Every instance type of the group (the launch template's first), with its limits. */
  readonly instances: readonly InstanceLimits[];
  /** kubelet --max-pods for the VPC CNI on the ENIs multus leaves it: the smallest over the group's instance types. */
  readonly kubeletMaxPods: number;
  /** Multus pods per node per network the node agent can route (IPv4 per ENI - 1), the smallest over the group's instance types. */
  readonly multusPodsPerEni: number;
  readonly availabilityZones: readonly string[];
  /** Network names in device order. */
  readonly networks: readonly string[];
  /** The planned subnets its nodes take ENIs in, with the group's own blocks there. */
  readonly subnets: readonly {
    readonly id: string;
    readonly network: string;
    readonly availabilityZone: string;
    readonly deviceIndex: number;
    /** `static`: its worker block. */
    readonly workers?: IpRange;
    readonly pods: IpRange;
    /** A dual-stack subnet: the group's IPv6 worker block (static) and pod block. */
    readonly ipv6?: { readonly workers?: Subnet6; readonly pods: Subnet6 };
    /** Nodes (static: its worker block; reservation: the DHCP space, shared with the other reservation groups) and pod addresses. */
    readonly capacity: { readonly maxNodes: number; readonly maxPods: number };
  }[];
}

/** The address plan of a whole config: computed once, used by constructs, Lambda, NADs and simulator. */
export interface NetworkPlan {
  readonly form: ConfigForm;
  readonly subnets: PlannedSubnet[];
  readonly groups: PlannedGroup[];
  /** The config's networks (ENI settings, NAD names). */
  readonly networks: readonly NetworkConfig[];
  /** The first group's instance limits, kubelet max-pods and pods per ENI (the single-group fields). */
  readonly instance: InstanceLimits;
  readonly kubeletMaxPods: number;
  readonly multusPodsPerEni: number;
  readonly warnings: string[];
}

/** The shorthand's subnet through the single-group layout (as before there were groups), with its blocks. */
function shorthandSubnet(config: ShorthandMultusConfig, i: number): SharedSubnetPlan {
  const m = config.multus;
  const group = config.nodeGroups[0]!;
  const network = config.networks[i]!.name;
  const s = m.subnets[i]!;
  // Size the pod block for the pods a node can route, not for more than its ENIs hold.
  const podsPerNode = Math.min(m.podsPerNode, groupPodsPerEni(group, "nodeGroup"));
  const plan = planSubnet({
    cidr: s.cidr,
    strategy: m.strategy,
    maxNodes: config.nodeGroup.maxSize,
    podsPerNode,
    workerHeadroom: m.workerHeadroom,
    podHeadroom: m.podHeadroom,
    podRange: s.podRange,
    reserveWorkerBlock: m.reserveWorkerBlock,
    field: `multus.subnets[${i}]`,
  });
  const workers = plan.strategy === "static" ? [{ group: group.name, range: plan.workers }] : [];
  const pods = [{ owner: network, groups: [group.name], range: plan.pods }];
  return {
    ...plan,
    reservations: plan.reservations.map((r) => ({ ...r, owner: r.purpose === "workers" ? group.name : network })),
    blocks: subnetBlocks(plan.subnet, workers, pods, plan.dhcp, plan.strategy === "reservation" ? [group.name] : []),
    workerBlocks: plan.strategy === "static" ? { [group.name]: plan.workers } : {},
    podBlocks: { [group.name]: plan.pods },
  };
}

/** Each of a group's instance types with its limits; an unknown one is an error naming it. */
function groupInstances(g: NodeGroupConfig, at: string): InstanceLimits[] {
  return groupInstanceTypes(g).map((t, k) => instanceLimits(t, instanceTypeField(at, g, k)));
}

/** What one ENI of every type of the group can route: the smallest IPv4 per ENI - 1. */
function groupPodsPerEni(g: NodeGroupConfig, at: string): number {
  return Math.min(...groupInstances(g, at).map(multusPodsPerEni));
}

/** kubelet max-pods of a group on one of its types (k); in the cluster form the error names the group and its networks. */
function groupMaxPods(config: MultusConfig, i: number, k: number, instance: InstanceLimits, multusEnis: number, networks: string[]): number {
  if (config.form === "shorthand") return kubeletMaxPods(instance, multusEnis);
  const g = config.nodeGroups[i]!;
  if (multusEnis >= instance.maxEnis) {
    throw new PlanError(
      instanceTypeField(`nodeGroups[${i}]`, g, k),
      `group "${g.name}": ${instance.instanceType} has ${instance.maxEnis} ENIs; its ${multusEnis} networks per node (${networks.join(", ")}) leave none for the VPC CNI's primary ENI`,
      `attach at most ${instance.maxEnis - 1} networks to "${g.name}", or use a larger instance type`,
      "infeasible",
    );
  }
  return kubeletMaxPods(instance, multusEnis);
}

/**
 * Plans every multus subnet of a validated config for all its node groups. The shorthand goes
 * through the single-group layout; the cluster form through the shared one (one worker block
 * per static group per subnet, pod blocks per network or per group). Throws PlanError on
 * infeasible input, naming the group and the subnet.
 */
export function planNetwork(config: MultusConfig): NetworkPlan {
  const subnets: PlannedSubnet[] = [];
  const warnings: string[] = [];
  config.networks.forEach((net, ni) => {
    net.subnets.forEach((s, si) => {
      const users = config.nodeGroups.map((g, gi) => ({ g, gi })).filter(({ g }) => g.networks.includes(net.name) && g.availabilityZones.includes(s.availabilityZone));
      if (users.length === 0) {
        warnings.push(`${s.cidr} (network "${net.name}" in ${s.availabilityZone}): no node group attaches the network in that availability zone; nothing is planned or reserved there`);
        return;
      }
      const deviceIndex = deviceIndexes(users[0]!.g, config.networks, s.availabilityZone).get(net.name)!;
      const layout =
        config.form === "shorthand"
          ? shorthandSubnet(config as ShorthandMultusConfig, ni)
          : planSharedSubnet({
              cidr: s.cidr,
              field: `networks[${ni}].subnets[${si}]`,
              network: net.name,
              where: `network "${net.name}" in ${s.availabilityZone}`,
              podRange: s.podRange,
              podBlock: net.podBlock,
              groups: users.map(({ g, gi }) => ({
                name: g.name,
                field: `nodeGroups[${gi}]`,
                strategy: g.strategy,
                maxNodes: g.maxSize,
                // Pod blocks for the pods a node can route, not for more than its ENIs hold.
                podsPerNode: Math.min(g.podsPerNode, groupPodsPerEni(g, `nodeGroups[${gi}]`)),
                workerHeadroom: g.workerHeadroom,
                podHeadroom: g.podHeadroom,
                reserveWorkerBlock: g.reserveWorkerBlock,
              })),
            });
      const field = config.form === "shorthand" ? `multus.subnets[${ni}]` : `networks[${ni}].subnets[${si}]`;
      const ipv6 = s.ipv6Cidr !== undefined ? planSubnet6(layout, s.ipv6Cidr, `${field}.ipv6Cidr`, net.name) : undefined;
      subnets.push({ ...layout, id: s.id, availabilityZone: s.availabilityZone, deviceIndex, network: net.name, groups: users.map(({ g }) => g.name), ...(ipv6 ? { ipv6 } : {}) });
    });
  });

  // Per group: too few pods left for workloads once the DaemonSets run (refused when none).
  const roomWarnings: string[] = [];
  const groups = config.nodeGroups.map((g, gi): PlannedGroup => {
    const at = config.form === "shorthand" ? "nodeGroup" : `nodeGroups[${gi}]`;
    const instances = groupInstances(g, at);
    const perAz = g.availabilityZones.map((z) => [...deviceIndexes(g, config.networks, z).keys()]);
    const widest = perAz.reduce((a, b) => (b.length > a.length ? b : a), []);
    // Every type must fit the multus ENIs; the kubelet gets the smallest max-pods, so no node of any type is promised more pods than its ENIs hold.
    const maxPodsEach = instances.map((inst, k) => groupMaxPods(config, gi, k, inst, widest.length, widest));
    const smallest = maxPodsEach.indexOf(Math.min(...maxPodsEach));
    const instance = instances[smallest]!;
    const maxPods = maxPodsEach[smallest]!;
    roomWarnings.push(...checkRoomForPods(instance, maxPods, instanceTypeField(at, g, smallest)));
    const perEni = Math.min(...instances.map(multusPodsPerEni));
    const own = subnets.filter((s) => s.groups.includes(g.name));
    const dhcpSize = (s: PlannedSubnet) => s.dhcp.reduce((n, r) => n + rangeSize(r), 0);
    return {
      name: g.name,
      kind: g.kind,
      strategy: g.strategy,
      maxSize: g.maxSize,
      podsPerNode: g.podsPerNode,
      amiFamily: g.amiFamily,
      instance,
      instances,
      kubeletMaxPods: maxPods,
      multusPodsPerEni: perEni,
      availabilityZones: g.availabilityZones,
      networks: g.networks,
      subnets: own.map((s) => {
        const workers = s.workerBlocks[g.name];
        const pods = s.podBlocks[g.name]!;
        const workers6 = s.ipv6?.workerBlocks[g.name];
        return {
          id: s.id,
          network: s.network,
          availabilityZone: s.availabilityZone,
          deviceIndex: s.deviceIndex,
          ...(workers ? { workers } : {}),
          pods,
          ...(s.ipv6 ? { ipv6: { ...(workers6 ? { workers: workers6 } : {}), pods: s.ipv6.podBlocks[g.name]! } } : {}),
          capacity: { maxNodes: workers ? rangeSize(workers) : dhcpSize(s), maxPods: rangeSize(pods) },
        };
      }),
    };
  });

  warnings.push(...subnets.flatMap((s) => s.warnings), ...roomWarnings);
  groups.forEach((g, gi) => {
    if (g.podsPerNode <= g.multusPodsPerEni) return;
    warnings.push(
      config.form === "shorthand"
        ? `multus.podsPerNode ${g.podsPerNode} exceeds the ${g.multusPodsPerEni} secondary IPv4 addresses a ${g.instance.instanceType} ENI holds: the node agent can make only ${g.multusPodsPerEni} multus pods per node per subnet routable, so the pod blocks are sized for ${g.multusPodsPerEni} per node`
        : `nodeGroups[${gi}].podsPerNode ${g.podsPerNode} of group "${g.name}" exceeds the ${g.multusPodsPerEni} secondary IPv4 addresses a ${g.instance.instanceType} ENI holds: the node agent can make only ${g.multusPodsPerEni} multus pods per node per network routable, so its pod blocks are sized for ${g.multusPodsPerEni} per node`,
    );
  });
  const first = groups[0]!;
  return {
    form: config.form,
    subnets,
    groups,
    networks: config.networks,
    instance: first.instance,
    kubeletMaxPods: first.kubeletMaxPods,
    multusPodsPerEni: first.multusPodsPerEni,
    warnings,
  };
}

/** The pod block pods on a node of `group` take addresses from in `s` (the subnet's first when the group is not known). */
export function podBlockOf(s: PlannedSubnet, group: string | undefined): IpRange {
  return (group !== undefined ? s.podBlocks[group] : undefined) ?? s.pods;
}

/** A dual-stack subnet's IPv6 pod block for pods on a node of `group` (the first pod block when the group is not known). */
export function podBlock6Of(s: PlannedSubnet, group: string | undefined): Subnet6 | undefined {
  if (!s.ipv6) return undefined;
  const first = s.groups[0];
  return (group !== undefined ? s.ipv6.podBlocks[group] : undefined) ?? (first !== undefined ? s.ipv6.podBlocks[first] : undefined);
}

/** The whereabouts `ipam` of a NAD over a pod block (without `type`). */
export type NadIpam =
  | (WhereaboutsRangeJson & { readonly gateway: string })
  | { readonly ipRanges: readonly WhereaboutsRangeJson[]; readonly gateway: string };

/**
 * The whereabouts settings of a NAD over the pod block `pods` of `s` (the subnet's first unless
 * given) for pods on nodes of `group`: an IPv4 subnet's as nadIpamRange writes them; a
 * dual-stack subnet's as `ipRanges`, its IPv4 range and then its IPv6 one (nadIpv6Range), so
 * every pod gets one address of each family (whereabouts pkg/config LoadIPAMConfig prepends a
 * top-level `range` to `ipRanges` and allocates one address per range). The gateway is the
 * IPv4 VPC router; IPv6 pods learn the router from its advertisements.
 */
export function nadIpam(s: PlannedSubnet, pods: IpRange = s.pods, group?: string): NadIpam {
  const { gateway, ...v4 } = nadIpamRange(s, pods);
  const pods6 = podBlock6Of(s, group);
  if (!s.ipv6 || !pods6) return { ...v4, gateway };
  return { ipRanges: [v4, nadIpv6Range(s.ipv6, pods6)], gateway };
}

function blockJson(b: PlanBlock) {
  return { kind: b.kind, owner: b.owner, groups: [...b.groups], ...formatRange(b.range) };
}

/** An IPv6 block in `blocks`: `family` "ipv6", the count as a decimal string, `cidr` when it is one. */
function block6Json(b: Plan6Block) {
  return { family: "ipv6" as const, kind: b.kind, owner: b.owner, groups: [...b.groups], ...formatRange6(b.range) };
}

/** The plan in the CLI's `plan --json` shape: the single-group fields, plus blocks, owners and groups. */
export function networkPlanJson(plan: NetworkPlan) {
  return {
    instanceType: plan.instance.instanceType,
    kubeletMaxPods: plan.kubeletMaxPods,
    multusPodsPerEni: plan.multusPodsPerEni,
    subnets: plan.subnets.map((s) => ({
      id: s.id,
      availabilityZone: s.availabilityZone,
      deviceIndex: s.deviceIndex,
      network: s.network,
      groups: [...s.groups],
      ...subnetPlanJson(s),
      ...(s.ipv6 ? { ipv6Cidr: s.ipv6.subnet.cidr, ipv6AwsReserved: s.ipv6.awsReserved.map(bigToIp6) } : {}),
      reservations: [
        ...s.reservations.map((r: OwnedReservation) => ({ cidr: r.cidr, purpose: r.purpose, owner: r.owner })),
        ...(s.ipv6?.reservations ?? []).map((r) => ({ family: "ipv6" as const, cidr: r.cidr, purpose: r.purpose, owner: r.owner })),
      ],
      blocks: [...s.blocks.map(blockJson), ...(s.ipv6?.blocks ?? []).map(block6Json)],
    })),
    groups: plan.groups.map((g) => ({
      name: g.name,
      strategy: g.strategy,
      instanceType: g.instance.instanceType,
      ...(g.instances.length > 1 ? { instanceTypes: g.instances.map((i) => i.instanceType) } : {}),
      kubeletMaxPods: g.kubeletMaxPods,
      multusPodsPerEni: g.multusPodsPerEni,
      availabilityZones: [...g.availabilityZones],
      networks: [...g.networks],
      subnets: g.subnets.map((s) => ({
        id: s.id,
        network: s.network,
        availabilityZone: s.availabilityZone,
        deviceIndex: s.deviceIndex,
        ...(s.workers ? { workers: formatRange(s.workers) } : {}),
        pods: formatRange(s.pods),
        ...(s.ipv6 ? { ipv6: { ...(s.ipv6.workers ? { workers: formatRange6(s.ipv6.workers) } : {}), pods: formatRange6(s.ipv6.pods) } } : {}),
        capacity: { ...s.capacity },
      })),
    })),
    warnings: plan.warnings,
  };
}
