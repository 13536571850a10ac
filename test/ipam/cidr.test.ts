import fc from "fast-check";
import { cidrBounds, cidrCover, intToIp, ipToInt } from "../../ipam";

/** Fewest aligned CIDR blocks that tile [first, last], by dynamic programming over every block start (brute force). */
function minimalCount(first: number, last: number): number {
  const best = new Map<number, number>();
  const solve = (x: number): number => {
    if (x > last) return 0;
    const hit = best.get(x);
    if (hit !== undefined) return hit;
    let min = Infinity;
    for (let size = 1; x + size - 1 <= last; size *= 2) {
      if (x % size !== 0) break;
      min = Math.min(min, 1 + solve(x + size));
    }
    best.set(x, min);
    return min;
  };
  return solve(first);
}

describe("cidrCover", () => {
  test("GIVEN an aligned /24 WHEN covered THEN one block", () => {
    expect(cidrCover({ first: ipToInt("10.0.4.0"), last: ipToInt("10.0.4.255") })).toEqual(["10.0.4.0/24"]);
  });

  test("GIVEN the usable part of a /24 WHEN covered THEN the blocks step up and down around the reserved ends", () => {
    expect(cidrCover({ first: ipToInt("10.0.4.4"), last: ipToInt("10.0.4.254") })).toEqual([
      "10.0.4.4/30", "10.0.4.8/29", "10.0.4.16/28", "10.0.4.32/27", "10.0.4.64/26", "10.0.4.128/26",
      "10.0.4.192/27", "10.0.4.224/28", "10.0.4.240/29", "10.0.4.248/30", "10.0.4.252/31", "10.0.4.254/32",
    ]);
  });

  test("GIVEN the very top of the address space THEN it covers without overflow", () => {
    expect(cidrCover({ first: ipToInt("255.255.255.254"), last: ipToInt("255.255.255.255") })).toEqual(["255.255.255.254/31"]);
    expect(cidrCover({ first: ipToInt("128.0.0.0"), last: ipToInt("255.255.255.255") })).toEqual(["128.0.0.0/1"]);
  });

  test("PROPERTY: every cover is aligned, exact (union equals the range, no overlap) and minimal", () => {
    const base = ipToInt("10.20.0.0");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 1023 }), (a, b) => {
        const first = base + Math.min(a, b);
        const last = base + Math.max(a, b);
        const cover = cidrCover({ first, last });
        let next = first;
        for (const cidr of cover) {
          const r = cidrBounds(cidr);
          const size = r.last - r.first + 1;
          expect(r.first % size).toBe(0); // aligned
          expect(r.first).toBe(next); // contiguous, no gap, no overlap
          next = r.last + 1;
          expect(cidr).toBe(`${intToIp(r.first)}/${32 - Math.log2(size)}`);
        }
        expect(next).toBe(last + 1); // ends exactly at the range end
        expect(cover.length).toBe(minimalCount(first - base, last - base));
      }),
      { numRuns: 300 },
    );
  });
});
