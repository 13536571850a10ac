import type { NodeGroupKind } from "./lifecycle";

/**
 * EC2's instance state-change events, as EventBridge delivers them: source "aws.ec2",
 * detail-type "EC2 Instance State-change Notification", detail {"instance-id", "state"}; the
 * event carries the instance id and state only, no tags (Amazon EC2 user guide, "EC2 instance
 * state change events"; Amazon EventBridge, "Amazon EC2 events").
 */
export const STATE_CHANGE = {
  source: "aws.ec2",
  detailType: "EC2 Instance State-change Notification",
} as const;

/** Instance states EC2 reports (Amazon EC2 API reference, InstanceState Name). */
export const INSTANCE_STATES = ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"] as const;
export type InstanceStateName = (typeof INSTANCE_STATES)[number];

/** The states the function acts on: `pending` attaches, the other two clean up. */
export const ATTACH_STATES: readonly InstanceStateName[] = ["pending"];
export const CLEANUP_STATES: readonly InstanceStateName[] = ["shutting-down", "terminated"];
/** What the EventBridge rule matches. */
export const RULE_STATES: readonly InstanceStateName[] = [...ATTACH_STATES, ...CLEANUP_STATES];

/**
 * The instance tag that names a hookless group's instances:
 * - Karpenter tags its instances `karpenter.sh/nodepool` = the NodePool's name
 *   (aws/karpenter-provider-aws v1.14.1 pkg/utils/utils.go: the instance's tags include
 *   karpv1.NodePoolLabelKey, "karpenter.sh/nodepool", with the NodeClaim's NodePool).
 * - EKS tags a managed group's instances `eks:nodegroup-name` = the node group's name (Amazon
 *   EKS user guide, "Managed node groups": the Auto Scaling group and its instances are tagged
 *   eks:cluster-name and eks:nodegroup-name).
 */
export const GROUP_INSTANCE_TAG: Readonly<Record<Exclude<NodeGroupKind, "autoscaling">, string>> = {
  karpenter: "karpenter.sh/nodepool",
  managed: "eks:nodegroup-name",
};

/** Auto Scaling tags its instances with their group (EC2 Auto Scaling user guide, "Tag Auto Scaling groups and instances"). */
export const AUTOSCALING_GROUP_TAG = "aws:autoscaling:groupName";

/** The instance tag key that names a group's instances, per kind. */
export function instanceTagKey(kind: NodeGroupKind): string {
  return kind === "autoscaling" ? AUTOSCALING_GROUP_TAG : GROUP_INSTANCE_TAG[kind];
}

/**
 * The reconcile pass over hookless groups (lambda/handler.ts): the constant input its schedule
 * sends, and the schedule's default, EventBridge's finest rate (a node whose `pending` event
 * was lost waits tainted until a pass runs).
 */
export const RECONCILE = {
  event: { source: "multus.reconcile", action: "reconcile" },
  schedule: "rate(1 minute)",
  everyMs: 60_000,
} as const;
