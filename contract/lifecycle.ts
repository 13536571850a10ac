/**
 * The words the node group's Auto Scaling hooks, the EventBridge rule, the lifecycle Lambda
 * and the simulator share. Sources: Amazon EC2 Auto Scaling user guide, "Amazon EC2 Auto
 * Scaling lifecycle hooks" and "Amazon EC2 Auto Scaling event reference"; API reference,
 * PutLifecycleHook and CompleteLifecycleAction.
 */

/** How worker ENIs get their addresses (DESIGN.md, "Cluster address plan"). */
export const STRATEGIES = ["static", "reservation"] as const;
/**
 * `static`: workers take fixed addresses from a block at the start of the subnet (assigned by
 * the lifecycle Lambda), pods a block after it; both blocks are reserved (explicit) by default.
 * `reservation`: the pod block is reserved (explicit) and workers take DHCP addresses from the rest.
 */
export type Strategy = (typeof STRATEGIES)[number];

/** The two lifecycle transitions a hook can wait on. */
export const TRANSITIONS = {
  launching: "autoscaling:EC2_INSTANCE_LAUNCHING",
  terminating: "autoscaling:EC2_INSTANCE_TERMINATING",
} as const;
export type Transition = (typeof TRANSITIONS)[keyof typeof TRANSITIONS];

/** EventBridge `detail-type` of a lifecycle action, per transition. */
export const DETAIL_TYPES = {
  launch: "EC2 Instance-launch Lifecycle Action",
  terminate: "EC2 Instance-terminate Lifecycle Action",
} as const;
export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** Sent when a hook's notification target is set; not a lifecycle action (PutLifecycleHook). */
export const TEST_NOTIFICATION = "autoscaling:TEST_NOTIFICATION";

/** CompleteLifecycleAction's results: ABANDON on a launch terminates the instance. */
export const LIFECYCLE_RESULTS = ["CONTINUE", "ABANDON"] as const;
export type LifecycleResult = (typeof LIFECYCLE_RESULTS)[number];

/** Heartbeat timeout range in seconds (PutLifecycleHook HeartbeatTimeout: 30..7200). */
export const HEARTBEAT_TIMEOUT_RANGE = { min: 30, max: 7200 } as const;

/** Lifecycle hook names: letters, digits, `-`, `_` and `/`, 1..255 (PutLifecycleHook LifecycleHookName). */
export const HOOK_NAME_PATTERN = /^[A-Za-z0-9\-_/]{1,255}$/;

/** A lifecycle hook as the node group creates it. */
export interface HookDefaults {
  readonly name: string;
  readonly defaultResult: LifecycleResult;
  /** Seconds. */
  readonly heartbeatTimeout: number;
}

/**
 * The node group's hooks unless told otherwise: a launch that times out is ABANDONed (the
 * node never runs without its multus ENIs); termination goes on either way, CONTINUE says so.
 */
export const DEFAULT_HOOKS: { readonly launch: HookDefaults; readonly terminate: HookDefaults } = {
  launch: { name: "multus-launch", defaultResult: "ABANDON", heartbeatTimeout: 300 },
  terminate: { name: "multus-terminate", defaultResult: "CONTINUE", heartbeatTimeout: 300 },
};

/** The node group's name in the embedded example config. */
export const DEFAULT_NODE_GROUP_NAME = "ng1";

/** A node group name: it prefixes the Auto Scaling group, role and template names. */
export const NODE_GROUP_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;

/** The Auto Scaling group's name unless one is given: `${cluster}-${nodeGroup}`. */
export function defaultAutoScalingGroupName(clusterName: string, nodeGroupName: string): string {
  return `${clusterName}-${nodeGroupName}`;
}

/**
 * The name of a `karpenter` group's NodePool or a `managed` group's EKS node group unless one is
 * given: `${cluster}-${nodeGroup}`, lowercase (a NodePool is a Kubernetes object, named by a DNS
 * subdomain; EKS takes the same characters).
 */
export function hooklessGroupName(clusterName: string, nodeGroupName: string): string {
  return defaultAutoScalingGroupName(clusterName, nodeGroupName).toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

export function isLifecycleResult(v: unknown): v is LifecycleResult {
  return (LIFECYCLE_RESULTS as readonly unknown[]).includes(v);
}

/**
 * The lifecycle Lambda's timeout unless told otherwise, in seconds, for the shortest launch hook
 * it serves: 30 s below the hook's heartbeat timeout, so an invocation ends (and completes its
 * action) before the hook does, yet the launch's own deadline (launchDeadline: the hook's
 * timeout less HOOK_MARGIN_MS and the cleanup reserve) is what stops its waits, not the
 * function's end. A shorter function cuts throttled launches off while their hook still has
 * time: bench/bringup.ts at 1,000 nodes ABANDONed 290 with 120 s (the reference's), none with
 * 270 s. Lambda's own bounds: 1 to 900 s.
 */
export function defaultLambdaTimeout(hookTimeoutSeconds: number): number {
  return Math.max(3, Math.min(900, hookTimeoutSeconds - 30));
}

/** defaultLambdaTimeout for the default launch hook (300 s): 270 s. */
export const DEFAULT_LAMBDA_TIMEOUT = defaultLambdaTimeout(DEFAULT_HOOKS.launch.heartbeatTimeout);

/**
 * How lifecycle events reach the function, set on purpose (modules/aws/README.md says why):
 * Lambda's asynchronous invocation config (PutFunctionEventInvokeConfig MaximumRetryAttempts,
 * 0..2) and the EventBridge target's RetryPolicy MaximumRetryAttempts (0..185). Both stop at
 * `maximumEventAgeSeconds`.
 */
export const EVENT_DELIVERY = {
  lambdaMaximumRetryAttempts: 2,
  targetMaximumRetryAttempts: 185,
} as const;

/**
 * Maximum event age for Lambda's queue and the EventBridge target, in seconds: the launch
 * hook's timeout (a later delivery finds its action closed), within both APIs' range
 * (Lambda 60..21600, EventBridge 60..86400).
 */
export function maximumEventAgeSeconds(hookTimeoutSeconds: number): number {
  return Math.min(21_600, Math.max(60, hookTimeoutSeconds));
}

/**
 * How a node group's instances come and go, and so how the lifecycle Lambda hears of them:
 * `autoscaling`, a self-managed Auto Scaling group with lifecycle hooks; `karpenter`, a
 * Karpenter NodePool; `managed`, an EKS managed node group. The last two launch without a hook
 * the function can hold: it hears of them by EC2 Instance State-change Notification and
 * readiness is the node's startup taint alone.
 */
export const NODE_GROUP_KINDS = ["autoscaling", "karpenter", "managed"] as const;
export type NodeGroupKind = (typeof NODE_GROUP_KINDS)[number];

/** Kinds whose launches the function learns of from EC2 state changes (no lifecycle hook). */
export const HOOKLESS_KINDS: readonly NodeGroupKind[] = ["karpenter", "managed"];
