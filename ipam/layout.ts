import {
  IpRange,
  Subnet,
  awsReserved,
  contains,
  formatRange,
  intToIp,
  overlaps,
  parseCidr,
  parseRange,
  parseSubnet,
  rangeSize,
  subtractRange as subtract,
  usableRange,
} from "../contract/address";
import { cidrCover, prefixFor } from "./cidr";
import { plural } from "./wording";
import { PlanError } from "../contract/errors";
import type { Strategy } from "../contract/lifecycle";


export interface LayoutInput {
  /** Canonical multus subnet CIDR. */
  readonly cidr: string;
  readonly strategy: Strategy;
  /** Most nodes the group runs at once (the ASG max size). */
  readonly maxNodes: number;
  /** Multus pods per node on this subnet. */
  readonly podsPerNode: number;
  /**
   * Worker addresses beyond `maxNodes` (replacement nodes launched before old ones go, ENIs
   * still being deleted).
   * @default maxNodes
   */
  readonly workerHeadroom?: number;
  /**
   * Pod addresses beyond maxNodes x podsPerNode: room for addresses whereabouts still holds for
   * pods of a node that failed, until its ip-reconciler frees them (whereabouts #75; the
   * reconciler runs every 5 minutes by default here), e.g. podsPerNode per node that may fail
   * within that time.
   * @default 0
   */
  readonly podHeadroom?: number;
  /**
   * The pod block as `FIRST-LAST` or a CIDR (its AWS-reserved addresses left out).
   * @default the end of the subnet: maxNodes x podsPerNode addresses, widened down to an
   *   aligned start when that leaves the workers room
   */
  readonly podRange?: string;
  /**
   * `static` only: reserve the worker block too, so no DHCP interface lands in it.
   * @default true
   */
  readonly reserveWorkerBlock?: boolean;
  /** Prefix for error fields, e.g. `multus.subnets[0]`. */
  readonly field?: string;
  /** The config fields that set maxNodes, podsPerNode, workerHeadroom and podHeadroom, for messages. @default the config's names */
  readonly fields?: Partial<LayoutFields>;
}

/** The names of the inputs' fields in error messages: the config's by default. */
export interface LayoutFields {
  readonly maxNodes: string;
  readonly podsPerNode: string;
  readonly workerHeadroom: string;
  readonly podHeadroom: string;
}

export const CONFIG_LAYOUT_FIELDS: LayoutFields = {
  maxNodes: "nodeGroup.maxSize",
  podsPerNode: "multus.podsPerNode",
  workerHeadroom: "multus.workerHeadroom",
  podHeadroom: "multus.podHeadroom",
};

/**
 * A pod range as the config writes it: `FIRST-LAST`, or a CIDR whose addresses AWS reserves
 * in `subnet` (network, router, DNS, future, broadcast) are left out.
 */
export function parsePodRange(text: unknown, subnet: Subnet, field: string): IpRange {
  if (typeof text !== "string" || !text.includes("/")) return parseRange(text, field);
  const cidr = parseCidr(text, field);
  const usable = usableRange(subnet);
  const range = { first: Math.max(cidr.base, usable.first), last: Math.min(cidr.last, usable.last) };
  if (range.first > range.last) {
    throw new PlanError(field, `${text} holds no usable address of ${subnet.cidr} (${intToIp(usable.first)}-${intToIp(usable.last)})`, `choose a range inside ${subnet.cidr}`, "infeasible");
  }
  return range;
}

export interface Reservation {
  readonly cidr: string;
  readonly purpose: "workers" | "pods";
}

export interface SubnetPlan {
  readonly subnet: Subnet;
  readonly strategy: Strategy;
  readonly awsReserved: number[];
  /** `static`: the worker block. `reservation`: the DHCP space workers are expected to use. */
  readonly workers: IpRange;
  readonly pods: IpRange;
  /** Addresses AWS DHCP may still hand out (not reserved by this plan). */
  readonly dhcp: IpRange[];
  readonly reservations: Reservation[];
  readonly capacity: {
    /** Nodes the subnet can hold at once (static: worker block; reservation: DHCP space). */
    readonly maxNodes: number;
    /** Pod addresses in the pod block. */
    readonly maxPods: number;
    /** Usable addresses in neither block. */
    readonly freeAddresses: number;
  };
  readonly warnings: string[];
}

function positiveInt(value: number, field: string, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PlanError(field, `must be a whole number >= ${min}, got ${String(value)}`, `set ${field} to a whole number >= ${min}`);
  }
}



/** Lays out one multus subnet for a strategy. Throws PlanError on bad or infeasible input. */
export function planSubnet(input: LayoutInput): SubnetPlan {
  const at = input.field ? `${input.field}.` : "";
  const subnet = parseSubnet(input.cidr, `${at}cidr`);
  const names = { ...CONFIG_LAYOUT_FIELDS, ...input.fields };
  positiveInt(input.maxNodes, names.maxNodes);
  positiveInt(input.podsPerNode, names.podsPerNode);
  const headroom = input.workerHeadroom ?? input.maxNodes;
  positiveInt(headroom, names.workerHeadroom, 0);
  const usable = usableRange(subnet);
  const warnings: string[] = [];
  const workerCount = input.maxNodes + headroom;
  const podHeadroom = input.podHeadroom ?? 0;
  positiveInt(podHeadroom, names.podHeadroom, 0);
  const podCount = input.maxNodes * input.podsPerNode + podHeadroom;
  // How the pod count is made, for messages.
  const podNeed = `${names.maxNodes} ${input.maxNodes} x ${input.podsPerNode} pods per node${podHeadroom ? ` + ${names.podHeadroom} ${podHeadroom}` : ""}`;
  const orPodHeadroom = podHeadroom ? ` or ${names.podHeadroom}` : "";

  const workersWanted = { first: usable.first, last: usable.first + workerCount - 1 };
  // A worker block longer than the subnet is its own problem: no pod block placement fixes it.
  const workersOverflow = workersWanted.last > usable.last;
  const workerProblem = (podBlock: string) =>
    workersOverflow
      ? `the worker block needs ${plural(workerCount, "address", "addresses")} (${names.maxNodes} ${input.maxNodes} + ${names.workerHeadroom} ${headroom}) but ${subnet.cidr} has ${rangeSize(usable)} usable`
      : `the worker block ${intToIp(workersWanted.first)}-${intToIp(workersWanted.last)} (${plural(workerCount, "address", "addresses")}) overlaps the pod block ${podBlock}`;
  const workerFix = workersOverflow
    ? `lower ${names.maxNodes} or ${names.workerHeadroom}, or use a larger subnet`
    : `start the pod block after ${intToIp(workersWanted.last)}, or lower ${names.maxNodes} or ${names.workerHeadroom}`;
  let pods: IpRange;
  if (input.podRange !== undefined) {
    pods = parsePodRange(input.podRange, subnet, `${at}podRange`);
    if (!contains(usable, pods.first) || !contains(usable, pods.last)) {
      throw new PlanError(
        `${at}podRange`,
        `${input.podRange} is not inside the usable addresses of ${subnet.cidr} (${intToIp(usable.first)}-${intToIp(usable.last)}; AWS reserves the first four and the last)`,
        `choose a range between ${intToIp(usable.first)} and ${intToIp(usable.last)}`,
        "infeasible",
      );
    }
    // Both problems at once: fixing one should not reveal the other.
    const problems: string[] = [];
    const fixes: string[] = [];
    if (rangeSize(pods) < podCount) {
      problems.push(`${input.podRange} holds ${rangeSize(pods)} pods, but ${podNeed} = ${podCount}`);
      fixes.push(`widen the range to ${podCount} addresses or lower ${names.podsPerNode}${orPodHeadroom}`);
    }
    if (input.strategy === "static" && overlaps(workersWanted, pods)) {
      problems.push(workerProblem(input.podRange));
      fixes.push(workerFix);
    }
    if (problems.length) throw new PlanError(`${at}podRange`, problems.join("; and "), fixes.join("; "), "infeasible");
  } else {
    const needed = workerCount + podCount;
    if (needed > rangeSize(usable)) {
      const prefix = prefixFor(needed);
      throw new PlanError(
        input.strategy === "static" ? names.maxNodes : names.podsPerNode,
        `${subnet.cidr} has ${rangeSize(usable)} usable addresses; ${workerCount} workers (${names.maxNodes} ${input.maxNodes} + ${names.workerHeadroom} ${headroom}) and ${podCount} pods (${podNeed}) need ${needed}`,
        prefix
          ? `use a /${prefix} or larger subnet, or lower ${names.maxNodes}, ${names.podsPerNode}${podHeadroom ? `, ${names.workerHeadroom} or ${names.podHeadroom}` : ` or ${names.workerHeadroom}`}`
          : `lower ${names.maxNodes} or ${names.podsPerNode}: no AWS subnet (at most /16) holds that many`,
        "infeasible",
      );
    }
    // Start the block on the alignment of its size where that still fits: fewer, larger
    // reservation CIDRs and a little pod headroom for free.
    const exactFirst = usable.last - podCount + 1;
    const align = 2 ** Math.floor(Math.log2(podCount));
    const alignedFirst = Math.floor(exactFirst / align) * align;
    const fits = alignedFirst - usable.first >= (input.strategy === "static" ? workerCount : input.maxNodes + headroom);
    pods = { first: fits ? alignedFirst : exactFirst, last: usable.last };
  }

  let workers: IpRange;
  const reservations: Reservation[] = [];
  let dhcp: IpRange[];
  if (input.strategy === "static") {
    workers = workersWanted;
    if (workers.last > usable.last || overlaps(workers, pods)) {
      throw new PlanError(
        input.podRange !== undefined ? `${at}podRange` : names.maxNodes,
        workerProblem(`${intToIp(pods.first)}-${intToIp(pods.last)}`),
        workerFix,
        "infeasible",
      );
    }
    const reserveWorkers = input.reserveWorkerBlock ?? true;
    if (reserveWorkers) for (const cidr of cidrCover(workers)) reservations.push({ cidr, purpose: "workers" });
    for (const cidr of cidrCover(pods)) reservations.push({ cidr, purpose: "pods" });
    dhcp = subtract(usable, pods).flatMap((r) => (reserveWorkers ? subtract(r, workers) : [r]));
    if (!reserveWorkers) {
      warnings.push(
        `${subnet.cidr}: the worker block is not reserved; an interface created outside the Lambda can take a worker address and make a launch retry`,
      );
    }
  } else {
    for (const cidr of cidrCover(pods)) reservations.push({ cidr, purpose: "pods" });
    dhcp = subtract(usable, pods);
    // Workers take DHCP addresses; the largest free stretch is what they are likely to use.
    workers = dhcp.reduce((a, b) => (rangeSize(b) > rangeSize(a) ? b : a), dhcp[0] ?? { first: usable.first, last: usable.first - 1 });
    const dhcpSize = dhcp.reduce((n, r) => n + rangeSize(r), 0);
    if (dhcpSize < input.maxNodes) {
      throw new PlanError(
        input.podRange !== undefined ? `${at}podRange` : names.maxNodes,
        `${subnet.cidr} leaves ${dhcpSize} DHCP addresses outside the pod block for ${input.maxNodes} nodes`,
        `shrink the pod block, lower ${names.maxNodes}, or use a larger subnet`,
        "infeasible",
      );
    }
    if (dhcpSize < workerCount) {
      warnings.push(`${subnet.cidr}: ${dhcpSize} DHCP addresses leave less than the worker headroom (${workerCount}) for replacements and other interfaces`);
    }
  }

  const dhcpSize = dhcp.reduce((n, r) => n + rangeSize(r), 0);
  const maxNodes = input.strategy === "static" ? rangeSize(workers) : dhcpSize;
  const freeAddresses = rangeSize(usable) - rangeSize(pods) - (input.strategy === "static" ? rangeSize(workers) : 0);
  return {
    subnet,
    strategy: input.strategy,
    awsReserved: awsReserved(subnet),
    workers,
    pods,
    dhcp,
    reservations,
    capacity: { maxNodes, maxPods: rangeSize(pods), freeAddresses },
    warnings,
  };
}

/**
 * The IPAM range for a NetworkAttachmentDefinition over a pod block (the subnet's first unless
 * given), in whereabouts' keys
 * (`range`, `range_start`, `range_end`; k8snetworkplumbingwg/whereabouts README, "Core
 * Parameters"). `range` is the whole subnet so whereabouts' own network/broadcast exclusion
 * falls on AWS-reserved addresses, never inside the block.
 */
export function nadIpamRange(plan: SubnetPlan, pods: IpRange = plan.pods): { range: string; range_start: string; range_end: string; gateway: string } {
  return {
    range: plan.subnet.cidr,
    range_start: intToIp(pods.first),
    range_end: intToIp(pods.last),
    gateway: intToIp(plan.subnet.base + 1),
  };
}

/** The plan in the CLI's JSON shape. */
export function subnetPlanJson(plan: SubnetPlan) {
  return {
    cidr: plan.subnet.cidr,
    strategy: plan.strategy,
    awsReserved: plan.awsReserved.map(intToIp),
    workers: formatRange(plan.workers),
    pods: formatRange(plan.pods),
    dhcp: plan.dhcp.map(formatRange),
    reservations: plan.reservations.map((r) => ({ cidr: r.cidr, purpose: r.purpose })),
    capacity: { ...plan.capacity },
    warnings: [...plan.warnings],
  };
}
