import { IPv6, IPv6CidrRange, IPv6Prefix, RangedSet, Validator, collapseIPv6Number } from "ip-num";
import type { IpRange } from "./address";
import { PlanError } from "./errors";

/** An inclusive IPv6 address range as 128-bit integers. */
export interface Ip6Range {
  readonly first: bigint;
  readonly last: bigint;
}

/** An IPv6 CIDR and its bounds. */
export interface Subnet6 extends Ip6Range {
  /** Canonical CIDR in RFC 5952 text (lowercase, zeros compressed), e.g. `2001:db8:1234:1a00::/64`. */
  readonly cidr: string;
  readonly prefix: number;
}

/**
 * The IPv6 CIDR of a dual-stack multus subnet: a /64. AWS subnets take /44 to /64 in steps of
 * /4 (VPC user guide, "Subnet CIDR blocks", subnet sizing for IPv6,
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html); a /64 is what AWS gives
 * by default and what whereabouts' first-/65 limit is written against.
 */
export const SUBNET6_PREFIX = 64;

// ip-num goes through binary strings: memoise the hot direction (text → integer) like address.ts.
const MEMO_LIMIT = 1 << 16;
const valueOf = new Map<string, bigint>();

export function isIpv6(ip: string): boolean {
  return !ip.includes("/") && Validator.isValidIPv6String(ip)[0];
}

/** An IPv6 address as a 128-bit integer (any valid text form). */
export function ip6ToBig(ip: string): bigint {
  const hit = valueOf.get(ip);
  if (hit !== undefined) return hit;
  if (valueOf.size >= MEMO_LIMIT) valueOf.clear();
  const v = IPv6.fromString(ip).getValue();
  valueOf.set(ip, v);
  return v;
}

/** An IPv6 address in the form EC2 prints it (RFC 5952: lowercase, the longest zero run compressed). */
export function bigToIp6(n: bigint): string {
  return collapseIPv6Number(IPv6.fromBigInt(n).toString());
}

/** The canonical text of an IPv6 address, e.g. `2001:DB8:0:0::5` → `2001:db8::5`. */
export function canonicalIp6(ip: string): string {
  return bigToIp6(ip6ToBig(ip));
}

/** Parses an IPv6 address, throwing a PlanError that names `field`. */
export function parseIp6(ip: unknown, field: string): bigint {
  if (typeof ip !== "string" || !isIpv6(ip)) {
    throw new PlanError(field, `"${String(ip)}" is not an IPv6 address`, "give an address such as 2001:db8:1234:1a00::10");
  }
  return ip6ToBig(ip);
}

function fromRange(range: IPv6CidrRange): Subnet6 {
  const first = range.getFirst().getValue();
  const prefix = Number(range.getPrefix().getValue());
  return { cidr: `${bigToIp6(first)}/${prefix}`, prefix, first, last: range.getLast().getValue() };
}

/** Parses any IPv6 CIDR into its bounds (host bits dropped), naming `field` on error. */
export function parseCidr6(cidr: unknown, field: string): Subnet6 {
  if (typeof cidr !== "string" || !Validator.isValidIPv6CidrNotation(cidr)[0]) {
    throw new PlanError(field, `"${String(cidr)}" is not an IPv6 CIDR`, "give a CIDR such as 2001:db8:1234:1a00::/64");
  }
  // getFirst drops host bits (2001:db8::5/64 starts at 2001:db8::).
  const range = IPv6CidrRange.fromCidr(cidr);
  return fromRange(range);
}

/** A CIDR of `prefix` starting at `first` (which must be aligned to it). */
export function cidr6(first: bigint, prefix: number): Subnet6 {
  return fromRange(new IPv6CidrRange(IPv6.fromBigInt(first), new IPv6Prefix(BigInt(prefix))));
}

/** `parsed` as written in `cidr`, which must have no host bits (`field` names it otherwise). */
function withoutHostBits(cidr: unknown, parsed: Subnet6, field: string): Subnet6 {
  if (ip6ToBig(String(cidr).split("/")[0]!) !== parsed.first) {
    throw new PlanError(field, `"${String(cidr)}" has host bits set`, `write it as ${parsed.cidr}`);
  }
  return parsed;
}

/**
 * Parses the IPv6 CIDR of a multus subnet: a /64, written canonically (no host bits, any
 * case and zero compression accepted; the plan prints it as EC2 does).
 */
export function parseSubnet6(cidr: unknown, field: string): Subnet6 {
  const subnet = parseCidr6(cidr, field);
  if (subnet.prefix !== SUBNET6_PREFIX) {
    throw new PlanError(field, `${subnet.cidr} is a /${subnet.prefix}; a multus subnet's IPv6 CIDR is the /64 AWS gives it`, `give the subnet's /64, e.g. ${bigToIp6(subnet.first)}/64`);
  }
  return withoutHostBits(cidr, subnet, field);
}

/**
 * The prefix lengths of a VPC's IPv6 CIDR block: Amazon's pool gives a fixed /56; from an IPAM
 * pool or a BYOIP range "possible IPv6 netmask lengths are between /44 and /60 in increments of
 * /4" (VPC user guide, "Add or remove a CIDR block from your VPC",
 * https://docs.aws.amazon.com/vpc/latest/userguide/modify-vpcs.html; API reference CreateVpc,
 * AmazonProvidedIpv6CidrBlock: "an Amazon-provided IPv6 CIDR block with a /56 prefix length").
 */
export const VPC6_PREFIXES = [44, 48, 52, 56, 60] as const;

/** Parses a VPC's IPv6 CIDR block: one of VPC6_PREFIXES, written canonically (no host bits). */
export function parseVpcCidr6(cidr: unknown, field: string): Subnet6 {
  const block = parseCidr6(cidr, field);
  if (!(VPC6_PREFIXES as readonly number[]).includes(block.prefix)) {
    throw new PlanError(field, `${block.cidr} is a /${block.prefix}; a VPC's IPv6 block is a /${VPC6_PREFIXES.join(", /")} (Amazon's pool gives a /56)`, "give the VPC's IPv6 CIDR as EC2 shows it (DescribeVpcs Ipv6CidrBlockAssociationSet), e.g. 2001:db8:1234:1a00::/56");
  }
  return withoutHostBits(cidr, block, field);
}

/**
 * The five addresses AWS reserves in every IPv6 subnet CIDR: the first four (the network
 * address, ::1 the VPC router, ::2, ::3) and the last. Source: VPC user guide, "Subnet CIDR
 * blocks", subnet sizing for IPv6 (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html):
 * "The first four IPv6 addresses and the last IPv6 address in each subnet CIDR block are not
 * available for your use, and they cannot be assigned to an EC2 instance."
 */
export function awsReserved6(subnet: Ip6Range): bigint[] {
  return [subnet.first, subnet.first + 1n, subnet.first + 2n, subnet.first + 3n, subnet.last];
}

export function isAwsReserved6(subnet: Ip6Range, ip: bigint): boolean {
  return ip === subnet.last || (ip >= subnet.first && ip <= subnet.first + 3n);
}

/** The addresses AWS lets interfaces use: first+4 .. last-1. */
export function usableRange6(subnet: Ip6Range): Ip6Range {
  return { first: subnet.first + 4n, last: subnet.last - 1n };
}

export function contains6(range: Ip6Range, ip: bigint): boolean {
  return ip >= range.first && ip <= range.last;
}

export function overlaps6(a: Ip6Range, b: Ip6Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function rangeInside6(inner: Ip6Range, outer: Ip6Range): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function rangeSize6(range: Ip6Range): bigint {
  return range.last - range.first + 1n;
}

/** `from` without the addresses of each of `cuts`, lowest first (ip-num's RangedSet difference). */
export function subtractRanges6(from: Ip6Range, cuts: readonly Ip6Range[]): Ip6Range[] {
  let out = [new RangedSet(IPv6.fromBigInt(from.first), IPv6.fromBigInt(from.last))];
  for (const c of cuts) {
    out = out.flatMap((r) => {
      const first = r.getFirst().getValue();
      const last = r.getLast().getValue();
      if (c.last < first || c.first > last) return [r];
      // ip-num subtracts only a range no larger than the one it cuts: clip the cut to it first.
      const lo = c.first > first ? c.first : first;
      const hi = c.last < last ? c.last : last;
      if (lo === first && hi === last) return [];
      return r.difference(new RangedSet(IPv6.fromBigInt(lo), IPv6.fromBigInt(hi))) as RangedSet<IPv6>[];
    });
  }
  return out.map((r) => ({ first: r.getFirst().getValue(), last: r.getLast().getValue() })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
}

/** `A-B` or `A` of a range, in EC2's address text. */
export function showRange6(r: Ip6Range): string {
  return r.first === r.last ? bigToIp6(r.first) : `${bigToIp6(r.first)}-${bigToIp6(r.last)}`;
}

/**
 * A range for JSON: the count as a decimal string, because an IPv6 range can hold more than
 * JSON numbers carry exactly (2^53); `cidr` when the range is one CIDR block.
 */
export function formatRange6(range: Ip6Range): { first: string; last: string; count: string; cidr?: string } {
  const set = new RangedSet(IPv6.fromBigInt(range.first), IPv6.fromBigInt(range.last));
  const cidr = set.isCidrAble() ? fromRange(set.toCidrRange() as IPv6CidrRange).cidr : undefined;
  return { first: bigToIp6(range.first), last: bigToIp6(range.last), count: rangeSize6(range).toString(), ...(cidr ? { cidr } : {}) };
}

/**
 * The pods' part of a dual-stack multus subnet's /64: its second /66, i.e. the upper half of
 * the lower /65. Inside the lower /65 because whereabouts addresses only the first /65 of a
 * range of /64 or wider (k8snetworkplumbingwg/whereabouts README, Note 2 under the range
 * parameters: "only the first /65 range is addressable"); clear of the four addresses AWS
 * reserves at the start, so one explicit CIDR reservation covers it. The plan puts every IPv6
 * pod block here and reserves it whole, so AWS never hands out an address of it (no worker's,
 * no foreign interface's), and the node agent knows, from the subnet's /64 alone, which IPv6
 * addresses of a multus ENI are pods' (this part) and which is the worker's own (outside it).
 */
export function ipv6PodSpace(subnet: Ip6Range): Subnet6 {
  const [lower] = IPv6CidrRange.fromCidr(`${bigToIp6(subnet.first)}/${SUBNET6_PREFIX}`).split();
  const second = lower!.split()[1]!;
  return cidr6(second.getFirst().getValue(), Number(second.getPrefix().getValue()));
}

/**
 * The IPv6 worker address that goes with IPv4 worker address `ip` of a static group: the
 * address at the same offset in the group's IPv6 worker block, which the plan makes at least
 * as large as the IPv4 block (ipam/layout6.ts).
 */
export function ipv6WorkerAddress(workers: IpRange, workers6: Ip6Range, ip: number): bigint {
  return workers6.first + BigInt(ip - workers.first);
}
