import type {
  Activity,
  AutoScalingGroup,
  CreateAutoScalingGroupCommandInput,
  DeleteAutoScalingGroupCommandInput,
  DeleteLifecycleHookCommandInput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeLifecycleHooksCommandInput,
  LaunchTemplateSpecification,
  LifecycleHookSpecification,
  PutLifecycleHookCommandInput,
  SetDesiredCapacityCommandInput,
  TagDescription,
  TerminateInstanceInAutoScalingGroupCommandInput,
  UpdateAutoScalingGroupCommandInput,
} from "@aws-sdk/client-auto-scaling";
import { HEARTBEAT_TIMEOUT_RANGE, HOOK_NAME_PATTERN, TRANSITIONS, Transition, isLifecycleResult } from "../../contract/lifecycle";
import { Ec2Error } from "../ec2/errors";
import type { Ec2World, LaunchTemplateRecord } from "../ec2/world";
import type { Operation } from "../operations";
import { paged } from "../paging";
import { Rng, randomInt, seededRandom } from "../rng";
import { AutoScalingError, AutoScalingModel, LifecycleEvent, LifecycleHookSpec } from "./model";

/** One group: the model of its instances and hooks, plus what the group API holds around it. */
interface Group {
  readonly model: AutoScalingModel;
  readonly createdTime: Date;
  min: number;
  max: number;
  desired: number;
  template: LaunchTemplateRecord;
  templateVersion: string;
  subnetIds: string[];
  tags: TagDescription[];
}

export interface AutoScalingServiceOptions {
  /** @default 1 */
  readonly seed?: number;
  /** Simulated ms a terminated instance spends shutting down. @default drawn from the EC2 model's timing profile (shutdownMs) */
  readonly terminationDelayMs?: number;
  /** Wall-clock time (epoch ms) of simulated time 0, for event times. @default 0 */
  readonly epochMs?: number;
  /** Called with every lifecycle-action event, in order, as EventBridge would deliver it. */
  readonly onEvent?: (event: LifecycleEvent) => void;
}

const TRANSITION_VALUES: readonly string[] = Object.values(TRANSITIONS);

/** Group names: 1..255 characters (API reference, CreateAutoScalingGroup AutoScalingGroupName). */
const GROUP_NAME = /^[\u0020-\uD7FF\uE000-\uFFFD\t\n\r]{1,255}$/;

function validation(message: string): AutoScalingError {
  return new AutoScalingError("ValidationError", message);
}

function notFound(name: string | undefined): AutoScalingError {
  return validation(`AutoScalingGroup name not found - no such group: ${String(name)}`);
}

/**
 * The Auto Scaling API over several groups, each an AutoScalingModel, launching from launch
 * templates into subnets of the EC2 world.
 *
 * Documented behaviour it follows (Amazon EC2 Auto Scaling API reference and user guide):
 * - MinSize <= DesiredCapacity <= MaxSize, else ValidationError; DesiredCapacity defaults
 *   to MinSize; a group keeps its desired number of instances (Pending, Pending:Wait and
 *   InService count), launching and terminating to get there, and replaces an instance whose
 *   launch is ABANDONed.
 * - Lifecycle hooks from CreateAutoScalingGroup's LifecycleHookSpecificationList exist before
 *   the first launch; PutLifecycleHook creates or updates one (HeartbeatTimeout 30..7200,
 *   DefaultResult CONTINUE or ABANDON).
 * - Launches spread over the group's subnets, to the availability zone with the fewest
 *   instances ("Availability Zone rebalancing"); scale-in takes InService instances from the
 *   zone with the most.
 * - TerminateInstanceInAutoScalingGroup runs the terminate hook; without
 *   ShouldDecrementDesiredCapacity a replacement is launched.
 * - Errors: ValidationError, AlreadyExists (AlreadyExistsFault), ResourceInUse.
 * Modelling choices: one hook per transition per group; which instance of a zone scale-in
 * takes is a seeded random choice (the default policy's last tie-break is random).
 * Every group runs on the EC2 model's clock: a hook timeout fires on it and the group refills
 * at that moment.
 */
export class AutoScalingService {
  private readonly groups = new Map<string, Group>();
  private readonly rng: Rng;

  constructor(
    readonly world: Ec2World,
    private readonly opts: AutoScalingServiceOptions = {},
  ) {
    this.rng = seededRandom(opts.seed ?? 1);
  }

  /** Simulated ms. */
  get now(): number {
    return this.world.model.clock.now();
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** The group's model (instances, hooks, results), for checks. */
  model(name: string): AutoScalingModel {
    const g = this.groups.get(name);
    if (!g) throw notFound(name);
    return g.model;
  }

  /**
   * Moves the clock by hand: hook timeouts take their default result, shutdowns end, and a
   * group refills at the moment an instance leaves it (an ABANDONed launch is replaced then).
   */
  advance(ms: number): void {
    this.world.model.clock.advance(ms);
  }

  operations(): Map<string, Operation> {
    const ops = new Map<string, Operation>();
    ops.set("CreateAutoScalingGroup", (i) => this.createAutoScalingGroup(i));
    ops.set("UpdateAutoScalingGroup", (i) => this.updateAutoScalingGroup(i));
    ops.set("DeleteAutoScalingGroup", (i) => this.deleteAutoScalingGroup(i));
    // MaxRecords up to 100, default 50 (API reference, DescribeAutoScalingGroups).
    ops.set("DescribeAutoScalingGroups", paged((i) => this.describeAutoScalingGroups(i), { items: "AutoScalingGroups", sizeParam: "MaxRecords", min: 1, max: 100, defaultSize: 50, service: "autoscaling" }));
    // MaxRecords up to 50, default 50 (API reference, DescribeAutoScalingInstances).
    ops.set("DescribeAutoScalingInstances", paged((i) => this.describeAutoScalingInstances(i), { items: "AutoScalingInstances", sizeParam: "MaxRecords", min: 1, max: 50, defaultSize: 50, service: "autoscaling" }));
    ops.set("SetDesiredCapacity", (i) => this.setDesiredCapacity(i));
    ops.set("TerminateInstanceInAutoScalingGroup", (i) => this.terminateInstanceInAutoScalingGroup(i));
    ops.set("PutLifecycleHook", (i) => this.putLifecycleHook(i));
    ops.set("DeleteLifecycleHook", (i) => this.deleteLifecycleHook(i));
    ops.set("DescribeLifecycleHooks", (i: DescribeLifecycleHooksCommandInput) => this.model(i.AutoScalingGroupName!).describeLifecycleHooks(i));
    ops.set("DescribeLifecycleHookTypes", async () => ({ LifecycleHookTypes: [...TRANSITION_VALUES] }));
    ops.set("CompleteLifecycleAction", (i) => this.lifecycle(i, (m) => m.completeLifecycleAction(i)));
    ops.set("RecordLifecycleActionHeartbeat", (i) => this.lifecycle(i, (m) => m.recordLifecycleActionHeartbeat(i)));
    return ops;
  }

  // ---------------------------------------------------------------- API actions

  async createAutoScalingGroup(input: CreateAutoScalingGroupCommandInput) {
    const name = input.AutoScalingGroupName;
    if (!name || !GROUP_NAME.test(name)) throw validation(`AutoScalingGroupName must be 1 to 255 characters, got ${JSON.stringify(name)}`);
    if (this.groups.has(name)) throw new AutoScalingError("AlreadyExists", `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`);
    const { min, max, desired } = this.sizes(input.MinSize, input.MaxSize, input.DesiredCapacity ?? input.MinSize);
    const template = this.template(input.LaunchTemplate);
    const subnetIds = this.subnets(input.VPCZoneIdentifier, input.AvailabilityZones);
    const hooks = (input.LifecycleHookSpecificationList ?? []).map((h) => this.hookSpec(h, true));
    const launchHooks = hooks.filter((h) => h.transition === TRANSITIONS.launching);
    const terminateHooks = hooks.filter((h) => h.transition === TRANSITIONS.terminating);
    if (launchHooks.length > 1 || terminateHooks.length > 1) throw validation("The simulator holds one lifecycle hook per transition per group");
    const model = new AutoScalingModel(this.world.model, {
      groupName: name,
      instanceType: String(template.data.InstanceType ?? "c5.2xlarge"),
      subnetIds,
      launchHook: launchHooks[0]?.spec ?? null,
      terminateHook: terminateHooks[0]?.spec ?? null,
      seed: (this.opts.seed ?? 1) + this.groups.size + 1,
      ...(this.opts.terminationDelayMs !== undefined ? { terminationDelayMs: this.opts.terminationDelayMs } : {}),
      epochMs: this.opts.epochMs ?? 0,
      groupId: uuidish(this.rng),
      // An action that ends (a timeout on the clock, say) may leave the group short: refill it then.
      onResult: () => {
        const g = this.groups.get(name);
        if (g?.model === model) this.reconcile(g);
      },
    });
    const group: Group = {
      model,
      createdTime: this.wallTime(),
      min,
      max,
      desired,
      template,
      templateVersion: input.LaunchTemplate?.Version ?? "$Default",
      subnetIds,
      tags: (input.Tags ?? []).map((t) => ({ ResourceId: name, ResourceType: "auto-scaling-group", Key: t.Key, Value: t.Value ?? "", PropagateAtLaunch: t.PropagateAtLaunch ?? true })),
    };
    this.groups.set(name, group);
    this.reconcile(group);
    return {};
  }

  async updateAutoScalingGroup(input: UpdateAutoScalingGroupCommandInput) {
    const g = this.group(input.AutoScalingGroupName);
    const min = input.MinSize ?? g.min;
    const max = input.MaxSize ?? g.max;
    // A new MinSize above the desired capacity raises it, a new MaxSize below lowers it (API reference, UpdateAutoScalingGroup).
    const desired = input.DesiredCapacity ?? Math.min(max, Math.max(min, g.desired));
    const sizes = this.sizes(min, max, desired);
    if (input.LaunchTemplate) {
      g.template = this.template(input.LaunchTemplate);
      g.templateVersion = input.LaunchTemplate.Version ?? "$Default";
    }
    if (input.VPCZoneIdentifier !== undefined) g.subnetIds = this.subnets(input.VPCZoneIdentifier, undefined);
    Object.assign(g, sizes);
    this.reconcile(g);
    return {};
  }

  async deleteAutoScalingGroup(input: DeleteAutoScalingGroupCommandInput) {
    const g = this.group(input.AutoScalingGroupName);
    const live = this.live(g);
    if (live.length && !input.ForceDelete) {
      throw new AutoScalingError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.");
    }
    g.desired = 0;
    g.min = 0;
    for (const m of live) this.world.model.terminateInstance(m.instanceId);
    this.groups.delete(g.model.groupName);
    return {};
  }

  async describeAutoScalingGroups(input: DescribeAutoScalingGroupsCommandInput = {}) {
    const names = input.AutoScalingGroupNames?.length ? input.AutoScalingGroupNames : [...this.groups.keys()];
    // Unknown names are left out, not an error (API reference, DescribeAutoScalingGroups).
    const groups = names.map((n) => this.groups.get(n)).filter((g): g is Group => g !== undefined);
    return { AutoScalingGroups: groups.map((g) => this.groupView(g)) };
  }

  async describeAutoScalingInstances(input: DescribeAutoScalingInstancesCommandInput = {}) {
    const all = [];
    for (const g of this.groups.values()) all.push(...((await g.model.describeAutoScalingInstances({})).AutoScalingInstances ?? []).map((i) => ({ ...i, LaunchTemplate: this.templateRef(g) })));
    const wanted = input.InstanceIds?.length ? new Set(input.InstanceIds) : undefined;
    return { AutoScalingInstances: all.filter((i) => !wanted || wanted.has(i.InstanceId!)) };
  }

  async setDesiredCapacity(input: SetDesiredCapacityCommandInput) {
    const g = this.group(input.AutoScalingGroupName);
    const d = input.DesiredCapacity;
    if (d === undefined || !Number.isInteger(d) || d < 0) throw validation(`DesiredCapacity must be a whole number >= 0, got ${String(d)}`);
    if (d > g.max) throw validation(`New SetDesiredCapacity value ${d} is above max value ${g.max} for the AutoScalingGroup.`);
    if (d < g.min) throw validation(`New SetDesiredCapacity value ${d} is below min value ${g.min} for the AutoScalingGroup.`);
    g.desired = d;
    this.reconcile(g);
    return {};
  }

  async terminateInstanceInAutoScalingGroup(input: TerminateInstanceInAutoScalingGroupCommandInput) {
    const id = input.InstanceId;
    const g = [...this.groups.values()].find((x) => x.model.lifecycleState(id ?? "") !== undefined && x.model.lifecycleState(id ?? "") !== "Terminated");
    if (!g || !id) throw validation(`Instance Id not found - No managed instance found for instance ID: ${String(id)}`);
    if (input.ShouldDecrementDesiredCapacity === undefined) throw validation("ShouldDecrementDesiredCapacity is required");
    if (input.ShouldDecrementDesiredCapacity && g.desired - 1 < g.min) {
      throw validation(
        `Currently, desiredCapacity is ${g.desired} and minSize is ${g.min}. Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
      );
    }
    this.emit(g.model.terminate(id));
    if (input.ShouldDecrementDesiredCapacity) g.desired -= 1;
    this.reconcile(g);
    const activity: Activity = {
      ActivityId: uuidish(this.rng),
      AutoScalingGroupName: g.model.groupName,
      Description: `Terminating EC2 instance: ${id}`,
      Cause: `At ${this.wallTime().toISOString()} instance ${id} was taken out of service in response to a user request${input.ShouldDecrementDesiredCapacity ? ", shrinking the capacity" : ""}.`,
      StartTime: this.wallTime(),
      StatusCode: "InProgress",
      Progress: 0,
      Details: "{}",
    };
    return { Activity: activity };
  }

  async putLifecycleHook(input: PutLifecycleHookCommandInput) {
    const g = this.group(input.AutoScalingGroupName);
    const name = input.LifecycleHookName;
    const { launchHook, terminateHook } = g.model;
    const existing =
      launchHook && launchHook.name === name ? { hook: launchHook, transition: TRANSITIONS.launching } : terminateHook && terminateHook.name === name ? { hook: terminateHook, transition: TRANSITIONS.terminating } : undefined;
    // Members not given keep their values on an update (API reference, PutLifecycleHook).
    const { transition, spec } = this.hookSpec(
      {
        LifecycleHookName: name,
        LifecycleTransition: input.LifecycleTransition ?? existing?.transition,
        HeartbeatTimeout: input.HeartbeatTimeout ?? existing?.hook.heartbeatTimeout,
        DefaultResult: input.DefaultResult ?? existing?.hook.defaultResult,
        NotificationMetadata: input.NotificationMetadata ?? existing?.hook.notificationMetadata,
      },
      existing === undefined,
    );
    const current = transition === TRANSITIONS.launching ? launchHook : terminateHook;
    if (current && current.name !== spec.name) throw validation(`The simulator holds one lifecycle hook per transition; delete ${current.name} first`);
    if (existing && existing.transition !== transition) g.model.deleteLifecycleHook(spec.name);
    g.model.putLifecycleHook(transition, spec);
    return {};
  }

  async deleteLifecycleHook(input: DeleteLifecycleHookCommandInput) {
    const g = this.group(input.AutoScalingGroupName);
    if (!g.model.deleteLifecycleHook(input.LifecycleHookName ?? "")) throw validation(`No Lifecycle Hook found with name ${String(input.LifecycleHookName)} for group ${g.model.groupName}`);
    return {};
  }

  private async lifecycle(input: { AutoScalingGroupName?: string }, act: (m: AutoScalingModel) => Promise<object>) {
    const g = this.group(input.AutoScalingGroupName);
    const out = await act(g.model);
    this.reconcile(g);
    return out;
  }

  // ---------------------------------------------------------------- internals

  /** Now, as a wall-clock time. */
  private wallTime(): Date {
    return new Date((this.opts.epochMs ?? 0) + this.now);
  }

  private group(name: string | undefined): Group {
    const g = name === undefined ? undefined : this.groups.get(name);
    if (!g) throw notFound(name);
    return g;
  }

  private sizes(min: number | undefined, max: number | undefined, desired: number | undefined) {
    if (min === undefined || max === undefined) throw validation("MinSize and MaxSize are required");
    for (const [k, v] of [["MinSize", min], ["MaxSize", max], ["DesiredCapacity", desired ?? min]] as const) {
      if (!Number.isInteger(v) || v < 0) throw validation(`${k} must be a whole number >= 0, got ${v}`);
    }
    if (min > max) throw validation(`The minimum size ${min} is greater than the maximum size ${max}.`);
    const d = desired ?? min;
    if (d < min || d > max) throw validation(`Desired capacity:${d} must be between the specified min size:${min} and max size:${max}`);
    return { min, max, desired: d };
  }

  private template(spec: LaunchTemplateSpecification | undefined): LaunchTemplateRecord {
    if (!spec) throw validation("The simulator launches from a launch template: give LaunchTemplate (LaunchTemplateId or LaunchTemplateName)");
    try {
      return this.world.launchTemplate(spec);
    } catch (err) {
      if (err instanceof Ec2Error) {
        const which = spec.LaunchTemplateId ? `template ID ${spec.LaunchTemplateId}` : `template name ${String(spec.LaunchTemplateName)}`;
        throw validation(`You must use a valid fully-formed launch template. The specified launch template, with ${which}, does not exist.`);
      }
      throw err;
    }
  }

  private subnets(vpcZoneIdentifier: string | undefined, zones: string[] | undefined): string[] {
    const ids = (vpcZoneIdentifier ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (!ids.length) {
      throw validation(zones?.length ? "The simulator has no default subnets: give VPCZoneIdentifier" : "At least one Availability Zone or VPC Subnet is required.");
    }
    const known = new Set(this.world.model.subnetIds());
    for (const id of ids) if (!known.has(id)) throw validation(`The subnet ID '${id}' does not exist`);
    return ids;
  }

  private hookSpec(h: LifecycleHookSpecification, creating: boolean): { transition: Transition; spec: LifecycleHookSpec } {
    const name = h.LifecycleHookName;
    if (!name || !HOOK_NAME_PATTERN.test(name)) throw validation(`LifecycleHookName must match ${HOOK_NAME_PATTERN.source}, got ${JSON.stringify(name)}`);
    const t = h.LifecycleTransition;
    if (t === undefined && creating) throw validation(`LifecycleTransition is required to create lifecycle hook ${name}`);
    if (!TRANSITION_VALUES.includes(t ?? "")) throw validation(`Value '${String(t)}' at 'lifecycleTransition' failed to satisfy constraint: Member must be one of ${TRANSITION_VALUES.join(", ")}`);
    const timeout = h.HeartbeatTimeout;
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < HEARTBEAT_TIMEOUT_RANGE.min || timeout > HEARTBEAT_TIMEOUT_RANGE.max)) {
      throw validation(`Value '${timeout}' at 'heartbeatTimeout' failed to satisfy constraint: Member must be between ${HEARTBEAT_TIMEOUT_RANGE.min} and ${HEARTBEAT_TIMEOUT_RANGE.max}`);
    }
    const result = h.DefaultResult ?? "ABANDON";
    if (!isLifecycleResult(result)) throw validation(`Value '${result}' at 'defaultResult' failed to satisfy constraint: Member must be CONTINUE or ABANDON`);
    return {
      transition: t as Transition,
      spec: { name, defaultResult: result, heartbeatTimeout: timeout ?? 3600, notificationMetadata: h.NotificationMetadata ?? "" },
    };
  }

  /** Members that count toward the desired capacity. */
  private live(g: Group) {
    return g.model.instances().filter((m) => m.state === "Pending:Wait" || m.state === "InService");
  }

  /** Launches or terminates until the group holds its desired capacity (bounded by it). */
  private reconcile(g: Group): void {
    const live = this.live(g);
    for (let n = live.length; n < g.desired; n++) {
      const subnetId = this.nextSubnet(g);
      const data = g.template.data;
      const tags = Object.fromEntries(g.tags.filter((t) => t.PropagateAtLaunch).map((t) => [t.Key!, t.Value ?? ""]));
      for (const spec of data.TagSpecifications ?? []) if (spec.ResourceType === "instance") for (const t of spec.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? "";
      let launched;
      try {
        launched = g.model.launch({
          subnetId,
          instanceType: String(data.InstanceType ?? g.model.instanceType),
          tags,
          ...(data.SecurityGroupIds ? { securityGroupIds: data.SecurityGroupIds } : {}),
        });
      } catch {
        // A failed launch (the subnet is full, say) is a failed scaling activity; the group tries again later.
        break;
      }
      this.emit(launched.events);
    }
    const inService = live.filter((m) => m.state === "InService");
    for (let excess = live.length - g.desired; excess > 0 && inService.length; excess--) {
      const byZone = new Map<string, typeof inService>();
      for (const m of inService) byZone.set(m.availabilityZone, [...(byZone.get(m.availabilityZone) ?? []), m]);
      const zone = [...byZone.values()].sort((a, b) => b.length - a.length)[0]!;
      const victim = zone[randomInt(this.rng, zone.length)]!;
      inService.splice(inService.indexOf(victim), 1);
      this.emit(g.model.terminate(victim.instanceId));
    }
  }

  /** The group's subnet in the availability zone with the fewest live instances. */
  private nextSubnet(g: Group): string {
    const count = new Map<string, number>();
    for (const m of this.live(g)) count.set(m.availabilityZone, (count.get(m.availabilityZone) ?? 0) + 1);
    let best = g.subnetIds[0]!;
    let fewest = Infinity;
    for (const id of g.subnetIds) {
      const n = count.get(this.world.model.subnetInfo(id).availabilityZone) ?? 0;
      if (n < fewest) [best, fewest] = [id, n];
    }
    return best;
  }

  private emit(events: LifecycleEvent[]): void {
    for (const e of events) this.opts.onEvent?.(e);
  }

  private templateRef(g: Group) {
    return { LaunchTemplateId: g.template.id, LaunchTemplateName: g.template.name, Version: g.templateVersion };
  }

  private groupView(g: Group): AutoScalingGroup {
    const zones = [...new Set(g.subnetIds.map((id) => this.world.model.subnetInfo(id).availabilityZone))];
    const members = g.model.instances().filter((m) => m.state !== "Terminated");
    return {
      AutoScalingGroupName: g.model.groupName,
      AutoScalingGroupARN: g.model.arn,
      LaunchTemplate: this.templateRef(g),
      MinSize: g.min,
      MaxSize: g.max,
      DesiredCapacity: g.desired,
      DefaultCooldown: 300,
      AvailabilityZones: zones,
      LoadBalancerNames: [],
      TargetGroupARNs: [],
      HealthCheckType: "EC2",
      HealthCheckGracePeriod: 300,
      // DescribeAutoScalingGroups spells health "Healthy"; DescribeAutoScalingInstances "HEALTHY".
      Instances: members.map((m) => ({
        InstanceId: m.instanceId,
        InstanceType: m.instanceType,
        AvailabilityZone: m.availabilityZone,
        LifecycleState: m.state,
        HealthStatus: "Healthy",
        LaunchTemplate: this.templateRef(g),
        ProtectedFromScaleIn: false,
      })),
      CreatedTime: g.createdTime,
      SuspendedProcesses: [],
      VPCZoneIdentifier: g.subnetIds.join(","),
      EnabledMetrics: [],
      Tags: g.tags,
      TerminationPolicies: ["Default"],
      NewInstancesProtectedFromScaleIn: false,
      ServiceLinkedRoleARN: `arn:aws:iam::${this.world.model.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      CapacityRebalance: false,
    };
  }
}

function uuidish(rng: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join("");
  return `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
}
