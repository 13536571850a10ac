import fc from "fast-check";
import { contains } from "../../contract/address";
import { freeAddresses, pendingOrder, pickWorkerAddress } from "../../lambda/picker";

const BASE = 167_772_160; // 10.0.0.0

/** A worker block, some used addresses, and pending instances. */
const view = fc
  .record({
    size: fc.integer({ min: 1, max: 64 }),
    usedMask: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    pending: fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 40 }),
    seed: fc.integer(),
  })
  .map(({ size, usedMask, pending, seed }) => {
    const block = { first: BASE + 4, last: BASE + 4 + size - 1 };
    const used = new Set<number>();
    usedMask.slice(0, size).forEach((u, i) => u && used.add(block.first + i));
    const ids = pendingOrder(pending.map((n) => ({ id: `i-${n.toString(16).padStart(17, "0")}`, launchTime: n % 3 })));
    let s = seed >>> 0;
    const random = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    return { block, used, ids, random };
  });

describe("pickWorkerAddress", () => {
  it("GIVEN launches that share one view WHEN each picks its first address THEN the picks are distinct, free and inside the block (as far as addresses last)", () => {
    fc.assert(
      fc.property(view, ({ block, used, ids, random }) => {
        const picks = ids.map((self) => pickWorkerAddress({ block, used, tried: new Set(), pending: ids, self, attempt: 0, random }));
        const free = freeAddresses(block, used).length;
        const ranked = picks.filter((p) => p.how === "rank").map((p) => p.ip!);
        expect(ranked).toHaveLength(Math.min(free, ids.length));
        expect(new Set(ranked).size).toBe(ranked.length);
        for (const p of picks) {
          if (p.ip === undefined) {
            expect(p.how).toBe("full");
            continue;
          }
          expect(contains(block, p.ip)).toBe(true);
          expect(used.has(p.ip)).toBe(false);
        }
      }),
    );
  });

  it("GIVEN a launch whose ENI becomes visible WHEN the others read again THEN their picks do not move (its instance and address leave together)", () => {
    fc.assert(
      fc.property(view, fc.nat(), ({ block, used, ids, random }, k) => {
        const before = new Map(ids.map((self) => [self, pickWorkerAddress({ block, used, tried: new Set(), pending: ids, self, attempt: 0, random })]));
        const done = ids[k % ids.length]!;
        const donePick = before.get(done)!;
        fc.pre(donePick.how === "rank");
        const used2 = new Set(used).add(donePick.ip!);
        const rest = ids.filter((id) => id !== done);
        for (const self of rest) {
          const was = before.get(self)!;
          if (was.how !== "rank") continue; // had no address of its own either way
          expect(pickWorkerAddress({ block, used: used2, tried: new Set(), pending: rest, self, attempt: 0, random }).ip).toBe(was.ip);
        }
      }),
    );
  });

  it("GIVEN a retry WHEN addresses past the matched ones are free THEN it picks one of those, never one matched to another pending launch nor one it tried", () => {
    fc.assert(
      fc.property(view, ({ block, used, ids, random }) => {
        const free = freeAddresses(block, used);
        fc.pre(free.length > ids.length + 1);
        const tried = new Set([free[0]!]);
        const self = ids[0]!;
        const pick = pickWorkerAddress({ block, used, tried, pending: ids, self, attempt: 1, random });
        const freeNow = freeAddresses(block, used, tried);
        expect(pick.how).toBe("random");
        expect(freeNow.slice(ids.length)).toContain(pick.ip);
      }),
    );
  });

  it("GIVEN no free address in the block WHEN a launch picks THEN it is told the block is full", () => {
    const block = { first: BASE + 4, last: BASE + 5 };
    const pick = pickWorkerAddress({ block, used: new Set([BASE + 4, BASE + 5]), tried: new Set(), pending: ["i-a"], self: "i-a", attempt: 0, random: Math.random });
    expect(pick).toEqual({ how: "full", free: 0 });
  });
});

describe("pendingOrder", () => {
  it("GIVEN instances WHEN ordered THEN by launch time, then id, whatever order they were read in", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ id: fc.stringMatching(/^[0-9a-f]{4,8}$/), launchTime: fc.integer({ min: 0, max: 3 }) }), { selector: (i) => i.id }), (list) => {
        const a = pendingOrder(list);
        const b = pendingOrder([...list].reverse());
        expect(a).toEqual(b);
        const times = a.map((id) => list.find((i) => i.id === id)!.launchTime);
        expect(times).toEqual([...times].sort((x, y) => x - y));
      }),
    );
  });
});
