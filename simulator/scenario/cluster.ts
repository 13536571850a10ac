import type { MultusConfig } from "../../ipam/config";
import { LambdaEnvironmentExtra, groupNames } from "../../ipam/lambda-env";
import type { NetworkPlan } from "../../ipam/plan";
import { instanceTagKey } from "../../contract/state-change";
import { lambdaAllocator } from "./lambda-allocator";
import type { ScenarioGroup } from "./runner";
import type { Allocator } from "./types";

/**
 * The config's node groups as the scenario runs them: each by its Auto Scaling group (NodePool,
 * EKS node group) name, with `nodes(group, i)` launches, and a hookless group's instances named
 * by the tag the Lambda selects them by (contract/state-change.ts instanceTagKey).
 */
export function scenarioGroups(config: MultusConfig, plan: NetworkPlan, nodes: (g: NetworkPlan["groups"][number], i: number) => number): ScenarioGroup[] {
  const names = groupNames(config);
  return plan.groups.map((g, i) => ({
    autoScalingGroupName: names[i]!.autoScalingGroupName,
    planGroup: g.name,
    nodes: nodes(g, i),
    ...(g.kind === "autoscaling" ? {} : { instanceTag: { key: instanceTagKey(g.kind), value: names[i]!.autoScalingGroupName } }),
  }));
}

/** Every node group under the name the stacks give it (groupNames), as scenarioGroups launches them: the Lambda environment's names. */
export function clusterLambdaNames(config: MultusConfig): LambdaEnvironmentExtra {
  return { groups: Object.fromEntries(groupNames(config).map((n) => [n.name, { autoScalingGroupName: n.autoScalingGroupName }])) };
}

/** The lifecycle Lambda serving every node group of the config, as scenarioGroups runs them. */
export function clusterAllocator(plan: NetworkPlan, config: MultusConfig): Allocator {
  return lambdaAllocator(plan, config, clusterLambdaNames(config));
}
