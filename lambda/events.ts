import { JsonObject, isObject } from "../contract/json";
import { PlanError } from "../contract/errors";
import { DETAIL_TYPES, TEST_NOTIFICATION, TRANSITIONS } from "../contract/lifecycle";
import { ATTACH_STATES, CLEANUP_STATES, INSTANCE_STATES, InstanceStateName, STATE_CHANGE } from "../contract/state-change";

/**
 * The events the function receives, recognised by shape:
 * - EventBridge lifecycle actions, detail-type "EC2 Instance-launch Lifecycle Action" /
 *   "EC2 Instance-terminate Lifecycle Action" (Amazon EC2 Auto Scaling user guide, "Amazon EC2
 *   Auto Scaling event reference"; samples in shared data events/).
 * - The sweep: an EventBridge schedule's own event (detail-type "Scheduled Event", source
 *   "aws.events") or a constant input carrying `"action": "sweep"` (what the node group
 *   module's schedule sends: `{"source": "multus.sweep", "action": "sweep"}`).
 * - The reconcile pass: a constant input carrying `"action": "reconcile"` (what the module's
 *   reconcile schedule sends, `{"source": "multus.reconcile", "action": "reconcile"}`), for
 *   hookless groups' running instances whose `pending` event never arrived.
 * - EC2 Instance State-change Notification (contract/state-change.ts): `pending` attaches,
 *   `shutting-down` and `terminated` clean up, other states are ignored. Such an event with no
 *   instance id or an unknown state is refused (EventError), not ignored: it names the field.
 * - Auto Scaling's test notification (`"Event": "autoscaling:TEST_NOTIFICATION"`, sent when a
 *   hook's notification target is set; EC2 Auto Scaling API reference, PutLifecycleHook) and
 *   anything else: ignored.
 */
export type ParsedEvent =
  | { readonly kind: "launch" | "terminate"; readonly action: LifecycleActionRef }
  | { readonly kind: "sweep" }
  | { readonly kind: "reconcile" }
  | { readonly kind: "state"; readonly instanceId: string; readonly state: InstanceStateName; readonly step: "attach" | "cleanup" }
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
  if (e.action === "reconcile" || detail.action === "reconcile") return { kind: "reconcile" };
  const type = e["detail-type"];
  if (type === STATE_CHANGE.detailType) return parseStateChange(e);
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

/** A malformed event: names the field and what it must hold. */
export class EventError extends PlanError {}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

function parseStateChange(e: JsonObject): ParsedEvent {
  if (e.source !== undefined && e.source !== STATE_CHANGE.source) {
    throw new EventError("source", `${JSON.stringify(e.source)} is not EC2's; "${STATE_CHANGE.detailType}" comes from ${STATE_CHANGE.source}`, `send the event with source "${STATE_CHANGE.source}"`);
  }
  if (!isObject(e.detail)) throw new EventError("detail", `must be an object {"instance-id", "state"} in a ${STATE_CHANGE.detailType}`, "send the event as EventBridge delivers it");
  const instanceId = e.detail["instance-id"];
  if (typeof instanceId !== "string" || !INSTANCE_ID.test(instanceId)) {
    throw new EventError("detail.instance-id", `${JSON.stringify(instanceId ?? null)} is not an EC2 instance id`, 'give the instance id, "i-" and 8 or 17 hex digits');
  }
  const state = e.detail.state;
  if (typeof state !== "string" || !(INSTANCE_STATES as readonly string[]).includes(state)) {
    throw new EventError("detail.state", `${JSON.stringify(state ?? null)} is not an instance state`, `use one of ${INSTANCE_STATES.join(", ")}`);
  }
  const s = state as InstanceStateName;
  if (ATTACH_STATES.includes(s)) return { kind: "state", instanceId, state: s, step: "attach" };
  if (CLEANUP_STATES.includes(s)) return { kind: "state", instanceId, state: s, step: "cleanup" };
  return { kind: "ignored", reason: `instance ${instanceId} is ${s}: nothing to attach or clean up` };
}
