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
import { AutoScalingError, AutoScalingModel, LifecycleEvent, LifecycleRecord, LifecycleState } from "./model";

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
  }

  /** Simulated time in ms (every member's clock moves together). */
  get now(): number {
    return this.members[0]!.model.now;
  }

  advance(ms: number): LifecycleRecord[] {
    return this.members.flatMap((m) => m.model.advance(ms));
  }

  /** Launches one instance of member `index` (see AutoScalingModel.launch). */
  launch(index = 0): { instanceId: string; events: LifecycleEvent[] } {
    const member = this.members[index];
    if (!member) throw new Error(`AutoScalingFleet: no member ${index}`);
    return member.model.launch();
  }

  /** The member an instance belongs to. */
  memberOf(instanceId: string): FleetMember | undefined {
    return this.members.find((m) => m.model.lifecycleState(instanceId) !== undefined);
  }

  terminate(instanceId: string): LifecycleEvent[] {
    const member = this.memberOf(instanceId);
    if (!member) throw new AutoScalingError("ValidationError", `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    return member.model.terminate(instanceId);
  }

  /** Times out what is still open in every group, and brings the clocks back together. */
  expireAll(): LifecycleRecord[] {
    const done = this.members.flatMap((m) => m.model.expireAll());
    const latest = Math.max(...this.members.map((m) => m.model.now));
    for (const m of this.members) if (m.model.now < latest) done.push(...m.model.advance(latest - m.model.now));
    return done;
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
