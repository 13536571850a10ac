import type { MultusConfig } from "./config";
import { PlanError } from "../contract/errors";
import { DEFAULT_IP_ATTEMPTS, LambdaConfig, lambdaConfigEnvironment } from "../contract/lambda-env";
import { DEFAULT_HOOKS, HEARTBEAT_TIMEOUT_RANGE, defaultAutoScalingGroupName } from "../contract/lifecycle";
import { checkInterfaceTags } from "../contract/tags";
import type { NetworkPlan } from "./plan";

/** Deployment values the config does not hold. */
export interface LambdaEnvironmentExtra {
  /** @default `${cluster.name}-${nodeGroup.name}` (the node group module's default group name) */
  readonly autoScalingGroupName?: string;
  /** @default autoScalingGroupName */
  readonly nodeGroupTag?: string;
  /**
   * Leave EC2's source/destination check on (true) or turn it off (false) on every multus ENI.
   * Pods on ipvlan/macvlan use addresses assigned to the ENI, so the check can stay on; turn
   * it off only when the node routes traffic for addresses not on the ENI.
   * @default true
   */
  readonly sourceDestCheck?: boolean;
  /** @default 8 */
  readonly ipAttempts?: number;
  /** The launch hook's heartbeat timeout, seconds. @default 300 (DEFAULT_HOOKS.launch) */
  readonly launchHookTimeout?: number;
}

/** The Lambda's configuration from a validated config and its plan (what lambdaEnvironment serialises). */
export function lambdaConfig(config: MultusConfig, plan: NetworkPlan, extra: LambdaEnvironmentExtra = {}): LambdaConfig {
  const autoScalingGroupName = extra.autoScalingGroupName ?? defaultAutoScalingGroupName(config.cluster.name, config.nodeGroup.name);
  const ipAttempts = extra.ipAttempts ?? DEFAULT_IP_ATTEMPTS;
  if (!Number.isInteger(ipAttempts) || ipAttempts < 1 || ipAttempts > 50) {
    throw new PlanError("ipAttempts", `must be a whole number from 1 to 50, got ${String(ipAttempts)}`, "set ipAttempts between 1 and 50");
  }
  const launchHookTimeoutSeconds = extra.launchHookTimeout ?? DEFAULT_HOOKS.launch.heartbeatTimeout;
  const { min, max } = HEARTBEAT_TIMEOUT_RANGE;
  if (!Number.isInteger(launchHookTimeoutSeconds) || launchHookTimeoutSeconds < min || launchHookTimeoutSeconds > max) {
    throw new PlanError("launchHookTimeout", `must be a whole number of seconds from ${min} to ${max}, got ${String(launchHookTimeoutSeconds)}`, `set the launch hook timeout between ${min} and ${max} s`);
  }
  checkInterfaceTags(config.multus.interfaceTags, "multus.interfaceTags");
  return {
    nodeGroupTag: extra.nodeGroupTag ?? autoScalingGroupName,
    autoScalingGroupName,
    strategy: config.multus.strategy,
    subnets: plan.subnets.map((s) => ({
      id: s.id,
      availabilityZone: s.availabilityZone,
      cidr: s.subnet.cidr,
      deviceIndex: s.deviceIndex,
      ...(s.strategy === "static" ? { workers: s.workers } : {}),
    })),
    securityGroupIds: [...config.multus.securityGroupIds],
    interfaceTags: { ...config.multus.interfaceTags },
    sourceDestCheck: extra.sourceDestCheck ?? true,
    ipAttempts,
    instanceLimits: { type: plan.instance.instanceType, maxEnis: plan.instance.maxEnis },
    launchHookTimeoutSeconds,
  };
}

/**
 * The lifecycle Lambda's environment for a validated config and its plan: the address layout
 * comes from the plan, never recomputed. The cdktf module writes it; parseLambdaEnvironment
 * reads it back at cold start.
 */
export function lambdaEnvironment(config: MultusConfig, plan: NetworkPlan, extra: LambdaEnvironmentExtra = {}): Record<string, string> {
  return lambdaConfigEnvironment(lambdaConfig(config, plan, extra));
}

