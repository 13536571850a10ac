import { IPv6CidrRange, IPv6Prefix } from "ip-num";
import { IpRange, rangeSize } from "../contract/address";
import { Ip6Range, Subnet6, awsReserved6, bigToIp6, cidr6, ipv6PodSpace, parseSubnet6, subtractRanges6, usableRange6 } from "../contract/address6";
import type { BlockKind, OwnedReservation, PlanBlock, SharedSubnetPlan } from "./cluster-layout";

/** What a block of a subnet's /64 is for: as BlockKind, and `pod-space`: reserved for pods, in no pod block (yet). */
export type Block6Kind = BlockKind | "pod-space";

/** One block of a subnet's IPv6 CIDR and who it is for (as PlanBlock, in 128-bit integers). */
export interface Plan6Block {
  readonly kind: Block6Kind;
  /** As PlanBlock.owner: the group (workers), the network or group (pods), "aws", the DHCP groups; pod space: the network. */
  readonly owner: string;
  readonly groups: readonly string[];
  readonly range: Ip6Range;
}

/**
 * The IPv6 side of a dual-stack multus subnet (a /64). Pods: the pod space (ipv6PodSpace, the
 * second /66, inside the lower /65 that whereabouts can address), reserved whole with one
 * explicit CIDR reservation, holding one pod block (a whereabouts pool) per IPv4 pod block.
 * Workers: a block per static group at the start of the upper /65, as large as the group's
 * IPv4 worker block rounded up to a CIDR, so the Lambda gives a worker the IPv6 address at the
 * same offset as its IPv4 one (ipv6WorkerAddress), reserved where the IPv4 block is. The rest
 * is DHCP space, where AWS picks the addresses of `Ipv6AddressCount` (reservation groups'
 * workers, foreign interfaces).
 */
export interface Subnet6Plan {
  /** The subnet's /64. */
  readonly subnet: Subnet6;
  /** The pods' reserved part of the /64 (ipv6PodSpace). */
  readonly podSpace: Subnet6;
  /** The five addresses AWS reserves in the /64 (awsReserved6). */
  readonly awsReserved: bigint[];
  /** IPv6 worker block of each static group, by group. */
  readonly workerBlocks: Readonly<Record<string, Subnet6>>;
  /** IPv6 pod block of each group, by group (groups sharing the network's IPv4 block share one). */
  readonly podBlocks: Readonly<Record<string, Subnet6>>;
  /** IPv6 addresses AWS may still hand out (Ipv6AddressCount): usable, in no reserved block. */
  readonly dhcp: Ip6Range[];
  /** Explicit CIDR reservations: the pod space and the reserved worker blocks. */
  readonly reservations: OwnedReservation[];
  /** Every block in address order, AWS-reserved and DHCP space included. */
  readonly blocks: Plan6Block[];
}

/** The smallest CIDR prefix whose block holds `count` addresses (ip-num's prefix of a power-of-two size). */
function prefixHolding(count: number): number {
  let size = 1n;
  while (size < BigInt(count)) size *= 2n;
  return Number(IPv6Prefix.fromRangeSize(size).getValue());
}

/** `count` consecutive aligned CIDRs of `prefix` from the start of `space` (ip-num's next range). */
function place(space: Subnet6, prefix: number, count: number): Subnet6[] {
  const out: Subnet6[] = [];
  let slot: IPv6CidrRange | undefined = IPv6CidrRange.fromCidr(cidr6(space.first, prefix).cidr);
  for (; slot && out.length < count; slot = slot.nextRange()) out.push(cidr6(slot.getFirst().getValue(), prefix));
  return out;
}

/** Owners of the IPv4 blocks of `kind`, in the IPv4 plan's order, with their sizes. */
function owners(plan: SharedSubnetPlan, kind: "workers" | "pods"): { owner: string; groups: readonly string[]; range: IpRange }[] {
  return plan.blocks.filter((b: PlanBlock) => b.kind === kind);
}

/**
 * Lays out the IPv6 CIDR of a planned multus subnet of `network` from its IPv4 plan: one
 * IPv6 pod block per IPv4 pod block (as many addresses, rounded up to a CIDR, one prefix for
 * all of the subnet's pod blocks) from the start of the pod space, which one explicit
 * reservation covers; one IPv6 worker block per static group from the start of the upper /65,
 * reserved when the group's IPv4 block is. What no reservation holds is DHCP space. Throws
 * PlanError naming `field` when `ipv6Cidr` is not a canonical /64.
 */
export function planSubnet6(plan: SharedSubnetPlan, ipv6Cidr: string, field: string, network: string): Subnet6Plan {
  const subnet = parseSubnet6(ipv6Cidr, field);
  const upper = cidr6(IPv6CidrRange.fromCidr(subnet.cidr).split()[1]!.getFirst().getValue(), 65);
  const podSpace = ipv6PodSpace(subnet);
  const aws = awsReserved6(subnet);
  const head = { first: aws[0]!, last: aws[3]! };

  const pods4 = owners(plan, "pods");
  const podCidrs = place(podSpace, prefixHolding(Math.max(...pods4.map((p) => rangeSize(p.range)))), pods4.length);
  const workers4 = owners(plan, "workers");
  const workerCidrs = workers4.length ? place(upper, prefixHolding(Math.max(...workers4.map((w) => rangeSize(w.range)))), workers4.length) : [];

  const reservedWorkers = new Set(plan.reservations.filter((r) => r.purpose === "workers").map((r) => r.owner));
  const reservations: OwnedReservation[] = [];
  const reserved: Subnet6[] = [];
  const workerBlocks: Record<string, Subnet6> = {};
  const blocks: Plan6Block[] = [
    { kind: "aws-reserved", owner: "aws", groups: [], range: head },
    { kind: "aws-reserved", owner: "aws", groups: [], range: { first: aws[4]!, last: aws[4]! } },
  ];
  workers4.forEach((w, i) => {
    const block = workerCidrs[i]!;
    workerBlocks[w.owner] = block;
    blocks.push({ kind: "workers", owner: w.owner, groups: [...w.groups], range: block });
    if (!reservedWorkers.has(w.owner)) return;
    reservations.push({ cidr: block.cidr, purpose: "workers", owner: w.owner });
    reserved.push(block);
  });
  const podBlocks: Record<string, Subnet6> = {};
  pods4.forEach((p, i) => {
    const block = podCidrs[i]!;
    for (const g of p.groups) podBlocks[g] = block;
    blocks.push({ kind: "pods", owner: p.owner, groups: [...p.groups], range: block });
  });
  const podGroups = [...new Set(pods4.flatMap((p) => p.groups))];
  reservations.push({ cidr: podSpace.cidr, purpose: "pods", owner: network });
  reserved.push(podSpace);
  for (const r of subtractRanges6(podSpace, podCidrs)) blocks.push({ kind: "pod-space", owner: network, groups: podGroups, range: r });

  const usable = usableRange6(subnet);
  const dhcp = subtractRanges6(usable, reserved);
  // DHCP groups as the IPv4 plan names them; the blocks show DHCP space outside every block.
  const dhcpGroups = plan.blocks.find((b) => b.kind === "dhcp" && b.groups.length > 0)?.groups ?? [];
  for (const r of subtractRanges6(usable, [...workerCidrs, podSpace])) {
    blocks.push({ kind: "dhcp", owner: dhcpGroups.length ? dhcpGroups.join(",") : "none", groups: [...dhcpGroups], range: r });
  }
  blocks.sort((a, b) => (a.range.first < b.range.first ? -1 : a.range.first > b.range.first ? 1 : 0));
  return { subnet, podSpace, awsReserved: aws, workerBlocks, podBlocks, dhcp, reservations, blocks };
}

/** One whereabouts range in its JSON keys (k8snetworkplumbingwg/whereabouts README, "Core Parameters"). */
export interface WhereaboutsRangeJson {
  readonly range: string;
  readonly range_start: string;
  readonly range_end: string;
}

/**
 * The whereabouts range over an IPv6 pod block: `range` is the whole /64 (its network address,
 * which whereabouts leaves out, is AWS-reserved anyway), range_start/range_end the block,
 * which lies in the pod space, inside the lower /65 that whereabouts can address.
 */
export function nadIpv6Range(plan: Subnet6Plan, pods: Ip6Range): WhereaboutsRangeJson {
  return { range: plan.subnet.cidr, range_start: bigToIp6(pods.first), range_end: bigToIp6(pods.last) };
}
