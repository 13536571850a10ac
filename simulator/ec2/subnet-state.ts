import type { Tag } from "@aws-sdk/client-ec2";
import { Subnet, isAwsReserved } from "../../contract/address";
import { FreeIndex } from "./free-index";
import type { Subnet6State } from "./subnet6-state";

/** A subnet CIDR reservation as the EC2 model holds it (`first`..`last` as address integers). */
export interface ReservationRecord {
  readonly id: string;
  readonly subnetId: string;
  readonly cidr: string;
  readonly first: number;
  readonly last: number;
  readonly type: "explicit" | "prefix";
  readonly description?: string;
  readonly tags: Tag[];
}

/** Reservation kind of one address (`SubnetState.reservedKind`). */
export const NOT_RESERVED = 0;
export const EXPLICIT = 1;
export const PREFIX = 2;

/**
 * One subnet's address bookkeeping in the EC2 model: which addresses interfaces hold, which
 * a CIDR reservation covers, and so which ones DHCP may still hand out.
 */
export class SubnetState {
  /** Used addresses → ENI id. */
  readonly used = new Map<number, string>();
  /** Per offset: NOT_RESERVED, EXPLICIT or PREFIX. */
  readonly reservedKind: Uint8Array;
  readonly reservations: ReservationRecord[] = [];
  /** Addresses DHCP may hand out: usable, not reserved, not used. */
  readonly free: FreeIndex;
  /** The IPv6 side of a dual-stack subnet. */
  v6?: Subnet6State;

  constructor(
    readonly id: string,
    readonly subnet: Subnet,
    readonly availabilityZone: string,
    readonly vpcId: string,
  ) {
    this.reservedKind = new Uint8Array(subnet.size);
    this.free = new FreeIndex(subnet.size);
    for (let off = 4; off < subnet.size - 1; off++) this.free.set(off, true);
  }

  contains(ip: number): boolean {
    return ip >= this.subnet.base && ip <= this.subnet.last;
  }

  offset(ip: number): number {
    return ip - this.subnet.base;
  }

  refresh(ip: number): void {
    const off = this.offset(ip);
    const eligible = !isAwsReserved(this.subnet, ip) && this.reservedKind[off] === NOT_RESERVED && !this.used.has(ip);
    this.free.set(off, eligible);
  }

  take(ip: number, eniId: string): void {
    this.used.set(ip, eniId);
    this.free.set(this.offset(ip), false);
  }

  release(ip: number): void {
    this.used.delete(ip);
    this.refresh(ip);
  }

  /** Sets the reservation kind of every address in `range` and updates DHCP eligibility. */
  markReserved(range: { first: number; last: number }, kind: number): void {
    for (let ip = range.first; ip <= range.last; ip++) {
      this.reservedKind[this.offset(ip)] = kind;
      this.refresh(ip);
    }
  }

  /** Addresses an interface may hold: all but AWS's five. */
  usableCount(): number {
    return this.subnet.size - 5;
  }

  /** Addresses held by an interface, AWS-reserved ones not counted. */
  usedCount(): number {
    let n = 0;
    for (const ip of this.used.keys()) if (!isAwsReserved(this.subnet, ip)) n++;
    return n;
  }
}
