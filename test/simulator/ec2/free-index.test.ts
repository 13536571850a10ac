import fc from "fast-check";
import { FreeIndex } from "../../../simulator/ec2/free-index";

describe("FreeIndex", () => {
  test("GIVEN any sequence of set operations WHEN queried THEN it agrees with a plain sorted set", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 200 }),
        fc.nat(),
        (size, ops, probe) => {
          const idx = new FreeIndex(size);
          const ref = new Set<number>();
          for (const [raw, free] of ops) {
            const off = raw % size;
            idx.set(off, free);
            if (free) ref.add(off);
            else ref.delete(off);
          }
          const sorted = [...ref].sort((a, b) => a - b);
          expect(idx.total).toBe(sorted.length);
          sorted.forEach((off, k) => expect(idx.kth(k)).toBe(off));
          expect(idx.kth(sorted.length)).toBeUndefined();
          expect(idx.lowest()).toBe(sorted[0]);
          expect(idx.highest()).toBe(sorted[sorted.length - 1]);
          const p = probe % size;
          expect(idx.nextFrom(p)).toBe(sorted.find((o) => o >= p));
          expect(idx.rank(p)).toBe(sorted.filter((o) => o < p).length);
        },
      ),
    );
  });

  test("GIVEN a /16 with every address free WHEN all are taken lowest-first THEN each pick is the next offset", () => {
    const idx = new FreeIndex(65536);
    for (let i = 0; i < 65536; i++) idx.set(i, true);
    const picks: number[] = [];
    for (let i = 0; i < 65536; i++) {
      const off = idx.lowest()!;
      picks.push(off);
      idx.set(off, false);
    }
    expect(picks.every((off, i) => off === i)).toBe(true);
    expect(idx.total).toBe(0);
    expect(idx.lowest()).toBeUndefined();
  });

  test("GIVEN an offset outside the index WHEN set THEN it throws", () => {
    expect(() => new FreeIndex(16).set(16, true)).toThrow(RangeError);
  });
});
