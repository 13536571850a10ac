import {
  IpRange,
  Subnet,
  awsReserved,
  contains,
  intToIp,
  parseSubnet,
  rangeSize,
  subtractRange,
  usableRange,
} from "../contract/address";
import { PlanError } from "../contract/errors";
import type { Strategy } from "../contract/lifecycle";
import { cidrCover, prefixFor } from "./cidr";
import type { PodBlockMode } from "./cluster-config";
import { type Reservation, type SubnetPlan, parsePodRange } from "./layout";

/** What a block of a subnet is for. `dhcp`: what no block holds, where AWS DHCP hands out addresses. */
export type BlockKind = "aws-reserved" | "workers" | "pods" | "dhcp";

/** One block of a subnet and who it is for. */
export interface PlanBlock {
  readonly kind: BlockKind;
  /**
   * Workers: the group. Pods: the network (one block shared by its groups) or the group (a block
   * per group). DHCP: the reservation groups whose workers take it (comma-separated; "none"
   * when no group does). AWS-reserved: "aws".
   */
  readonly owner: string;
  /** The node groups whose nodes use the block. */
  readonly groups: readonly string[];
  readonly range: IpRange;
}

/** A CIDR reservation and whose block it covers. */
export interface OwnedReservation extends Reservation {
  /** The group (worker block) or the network or group (pod block), as the block's owner. */
  readonly owner: string;
}

/** One group on a shared subnet. */
export interface SharedGroupInput {
  readonly name: string;
  /** Config path of the group, e.g. `nodeGroups[1]`. */
  readonly field: string;
  readonly strategy: Strategy;
  readonly maxNodes: number;
  readonly podsPerNode: number;
  /** @default maxNodes */
  readonly workerHeadroom?: number;
  /** Pod addresses beyond maxNodes x podsPerNode (see LayoutInput.podHeadroom). @default 0 */
  readonly podHeadroom?: number;
  /** @default true */
  readonly reserveWorkerBlock?: boolean;
}

export interface SharedSubnetInput {
  readonly cidr: string;
  /** Config path of the subnet, e.g. `networks[0].subnets[1]`. */
  readonly field: string;
  /** The network the subnet belongs to: owner of its shared pod block. */
  readonly network: string;
  /** Where it is, for messages: `network "data" in us-west-2a`. */
  readonly where: string;
  /** The network's pod block as `FIRST-LAST` or a CIDR (shared blocks only). */
  readonly podRange?: string;
  readonly podBlock: PodBlockMode;
  /** Groups attaching the network in the subnet's AZ, in config order. */
  readonly groups: readonly SharedGroupInput[];
}

/** A subnet laid out for several groups: SubnetPlan's fields (those of its first group) plus every owner's blocks. */
export interface SharedSubnetPlan extends SubnetPlan {
  readonly reservations: OwnedReservation[];
  /** Every block in address order, AWS-reserved and DHCP space included. */
  readonly blocks: PlanBlock[];
  /** Worker block of each `static` group, by group. */
  readonly workerBlocks: Readonly<Record<string, IpRange>>;
  /** Pod block of each group, by group (groups sharing the network's block share one range). */
  readonly podBlocks: Readonly<Record<string, IpRange>>;
}

const headroom = (g: SharedGroupInput) => g.workerHeadroom ?? g.maxNodes;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const listNames = (gs: readonly { name: string }[]) => gs.map((g) => `"${g.name}"`).join(", ");


/**
 * The blocks of a subnet in address order: the AWS-reserved five, worker and pod blocks, and the
 * DHCP space between them.
 */
export function subnetBlocks(
  subnet: Subnet,
  workers: readonly { group: string; range: IpRange }[],
  pods: readonly { owner: string; groups: readonly string[]; range: IpRange }[],
  dhcp: readonly IpRange[],
  dhcpGroups: readonly string[],
): PlanBlock[] {
  const aws = awsReserved(subnet);
  const blocks: PlanBlock[] = [
    { kind: "aws-reserved", owner: "aws", groups: [], range: { first: aws[0]!, last: aws[3]! } },
    { kind: "aws-reserved", owner: "aws", groups: [], range: { first: aws[4]!, last: aws[4]! } },
    ...workers.map((w) => ({ kind: "workers" as const, owner: w.group, groups: [w.group], range: w.range })),
    ...pods.map((p) => ({ kind: "pods" as const, owner: p.owner, groups: [...p.groups], range: p.range })),
    ...dhcp.map((r) => ({ kind: "dhcp" as const, owner: dhcpGroups.length ? dhcpGroups.join(",") : "none", groups: [...dhcpGroups], range: r })),
  ];
  // A worker block left unreserved is inside the DHCP space as well: the worker block is shown.
  const shown = blocks.filter((b) => b.kind !== "dhcp" || !workers.some((w) => w.range.first <= b.range.last && b.range.first <= w.range.last));
  return shown.sort((a, b) => a.range.first - b.range.first);
}

function infeasible(field: string, problem: string, fix: string): never {
  throw new PlanError(field, problem, fix, "infeasible");
}

/**
 * Lays out one multus subnet shared by several node groups: a worker block per `static` group
 * from the low end (disjoint, in config order), pod blocks from the high end (the network's
 * one, or one per group), each widened down to the alignment of its size where that still
 * leaves the others and the `reservation` groups' DHCP need their room; what no reserved block
 * holds is DHCP space, which the `reservation` groups' workers (and any foreign interface)
 * use. Every worker and pod block is reserved (explicit CIDR reservations), so DHCP never
 * hands out one of their addresses. With one group this is the single-group layout
 * (ipam/layout.ts planSubnet). Throws PlanError naming the group and subnet that do not fit.
 */
export function planSharedSubnet(input: SharedSubnetInput): SharedSubnetPlan {
  const subnet = parseSubnet(input.cidr, `${input.field}.cidr`);
  const usable = usableRange(subnet);
  const U = rangeSize(usable);
  const groups = input.groups;
  if (groups.length === 0) throw new PlanError(input.field, `no node group attaches ${input.where}`, "attach the network to a group in the subnet's availability zone");
  const statics = groups.filter((g) => g.strategy === "static");
  const dhcpUsers = groups.filter((g) => g.strategy === "reservation");
  const workerCount = (g: SharedGroupInput) => g.maxNodes + headroom(g);
  const podCount = (g: SharedGroupInput) => g.maxNodes * g.podsPerNode + (g.podHeadroom ?? 0);
  const dhcpWant = sum(dhcpUsers.map(workerCount));
  const warnings: string[] = [];
  const at = `${subnet.cidr} (${input.where})`;
  const cut = (free: IpRange[], block: IpRange) => free.flatMap((r) => subtractRange(r, block));

  // What each pod block is for: the network's one, or one per group.
  const podNeeds =
    input.podBlock === "network"
      ? [{ owner: input.network, groups: groups.map((g) => g.name), size: sum(groups.map(podCount)) }]
      : groups.map((g) => ({ owner: g.name, groups: [g.name], size: podCount(g) }));

  let free: IpRange[] = [usable];
  const pods: { owner: string; groups: readonly string[]; range: IpRange }[] = [];
  if (input.podRange !== undefined) {
    const field = `${input.field}.podRange`;
    const range = parsePodRange(input.podRange, subnet, field);
    if (!contains(usable, range.first) || !contains(usable, range.last)) {
      infeasible(field, `${input.podRange} is not inside the usable addresses of ${subnet.cidr} (${intToIp(usable.first)}-${intToIp(usable.last)}; AWS reserves the first four and the last)`, `choose a range between ${intToIp(usable.first)} and ${intToIp(usable.last)}`);
    }
    if (rangeSize(range) < podNeeds[0]!.size) {
      infeasible(field, `${input.podRange} holds ${rangeSize(range)} pods, but the groups ${listNames(groups)} need ${podNeeds[0]!.size} (maxSize x podsPerNode each): ${podNeeds[0]!.size - rangeSize(range)} short`, `widen the range to ${podNeeds[0]!.size} addresses or lower podsPerNode`);
    }
    pods.push({ ...podNeeds[0]!, range });
    free = cut(free, range);
  } else {
    // Every group needs its worker addresses (static: a block; reservation: that much DHCP
    // space) and its pods; name the group from which on the subnet overflows.
    let need = 0;
    for (const g of groups) {
      need += workerCount(g) + podCount(g);
      if (need > U) {
        const total = sum(groups.map((x) => workerCount(x) + podCount(x)));
        const prefix = prefixFor(total);
        infeasible(
          `${g.field}.maxSize`,
          `${at} has ${U} usable addresses; the groups attaching it need ${total}, ${total - U} more than it has, from group "${g.name}" on (${workerCount(g)} ${g.strategy === "static" ? "workers" : "DHCP addresses"}: maxSize ${g.maxNodes} + headroom ${headroom(g)}; ${podCount(g)} pods: maxSize x podsPerNode ${g.podsPerNode}${g.podHeadroom ? ` + podHeadroom ${g.podHeadroom}` : ""})`,
          `${prefix ? `use a /${prefix} or larger subnet, or ` : ""}lower maxSize, podsPerNode or workerHeadroom of ${listNames(groups)}${prefix ? "" : " (no AWS subnet, at most /16, holds that many)"}`,
        );
      }
    }
  }

  // Worker blocks from the low end, first fit.
  const workers: { group: string; range: IpRange }[] = [];
  for (const g of statics) {
    const n = workerCount(g);
    const room = free.find((r) => rangeSize(r) >= n);
    if (!room) {
      infeasible(
        `${g.field}.maxSize`,
        `${at}: no stretch of ${n} free addresses is left for the worker block of group "${g.name}" (maxSize ${g.maxNodes} + headroom ${headroom(g)}) beside the pod block${input.podRange ? ` ${input.podRange}` : "s"}`,
        `move the pod block${input.podRange ? " (podRange)" : "s"}, or lower maxSize or workerHeadroom of "${g.name}"`,
      );
    }
    const range = { first: room.first, last: room.first + n - 1 };
    workers.push({ group: g.name, range });
    free = cut(free, range);
  }

  // Pod blocks from the high end, each widened down to its size's alignment where the rest
  // still fits below it: fewer, larger reservation CIDRs and a little pod headroom for free.
  if (input.podRange === undefined) {
    podNeeds.forEach((p, k) => {
      const later = sum(podNeeds.slice(k + 1).map((q) => q.size)) + dhcpWant;
      const room = [...free].reverse().find((r) => rangeSize(r) >= p.size);
      if (!room) {
        infeasible(`${groups[0]!.field}.podsPerNode`, `${at}: no stretch of ${p.size} free addresses is left for the pod block of ${p.owner}`, `lower podsPerNode or maxSize of ${listNames(groups)}, or use a larger subnet`);
      }
      const exactFirst = room.last - p.size + 1;
      const align = 2 ** Math.floor(Math.log2(p.size));
      const alignedFirst = Math.floor(exactFirst / align) * align;
      const freeTotal = sum(free.map(rangeSize));
      const fits = alignedFirst >= room.first && freeTotal - (room.last - alignedFirst + 1) >= later;
      const range = { first: fits ? alignedFirst : exactFirst, last: room.last };
      pods.push({ ...p, range });
      free = cut(free, range);
    });
  }

  // Reservations: every worker block (unless a group opted out) and every pod block.
  const reservations: OwnedReservation[] = [];
  const reserved: IpRange[] = [];
  for (const w of workers) {
    const g = statics.find((s) => s.name === w.group)!;
    if (g.reserveWorkerBlock ?? true) {
      reserved.push(w.range);
      for (const cidr of cidrCover(w.range)) reservations.push({ cidr, purpose: "workers", owner: w.group });
    } else {
      warnings.push(`${subnet.cidr}: the worker block of group "${g.name}" is not reserved; an interface created outside the Lambda (or a worker of a reservation group) can take a worker address and make a launch retry`);
    }
  }
  for (const p of pods) {
    reserved.push(p.range);
    for (const cidr of cidrCover(p.range)) reservations.push({ cidr, purpose: "pods", owner: p.owner });
  }
  let dhcp: IpRange[] = [usable];
  for (const r of reserved) dhcp = cut(dhcp, r);
  const dhcpSize = sum(dhcp.map(rangeSize));
  const dhcpHard = sum(dhcpUsers.map((g) => g.maxNodes));
  if (dhcpSize < dhcpHard) {
    infeasible(
      `${input.podRange !== undefined ? `${input.field}.podRange` : `${dhcpUsers[0]!.field}.maxSize`}`,
      `${at} leaves ${dhcpSize} DHCP addresses outside the blocks for the ${dhcpHard} nodes of groups ${listNames(dhcpUsers)}: ${dhcpHard - dhcpSize} short`,
      "shrink the pod block, lower maxSize, or use a larger subnet",
    );
  }
  if (dhcpUsers.length && dhcpSize < dhcpWant) {
    warnings.push(`${subnet.cidr}: ${dhcpSize} DHCP addresses leave less than the worker headroom (${dhcpWant}) of groups ${listNames(dhcpUsers)} for replacements and other interfaces`);
  }

  const workerBlocks = Object.fromEntries(workers.map((w) => [w.group, w.range]));
  const podBlocks = Object.fromEntries(groups.map((g) => [g.name, pods.find((p) => p.groups.includes(g.name))!.range]));
  const first = groups[0]!;
  const largestDhcp = dhcp.reduce((a, b) => (rangeSize(b) > rangeSize(a) ? b : a), dhcp[0] ?? { first: usable.first, last: usable.first - 1 });
  const staticTotal = sum(workers.map((w) => rangeSize(w.range)));
  const podTotal = sum(pods.map((p) => rangeSize(p.range)));
  return {
    subnet,
    strategy: first.strategy,
    awsReserved: awsReserved(subnet),
    workers: workerBlocks[first.name] ?? largestDhcp,
    pods: podBlocks[first.name]!,
    dhcp,
    reservations,
    capacity: { maxNodes: staticTotal + (dhcpUsers.length ? dhcpSize : 0), maxPods: podTotal, freeAddresses: U - podTotal - staticTotal },
    warnings,
    blocks: subnetBlocks(subnet, workers, pods, dhcp, dhcpUsers.map((g) => g.name)),
    workerBlocks,
    podBlocks,
  };
}
