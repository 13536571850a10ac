import type { MultusConfig } from "./config";
import { PlanError } from "../contract/errors";
import { DEFAULT_IP_ATTEMPTS, LambdaConfig, lambdaGroupsEnvironment } from "../contract/lambda-env";
import { DEFAULT_HOOKS, HEARTBEAT_TIMEOUT_RANGE } from "../contract/lifecycle";
import { launcherName } from "./group-names";
import { checkInterfaceTags } from "../contract/tags";
import type { NetworkPlan } from "./plan";

/** A group's deployment names and values the config does not hold. */
export interface LambdaGroupNames {
  /** @default `${cluster.name}-${group.name}` (the node group module's default group name) */
  readonly autoScalingGroupName?: string;
  /** @default autoScalingGroupName */
  readonly nodeGroupTag?: string;
  /** The launch hook's heartbeat timeout, seconds. @default the top-level one, else 300 (DEFAULT_HOOKS.launch) */
  readonly launchHookTimeout?: number;
}

/** Deployment values the config does not hold. */
export interface LambdaEnvironmentExtra extends LambdaGroupNames {
  /** Per node group (by name), for configs with several; the top-level names apply to a config with one. @default {} */
  readonly groups?: Readonly<Record<string, LambdaGroupNames>>;
  /**
   * Leave EC2's source/destination check on (true) or turn it off (false) on the multus ENIs of
   * networks that do not set `sourceDestCheck` (the shorthand's: all). Pods on ipvlan/macvlan
   * use addresses assigned to the ENI, so the check can stay on; turn it off only when the node
   * routes traffic for addresses not on the ENI.
   * @default true
   */
  readonly sourceDestCheck?: boolean;
  /** @default 8 */
  readonly ipAttempts?: number;
}

/** The Auto Scaling group name, ENI tag and launch hook timeout of each group, as the stack sets them. */
export function groupNames(
  config: MultusConfig,
  extra: LambdaEnvironmentExtra = {},
): { name: string; autoScalingGroupName: string; nodeGroupTag: string; launchHookTimeoutSeconds: number; launchHookTimeoutField: string }[] {
  return config.nodeGroups.map((g) => {
    const given = extra.groups?.[g.name];
    const own = given ?? (config.nodeGroups.length === 1 ? extra : {});
    // A NodePool or EKS node group: its name, which its instances' tag carries (the NodePool's metadata.name, ipam/group-names.ts).
    const autoScalingGroupName = own.autoScalingGroupName ?? launcherName(config.cluster.name, g);
    const hook = given?.launchHookTimeout !== undefined ? { at: `groups.${g.name}.launchHookTimeout`, value: given.launchHookTimeout } : { at: "launchHookTimeout", value: extra.launchHookTimeout };
    return {
      name: g.name,
      autoScalingGroupName,
      nodeGroupTag: own.nodeGroupTag ?? autoScalingGroupName,
      launchHookTimeoutSeconds: hook.value ?? DEFAULT_HOOKS.launch.heartbeatTimeout,
      launchHookTimeoutField: hook.at,
    };
  });
}

/**
 * The Lambda's configuration of each node group from a validated config and its plan (what
 * lambdaEnvironment serialises): per group its subnets, worker blocks and instance limits, per
 * subnet its network's security groups, source/destination check and tags.
 */
export function lambdaConfigs(config: MultusConfig, plan: NetworkPlan, extra: LambdaEnvironmentExtra = {}): LambdaConfig[] {
  const ipAttempts = extra.ipAttempts ?? DEFAULT_IP_ATTEMPTS;
  if (!Number.isInteger(ipAttempts) || ipAttempts < 1 || ipAttempts > 50) {
    throw new PlanError("ipAttempts", `must be a whole number from 1 to 50, got ${String(ipAttempts)}`, "set ipAttempts between 1 and 50");
  }
  plan.networks.forEach((n, i) => checkInterfaceTags(n.interfaceTags, config.form === "shorthand" ? "multus.interfaceTags" : `networks[${i}].interfaceTags`));
  const names = groupNames(config, extra);
  names.forEach((n) => {
    const { min, max } = HEARTBEAT_TIMEOUT_RANGE;
    const t = n.launchHookTimeoutSeconds;
    if (!Number.isInteger(t) || t < min || t > max) {
      throw new PlanError(n.launchHookTimeoutField, `must be a whole number of seconds from ${min} to ${max}, got ${String(t)}`, `set the launch hook timeout between ${min} and ${max} s`);
    }
  });
  return plan.groups.map((g, gi): LambdaConfig => {
    const subnets = g.subnets.map((gs) => {
      const net = plan.networks.find((n) => n.name === gs.network)!;
      const s = plan.subnets.find((p) => p.id === gs.id)!;
      return {
        id: s.id,
        availabilityZone: s.availabilityZone,
        cidr: s.subnet.cidr,
        deviceIndex: s.deviceIndex,
        ...(gs.workers ? { workers: gs.workers } : {}),
        ...(s.ipv6 ? { ipv6: { cidr: s.ipv6.subnet.cidr, ...(gs.ipv6?.workers ? { workers: gs.ipv6.workers } : {}) } } : {}),
        network: net.name,
        securityGroupIds: [...net.securityGroupIds],
        sourceDestCheck: net.sourceDestCheck ?? extra.sourceDestCheck ?? true,
        interfaceTags: { ...net.interfaceTags },
      };
    });
    const first = subnets[0];
    if (!first) throw new PlanError(`nodeGroups[${gi}]`, `group "${g.name}" has no multus subnet in its availability zones`, "attach a network with a subnet in the group's availability zones");
    // One group whose networks agree: the single-group variables say it all, as they always did.
    const single = plan.groups.length === 1 && agree(subnets);
    return {
      ...(single ? {} : { name: g.name }),
      ...(g.kind !== "autoscaling" ? { kind: g.kind } : {}),
      nodeGroupTag: names[gi]!.nodeGroupTag,
      autoScalingGroupName: names[gi]!.autoScalingGroupName,
      strategy: g.strategy,
      subnets: single ? subnets.map(({ network: _n, securityGroupIds: _g, sourceDestCheck: _c, interfaceTags: _t, ...place }) => place) : subnets,
      securityGroupIds: first.securityGroupIds,
      interfaceTags: first.interfaceTags,
      sourceDestCheck: first.sourceDestCheck,
      ipAttempts,
      instanceLimits: { type: g.instance.instanceType, maxEnis: g.instance.maxEnis },
      launchHookTimeoutSeconds: names[gi]!.launchHookTimeoutSeconds,
    };
  });
}

/** True when every subnet has the same ENI settings. */
function agree(subnets: readonly { securityGroupIds: string[]; sourceDestCheck: boolean; interfaceTags: Record<string, string> }[]): boolean {
  const key = (s: (typeof subnets)[number]) => JSON.stringify([s.securityGroupIds, s.sourceDestCheck, Object.entries(s.interfaceTags).sort()]);
  return subnets.every((s) => key(s) === key(subnets[0]!));
}

/** The Lambda's configuration for a config with one node group (the shorthand, say). */
export function lambdaConfig(config: MultusConfig, plan: NetworkPlan, extra: LambdaEnvironmentExtra = {}): LambdaConfig {
  const [only, ...more] = lambdaConfigs(config, plan, extra);
  if (more.length) throw new PlanError("nodeGroups", `the config has ${more.length + 1} node groups`, "use lambdaConfigs for a config with several");
  return only!;
}

/**
 * The lifecycle Lambda's environment for a validated config and its plan: the address layout
 * comes from the plan, never recomputed. The cdktf module writes it; parseLambdaGroups reads it
 * back at cold start.
 */
export function lambdaEnvironment(config: MultusConfig, plan: NetworkPlan, extra: LambdaEnvironmentExtra = {}): Record<string, string> {
  return lambdaGroupsEnvironment(lambdaConfigs(config, plan, extra));
}
