import fc from "fast-check";
import { PlanError, bigToIp6, intToIp, ip6ToBig, ipToInt } from "../../../ipam";
import { WhereaboutsModel, effectiveRange, effectiveRange6, poolAddresses, poolRanges6, whereaboutsConfig } from "../../../simulator/cni/whereabouts";

const cfg = (ipam: Record<string, unknown>) => whereaboutsConfig({ type: "whereabouts", ...ipam });
const req = (node: string, i: number) => ({ node, containerId: `c-${node}-${i}`, podRef: `default/p-${node}-${i}` });
/** Lets every pending allocation read the pool before any writes it back. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("whereaboutsConfig", () => {
  test("GIVEN FIRST-LAST/PREFIX THEN range_start and range_end come from it", () => {
    const c = cfg({ range: "10.0.4.200-10.0.4.210/24" });
    expect(c.ranges[0]!.range.cidr).toBe("10.0.4.0/24");
    expect(effectiveRange(c.ranges[0]!)).toEqual({ first: ipToInt("10.0.4.200"), last: ipToInt("10.0.4.210") });
    expect(c.overlappingRanges).toBe(true);
  });

  test("GIVEN range_end outside the CIDR THEN whereabouts ignores it and walks to the last usable address", () => {
    const c = cfg({ range: "10.0.4.0/24", range_start: "10.0.4.250", range_end: "10.0.5.9" });
    expect(effectiveRange(c.ranges[0]!)).toEqual({ first: ipToInt("10.0.4.250"), last: ipToInt("10.0.4.254") });
  });

  test.each([
    [{}, /^ipam\.range: is missing/],
    [{ range: "10.0.4.0/33" }, /^ipam\.range: "10\.0\.4\.0\/33" is not an IPv4 CIDR/],
    [{ range: "10.0.4.0/24", exclude: ["nope"] }, /^ipam\.exclude\[0\]/],
    [{ range: "10.0.4.0/24", node_slice_size: "/20" }, /^ipam\.node_slice_size: \/20 is larger than the range/],
    [{ ipRanges: [{ range_start: "10.0.4.1" }] }, /^ipam\.ipRanges\[0\]\.range: is missing/],
  ])("GIVEN invalid ipam %j THEN a PlanError names the field", (ipam, message) => {
    expect(() => cfg(ipam)).toThrow(PlanError);
    expect(() => cfg(ipam)).toThrow(message);
  });
});

describe("WhereaboutsModel", () => {
  test("GIVEN exclude CIDRs THEN the lowest address outside them comes first, and a released address is reused first", async () => {
    const c = cfg({ range: "10.0.4.0/24", range_start: "10.0.4.10", range_end: "10.0.4.20", exclude: ["10.0.4.10/31", "10.0.4.13"] });
    const m = new WhereaboutsModel();
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await m.allocate(c, req("n1", i)))[0]);
    expect(got).toEqual(["10.0.4.12", "10.0.4.14", "10.0.4.15"]);
    await m.release(c, req("n1", 0));
    expect(await m.allocate(c, req("n2", 9))).toEqual(["10.0.4.12"]);
  });

  test("GIVEN the same pod and interface twice THEN it keeps its address", async () => {
    const c = cfg({ range: "10.0.4.0/28" });
    const m = new WhereaboutsModel();
    const a = await m.allocate(c, req("n1", 0));
    expect(await m.allocate(c, { ...req("n1", 0), containerId: "restarted" })).toEqual(a);
    expect(m.allocations()).toHaveLength(1);
  });

  test("GIVEN the pool is exhausted THEN the ADD fails", async () => {
    const c = cfg({ range: "10.0.4.0/30" });
    const m = new WhereaboutsModel();
    await m.allocate(c, req("n1", 0));
    await m.allocate(c, req("n1", 1));
    await expect(m.allocate(c, req("n1", 2))).rejects.toThrow(/Could not allocate IP in range/);
  });

  test("GIVEN any number of concurrent ADDs on several nodes THEN all addresses differ, lie in the range, and the losers of the compare-and-swap retried", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 8 }), async (nodes, perNode) => {
        const c = cfg({ range: "10.0.4.0/24", range_start: "10.0.4.128", range_end: "10.0.4.254" });
        const m = new WhereaboutsModel();
        const all = await Promise.all(
          Array.from({ length: nodes * perNode }, (_, i) => m.allocate(c, req(`n${i % nodes}`, i), { betweenReadAndUpdate: yieldTurn })),
        );
        const ips = all.flat();
        expect(new Set(ips).size).toBe(nodes * perNode);
        for (const ip of ips) expect(ipToInt(ip)).toBeGreaterThanOrEqual(ipToInt("10.0.4.128"));
        // All read version 0 at once; only one write per round can win.
        expect(m.casConflicts).toBeGreaterThan(0);
        // Lowest-first: the block handed out is contiguous from range_start.
        expect(new Set(ips)).toEqual(new Set(Array.from({ length: nodes * perNode }, (_, i) => intToIp(ipToInt("10.0.4.128") + i))));
      }),
      { numRuns: 20 },
    );
  });

  test("GIVEN node_slice_size THEN each node allocates inside its own slice, which ignores range_start and exclude", async () => {
    const c = cfg({ range: "10.0.4.0/24", range_start: "10.0.4.128", exclude: ["10.0.4.0/28"], node_slice_size: "/28" });
    const m = new WhereaboutsModel();
    const a = await m.allocate(c, req("n1", 0));
    const b = await m.allocate(c, req("n2", 0));
    expect(a).toEqual(["10.0.4.1"]);
    expect(b).toEqual(["10.0.4.17"]);
    expect(poolAddresses(c.ranges[0]!, { first: ipToInt("10.0.4.16"), last: ipToInt("10.0.4.31") })).toHaveLength(14);
  });

  test("GIVEN two overlapping ranges in one network with overlapping ranges on THEN the second pool skips the address the first holds; with it off they collide", async () => {
    for (const on of [true, false]) {
      const a = cfg({ range: "10.0.4.0/24", range_start: "10.0.4.100", enable_overlapping_ranges: on });
      const b = cfg({ range: "10.0.4.96/27", range_start: "10.0.4.100", enable_overlapping_ranges: on });
      const m = new WhereaboutsModel();
      const x = await m.allocate(a, req("n1", 0));
      const y = await m.allocate(b, req("n2", 0));
      expect(x).toEqual(["10.0.4.100"]);
      // Different range CIDRs are different pools: only the cluster-wide reservation separates them.
      if (on) expect(y).toEqual(["10.0.4.101"]);
      else expect(y).toEqual(x);
    }
  });
});

describe("whereaboutsConfig: IPv6 ranges", () => {
  test("GIVEN ipRanges of both families THEN each lands with its family, FIRST-LAST/PREFIX and exclude read as for IPv4", () => {
    const c = cfg({ ipRanges: [{ range: "10.0.4.0/24", range_start: "10.0.4.192" }, { range: "2001:db8::100-2001:db8::1ff/64", exclude: ["2001:db8::180/121", "2001:db8::101"] }] });
    expect(c.ranges.map((r) => r.range.cidr)).toEqual(["10.0.4.0/24"]);
    const [r] = c.ranges6;
    expect([r!.range.cidr, r!.rangeStart, r!.rangeEnd]).toEqual(["2001:db8::/64", ip6ToBig("2001:db8::100"), ip6ToBig("2001:db8::1ff")]);
    expect(poolRanges6(r!).map((p) => [bigToIp6(p.first), bigToIp6(p.last)])).toEqual([
      ["2001:db8::100", "2001:db8::100"],
      ["2001:db8::102", "2001:db8::17f"],
    ]);
  });

  test("GIVEN a whole /64 THEN the pool starts after the network address and stops where whereabouts stops addressing: the end of the first /65", () => {
    const [r] = cfg({ range: "2001:db8::/64" }).ranges6;
    expect(effectiveRange6(r!)).toEqual({ first: ip6ToBig("2001:db8::1"), last: ip6ToBig("2001:db8::ffff:ffff:ffff:fffe") });
    expect(poolRanges6(r!)).toEqual([{ first: ip6ToBig("2001:db8::1"), last: ip6ToBig("2001:db8::7fff:ffff:ffff:ffff") }]);
    // A narrower range is addressable all through.
    const [narrow] = cfg({ range: "2001:db8::/120" }).ranges6;
    expect(poolRanges6(narrow!)).toEqual([{ first: ip6ToBig("2001:db8::1"), last: ip6ToBig("2001:db8::fe") }]);
  });

  test("GIVEN an IPv4 range_start in an IPv6 range THEN refused naming the field", () => {
    expect(() => cfg({ range: "2001:db8::/64", range_start: "10.0.4.1" })).toThrow(/^ipam\.range_start: "10\.0\.4\.1" is not an IPv6 address/);
  });
});
