import { parseConfig, planNetwork } from "../../../ipam";
import { lambdaAllocator, runScenario, whereaboutsPods } from "../../../simulator/scenario";

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
