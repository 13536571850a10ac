import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../../ipam";
import { clusterAllocator, scenarioGroups } from "../../../simulator/scenario/cluster";
import { lambdaAllocator, runScenario, whereaboutsPods } from "../../../simulator/scenario";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

/**
 * Lifecycle events are delivered on a best-effort basis (EC2 Auto Scaling user guide, event
 * reference): one can be lost. The launch hook's default result is ABANDON, so a lost launch
 * event costs one replacement instance, never a node without its ENIs or a stray address.
 */
describe("lost lifecycle events", () => {
  test.each(["static", "reservation"] as const)(
    "GIVEN half the events lost (%s) WHEN the launches run THEN the lost ones time out into the ABANDON default and no address is shared, stray or leaked",
    async (strategy) => {
      const config = parseConfig({ nodeGroup: { maxSize: 12, minSize: 0, desiredSize: 0 }, multus: { strategy, podsPerNode: 2 } });
      const plan = planNetwork(config);
      const report = await runScenario({
        plan,
        allocator: lambdaAllocator(plan, config),
        nodes: 12,
        concurrency: 12,
        seed: 5,
        foreignEnis: 2,
        pods: whereaboutsPods(2),
        faults: { dropRate: 0.5 },
      });
      // Some events were lost, and every one of them timed out into the default result.
      expect(report.launches.timedOut).toBeGreaterThan(0);
      // Every launch ended CONTINUE or ABANDON, and every ABANDON is a lost event's timeout, none the Lambda's.
      expect(report.launches.continued + report.launches.abandoned).toBe(12);
      expect(report.launches.abandoned).toBe(report.launches.timedOut);
      const kinds = new Set(report.violations.map((v) => v.kind));
      // The timeouts are reported as such; nothing else is wrong: no shared, stray or leaked address.
      expect([...kinds].filter((k) => k !== "incomplete-action")).toEqual([]);
      expect(report.violations.filter((v) => v.kind === "incomplete-action")).toHaveLength(report.launches.timedOut);
    },
  );
});

/**
 * EC2's state changes reach EventBridge on a best-effort basis too (Amazon EC2 user guide,
 * "EC2 instance state change events"): a Karpenter or managed node whose `pending` event is
 * lost has no hook to time out. The function's scheduled reconcile pass gives it its ENIs.
 */
describe("lost pending state changes of hookless groups", () => {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);
  // The hookless groups only.
  const groups = scenarioGroups(config, plan, (g) => g.maxSize).filter((g) => g.instanceTag);
  const run = (reconcileEveryMs?: null) =>
    runScenario({
      plan,
      allocator: clusterAllocator(plan, config),
      nodes: groups.reduce((n, g) => n + g.nodes, 0),
      groups,
      faults: { dropRate: 0.5 },
      pods: whereaboutsPods(() => 2),
      timing: "aws",
      seed: 11,
      ...(reconcileEveryMs === null ? { reconcileEveryMs } : {}),
    });

  test("GIVEN half the pending events lost WHEN the reconcile schedule runs THEN every node ends with its ENIs, pods only on nodes with ENIs, nothing shared or leaked", async () => {
    const report = await run();
    expect(report.deliveries.lost.length).toBeGreaterThan(0);
    expect(report.reconcilePasses).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
    // Every node got pods: each had its ENIs when the pods came.
    expect(report.pods).toBe(2 * report.nodes);
  });

  test("GIVEN the same run without the reconcile schedule THEN the nodes whose pending event was lost stay without ENIs", async () => {
    const report = await run(null);
    expect(report.reconcilePasses).toBe(0);
    const missing = report.violations.filter((v) => v.kind === "node-missing-eni");
    expect(missing).toHaveLength(report.deliveries.lost.length);
    expect(report.violations.filter((v) => v.kind !== "node-missing-eni")).toEqual([]);
  });
});
