import { IpRange } from "../contract/address";

/**
 * Static strategy: which worker address a launch asks EC2 for.
 *
 * Launches of one Auto Scaling activity run concurrently and all read the same subnet, so a
 * pick that depends only on what they read collides (the reference allocator tried the lowest
 * free addresses and collided). Instead every launch reads the group's instances that still
 * need an ENI in the subnet (the same list for all of them, ordered by launch time and id)
 * and takes the free address whose position equals its own position in that list: the i-th
 * pending instance gets the i-th free address. Concurrent launches with the same view pick
 * distinct addresses without talking to each other. When a launch's ENI becomes visible, its
 * instance leaves the pending list and its address leaves the free list together, so the
 * other launches' pairs do not move.
 *
 * Views can still differ (an address freed between two reads, Describe* eventual
 * consistency), so EC2 stays the arbiter: a taken address fails InvalidIPAddress.InUse and the
 * launch retries with a random address no other pending instance is matched to.
 */
export interface PickInput {
  readonly block: IpRange;
  /** Addresses seen in use in the subnet (any ENI, primary or secondary). */
  readonly used: ReadonlySet<number>;
  /** Addresses this launch already found taken. */
  readonly tried: ReadonlySet<number>;
  /** Instances still needing an ENI in this subnet, in pendingOrder; includes `self`. */
  readonly pending: readonly string[];
  readonly self: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
  readonly random: () => number;
}

export interface AddressPick {
  /** Undefined when the block has no free address left. */
  readonly ip?: number;
  /** `rank`: the matched address; `random`: a random unclaimed (or, failing that, any) free one. */
  readonly how: "rank" | "random" | "full";
  /** Free addresses in the block as this launch sees them. */
  readonly free: number;
}

/** Free addresses of the block, ascending. */
export function freeAddresses(block: IpRange, used: ReadonlySet<number>, tried: ReadonlySet<number> = new Set()): number[] {
  const out: number[] = [];
  for (let ip = block.first; ip <= block.last; ip++) if (!used.has(ip) && !tried.has(ip)) out.push(ip);
  return out;
}

/** The order every launch ranks the pending instances in: launch time, then instance id. */
export function pendingOrder(instances: readonly { readonly id: string; readonly launchTime?: number }[]): string[] {
  return [...instances]
    .sort((a, b) => (a.launchTime ?? 0) - (b.launchTime ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((i) => i.id);
}

export function pickWorkerAddress(input: PickInput): AddressPick {
  const free = freeAddresses(input.block, input.used, input.tried);
  if (free.length === 0) return { how: "full", free: 0 };
  const rank = input.pending.indexOf(input.self);
  if (input.attempt === 0 && rank >= 0 && rank < free.length) return { ip: free[rank]!, how: "rank", free: free.length };
  // Past the matched prefix nobody else is headed; only when that is empty risk a claimed one.
  const unclaimed = free.slice(Math.max(0, input.pending.length));
  const pool = unclaimed.length > 0 ? unclaimed : free;
  const ip = pool[Math.min(pool.length - 1, Math.floor(input.random() * pool.length))]!;
  return { ip, how: "random", free: free.length };
}
