import { JsonObject, isObject } from "../contract/json";
import { DETAIL_TYPES, TEST_NOTIFICATION, TRANSITIONS } from "../contract/lifecycle";

/**
 * The events the function receives, recognised by shape:
 * - EventBridge lifecycle actions, detail-type "EC2 Instance-launch Lifecycle Action" /
 *   "EC2 Instance-terminate Lifecycle Action" (Amazon EC2 Auto Scaling user guide, "Amazon EC2
 *   Auto Scaling event reference"; samples in shared data events/).
 * - The sweep: an EventBridge schedule's own event (detail-type "Scheduled Event", source
 *   "aws.events") or a constant input carrying `"action": "sweep"` (what the node group
 *   module's schedule sends: `{"source": "multus.sweep", "action": "sweep"}`).
 * - Auto Scaling's test notification (`"Event": "autoscaling:TEST_NOTIFICATION"`, sent when a
 *   hook's notification target is set; EC2 Auto Scaling API reference, PutLifecycleHook) and
 *   anything else: ignored.
 */
export type ParsedEvent =
  | { readonly kind: "launch" | "terminate"; readonly action: LifecycleActionRef }
  | { readonly kind: "sweep" }
  | { readonly kind: "ignored"; readonly reason: string };

/** What CompleteLifecycleAction needs. */
export interface LifecycleActionRef {
  readonly instanceId: string;
  readonly autoScalingGroupName: string;
  readonly hookName: string;
  /** Absent in hand-made events; the action is then named by instance id. */
  readonly token?: string;
  /** When the action began (the event's `time`, epoch ms), if the event says. */
  readonly startedAt?: number;
}

function obj(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

export function parseEvent(event: unknown): ParsedEvent {
  const e = obj(event);
  if (!e) return { kind: "ignored", reason: "the event is not a JSON object" };
  const detail = obj(e.detail) ?? {};
  if (e.Event === TEST_NOTIFICATION || detail.Event === TEST_NOTIFICATION) return { kind: "ignored", reason: "Auto Scaling test notification" };
  if (e.action === "sweep" || detail.action === "sweep" || (e["detail-type"] === "Scheduled Event" && e.source === "aws.events")) {
    return { kind: "sweep" };
  }
  const type = e["detail-type"];
  if (type !== DETAIL_TYPES.launch && type !== DETAIL_TYPES.terminate) {
    return { kind: "ignored", reason: `unrecognised event (detail-type ${JSON.stringify(type ?? null)})` };
  }
  const kind = type === DETAIL_TYPES.launch ? "launch" : "terminate";
  const transition = detail.LifecycleTransition;
  if (transition !== undefined && transition !== (kind === "launch" ? TRANSITIONS.launching : TRANSITIONS.terminating)) {
    return { kind: "ignored", reason: `${type} with transition ${String(transition)}` };
  }
  const instanceId = str(detail.EC2InstanceId);
  const autoScalingGroupName = str(detail.AutoScalingGroupName);
  const hookName = str(detail.LifecycleHookName);
  if (!instanceId || !autoScalingGroupName || !hookName) {
    return { kind: "ignored", reason: `${type} without EC2InstanceId, AutoScalingGroupName or LifecycleHookName` };
  }
  const token = str(detail.LifecycleActionToken);
  const startedAt = Date.parse(str(e.time) ?? "");
  return { kind, action: { instanceId, autoScalingGroupName, hookName, ...(token ? { token } : {}), ...(Number.isNaN(startedAt) ? {} : { startedAt }) } };
}
