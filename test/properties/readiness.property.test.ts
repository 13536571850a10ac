import fc from "fast-check";
import { bootPlan, runReadiness } from "../../simulator/node-boot";
import { AWS_TIMING, timingProfile } from "../../simulator/timing";
import { readinessArb, readinessProblem } from "../../simulator/scenario/drawn";
import { report } from "../report";

/**
 * "No multus pod starts on a node before its ENIs are ready" (DESIGN.md, property 4), with the
 * real agent lifting the startup taint: boots drawn over the aws ranges (simulator/node-boot.ts;
 * every duration assumed, so swept), ENIs attached before the kernel boots or minutes after the
 * kubelet registers, pods created before, during and after, with the EC2 model under either
 * timing profile (`aws`: a pending instance refuses the attach for a while, the attachment is
 * `attaching` for seconds, the agent's reads lag). For each run:
 *   1. with the startup taint, every multus pod's CNI ADD finds every multus ENI of its node
 *      named and up and Multus configured;
 *   2. every node's taint is lifted, and every pod starts, once the node is ready (liveness:
 *      within a round of the later of readiness and the agent's start, plus under `aws` the
 *      longest read lag);
 *   3. without the taint (the baseline), the same boots start pods early in some runs.
 */

describe("startup taint: no multus pod before its node's network is ready", () => {
  it("GIVEN boots over the aws ranges and pods at any time WHEN the agent lifts the taint THEN no pod starts early, every taint is lifted and every pod starts; without the taint some start early", async () => {
    const seen = { runs: 0, aws: 0, pods: 0, baselineEarly: 0, runsWithBaselineEarly: 0 };
    await fc.assert(
      fc.asyncProperty(readinessArb, async (run) => {
        const { boots, podsAt, seed, ec2 } = run;
        // With the taint (drawn.ts readinessProblem): no pod early; every taint lifted after
        // readiness and within the agent's poll of it (or its start); every pod started.
        const problem = await readinessProblem(run);
        if (problem) throw new Error(problem);
        const plans = boots.map(bootPlan);
        const ec2Timing = timingProfile(ec2);
        const baseline = await runReadiness({ boots: plans, podsAt, startupTaint: false, seed, ec2Timing });
        seen.runs++;
        if (ec2 === "aws") seen.aws++;
        seen.pods += podsAt.length;
        seen.baselineEarly += baseline.early.length;
        if (baseline.early.length) seen.runsWithBaselineEarly++;
      }),
      // The breadth (thousands of boots under aws timing) is the soak's: npm run soak, in .ci/run.
      { numRuns: 20 },
    );
    report(`readiness property: ${seen.runs} runs (${seen.aws} under aws timing), ${seen.pods} pods; with the taint none started early; without it ${seen.baselineEarly} pods in ${seen.runsWithBaselineEarly} runs did`);
    expect(seen.runsWithBaselineEarly).toBeGreaterThan(0);
    expect(seen.aws).toBeGreaterThan(0);
  });

  it("GIVEN a node whose second ENI attaches two minutes after the kubelet registered (a Lambda retry) WHEN a pod comes once Multus runs THEN without the taint it starts without that ENI; with it, only after multus2 is up", async () => {
    const boot = bootPlan({ attachCall: [2000, 150_000], attach: [1000, 1000], hotplug: [500, 500], name: [1000, 1000], userData: 20_000, register: 10_000, multus: 5000, agent: 3000 });
    expect(boot.registerAt).toBe(30_000);
    expect(boot.namedAt[1]).toBe(152_500);
    const without = await runReadiness({ boots: [boot], podsAt: [40_000], startupTaint: false, seed: 7 });
    expect(without.early).toHaveLength(1);
    expect(without.early[0]!.missing).toEqual(["device 2 (multus2) not named and up"]);
    const withTaint = await runReadiness({ boots: [boot], podsAt: [40_000], startupTaint: true, seed: 7 });
    expect(withTaint.early).toEqual([]);
    expect(withTaint.liftedAt[0]).toBeGreaterThanOrEqual(152_500);
    expect(withTaint.startedAt[0]).toBeGreaterThan(withTaint.liftedAt[0]!);
  });

  it("GIVEN the aws timing profile WHEN the Lambda attaches while the instance is pending THEN EC2 has the ENI attached only after the refusals and the attach time, and the taint waits for it", async () => {
    // Reads without lag, so the taint follows EC2's own state (the property sweeps the lag).
    const ec2Timing = timingProfile("aws", { pendingMs: { min: 30_000, max: 30_000 }, attachRefusedShare: { min: 0.5, max: 0.5 }, readLag: { probability: 0, typicalMs: { min: 0, max: 0 }, tailProbability: 0, tailMs: { min: 0, max: 0 } } });
    const boot = bootPlan({ attachCall: [2000], attach: [1000], hotplug: [500], name: [1000], userData: 10_000, register: 2000, multus: 1000, agent: 1000 });
    const instant = await runReadiness({ boots: [boot], podsAt: [0], startupTaint: true, seed: 3 });
    expect(instant.attachedAt[0]![0]).toBe(3000);
    expect(instant.readyAt[0]).toBe(13_000);
    const aws = await runReadiness({ boots: [boot], podsAt: [0], startupTaint: true, seed: 3, ec2Timing });
    // Refused until 15 s (half of the 30 s pending), then attaching for 0.5-3 s.
    const attached = aws.attachedAt[0]![0]!;
    expect(attached).toBeGreaterThanOrEqual(15_000 + AWS_TIMING.attachMs.value.min);
    expect(attached).toBeLessThanOrEqual(16_000 + AWS_TIMING.attachMs.value.max + 100);
    expect(aws.early).toEqual([]);
    expect(aws.readyAt[0]).toBe(attached + 500 + 1000);
    expect(aws.liftedAt[0]).toBeGreaterThanOrEqual(aws.readyAt[0]!);
    expect(aws.startedAt[0]).toBeGreaterThan(aws.liftedAt[0]!);
  });
});
