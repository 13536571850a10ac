import type { Tag } from "@aws-sdk/client-ec2";
import { Ip6Range, Subnet6, contains6, isAwsReserved6, rangeSize6, subtractRanges6, usableRange6 } from "../../contract/address6";

/** An IPv6 subnet CIDR reservation as the EC2 model holds it. */
export interface Reservation6Record {
  readonly id: string;
  readonly subnetId: string;
  readonly cidr: string;
  readonly first: bigint;
  readonly last: bigint;
  readonly type: "explicit" | "prefix";
  readonly description?: string;
  readonly tags: Tag[];
}

/** How DHCP picks an IPv6 address: as the IPv4 policies (model.ts DhcpPolicy). */
export type Dhcp6Policy = "random" | "lowest" | "adversarial";

/**
 * The IPv6 side of a dual-stack subnet, held sparsely: a /64 has 2^64 addresses, so there is
 * no per-address array (as SubnetState keeps for IPv4), only the addresses interfaces hold (a
 * map) and the reservations (a short list). What DHCP may hand out is the usable range minus
 * the reservations, as a few ranges, minus the held addresses.
 */
export class Subnet6State {
  /** Used addresses → ENI id. */
  readonly used = new Map<bigint, string>();
  readonly reservations: Reservation6Record[] = [];
  private free: Ip6Range[] | undefined;

  constructor(readonly subnet: Subnet6) {}

  contains(ip: bigint): boolean {
    return contains6(this.subnet, ip);
  }

  isAwsReserved(ip: bigint): boolean {
    return isAwsReserved6(this.subnet, ip);
  }

  reservationOf(ip: bigint): Reservation6Record | undefined {
    return this.reservations.find((r) => ip >= r.first && ip <= r.last);
  }

  take(ip: bigint, eniId: string): void {
    this.used.set(ip, eniId);
  }

  release(ip: bigint): void {
    this.used.delete(ip);
  }

  addReservation(r: Reservation6Record): void {
    this.reservations.push(r);
    this.free = undefined;
  }

  removeReservation(r: Reservation6Record): void {
    this.reservations.splice(this.reservations.indexOf(r), 1);
    this.free = undefined;
  }

  /** Usable addresses in no reservation, as ranges (held ones included). */
  unreserved(): Ip6Range[] {
    return (this.free ??= subtractRanges6(usableRange6(this.subnet), this.reservations));
  }

  /**
   * One address DHCP may hand out, by `policy` (EC2 documents no order; assumed, as for IPv4):
   * `random` uniformly over the unreserved space; `lowest` the lowest free one; `adversarial`
   * a free one right beside a reservation or an end of the space, where an off-by-one in a
   * plan would show. Undefined when nothing is free.
   */
  pick(policy: Dhcp6Policy, rng: () => number): bigint | undefined {
    const ranges = this.unreserved();
    const total = ranges.reduce((n, r) => n + rangeSize6(r), 0n);
    if (total <= BigInt(this.used.size)) return this.firstFree(ranges, "up");
    if (policy === "lowest") return this.firstFree(ranges, "up");
    if (policy === "adversarial") {
      const edges = ranges.flatMap((r) => [r.first, r.last]).filter((ip) => !this.used.has(ip));
      if (edges.length) return edges[Math.floor(rng() * edges.length)]!;
      return rng() < 0.5 ? this.firstFree(ranges, "up") : this.firstFree(ranges, "down");
    }
    // Random: a 64-bit draw, reduced to the space (bias below 2^-64 per address); a held address is drawn again.
    for (;;) {
      const draw = (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
      let k = draw % total;
      for (const r of ranges) {
        const size = rangeSize6(r);
        if (k < size) {
          const ip = r.first + k;
          if (!this.used.has(ip)) return ip;
          break;
        }
        k -= size;
      }
    }
  }

  /** The free address nearest one end of the space. */
  private firstFree(ranges: readonly Ip6Range[], from: "up" | "down"): bigint | undefined {
    const list = from === "up" ? ranges : [...ranges].reverse();
    for (const r of list) {
      const step = from === "up" ? 1n : -1n;
      for (let ip = from === "up" ? r.first : r.last; ip >= r.first && ip <= r.last; ip += step) if (!this.used.has(ip)) return ip;
    }
    return undefined;
  }
}
