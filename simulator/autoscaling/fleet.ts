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
import { AutoScalingError, AutoScalingModel, GroupEvent, LifecycleEvent, LifecycleRecord, LifecycleState } from "./model";

/** The Auto Scaling calls the lifecycle Lambda and the scenarios make: one group's model, or a fleet of them. */
export type AutoScalingApi = Pick<AutoScalingModel, "completeLifecycleAction" | "recordLifecycleActionHeartbeat" | "describeAutoScalingInstances" | "describeLifecycleHooks">;

/** One Auto Scaling group of a fleet, and the plan's node group it runs (for the invariants). */
export interface FleetMember {
  readonly model: AutoScalingModel;
  /** The address plan's node group of its instances. @default none (single-group scenarios) */
  readonly planGroup?: string;
}

/**
 * Several Auto Scaling groups in one region, on one EC2 model and one clock: the Auto Scaling
 * API dispatches each call to the group it names (`AutoScalingGroupName`), as the service
 * does, and the scenario side (launch, terminate, results, timeouts) covers every group.
 * With one member it behaves as that member.
 */
export class AutoScalingFleet implements AutoScalingApi {
  constructor(readonly members: readonly FleetMember[]) {
    if (members.length === 0) throw new Error("AutoScalingFleet: give at least one Auto Scaling group");
    if (members.some((m) => m.model.ec2 !== members[0]!.model.ec2)) throw new Error("AutoScalingFleet: every group must run on one EC2 model (and so one clock)");
  }

  /** Simulated time in ms (every member is on the EC2 model's clock). */
  get now(): number {
    return this.members[0]!.model.now;
  }

  /** Moves the shared clock by `ms`; returns the actions of every group that timed out meanwhile. */
  advance(ms: number): LifecycleRecord[] {
    return this.timeoutsDuring(() => this.members[0]!.model.advance(ms));
  }

  /** Launches one instance of member `index` (see AutoScalingModel.launch). */
  launch(index = 0): ReturnType<AutoScalingModel["launch"]> {
    const member = this.members[index];
    if (!member) throw new Error(`AutoScalingFleet: no member ${index}`);
    return member.model.launch();
  }

  /** The member an instance belongs to. */
  memberOf(instanceId: string): FleetMember | undefined {
    return this.members.find((m) => m.model.lifecycleState(instanceId) !== undefined);
  }

  /** The instance's lifecycle state in its group, or undefined when no group has it. */
  lifecycleState(instanceId: string): LifecycleState | undefined {
    return this.memberOf(instanceId)?.model.lifecycleState(instanceId);
  }

  terminate(instanceId: string): LifecycleEvent[] {
    return this.owner(instanceId).model.terminate(instanceId);
  }

  /** Terminates an instance of any member, hookless ones too (AutoScalingModel.terminateWithEvents). */
  terminateWithEvents(instanceId: string): GroupEvent[] {
    return this.owner(instanceId).model.terminateWithEvents(instanceId);
  }

  private owner(instanceId: string): FleetMember {
    const member = this.memberOf(instanceId);
    if (!member) throw new AutoScalingError("ValidationError", `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    return member;
  }

  /** Runs the shared clock to its end: what is still open in every group times out. */
  expireAll(): LifecycleRecord[] {
    return this.timeoutsDuring(() => this.members[0]!.model.expireAll());
  }

  /** The actions of every group that timed out while `move` moved the shared clock. */
  private timeoutsDuring(move: () => void): LifecycleRecord[] {
    const before = this.members.map((m) => m.model.results.length);
    move();
    return this.members.flatMap((m, k) => m.model.results.slice(before[k]).filter((r) => r.by === "timeout"));
  }

  finishShutdowns(): void {
    for (const m of this.members) m.model.finishShutdowns();
  }

  /** Every group's completed lifecycle actions (per group in order). */
  get results(): LifecycleRecord[] {
    return this.members.flatMap((m) => m.model.results);
  }

  pending(): ReturnType<AutoScalingModel["pending"]> {
    return this.members.flatMap((m) => m.model.pending());
  }

  /** Every group's instances, with the group and its plan group. */
  instances(): { instanceId: string; availabilityZone: string; state: LifecycleState; groupName: string; planGroup?: string }[] {
    return this.members.flatMap((m) => m.model.instances().map((i) => ({ ...i, groupName: m.model.groupName, ...(m.planGroup !== undefined ? { planGroup: m.planGroup } : {}) })));
  }

  // ---------------------------------------------------------------- SDK commands

  private group(name: string | undefined): AutoScalingModel {
    const m = this.members.find((x) => x.model.groupName === name);
    if (!m) throw new AutoScalingError("ValidationError", `AutoScalingGroup name not found - no such group: ${String(name)}`);
    return m.model;
  }

  async completeLifecycleAction(input: CompleteLifecycleActionCommandInput): Promise<CompleteLifecycleActionCommandOutput> {
    return this.group(input.AutoScalingGroupName).completeLifecycleAction(input);
  }

  async recordLifecycleActionHeartbeat(input: RecordLifecycleActionHeartbeatCommandInput): Promise<RecordLifecycleActionHeartbeatCommandOutput> {
    return this.group(input.AutoScalingGroupName).recordLifecycleActionHeartbeat(input);
  }

  async describeLifecycleHooks(input: DescribeLifecycleHooksCommandInput): Promise<DescribeLifecycleHooksCommandOutput> {
    return this.group(input.AutoScalingGroupName).describeLifecycleHooks(input);
  }

  /** Instances of every group (or those asked for), as one answer. */
  async describeAutoScalingInstances(input: DescribeAutoScalingInstancesCommandInput = {}): Promise<DescribeAutoScalingInstancesCommandOutput> {
    const answers = await Promise.all(
      this.members.map((m) => m.model.describeAutoScalingInstances(input.InstanceIds?.length ? { InstanceIds: input.InstanceIds.filter((id) => m.model.lifecycleState(id) !== undefined) } : {})),
    );
    // An empty id list asks the model for all of its own: keep only what was asked for.
    const list = answers.flatMap((a) => a.AutoScalingInstances ?? []).filter((i) => !input.InstanceIds?.length || input.InstanceIds.includes(i.InstanceId!));
    return { AutoScalingInstances: list, $metadata: { httpStatusCode: 200, requestId: "sim", attempts: 1, totalRetryDelay: 0 } };
  }
}
