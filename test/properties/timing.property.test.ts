/**
 * The properties that need time (DESIGN.md, "The properties" 3; issue "simulated time"): the
 * real lifecycle Lambda against models as slow and as lazy as AWS documents (`aws` timing
 * profile), with the numbers AWS does not document swept. Each test states one property; the
 * invariants (simulator/invariants.ts) hold in every run besides.
 */
import fc from "fast-check";
import { MultusConfig, parseConfig, planNetwork } from "../../ipam";
import type { LambdaEnvironmentExtra } from "../../ipam/lambda-env";
import { HOOK_MARGIN_MS } from "../../lambda/launch";
import { ScenarioOptions, ScenarioReport, formatFailure, lambdaAllocator, runScenario, whereaboutsPods } from "../../simulator/scenario";
import { ReadLag, TimingValues, timingProfile } from "../../simulator/timing";

type Strategy = "static" | "reservation";

function configOf(strategy: Strategy, maxSize: number, workerHeadroom?: number): MultusConfig {
  return parseConfig({
    nodeGroup: { maxSize, desiredSize: 1, minSize: 0 },
    multus: { strategy, podsPerNode: 1, ...(workerHeadroom !== undefined ? { workerHeadroom } : {}), subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
  });
}

/** Reads that lag by seconds, and in the tail by up to a minute, on every read or half of them. */
const laggingReads = fc.record({
  probability: fc.constantFrom(0.5, 1),
  typicalMs: fc.constantFrom(3000, 8000).map((max) => ({ min: 500, max })),
  tailProbability: fc.constantFrom(0.05, 0.3),
  tailMs: fc.constantFrom(20_000, 60_000).map((max) => ({ min: 5000, max })),
});

/** The other undocumented rows of the profile, swept. */
const undocumented = fc.record({
  attachRefusedShare: fc.constantFrom(0, 0.5, 1).map((x) => ({ min: x, max: x })),
  pendingMs: fc.constantFrom(10_000, 40_000).map((max) => ({ min: 5000, max })),
  attachMs: fc.constantFrom(1000, 3000).map((max) => ({ min: 500, max })),
  detachMs: fc.constantFrom(10_000, 30_000).map((max) => ({ min: 1000, max })),
  shutdownMs: fc.constantFrom(1000, 5000, 60_000).map((x) => ({ min: x, max: x })),
  duplicateDelivery: fc.record({ probability: fc.constantFrom(0.02, 0.3), delayMs: fc.constantFrom(5000, 60_000).map((max) => ({ min: 0, max })) }),
});

function expectNoViolation(report: ScenarioReport): void {
  if (report.violations.length) throw new Error(formatFailure(report));
}

const seen = { scenarios: 0, launches: 0, abandoned: 0, minMarginMs: Infinity };

/**
 * One run of the real Lambda, as deployed for `config`, under the aws profile with the swept
 * rows, every launch in flight at once and every action due HOOK_MARGIN_MS before its hook's
 * timeout.
 */
async function awsRun(
  config: MultusConfig,
  swept: { readLag: ReadLag; rows: Partial<TimingValues> },
  opts: Pick<ScenarioOptions, "nodes" | "seed"> & Partial<ScenarioOptions>,
  extra: LambdaEnvironmentExtra = {},
): Promise<{ report: ScenarioReport; plan: ReturnType<typeof planNetwork> }> {
  const plan = planNetwork(config);
  const report = await runScenario({
    plan,
    concurrency: opts.nodes,
    timing: timingProfile("aws", { ...swept.rows, readLag: swept.readLag }),
    actionMarginMs: HOOK_MARGIN_MS,
    allocator: lambdaAllocator(plan, config, extra),
    ...opts,
  });
  seen.scenarios++;
  seen.launches += opts.nodes;
  seen.abandoned += report.launches.abandoned;
  if (report.minActionMarginMs !== null) seen.minMarginMs = Math.min(seen.minMarginMs, report.minActionMarginMs);
  return { report, plan };
}

describe("under the aws timing profile", () => {
  afterAll(() =>
    process.stdout.write(
      `timing property: ${seen.scenarios} scenarios, ${seen.launches} launches under swept aws timing; ${seen.abandoned} ABANDONed; smallest margin to a hook's timeout ${(seen.minMarginMs / 1000).toFixed(1)} s\n`,
    ),
  );

  test("GIVEN reads lagging by seconds to a minute, instances pending and refusing attaches, throttling buckets and duplicate deliveries THEN no healthy instance is ABANDONed, and a lagging InvalidInstanceID.NotFound never makes the Lambda detach an ENI of a live node", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Strategy>("static", "reservation"),
        fc.integer({ min: 5, max: 40 }),
        laggingReads,
        undocumented,
        fc.constantFrom(0, 0.3),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (strategy, nodes, readLag, rows, duplicateRate, seed) => {
          const { report } = await awsRun(configOf(strategy, 40), { readLag, rows }, { nodes, foreignEnis: 3, seed, faults: { duplicateRate }, replay: true });
          // touched-live-eni, node-missing-eni and late-action are among the violations checked.
          expectNoViolation(report);
          if (report.launches.abandoned > 0) throw new Error(`${report.launches.abandoned} healthy launch(es) ABANDONed: ${report.abandonReasons.join(" | ")}\n${formatFailure(report)}`);
          expect(report.launches.continued).toBe(nodes);
        },
      ),
      { numRuns: 5 },
    );
  });

  test("GIVEN more launches than the worker block holds, terminations, detaches slower than shutdowns and duplicate deliveries THEN every ABANDONed or terminated instance's ENIs go with it: none outlives its termination, and no worker address is held but by a live node", async () => {
    let abandoned = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 14, max: 24 }), fc.integer({ min: 1, max: 4 }), laggingReads, undocumented, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (nodes, terminations, readLag, rows, seed) => {
        // maxSize 10 + headroom 2: a 12-address worker block.
        const { report, plan } = await awsRun(configOf("static", 10, 2), { readLag, rows }, { nodes, seed, terminations, pods: whereaboutsPods(1) });
        // eni-outlived-instance (an attached ENI not deleted with its instance) and leaked-eni
        // (one left attached to nothing) are among the violations checked.
        expectNoViolation(report);
        // Twelve fit; a duplicate delivery's spare ENI may hold an address while a launch looks.
        expect(report.launches.continued).toBeLessThanOrEqual(12);
        expect(report.launches.continued).toBeGreaterThanOrEqual(12 - report.deliveries.duplicated);
        abandoned += report.launches.abandoned;
        const block = plan.subnets[0]!.workers;
        expect(report.workerAddressesHeld).toBe(report.launches.continued - report.terminations.completed);
        expect(block.last - block.first + 1).toBe(12);
      }),
      { numRuns: 6 },
    );
    expect(abandoned).toBeGreaterThan(0);
  });

  test.each([
    { hook: 300, lambda: 270 },
    { hook: 300, lambda: 120 },
    { hook: 180, lambda: 150 },
  ])("GIVEN a launch hook of $hook s and a function timeout of $lambda s THEN every lifecycle action completes at least HOOK_MARGIN_MS (60 s) before its hook's timeout", async ({ hook, lambda }) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Strategy>("static", "reservation"), fc.integer({ min: 10, max: 40 }), laggingReads, undocumented, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (strategy, nodes, readLag, rows, seed) => {
        const { report } = await awsRun(
          configOf(strategy, 40),
          { readLag, rows },
          { nodes, foreignEnis: 2, seed, terminations: 2, heartbeatTimeoutSeconds: hook, lambdaTimeoutSeconds: lambda },
          { launchHookTimeout: hook },
        );
        expectNoViolation(report);
        expect(report.invocationTimeouts).toBe(0);
        expect(report.minActionMarginMs).toBeGreaterThanOrEqual(HOOK_MARGIN_MS);
      }),
      { numRuns: 3 },
    );
  });
});
