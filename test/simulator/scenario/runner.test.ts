import fc from "fast-check";
import { parseConfig, planNetwork } from "../../../ipam";
import { timingProfile } from "../../../simulator/timing";
import { Allocator, FcScheduler, SIMULATION_EPOCH, baselineAllocator, lambdaAllocator, formatFailure, planAllocator, poolPods, reportRow, runScenario, sharedRangePods, whereaboutsPods } from "../../../simulator/scenario";

function planFor(strategy: "static" | "reservation", cidr = "10.0.4.0/24", maxSize = 60, podsPerNode = 2) {
  return planNetwork(
    parseConfig({
      nodeGroup: { maxSize, desiredSize: 1, minSize: 0 },
      multus: { strategy, podsPerNode, subnets: [{ cidr, id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
    }),
  );
}

describe("runScenario", () => {
  test("GIVEN the same seed twice THEN the same interleaving and the same report (replayable)", async () => {
    const plan = planFor("static");
    const run = () => runScenario({ plan, allocator: baselineAllocator(plan), nodes: 12, concurrency: 6, foreignEnis: 2, seed: 99 });
    const [a, b] = [await run(), await run()];
    expect(a.trace.length).toBeGreaterThan(12);
    expect(b.trace).toEqual(a.trace);
    expect(b).toEqual(a);
  });

  test("GIVEN different seeds THEN the interleavings differ", async () => {
    const plan = planFor("static");
    const run = (seed: number) => runScenario({ plan, allocator: planAllocator(plan), nodes: 6, seed });
    expect((await run(1)).trace).not.toEqual((await run(2)).trace);
  });

  test.each(["static", "reservation"] as const)(
    "GIVEN the plan-following allocator, %s, 30 concurrent launches, foreign ENIs, pods, terminations, replays and faults THEN every invariant holds",
    async (strategy) => {
      const plan = planFor(strategy);
      const r = await runScenario({
        plan,
        allocator: planAllocator(plan),
        nodes: 30,
        concurrency: 30,
        foreignEnis: 5,
        seed: 4,
        pods: poolPods(2),
        terminations: 4,
        replay: true,
        faults: { throttle: 0.1, consistencyLag: 3, duplicateRate: 0.2 },
      });
      expect(r.violations).toEqual([]);
      expect(r.launches).toEqual({ continued: 30, abandoned: 0, timedOut: 0 });
      expect(r.terminations).toEqual({ requested: 4, completed: 4, timedOut: 0 });
      expect(r.pods).toBe(26 * 2);
      expect(r.ec2Calls.throttled).toBeGreaterThan(0);
      expect(r.enisCreated).toBeGreaterThanOrEqual(30);
      expect(r.callsPerEni.writes).toBeGreaterThan(0);
      expect(r.launchLatencyMs.max).toBeGreaterThanOrEqual(r.launchLatencyMs.p50);
    },
  );

  test("GIVEN launches one at a time or several at once THEN the report counts the launches whose handlers ran at the same moment", async () => {
    const plan = planFor("static");
    const alone = await runScenario({ plan, allocator: planAllocator(plan), nodes: 6, concurrency: 1, seed: 3 });
    expect(alone.maxLaunchesInFlight).toBe(1);
    const together = await runScenario({ plan, allocator: planAllocator(plan), nodes: 6, concurrency: 6, seed: 3 });
    expect(together.maxLaunchesInFlight).toBeGreaterThanOrEqual(2);
    expect(together.maxLaunchesInFlight).toBeLessThanOrEqual(6);
    // Two deliveries of one launch are one launch in flight; the end-of-run replays are not launches.
    const twice = await runScenario({ plan, allocator: planAllocator(plan), nodes: 3, concurrency: 1, seed: 3, replay: true, faults: { duplicateRate: 1 } });
    expect(twice.maxLaunchesInFlight).toBe(1);
    expect(twice.deliveries).toEqual({ lost: [], duplicated: 3 });
  });

  test("GIVEN lost launch events whose hooks are still open when the replay starts and time out while it runs WHEN the launches are replayed THEN the replay check sees only what the replay changed", async () => {
    // Deliveries take 250 s, one launch at a time: a lost event's 300 s hook ends after the
    // launches, while the replayed events are on their way (soak seed 1796198403's shape).
    const config = parseConfig({ nodeGroup: { maxSize: 6, minSize: 0, desiredSize: 0 }, multus: { podsPerNode: 2 } });
    const plan = planNetwork(config);
    const timing = timingProfile("instant", { eventDeliveryMs: { min: 250_000, max: 250_000 } });
    for (const seed of [6, 7, 8]) {
      const r = await runScenario({ plan, allocator: lambdaAllocator(plan, config), nodes: 6, concurrency: 1, seed, faults: { dropRate: 0.3 }, replay: true, timing });
      expect(r.deliveries.lost.length).toBeGreaterThan(0);
      // Each lost event's action timed out into ABANDON; the replay changed nothing.
      expect(r.violations.map((v) => v.kind)).toEqual(r.deliveries.lost.map(() => "incomplete-action"));
    }
  });

  test("GIVEN every event lost THEN the report names each lost event and its action times out", async () => {
    const plan = planFor("static");
    const r = await runScenario({ plan, allocator: planAllocator(plan), nodes: 3, seed: 3, faults: { dropRate: 1 } });
    expect(r.deliveries.duplicated).toBe(0);
    expect(r.deliveries.lost).toHaveLength(3);
    expect(r.deliveries.lost.every((l) => l.transition === "autoscaling:EC2_INSTANCE_LAUNCHING")).toBe(true);
    expect(r.maxLaunchesInFlight).toBe(0);
    expect(r.launches).toEqual({ continued: 0, abandoned: 3, timedOut: 3 });
  });

  test("GIVEN the baseline with 50 concurrent launches into a /24 (static) THEN launches are ABANDONed as they race for the same 15 addresses", async () => {
    const plan = planFor("static");
    const r = await runScenario({ plan, allocator: baselineAllocator(plan), nodes: 50, concurrency: 50, seed: 1, reservations: "none" });
    expect(r.launches.abandoned).toBeGreaterThan(0);
    // One read, then up to 15 creates per launch: far more creates than ENIs.
    expect(r.ec2Calls.byOperation.CreateNetworkInterface!).toBeGreaterThan(r.enisCreated);
  });

  test("GIVEN the baseline one launch at a time THEN no ABANDON (the failure needs concurrency)", async () => {
    const plan = planFor("static");
    const r = await runScenario({ plan, allocator: baselineAllocator(plan), nodes: 10, concurrency: 1, seed: 1, reservations: "none" });
    expect(r.launches).toEqual({ continued: 10, abandoned: 0, timedOut: 0 });
    expect(r.violations).toEqual([]);
  });

  test("GIVEN pods from one shared host-local range on every node THEN the runner reports pod-pod duplicates, in the row and the failure text", async () => {
    const plan = planFor("static");
    const r = await runScenario({ plan, allocator: planAllocator(plan), nodes: 3, seed: 2, pods: sharedRangePods(3) });
    expect(r.violations.filter((v) => v.kind === "duplicate-ip")).toHaveLength(3);
    expect(reportRow(r)).toMatchObject({ seed: 2, nodes: 3, continued: 3, violations: 3, violationKinds: "duplicate-ip:3" });
    const text = formatFailure(r, 5);
    expect(text).toMatch(/^scenario seed 2: 3 nodes/);
    expect(text).toMatch(/duplicate-ip: .* held 3 times \(pod-pod-pod\)/);
    expect(text.split("\n").filter((l) => /^  t=\d+ /.test(l))).toHaveLength(5);
  });

  test("GIVEN pods from the whereabouts model over the generated NAD range THEN every node's pods get distinct addresses in the pod block", async () => {
    const plan = planFor("static", "10.0.4.0/24", 20, 3);
    const seen: string[] = [];
    const r = await runScenario({
      plan,
      allocator: planAllocator(plan),
      nodes: 8,
      seed: 6,
      pods: async (nodes, ctx) => {
        const pods = await whereaboutsPods(3)(nodes, ctx);
        seen.push(...pods.map((p) => p.ip));
        return pods;
      },
    });
    expect(r.pods).toBe(24);
    expect(new Set(seen).size).toBe(24);
    expect(r.violations).toEqual([]);
  });

  test("GIVEN invocations that run past the function's timeout THEN each is cut off and Lambda retries the event 1 and then 2 minutes later; the retry that finishes completes the action", async () => {
    const plan = planFor("static");
    const inner = planAllocator(plan);
    const starts: number[] = [];
    const flaky: Allocator = async (event, ctx) => {
      starts.push(ctx.now() - SIMULATION_EPOCH);
      if (starts.length < 3) {
        await ctx.sleep(45_000); // past the 30 s timeout
        await ctx.sleep(1); // a frozen invocation goes no further
        throw new Error("unreachable: the invocation was cut off");
      }
      return inner(event, ctx);
    };
    const r = await runScenario({ plan, allocator: flaky, nodes: 1, seed: 3, lambdaTimeoutSeconds: 30, heartbeatTimeoutSeconds: 600 });
    expect(r.invocationTimeouts).toBe(2);
    expect(r.invocations).toBe(3);
    // Delivered at 0 to 50 ms; cut off at +30 s; retried 60 s later; cut off; retried 120 s later.
    expect(starts[1]! - starts[0]!).toBe(90_000);
    expect(starts[2]! - starts[1]!).toBe(150_000);
    expect(r.launches).toEqual({ continued: 1, abandoned: 0, timedOut: 0 });
    expect(r.lastActionMs).toBeGreaterThan(240_000);
  });

  test("GIVEN an invocation cut off by the function's timeout WHEN a retry would come after the event's maximum age (the hook's timeout) THEN there is none and the hook times out", async () => {
    const plan = planFor("static");
    let invocations = 0;
    const stuck: Allocator = async (_event, ctx) => {
      invocations++;
      await ctx.sleep(120_000);
    };
    const r = await runScenario({ plan, allocator: stuck, nodes: 1, seed: 3, lambdaTimeoutSeconds: 60, heartbeatTimeoutSeconds: 90 });
    expect(invocations).toBe(1);
    expect(r.launches).toEqual({ continued: 0, abandoned: 1, timedOut: 1 });
  });

  test("GIVEN the aws profile with every event delivered twice by Lambda's queue THEN each launch is handled twice, counted as duplicated, and the Lambda's launches still all continue", async () => {
    const config = parseConfig({ nodeGroup: { maxSize: 10, desiredSize: 1, minSize: 0 }, multus: { podsPerNode: 2, subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] } });
    const plan = planNetwork(config);
    const timing = timingProfile("aws", { duplicateDelivery: { probability: 1, delayMs: { min: 0, max: 10_000 } } });
    const r = await runScenario({ plan, allocator: lambdaAllocator(plan, config), nodes: 4, concurrency: 4, seed: 5, timing });
    expect(r.violations).toEqual([]);
    expect(r.timing).toBe("aws");
    expect(r.deliveries.duplicated).toBe(4);
    expect(r.invocations).toBe(8);
    expect(r.launches.continued).toBe(4);
  });

  test("GIVEN an allocator slower than the heartbeat timeout THEN the launch times out (ABANDON by timeout) and counts as incomplete", async () => {
    const plan = planFor("static");
    const slow: Allocator = async (_event, ctx) => {
      await ctx.sleep(400_000);
    };
    const r = await runScenario({ plan, allocator: slow, nodes: 2, seed: 3, heartbeatTimeoutSeconds: 60 });
    expect(r.launches).toEqual({ continued: 0, abandoned: 2, timedOut: 2 });
    expect(r.incompleteActions).toBe(2);
    expect(r.violations.map((v) => v.kind)).toEqual(["incomplete-action", "incomplete-action"]);
  });

  test("GIVEN an allocator that throws THEN the invocation is retried twice, as Lambda does", async () => {
    const plan = planFor("static");
    const failing: Allocator = async () => {
      throw new Error("boom");
    };
    const r = await runScenario({ plan, allocator: failing, nodes: 1, seed: 3 });
    expect(r.invocations).toBe(3);
    expect(r.invocationErrors).toBe(3);
  });

  test("GIVEN fast-check's scheduler driving the interleaving THEN the scenario runs to the end under it", async () => {
    const plan = planFor("reservation");
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const r = await runScenario({ plan, allocator: planAllocator(plan), nodes: 4, concurrency: 4, seed: 5, scheduler: new FcScheduler(s), foreignEnis: 1 });
        expect(r.violations).toEqual([]);
        expect(r.launches.continued).toBe(4);
      }),
      { numRuns: 5 },
    );
  });
});
