import fc from "fast-check";
import { burstVerdict, markdownTable, median, ratio, replaceBetween, scaleVerdict } from "../../bench/stats";
import { burstPlan, fittingHeadroom, aggregate } from "../../bench/burst";
import { benchFlags, burstSection, scaleSection, sectionText } from "../../bench/run";
import type { BurstRow } from "../../bench/burst";
import type { ScaleRow } from "../../bench/scale";
import { PlanError, rangeSize } from "../../ipam";

describe("bench helpers", () => {
  test("GIVEN any list of numbers WHEN taking the median THEN as many values lie at or below it as at or above it", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 50 }), (xs) => {
        const m = median(xs);
        expect(xs.filter((x) => x <= m).length).toBeGreaterThanOrEqual(xs.length / 2);
        expect(xs.filter((x) => x >= m).length).toBeGreaterThanOrEqual(xs.length / 2);
      }),
    );
  });

  test("GIVEN a missing or zero figure WHEN forming a ratio THEN it reads n/a instead of Infinity or NaN", () => {
    expect(ratio(3, 0)).toBe("n/a");
    expect(ratio(NaN, 2)).toBe("n/a");
    expect(ratio(3, 2)).toBe("1.50x");
  });

  test("GIVEN cells with pipes and a short row WHEN rendering Markdown THEN every line has the head's column count", () => {
    const text = markdownTable(["a", "b", "c"], [["x|y", "2"], ["1", "2", "3"]]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line.split(/(?<!\\)\|/).length - 2).toBe(3);
    expect(text).toContain("x\\|y");
  });

  test("GIVEN a README with markers WHEN replacing the results THEN only the text between them changes, and again replaces rather than appends", () => {
    const readme = "# Title\nintro\n<!-- b -->\nold table\n<!-- e -->\nafter\n";
    const once = replaceBetween(readme, "<!-- b -->", "<!-- e -->", "new table");
    expect(once).toBe("# Title\nintro\n<!-- b -->\nnew table\n<!-- e -->\nafter\n");
    expect(replaceBetween(once, "<!-- b -->", "<!-- e -->", "newer")).toBe("# Title\nintro\n<!-- b -->\nnewer\n<!-- e -->\nafter\n");
    expect(replaceBetween("# Title\n", "<!-- b -->", "<!-- e -->", "t")).toBe("# Title\n\n<!-- b -->\nt\n<!-- e -->\n");
  });

  const row = (over: Partial<Parameters<typeof burstVerdict>[0][number]>) => ({ nodes: 100, allocator: "project", strategy: "static", abandoned: 0, callsPerEni: 4, collisions: 0, ...over });

  test("GIVEN this project's rows at N WHEN judging the burst target THEN ABANDONs, collisions or too many calls each fail it and name the gap", () => {
    expect(burstVerdict([row({}), row({ strategy: "reservation", callsPerEni: 4.5 })], 100, 4.5).met).toBe(true);
    const calls = burstVerdict([row({ callsPerEni: 5 })], 100, 4.5);
    expect(calls).toEqual({ met: false, text: expect.stringMatching(/5\.00 EC2 calls per ENI .*gap 0\.50/) });
    expect(burstVerdict([row({ abandoned: 2 })], 100, 4.5).text).toMatch(/2 ABANDONs/);
    expect(burstVerdict([row({ collisions: 1 })], 100, 4.5).met).toBe(false);
    // The baseline's figures do not count, and no project row at N is no verdict.
    expect(burstVerdict([row({}), row({ allocator: "baseline", abandoned: 50 })], 100, 4.5).met).toBe(true);
    expect(burstVerdict([row({ nodes: 50 })], 100, 4.5).met).toBe(false);
    expect(burstVerdict([row({ infeasible: "too many" })], 100, 4.5).text).toMatch(/no feasible plan/);
  });

  test("GIVEN per-allocation times WHEN judging scale THEN a ratio above the bound fails", () => {
    expect(scaleVerdict(10, 25, 4).met).toBe(true);
    expect(scaleVerdict(10, 2560, 4).met).toBe(false);
    expect(scaleVerdict(0, 5, 4).met).toBe(false);
  });
});

describe("burst plan", () => {
  test("GIVEN a node count WHEN choosing the headroom THEN workers, headroom and pods fit the usable addresses, or nothing fits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 4 }), (nodes, pods) => {
        const h = fittingHeadroom(251, nodes, pods);
        if (h === undefined) expect(nodes * (1 + pods)).toBeGreaterThan(251);
        else {
          expect(nodes + h + nodes * pods).toBeLessThanOrEqual(251);
          expect(h).toBeLessThanOrEqual(nodes);
        }
      }),
    );
  });

  test("GIVEN N launches into the /24 WHEN planning THEN the plan holds N workers, or says it cannot", () => {
    for (const strategy of ["static", "reservation"] as const) {
      const { plan } = burstPlan(100, strategy);
      expect(plan.subnets[0]!.capacity.maxNodes).toBeGreaterThanOrEqual(100);
      expect(rangeSize(plan.subnets[0]!.pods)).toBeGreaterThanOrEqual(100);
      expect(() => burstPlan(200, strategy)).toThrow(PlanError);
    }
    expect(burstPlan(10, "static", 2).plan.subnets).toHaveLength(2);
  });

  test("GIVEN scenario reports WHEN aggregating THEN calls per ENI count reads and writes over all runs", () => {
    const report = (enis: number, reads: number, writes: number, abandoned: number) =>
      ({ nodes: 10, enisCreated: enis, ec2Calls: { reads, writes }, launches: { abandoned }, violations: [{ kind: "duplicate-ip" }, { kind: "leaked-eni" }], launchLatencyMs: { p50: 1, p95: 2 } }) as never;
    const r = aggregate({ nodes: 10, strategy: "static", allocator: "project", subnets: 1, sourceDestCheck: true }, [report(10, 20, 30, 0), report(5, 5, 20, 5)], 1);
    expect(r.callsPerEni).toBeCloseTo(75 / 15);
    expect(r.readsPerEni).toBeCloseTo(25 / 15);
    expect(r.abandoned).toBe(5);
    expect(r.launches).toBe(20);
    expect(r.collisions).toBe(2);
    expect(r.otherViolations).toEqual({ "leaked-eni": 2 });
  });
});

describe("bench flags and output", () => {
  test("GIVEN --quick alone THEN nothing tracked is written; GIVEN --write THEN it is", () => {
    expect(benchFlags(["--quick"])).toEqual({ quick: true, write: false });
    expect(benchFlags([])).toEqual({ quick: false, write: false });
    expect(benchFlags(["--quick", "--write"])).toEqual({ quick: true, write: true });
  });

  test("GIVEN a section with long notes THEN its printed notes wrap at 100 characters", () => {
    const text = sectionText({ title: "t", head: ["a"], rows: [["1"]], notes: [Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ")] });
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
    expect(text).toContain("word59");
  });

  const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));
  const burst = (over: Partial<BurstRow>): BurstRow => ({
    nodes: 100, strategy: "static", allocator: "baseline", subnets: 1, sourceDestCheck: true, runs: 5, launches: 500, abandoned: 395, collisions: 8,
    otherViolations: { "leaked-eni": 2 }, enisCreated: 105, readsPerEni: 9.52, writesPerEni: 66.5, callsPerEni: 76.02, latencyP50Ms: 3323, latencyP95Ms: 4076, wallMs: 1,
    plan: "1 x /24, maxNodes 100, podsPerNode 1, headroom 51: worker block 151, pod block 100", ...over,
  });

  test("GIVEN burst rows with the widest figures and an infeasible N WHEN printed THEN every line fits 100 characters and each N's plan is a line under the table", () => {
    const infeasible = "10.0.4.0/24 has 251 usable addresses; 200 workers and 200 pods (at least one per node) need 400: use a /23 or larger subnet for this many nodes";
    const rows = [burst({}), burst({ strategy: "reservation", plan: "1 x /24, maxNodes 100, podsPerNode 1, headroom 51: DHCP space 151, pod block 100" }), burst({ nodes: 200, infeasible }), burst({ nodes: 200, strategy: "reservation", infeasible })];
    const text = sectionText(burstSection(rows, { met: false, text: "gap" }, 5));
    expect(widest(text)).toBeLessThanOrEqual(100);
    const flat = text.replace(/\n\s+/g, " ");
    expect(flat).toContain("Plan at N = 100: static: 1 x /24, maxNodes 100, podsPerNode 1, headroom 51: worker block 151, pod block 100; reservation: 1 x /24");
    // Both strategies share the infeasible N's reason: said once.
    expect(flat).toContain(`Plan at N = 200: no plan: ${infeasible}`);
    expect(text).toMatch(/3323 ms \//);
  });

  test("GIVEN scale rows WHEN printed THEN every line fits 100 characters; one ending for all fills is a line under the table, different endings a column", () => {
    const scale = (over: Partial<ScaleRow>): ScaleRow => ({
      cidr: "10.0.0.0/16", dhcp: "random", allocations: 65531, ms: 787, allocationsPerSecond: 83276, usPerAllocation: 12, heapBytes: 41.5 * 2 ** 20, bytesPerAllocation: 633,
      endedWith: "InsufficientFreeAddressesInSubnet", lateOverEarly: 0.7, repeats: 3, ...over,
    });
    const same = sectionText(scaleSection([scale({ cidr: "10.0.0.0/24" }), scale({})], { met: true, text: "ok" }));
    expect(widest(same)).toBeLessThanOrEqual(100);
    expect(same).toContain("Every fill ended with InsufficientFreeAddressesInSubnet.");
    expect(same).not.toContain("ended with │");
    const mixed = sectionText(scaleSection([scale({ cidr: "10.0.0.0/24" }), scale({ endedWith: "none" })], { met: true, text: "ok" }));
    expect(mixed).toMatch(/│ ended with\s*│/);
    expect(mixed).toMatch(/│ none\s*│/);
    expect(mixed).not.toContain("Every fill ended");
  });
});
