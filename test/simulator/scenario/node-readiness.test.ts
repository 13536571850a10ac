import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../../ipam";
import { groupNames } from "../../../ipam/lambda-env";
import { clusterAllocator, scenarioGroups } from "../../../simulator/scenario/cluster";
import { ScenarioOptions, runScenario } from "../../../simulator/scenario";
import { QUICK_BOOT_TIMING } from "../../../simulator/node-boot";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

/**
 * Nodes boot and multus pods arrive while the launches and the churn run (ScenarioOptions
 * readiness): the real agent lifts each node's startup taint, and every pod's CNI ADD is
 * checked against its node's host. The mixed example's three groups, under the aws profile.
 */
describe("scenario readiness: no multus pod before its node's ENIs are ready, during the launches", () => {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);
  const names = groupNames(config);
  const groups = scenarioGroups(config, plan, (g) => g.maxSize);
  const nodes = groups.reduce((n, g) => n + g.nodes, 0);
  const run = (over: Partial<ScenarioOptions>) =>
    runScenario({
      plan,
      allocator: clusterAllocator(plan, config),
      nodes,
      groups,
      timing: "aws",
      seed: 11,
      // Nodes up as early as the boot ranges allow: their ENIs are what they wait for.
      readiness: { pods: 30, boot: QUICK_BOOT_TIMING },
      ...over,
    });

  test("GIVEN churn and lost, late and duplicate state changes WHEN the agents lift the taint THEN every pod starts, none early, and every running node is lifted", async () => {
    const report = await run({ faults: { dropRate: 0.3, duplicateRate: 0.2 }, churn: { terminations: 3, replacements: 2, replaceGroup: names[config.nodeGroups.findIndex((g) => g.kind === "managed")]!.autoScalingGroupName } });
    // A lost launch event of the Auto Scaling group times out into ABANDON, as it should; nothing else is wrong.
    expect(report.violations.filter((v) => v.kind !== "incomplete-action")).toEqual([]);
    expect(report.violations.filter((v) => v.kind === "incomplete-action")).toHaveLength(report.launches.timedOut);
    expect(report.deliveries.lost.length).toBeGreaterThan(0);
    expect(report.churned.terminated).toBeGreaterThan(0);
    const r = report.readiness!;
    // Every launch booted a node (the rolling update's new nodes too), and every pod ran.
    expect(r.nodes).toBe(nodes + report.churned.launched);
    expect(r.started + r.lostWithNode).toBe(30);
    expect(r.early).toBe(0);
    expect(r.unbound).toBe(0);
    expect(r.agentEc2Calls).toBeGreaterThanOrEqual(r.agentRounds);
  });

  test("GIVEN the same boots without the startup taint (the baseline) THEN pods start on nodes whose ENIs are not there yet", async () => {
    const report = await run({ readiness: { pods: 30, boot: QUICK_BOOT_TIMING, startupTaint: false } });
    const early = report.violations.filter((v) => v.kind === "pod-before-network");
    expect(early.length).toBeGreaterThan(0);
    expect(early[0]!.detail).toMatch(/not named and up|no Multus configuration|multus-eni has not run/);
    expect(report.violations.filter((v) => v.kind !== "pod-before-network")).toEqual([]);
  });

  test("GIVEN hookless nodes whose pending event was lost and no reconcile schedule THEN they keep the taint and no pod runs on them", async () => {
    const hookless = groups.filter((g) => g.instanceTag);
    const report = await run({ groups: hookless, nodes: hookless.reduce((n, g) => n + g.nodes, 0), faults: { dropRate: 0.5 }, reconcileEveryMs: null });
    const lost = new Set(report.deliveries.lost.map((l) => l.instanceId));
    expect(lost.size).toBeGreaterThan(0);
    const tainted = report.violations.filter((v) => v.kind === "taint-not-lifted");
    expect(tainted.map((v) => v.detail.split(" ")[1]).sort()).toEqual([...lost].sort());
    expect(tainted[0]!.detail).toMatch(/no multus ENI of this node is attached/);
    expect(report.violations.filter((v) => v.kind === "pod-before-network")).toEqual([]);
    expect(report.readiness!.started).toBe(30);
  });
});
