import fc from "fast-check";
import { parseConfig } from "../../ipam/config";
import { planNetwork } from "../../ipam/plan";
import { ScenarioReport, baselineAllocator, lambdaAllocator, runScenario } from "../../simulator/scenario";
import { report } from "../report";

/**
 * This project's lifecycle Lambda (its real handler, configured from the environment the AWS
 * stack writes) against the simulated EC2 and Auto Scaling, under concurrent launches whose
 * SDK calls interleave by a seeded discrete-event scheduler, next to the reference system's
 * allocator in the same scenario.
 */

/** One /24 multus subnet planned for 100 nodes: a 120-address worker block, a 127-address pod block. */
function oneSlash24(strategy: "static" | "reservation", maxSize = 100) {
  const config = parseConfig({
    nodeGroup: { maxSize, minSize: 0, desiredSize: 0 },
    multus: {
      strategy,
      podsPerNode: 1,
      workerHeadroom: Math.ceil(maxSize / 5),
      subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }],
    },
  });
  return { config, plan: planNetwork(config) };
}

const perEni = (r: ScenarioReport) => r.callsPerEni.reads + r.callsPerEni.writes;

describe("lifecycle Lambda under concurrent launches", () => {
  it("GIVEN 100 concurrent launches into one /24 with the static strategy WHEN the project's handler serves them THEN no address collides, nothing is abandoned and every action completes; the reference allocator in the same scenario abandons or collides", async () => {
    const { config, plan } = oneSlash24("static");
    const scenario = { plan, nodes: 100, concurrency: 100, seed: 2026 };

    // Source/dest check off, as the reference does, so both pay the same four writes per ENI.
    const project = await runScenario({ ...scenario, allocator: lambdaAllocator(plan, config, { sourceDestCheck: false }) });
    const baseline = await runScenario({ ...scenario, allocator: baselineAllocator(plan) });

    const line = (name: string, r: ScenarioReport) =>
      `${name}: continued ${r.launches.continued}, abandoned ${r.launches.abandoned}, timed out ${r.incompleteActions}, violations ${r.violations.length}, ` +
      `ENIs ${r.enisCreated}, EC2 calls per ENI ${perEni(r).toFixed(2)} (reads ${r.callsPerEni.reads}, writes ${r.callsPerEni.writes}), p95 launch ${r.launchLatencyMs.p95} ms`;
    report(`lambda launch property: N=100 into ${plan.subnets[0]!.subnet.cidr}, static`);
    report(line("  project ", project));
    report(line("  baseline", baseline));

    expect(project.violations).toEqual([]);
    expect(project.launches).toEqual({ continued: 100, abandoned: 0, timedOut: 0 });
    expect(project.incompleteActions).toBe(0);
    expect(project.enisCreated).toBe(100);
    // Floor per ENI: create, attach, DeleteOnTermination, source/dest check; plus the launch's
    // two reads (the group, the subnet) and whatever retries the race costs.
    expect(perEni(project)).toBeLessThan(6.5);

    expect(baseline.launches.abandoned + baseline.violations.length).toBeGreaterThan(0);
  });

  it("GIVEN random seeds, concurrency, strategy, timing profile, duplicate deliveries, stale reads, throttling, foreign DHCP ENIs and terminations WHEN the handler serves the launches THEN no address collides, no launch is abandoned, every action completes and replays change nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
          nodes: fc.integer({ min: 5, max: 30 }),
          concurrency: fc.integer({ min: 2, max: 30 }),
          strategy: fc.constantFrom("static" as const, "reservation" as const),
          duplicateRate: fc.constantFrom(0, 0.3),
          consistencyLag: fc.constantFrom(0, 3),
          foreignEnis: fc.integer({ min: 0, max: 10 }),
          throttle: fc.constantFrom(0, 0.1),
          terminations: fc.integer({ min: 0, max: 3 }),
          timing: fc.constantFrom("instant" as const, "aws" as const),
        }),
        async (p) => {
          const { config, plan } = oneSlash24(p.strategy, 40);
          const report = await runScenario({
            plan,
            nodes: p.nodes,
            concurrency: p.concurrency,
            seed: p.seed,
            foreignEnis: p.foreignEnis,
            terminations: p.terminations,
            faults: { duplicateRate: p.duplicateRate, consistencyLag: p.consistencyLag, throttle: p.throttle },
            replay: true,
            timing: p.timing,
            allocator: lambdaAllocator(plan, config),
          });
          expect(report.violations).toEqual([]);
          expect(report.launches).toEqual({ continued: p.nodes, abandoned: 0, timedOut: 0 });
          expect(report.incompleteActions).toBe(0);
        },
      ),
      { numRuns: 5 },
    );
  });

  it("GIVEN more launches than the worker block holds WHEN the handler serves them THEN the ones that do not fit are ABANDONed with no ENI left, the rest collide with nothing, and every action completes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 13, max: 24 }), fc.integer({ min: 2, max: 24 }), fc.constantFrom("instant" as const, "aws" as const), async (seed, nodes, concurrency, timing) => {
        // maxSize 10 + headroom 2: a 12-address worker block.
        const config = parseConfig({
          nodeGroup: { maxSize: 10, minSize: 0, desiredSize: 0 },
          multus: { strategy: "static", podsPerNode: 4, workerHeadroom: 2, subnets: [{ cidr: "10.0.4.0/26", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
        });
        const plan = planNetwork(config);
        const report = await runScenario({ plan, nodes, concurrency, seed, timing, allocator: lambdaAllocator(plan, config) });
        // leaked-eni (an ENI attached to nothing) is among the violations checked.
        expect(report.violations).toEqual([]);
        expect(report.launches.continued).toBe(12);
        expect(report.launches.abandoned).toBe(nodes - 12);
        expect(report.incompleteActions).toBe(0);
      }),
      { numRuns: 4 },
    );
  });
});
