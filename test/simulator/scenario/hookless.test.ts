import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../../ipam";
import { runScenario } from "../../../simulator/scenario/runner";
import { clusterAllocator, scenarioGroups } from "../../../simulator/scenario/cluster";
import { whereaboutsPods } from "../../../simulator/scenario/pod-sources";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

/**
 * The mixed example under the aws timing profile: the autoscaling group through its hooks, the
 * Karpenter and managed groups' instances without one (launches, then terminations standing in
 * for consolidation, Spot interruptions and a rolling update's old nodes), their state changes
 * delivered late, twice now and then.
 */
describe("hookless node groups (Karpenter, EKS managed) in the simulator", () => {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);
  const groups = scenarioGroups(config, plan, (g) => g.maxSize);
  const nodes = groups.reduce((n, g) => n + g.nodes, 0);

  test.each([1, 2, 3])("GIVEN seed %i, duplicate deliveries, pods and terminations THEN no collision, every node has its ENI, and no ENI outlives its instance", async (seed) => {
    const report = await runScenario({
      plan,
      allocator: clusterAllocator(plan, config),
      nodes,
      groups,
      faults: { duplicateRate: 0.2, throttle: 0.05 },
      pods: whereaboutsPods(() => 4),
      terminations: 5,
      timing: "aws",
      seed,
    });
    expect(report.violations).toEqual([]);
    // Only the autoscaling group's 4 launches are lifecycle actions; the other 9 need none.
    expect(report.launches.continued + report.launches.abandoned).toBe(4);
    expect(report.incompleteActions).toBe(0);
  });
});
