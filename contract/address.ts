import { IPv4, IPv4CidrRange, Validator } from "ip-num";
import { PlanError } from "./errors";

/** An inclusive IPv4 address range as unsigned 32-bit integers. */
export interface IpRange {
  readonly first: number;
  readonly last: number;
}

/** A multus subnet as used by every other function: the CIDR and its bounds. */
export interface Subnet {
  /** Canonical CIDR, e.g. `10.0.4.0/24`. */
  readonly cidr: string;
  readonly prefix: number;
  /** Network address. */
  readonly base: number;
  /** Broadcast address. */
  readonly last: number;
  readonly size: number;
}

/** AWS subnets are /16 (65,536 addresses) to /28 (16 addresses). Source: VPC user guide, "Subnet sizing" (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html). */
export const MIN_SUBNET_PREFIX = 16;
export const MAX_SUBNET_PREFIX = 28;

// ip-num parses through binary strings and BigInt: correct, but slow on the simulator's hot
// path, which converts the same few thousand addresses per scenario over and over. Both
// directions are memoised in bounded maps (cleared when full, so memory stays flat).
const MEMO_LIMIT = 1 << 17;
const intOf = new Map<string, number>();
const ipOf = new Map<number, string>();

function remember<K, V>(memo: Map<K, V>, key: K, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

export function ipToInt(ip: string): number {
  return intOf.get(ip) ?? remember(intOf, ip, Number(IPv4.fromString(ip).getValue()));
}

export function intToIp(n: number): string {
  return ipOf.get(n) ?? remember(ipOf, n, IPv4.fromNumber(BigInt(n)).toString());
}

export function isIpv4(ip: string): boolean {
  return Validator.isValidIPv4String(ip)[0];
}

/** Parses an IPv4 address, throwing a PlanError that names `field`. */
export function parseIp(ip: unknown, field: string): number {
  if (typeof ip !== "string" || !isIpv4(ip)) {
    throw new PlanError(field, `"${String(ip)}" is not an IPv4 address`, "give a dotted-quad address such as 10.0.4.10");
  }
  return ipToInt(ip);
}

/** Parses any IPv4 CIDR (canonical or not) into its bounds, naming `field` on error. */
export function parseCidr(cidr: unknown, field: string): Subnet {
  if (typeof cidr !== "string" || !Validator.isValidIPv4CidrNotation(cidr)[0]) {
    throw new PlanError(field, `"${String(cidr)}" is not an IPv4 CIDR`, "give a CIDR such as 10.0.4.0/24");
  }
  const range = IPv4CidrRange.fromCidr(cidr);
  const prefix = Number(range.getPrefix().getValue());
  const base = Number(range.getFirst().getValue());
  const last = Number(range.getLast().getValue());
  return { cidr: `${intToIp(base)}/${prefix}`, prefix, base, last, size: last - base + 1 };
}

/**
 * Parses a multus subnet CIDR: IPv4, /16 to /28, written canonically (AWS canonicalises
 * 10.0.4.7/24 to 10.0.4.0/24; we refuse it so the config says what AWS will hold).
 */
export function parseSubnet(cidr: unknown, field: string): Subnet {
  const subnet = parseCidr(cidr, field);
  if (subnet.prefix < MIN_SUBNET_PREFIX || subnet.prefix > MAX_SUBNET_PREFIX) {
    throw new PlanError(
      field,
      `${subnet.cidr} is a /${subnet.prefix}; AWS subnets are /${MIN_SUBNET_PREFIX} to /${MAX_SUBNET_PREFIX}`,
      `use a subnet between /${MIN_SUBNET_PREFIX} and /${MAX_SUBNET_PREFIX}`,
    );
  }
  if (subnet.cidr !== cidr) {
    throw new PlanError(field, `"${String(cidr)}" has host bits set`, `write it as ${subnet.cidr}`);
  }
  return subnet;
}

/**
 * The five addresses AWS reserves in every subnet: network, VPC router (+1), DNS (+2),
 * future use (+3), broadcast (last). Source: VPC user guide, "Subnet sizing"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 */
export function awsReserved(subnet: Subnet): number[] {
  return [subnet.base, subnet.base + 1, subnet.base + 2, subnet.base + 3, subnet.last];
}

export function isAwsReserved(subnet: Subnet, ip: number): boolean {
  return ip === subnet.last || (ip >= subnet.base && ip <= subnet.base + 3);
}

/** The addresses AWS lets interfaces use: base+4 .. last-1. */
export function usableRange(subnet: Subnet): IpRange {
  return { first: subnet.base + 4, last: subnet.last - 1 };
}

export function contains(range: IpRange, ip: number): boolean {
  return ip >= range.first && ip <= range.last;
}

export function rangeSize(range: IpRange): number {
  return range.last - range.first + 1;
}

export function overlaps(a: IpRange, b: IpRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** `from` without the addresses of `cut`: zero, one or two ranges, lowest first. */
export function subtractRange(from: IpRange, cut: IpRange): IpRange[] {
  if (!overlaps(from, cut)) return [from];
  const out: IpRange[] = [];
  if (cut.first > from.first) out.push({ first: from.first, last: cut.first - 1 });
  if (cut.last < from.last) out.push({ first: cut.last + 1, last: from.last });
  return out;
}

export function rangeInside(inner: IpRange, outer: IpRange): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

/** Parses `A-B` (two addresses) into a range, naming `field` on error. */
export function parseRange(text: unknown, field: string): IpRange {
  const parts = typeof text === "string" ? text.split("-").map((s) => s.trim()) : [];
  if (parts.length !== 2 || !isIpv4(parts[0]!) || !isIpv4(parts[1]!)) {
    throw new PlanError(field, `"${String(text)}" is not an address range`, "write it as FIRST-LAST, e.g. 10.0.4.128-10.0.4.254");
  }
  const range = { first: ipToInt(parts[0]!), last: ipToInt(parts[1]!) };
  if (range.first > range.last) {
    throw new PlanError(field, `"${String(text)}" ends before it starts`, "put the lower address first");
  }
  return range;
}

export function formatRange(range: IpRange): { first: string; last: string; count: number } {
  return { first: intToIp(range.first), last: intToIp(range.last), count: rangeSize(range) };
}
