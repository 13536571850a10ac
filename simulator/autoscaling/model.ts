import { InstanceStateName, STATE_CHANGE } from "../../contract/state-change";
import type {
  CompleteLifecycleActionCommandInput,
  CompleteLifecycleActionCommandOutput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeAutoScalingInstancesCommandOutput,
  DescribeLifecycleHooksCommandInput,
  DescribeLifecycleHooksCommandOutput,
  RecordLifecycleActionHeartbeatCommandInput,
  RecordLifecycleActionHeartbeatCommandOutput,
} from "@aws-sdk/client-auto-scaling";
import type { Ec2Model } from "../ec2/model";
import { DEFAULT_HOOKS, DETAIL_TYPES, DetailType, HookDefaults, LifecycleResult, isLifecycleResult, TRANSITIONS, Transition } from "../../contract/lifecycle";
import { Rng, seededRandom } from "../rng";
import type { SimClock, Timer } from "../clock";
import { draw } from "../timing";

/**
 * Errors shaped like the SDK's AutoScalingServiceException (same shapeId, so `instanceof`
 * holds). Auto Scaling reports bad lifecycle calls as `ValidationError`.
 */
export class AutoScalingError extends Error {
  static readonly shapeId = "smithy.ts.sdk.synthetic.com.amazonaws.autoscaling#AutoScalingServiceException";
  readonly $fault = "client" as const;
  readonly $metadata = { httpStatusCode: 400, requestId: "sim", attempts: 1, totalRetryDelay: 0 };
  readonly Code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
    this.Code = code;
  }
}

function withDefaults(h: LifecycleHookSpec, d: HookDefaults): Required<LifecycleHookSpec> {
  return { ...h, heartbeatTimeout: h.heartbeatTimeout ?? d.heartbeatTimeout, notificationMetadata: h.notificationMetadata ?? "" };
}

const LAUNCHING = TRANSITIONS.launching;
const TERMINATING = TRANSITIONS.terminating;

/** The group's name unless one is given. */
export const DEFAULT_GROUP_NAME = "multus-ng";

export interface LifecycleHookSpec {
  readonly name: string;
  /**
   * Seconds before an action without heartbeat or completion takes the default result.
   * Range 30..7200 (EC2 Auto Scaling API reference, PutLifecycleHook).
   * @default 300
   */
  readonly heartbeatTimeout?: number;
  readonly defaultResult: LifecycleResult;
  /** Passed on in every event of the hook (PutLifecycleHook NotificationMetadata). @default "" */
  readonly notificationMetadata?: string;
}

/**
 * A lifecycle-action event as EventBridge delivers it: "EC2 Instance-launch Lifecycle Action"
 * / "EC2 Instance-terminate Lifecycle Action" (Amazon EC2 Auto Scaling user guide, event
 * reference; samples in shared data events/).
 */
export interface LifecycleEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": DetailType;
  readonly source: "aws.autoscaling";
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    readonly LifecycleActionToken: string;
    readonly AutoScalingGroupName: string;
    readonly LifecycleHookName: string;
    readonly EC2InstanceId: string;
    readonly LifecycleTransition: Transition;
    readonly NotificationMetadata: string;
    readonly Origin: string;
    readonly Destination: string;
  };
}

/**
 * EC2's instance state-change event as EventBridge delivers it (contract/state-change.ts): the
 * instance id and state, no tags. A hookless group's (Karpenter's, an EKS managed group's)
 * instances reach the function this way.
 */
export interface StateChangeEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": typeof STATE_CHANGE.detailType;
  readonly source: typeof STATE_CHANGE.source;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: { readonly "instance-id": string; readonly state: InstanceStateName };
}

/** What a group's launches and terminations emit: lifecycle actions, or (hookless groups) state changes. */
export type GroupEvent = LifecycleEvent | StateChangeEvent;

/** The instance an event is about. */
export function eventInstanceId(e: GroupEvent): string {
  return "EC2InstanceId" in e.detail ? e.detail.EC2InstanceId : e.detail["instance-id"];
}

/** Whether an event starts a node (a launch action, or a pending instance). */
export function isLaunchEvent(e: GroupEvent): boolean {
  return "LifecycleTransition" in e.detail ? e.detail.LifecycleTransition === TRANSITIONS.launching : e.detail.state === "pending";
}

export type LifecycleState =
  | "Pending:Wait"
  | "InService"
  | "Terminating:Wait"
  | "Terminated";

/** How a lifecycle action ended. */
export interface LifecycleRecord {
  readonly instanceId: string;
  readonly transition: Transition;
  readonly hookName: string;
  readonly token: string;
  readonly result: LifecycleResult;
  /** `api`: CompleteLifecycleAction; `timeout`: the heartbeat timeout took the default result. */
  readonly by: "api" | "timeout";
  /** Simulated ms. */
  readonly at: number;
  /** When the action began (simulated ms). */
  readonly startedAt: number;
  /** The hook's heartbeat timeout, ms. */
  readonly timeoutMs: number;
}

export interface AutoScalingModelOptions {
  /** @default "multus-ng" */
  readonly groupName?: string;
  /** Instance type of launched instances. @default "c5.2xlarge" */
  readonly instanceType?: string;
  /** Primary subnets for launched instances, used in turn (one per availability zone, say). */
  readonly subnetIds: string[];
  /** @default { name: "multus-launch", defaultResult: "ABANDON", heartbeatTimeout: 300 } */
  readonly launchHook?: LifecycleHookSpec | null;
  /** @default { name: "multus-terminate", defaultResult: "CONTINUE", heartbeatTimeout: 300 } */
  readonly terminateHook?: LifecycleHookSpec | null;
  /**
   * Probability that EventBridge delivers an event twice ("may deliver an event to a target
   * more than once", EventBridge user guide). @default 0
   */
  readonly duplicateRate?: number;
  /** Probability that an event is never delivered (events are best effort). @default 0 */
  readonly dropRate?: number;
  /** @default 1 */
  readonly seed?: number;
  /**
   * Simulated ms an instance spends shutting down (ENIs still attached) before it is
   * terminated and its DeleteOnTermination ENIs go. EC2 shuts instances down asynchronously;
   * the duration is not documented. @default drawn from the EC2 model's timing profile (shutdownMs)
   */
  readonly terminationDelayMs?: number;
  /** Wall-clock time (epoch ms) of simulated time 0, for event times. @default 0 */
  readonly epochMs?: number;
  /** Interfaces every instance is launched with besides its primary (a launch template's network interfaces). @default none */
  readonly launchInterfaces?: readonly { subnetId: string; deviceIndex: number; networkCardIndex?: number }[];
  /**
   * A hookless group (Karpenter's NodePool, an EKS managed node group): its instances carry
   * this tag instead of aws:autoscaling:groupName, no lifecycle hook holds them (the hooks are
   * left out), and launches and terminations emit EC2 Instance State-change Notification events
   * (`pending`; `shutting-down`, then `terminated` once the shutdown ends: "When you terminate
   * an instance, it enters the shutting-down state and then the terminated state", Amazon EC2
   * user guide, "State change events for Amazon EC2 instances",
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html)
   * instead (see `stateEvents`, `terminatedEvents`); a lost `pending` is the scheduled
   * reconcile pass's (scenario runner). Karpenter launches by CreateFleet with the NodePool tag on the
   * instance (aws/karpenter-provider-aws pkg/utils/utils.go); EKS through an Auto Scaling group
   * of its own, tagged eks:nodegroup-name. @default none (an Auto Scaling group with hooks)
   */
  readonly instanceTag?: { readonly key: string; readonly value: string };
  /** The group's id in its ARN. @default "7c3c2d1e-0000-4000-8000-000000000001" */
  readonly groupId?: string;
  /** Called as each lifecycle action ends, by the API or on timeout (the group API refills the group then). */
  readonly onResult?: (record: LifecycleRecord) => void;
}

interface ActionState {
  readonly token: string;
  readonly instanceId: string;
  readonly transition: Transition;
  readonly hook: Required<LifecycleHookSpec>;
  readonly startedAt: number;
  deadline: number;
  /** The heartbeat timeout, on the clock. */
  timer: Timer;
}

interface MemberState {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  state: LifecycleState;
}

function uuid(rng: Rng): string {
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(rng() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
}

/**
 * An Auto Scaling group with lifecycle hooks, on top of an Ec2Model and on its clock.
 * `launch()` and `terminate()` start lifecycle actions and return the events to deliver (none,
 * one, or a duplicate); `completeLifecycleAction` ends an action; an action whose heartbeat
 * timeout passes on the clock takes its hook's default result (`advance(ms)` moves the clock
 * by hand).
 * A launch ending in ABANDON terminates the instance; a terminate action proceeds to
 * termination whatever its result. The instance shuts down for `terminationDelayMs` (ENIs
 * still attached), then its DeleteOnTermination ENIs go and the others are left detached.
 * Source: Amazon EC2 Auto Scaling user guide, "Amazon EC2 Auto Scaling lifecycle hooks"
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html).
 */
export class AutoScalingModel {
  readonly groupName: string;
  readonly instanceType: string;
  /** The group's ARN, as events name it in `resources`. */
  readonly arn: string;
  /** PutLifecycleHook replaces them; instances already waiting keep the hook they wait on. */
  launchHook?: Required<LifecycleHookSpec>;
  terminateHook?: Required<LifecycleHookSpec>;
  /** Every completed lifecycle action, in order. */
  readonly results: LifecycleRecord[] = [];
  /** Every event emitted (duplicates included, dropped ones excluded), in order. */
  readonly events: LifecycleEvent[] = [];
  /** Every state-change event emitted by a hookless group (duplicates included), in order. */
  readonly stateEvents: StateChangeEvent[] = [];
  private readonly rng: Rng;
  private readonly actions = new Map<string, ActionState>();
  private readonly members = new Map<string, MemberState>();
  private readonly subnetIds: string[];
  private nextSubnet = 0;
  private readonly clock: SimClock;
  /** Instances shutting down, with the timer that terminates them. */
  private readonly shuttingDown = new Map<string, Timer>();
  /** When each hookless instance's shutdown ends (simulated ms). */
  private readonly shutdownEnds = new Map<string, number>();
  /** A hookless instance's `terminated` state change as emitted when it terminated (none: lost). */
  private readonly terminatedStates = new Map<string, StateChangeEvent[]>();

  constructor(
    readonly ec2: Ec2Model,
    private readonly opts: AutoScalingModelOptions,
  ) {
    this.groupName = opts.groupName ?? DEFAULT_GROUP_NAME;
    this.arn = `arn:aws:autoscaling:${ec2.region}:${ec2.accountId}:autoScalingGroup:${opts.groupId ?? "7c3c2d1e-0000-4000-8000-000000000001"}:autoScalingGroupName/${this.groupName}`;
    this.instanceType = opts.instanceType ?? "c5.2xlarge";
    if (!opts.subnetIds.length) throw new Error("AutoScalingModel: subnetIds must name at least one subnet to launch into");
    this.subnetIds = [...opts.subnetIds];
    this.rng = seededRandom(opts.seed ?? 1);
    this.clock = ec2.clock;
    const fill = (h: LifecycleHookSpec | null | undefined, d: HookDefaults) => (h === null ? undefined : withDefaults({ ...d, ...h }, d));
    this.launchHook = fill(opts.launchHook, DEFAULT_HOOKS.launch);
    this.terminateHook = fill(opts.terminateHook, DEFAULT_HOOKS.terminate);
  }

  /**
   * Creates or updates the group's hook for a transition (PutLifecycleHook). The model holds
   * one hook per transition: a hook of another name replaces it.
   */
  putLifecycleHook(transition: Transition, hook: LifecycleHookSpec): void {
    const d = transition === LAUNCHING ? DEFAULT_HOOKS.launch : DEFAULT_HOOKS.terminate;
    if (transition === LAUNCHING) this.launchHook = withDefaults(hook, d);
    else this.terminateHook = withDefaults(hook, d);
  }

  /** Removes the group's hook of that name (DeleteLifecycleHook); false when there is none. */
  deleteLifecycleHook(name: string): boolean {
    if (this.launchHook?.name === name) this.launchHook = undefined;
    else if (this.terminateHook?.name === name) this.terminateHook = undefined;
    else return false;
    return true;
  }

  /** Simulated time in ms. */
  get now(): number {
    return this.clock.now();
  }

  /**
   * Launches one instance (in the next primary subnet, or `subnetId`), puts it in
   * Pending:Wait and returns its zone and launch events. Without a launch hook it goes InService at once.
   */
  launch(opts: { subnetId?: string; instanceType?: string; tags?: Record<string, string>; securityGroupIds?: string[] } = {}): {
    instanceId: string;
    availabilityZone: string;
    events: LifecycleEvent[];
    stateEvents: StateChangeEvent[];
  } {
    const subnetId = opts.subnetId ?? this.subnetIds[this.nextSubnet++ % this.subnetIds.length]!;
    const { instanceId } = this.ec2.launchInstance({
      instanceType: opts.instanceType ?? this.instanceType,
      subnetId,
      tags: { ...opts.tags, ...(this.opts.instanceTag ? { [this.opts.instanceTag.key]: this.opts.instanceTag.value } : { "aws:autoscaling:groupName": this.groupName }) },
      ...(opts.securityGroupIds ? { securityGroupIds: opts.securityGroupIds } : {}),
      ...(this.opts.launchInterfaces ? { interfaces: this.opts.launchInterfaces } : {}),
    });
    const az = this.ec2.subnetInfo(subnetId).availabilityZone;
    const member: MemberState = { instanceId, availabilityZone: az, instanceType: opts.instanceType ?? this.instanceType, state: "InService" };
    this.members.set(instanceId, member);
    if (this.opts.instanceTag) return { instanceId, availabilityZone: az, events: [], stateEvents: this.stateChange(instanceId, "pending") };
    if (!this.launchHook) return { instanceId, availabilityZone: az, events: [], stateEvents: [] };
    member.state = "Pending:Wait";
    return { instanceId, availabilityZone: az, events: this.start(instanceId, LAUNCHING, this.launchHook), stateEvents: [] };
  }

  /** Starts terminating an InService instance and returns what it emits: its terminate events, or (hookless) its shutting-down state change. */
  terminateWithEvents(instanceId: string): GroupEvent[] {
    if (!this.opts.instanceTag) return this.terminate(instanceId);
    const m = this.members.get(instanceId);
    if (!m || m.state !== "InService") return this.terminate(instanceId); // its errors
    this.finishTermination(m);
    return this.stateChange(instanceId, "shutting-down");
  }

  /** Starts terminating an InService instance and returns its terminate events. */
  terminate(instanceId: string): LifecycleEvent[] {
    const m = this.members.get(instanceId);
    if (!m) throw new AutoScalingError("ValidationError", `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    if (m.state !== "InService") {
      throw new AutoScalingError("ValidationError", `The instance ${instanceId} is not in InService (it is ${m.state}).`);
    }
    if (!this.terminateHook) {
      this.finishTermination(m);
      return [];
    }
    m.state = "Terminating:Wait";
    return this.start(instanceId, TERMINATING, this.terminateHook);
  }

  /**
   * Moves the clock by hand; actions whose heartbeat timeout passes take their default result,
   * and instances whose shutdown ends are terminated, in time order (with every other model
   * event on the clock). Returns the actions that timed out.
   */
  advance(ms: number): LifecycleRecord[] {
    const before = this.results.length;
    this.clock.advance(ms);
    return this.results.slice(before).filter((r) => r.by === "timeout");
  }

  /**
   * Runs the clock to its end: every action still open times out and every shutdown finishes
   * (with every other model event on the clock). The end of a scenario.
   */
  expireAll(): LifecycleRecord[] {
    const before = this.results.length;
    this.clock.settle();
    return this.results.slice(before).filter((r) => r.by === "timeout");
  }

  /** Ends every shutdown now, as if its time had passed (timeouts are left alone). */
  finishShutdowns(): void {
    for (const [id, timer] of [...this.shuttingDown]) {
      timer.cancel();
      this.shuttingDown.delete(id);
      this.terminated(id);
    }
  }

  /** Open lifecycle actions. */
  pending(): { token: string; instanceId: string; transition: Transition; deadline: number }[] {
    return [...this.actions.values()].map((a) => ({ token: a.token, instanceId: a.instanceId, transition: a.transition, deadline: a.deadline }));
  }

  /** Group members and their lifecycle states. */
  instances(): { instanceId: string; availabilityZone: string; instanceType: string; state: LifecycleState }[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  lifecycleState(instanceId: string): LifecycleState | undefined {
    return this.members.get(instanceId)?.state;
  }

  // ---------------------------------------------------------------- SDK commands

  /**
   * Ends an open action, named by token or by instance id. An unknown or already completed
   * action is a ValidationError ("No active Lifecycle Action found with ..."), as Auto Scaling
   * answers a second completion.
   */
  async completeLifecycleAction(input: CompleteLifecycleActionCommandInput): Promise<CompleteLifecycleActionCommandOutput> {
    const action = this.findAction(input);
    const result = input.LifecycleActionResult;
    if (!isLifecycleResult(result)) {
      throw new AutoScalingError("ValidationError", `Value '${String(result)}' at 'lifecycleActionResult' failed to satisfy constraint: Member must be CONTINUE or ABANDON`);
    }
    this.finish(action, result, "api");
    return { $metadata: { httpStatusCode: 200, requestId: "sim", attempts: 1, totalRetryDelay: 0 } };
  }

  /** Restarts the action's heartbeat timeout from now. */
  async recordLifecycleActionHeartbeat(input: RecordLifecycleActionHeartbeatCommandInput): Promise<RecordLifecycleActionHeartbeatCommandOutput> {
    const action = this.findAction(input);
    action.timer.cancel();
    this.arm(action);
    return { $metadata: { httpStatusCode: 200, requestId: "sim", attempts: 1, totalRetryDelay: 0 } };
  }

  async describeAutoScalingInstances(input: DescribeAutoScalingInstancesCommandInput = {}): Promise<DescribeAutoScalingInstancesCommandOutput> {
    const ids = input.InstanceIds?.length ? input.InstanceIds : [...this.members.keys()];
    const list = ids
      .map((id) => this.members.get(id))
      .filter((m): m is MemberState => m !== undefined && m.state !== "Terminated")
      .map((m) => ({
        InstanceId: m.instanceId,
        AutoScalingGroupName: this.groupName,
        AvailabilityZone: m.availabilityZone,
        LifecycleState: m.state,
        HealthStatus: "HEALTHY",
        InstanceType: m.instanceType,
        ProtectedFromScaleIn: false,
      }));
    return { AutoScalingInstances: list, $metadata: { httpStatusCode: 200, requestId: "sim", attempts: 1, totalRetryDelay: 0 } };
  }

  async describeLifecycleHooks(input: DescribeLifecycleHooksCommandInput): Promise<DescribeLifecycleHooksCommandOutput> {
    this.checkGroup(input.AutoScalingGroupName);
    const hooks = [
      this.launchHook && { hook: this.launchHook, transition: LAUNCHING },
      this.terminateHook && { hook: this.terminateHook, transition: TERMINATING },
    ]
      .filter((h): h is { hook: Required<LifecycleHookSpec>; transition: Transition } => Boolean(h))
      .filter((h) => !input.LifecycleHookNames?.length || input.LifecycleHookNames.includes(h.hook.name))
      .map((h) => ({
        LifecycleHookName: h.hook.name,
        AutoScalingGroupName: this.groupName,
        LifecycleTransition: h.transition,
        HeartbeatTimeout: h.hook.heartbeatTimeout,
        GlobalTimeout: Math.min(172800, 100 * h.hook.heartbeatTimeout),
        DefaultResult: h.hook.defaultResult,
      }));
    return { LifecycleHooks: hooks, $metadata: { httpStatusCode: 200, requestId: "sim", attempts: 1, totalRetryDelay: 0 } };
  }

  // ---------------------------------------------------------------- internals

  /** (Re)starts the action's heartbeat timeout from now. */
  private arm(action: ActionState): void {
    action.deadline = this.clock.now() + action.hook.heartbeatTimeout * 1000;
    action.timer = this.clock.setTimer(action.hook.heartbeatTimeout * 1000, () => this.finish(action, action.hook.defaultResult, "timeout"), `${action.instanceId}:hook-timeout`);
  }

  private start(instanceId: string, transition: Transition, hook: Required<LifecycleHookSpec>): LifecycleEvent[] {
    const token = uuid(this.rng);
    const action: ActionState = { token, instanceId, transition, hook, startedAt: this.clock.now(), deadline: 0, timer: { cancel: () => undefined } };
    this.arm(action);
    this.actions.set(token, action);
    const launch = transition === LAUNCHING;
    const event: LifecycleEvent = {
      version: "0",
      id: uuid(this.rng),
      "detail-type": launch ? DETAIL_TYPES.launch : DETAIL_TYPES.terminate,
      source: "aws.autoscaling",
      account: this.ec2.accountId,
      time: new Date((this.opts.epochMs ?? 0) + this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.ec2.region,
      resources: [this.arn],
      detail: {
        LifecycleActionToken: token,
        AutoScalingGroupName: this.groupName,
        LifecycleHookName: hook.name,
        EC2InstanceId: instanceId,
        LifecycleTransition: transition,
        NotificationMetadata: hook.notificationMetadata,
        Origin: launch ? "EC2" : "AutoScalingGroup",
        Destination: launch ? "AutoScalingGroup" : "EC2",
      },
    };
    if (this.rng() < (this.opts.dropRate ?? 0)) return [];
    const out = this.rng() < (this.opts.duplicateRate ?? 0) ? [event, event] : [event];
    this.events.push(...out);
    return out;
  }

  /** A state change as EventBridge delivers it: lost now and then, or twice (best effort, at least once). */
  private stateChange(instanceId: string, state: InstanceStateName): StateChangeEvent[] {
    const event: StateChangeEvent = {
      version: "0",
      id: uuid(this.rng),
      "detail-type": STATE_CHANGE.detailType,
      source: STATE_CHANGE.source,
      account: this.ec2.accountId,
      time: new Date((this.opts.epochMs ?? 0) + this.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.ec2.region,
      resources: [`arn:aws:ec2:${this.ec2.region}:${this.ec2.accountId}:instance/${instanceId}`],
      detail: { "instance-id": instanceId, state },
    };
    if (this.rng() < (this.opts.dropRate ?? 0)) return [];
    const out = this.rng() < (this.opts.duplicateRate ?? 0) ? [event, event] : [event];
    this.stateEvents.push(...out);
    return out;
  }

  private checkGroup(name: string | undefined): void {
    if (name !== this.groupName) throw new AutoScalingError("ValidationError", `AutoScalingGroup name not found - no such group: ${String(name)}`);
  }

  private findAction(input: { AutoScalingGroupName?: string; LifecycleHookName?: string; LifecycleActionToken?: string; InstanceId?: string }): ActionState {
    this.checkGroup(input.AutoScalingGroupName);
    if (input.LifecycleHookName !== this.launchHook?.name && input.LifecycleHookName !== this.terminateHook?.name) {
      throw new AutoScalingError("ValidationError", `No Lifecycle Hook found with name ${String(input.LifecycleHookName)} for group ${this.groupName}`);
    }
    let action: ActionState | undefined;
    if (input.LifecycleActionToken !== undefined) {
      action = this.actions.get(input.LifecycleActionToken);
      if (!action || (input.InstanceId !== undefined && action.instanceId !== input.InstanceId)) {
        throw new AutoScalingError("ValidationError", `No active Lifecycle Action found with token ${input.LifecycleActionToken}`);
      }
    } else if (input.InstanceId !== undefined) {
      action = [...this.actions.values()].find((a) => a.instanceId === input.InstanceId && a.hook.name === input.LifecycleHookName);
      if (!action) throw new AutoScalingError("ValidationError", `No active Lifecycle Action found with instance ID ${input.InstanceId}`);
    } else {
      throw new AutoScalingError("ValidationError", "Either LifecycleActionToken or InstanceId must be given");
    }
    if (action.hook.name !== input.LifecycleHookName) {
      throw new AutoScalingError("ValidationError", `No active Lifecycle Action found with token ${action.token} for hook ${String(input.LifecycleHookName)}`);
    }
    return action;
  }

  private finish(action: ActionState, result: LifecycleResult, by: "api" | "timeout"): LifecycleRecord {
    action.timer.cancel();
    this.actions.delete(action.token);
    const m = this.members.get(action.instanceId)!;
    if (action.transition === LAUNCHING) {
      if (result === "CONTINUE") m.state = "InService";
      else this.finishTermination(m);
    } else {
      this.finishTermination(m);
    }
    const record: LifecycleRecord = {
      instanceId: action.instanceId,
      transition: action.transition,
      hookName: action.hook.name,
      token: action.token,
      result,
      by,
      at: this.clock.now(),
      startedAt: action.startedAt,
      timeoutMs: action.hook.heartbeatTimeout * 1000,
    };
    this.results.push(record);
    this.opts.onResult?.(record);
    return record;
  }

  /** When the hookless instance's shutdown ends and its `terminated` state change is emitted; undefined when it is not shutting down. */
  shutdownEndsAt(instanceId: string): number | undefined {
    return this.shutdownEnds.get(instanceId);
  }

  /** The `terminated` state change of a hookless instance that has terminated (empty when lost, or not yet terminated). */
  terminatedEvents(instanceId: string): StateChangeEvent[] {
    return this.terminatedStates.get(instanceId) ?? [];
  }

  /** The instance's shutdown ends: EC2 terminates it and (hookless) emits its `terminated` state change. */
  private terminated(id: string): void {
    this.ec2.terminateInstance(id);
    if (this.opts.instanceTag) this.terminatedStates.set(id, this.stateChange(id, "terminated"));
  }

  private finishTermination(m: MemberState): void {
    m.state = "Terminated";
    const delay = this.opts.terminationDelayMs ?? draw(this.ec2.timing.shutdownMs, this.rng);
    const id = m.instanceId;
    if (delay <= 0) {
      this.terminated(id);
      return;
    }
    this.ec2.beginTermination(id);
    if (this.opts.instanceTag) this.shutdownEnds.set(id, this.clock.now() + delay);
    this.shuttingDown.set(
      id,
      this.clock.setTimer(
        delay,
        () => {
          this.shuttingDown.delete(id);
          this.terminated(id);
        },
        `${id}:terminated`,
      ),
    );
  }
}
