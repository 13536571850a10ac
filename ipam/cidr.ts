import { IPv4CidrRange } from "ip-num";
import { IpRange, intToIp } from "../contract/address";

/**
 * The minimal list of aligned CIDR blocks whose union is exactly `range`, lowest first.
 * Greedy from the low end: at each address take the largest block that is aligned there and
 * does not pass the end. This is the standard range-to-prefix decomposition; it is minimal
 * because any cover must split at the same alignment boundaries.
 */
export function cidrCover(range: IpRange): string[] {
  const out: string[] = [];
  let start = range.first;
  while (start <= range.last) {
    // Largest power of two dividing `start` (alignment), capped at 2^32.
    let size = start === 0 ? 2 ** 32 : start & -start;
    if (size < 0) size = 2 ** 31; // start has bit 31 set: `& -start` wraps negative
    const remaining = range.last - start + 1;
    while (size > remaining) size /= 2;
    out.push(`${intToIp(start)}/${32 - Math.log2(size)}`);
    start += size;
  }
  return out;
}

/** Bounds of one valid CIDR string. */
export function cidrBounds(cidr: string): IpRange {
  const range = IPv4CidrRange.fromCidr(cidr);
  return { first: Number(range.getFirst().getValue()), last: Number(range.getLast().getValue()) };
}

/** Smallest prefix (largest subnet) that holds `needed` usable addresses, or undefined past /16. */
export function prefixFor(needed: number): number | undefined {
  for (let prefix = 28; prefix >= 16; prefix--) if (2 ** (32 - prefix) - 5 >= needed) return prefix;
  return undefined;
}
