import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from "@aws-sdk/client-ec2";
import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { intToIp, ipToInt } from "../../contract/address";
import { ENI_TAG_KEYS } from "../../contract/tags";
import type { NetworkPlan, PlannedSubnet } from "../../ipam/plan";
import type { Allocator, AllocatorContext } from "./types";
import { DETAIL_TYPES, LifecycleResult } from "../../contract/lifecycle";

/**
 * A straightforward allocator that follows the address plan, used as "this project's"
 * allocator in scenarios until (and besides) the lifecycle Lambda: per multus subnet of the
 * instance's AZ, `static` creates the ENI on a random free address of the worker block
 * (re-reading the subnet and retrying on InvalidIPAddress.InUse), `reservation` lets DHCP
 * pick (the pod block is reserved). It attaches at the plan's device index with
 * DeleteOnTermination, retries throttled calls with backoff, is idempotent on a replayed
 * event, and on failure removes what it made before ABANDONing.
 */
export function planAllocator(plan: NetworkPlan, opts: { tagKey?: string; attempts?: number } = {}): Allocator {
  const tagKey = opts.tagKey ?? ENI_TAG_KEYS.instanceId;
  const attempts = opts.attempts ?? 30;
  return async (raw, ctx) => {
    const event = raw as { "detail-type": string; detail: { EC2InstanceId: string; LifecycleHookName: string; AutoScalingGroupName: string; LifecycleActionToken: string } };
    const d = event.detail;
    const complete = async (result: LifecycleResult) => {
      try {
        await retry(ctx, () =>
          ctx.autoscaling.send(
            new CompleteLifecycleActionCommand({ AutoScalingGroupName: d.AutoScalingGroupName, LifecycleHookName: d.LifecycleHookName, LifecycleActionToken: d.LifecycleActionToken, LifecycleActionResult: result }),
          ),
        );
      } catch (err) {
        // A replayed or duplicate event: the action is already completed.
        if ((err as Error).name !== "ValidationError") throw err;
      }
    };
    if (event["detail-type"] !== DETAIL_TYPES.launch) {
      if (event["detail-type"] === DETAIL_TYPES.terminate) await complete("CONTINUE");
      return;
    }
    const created: { id: string; attachmentId?: string }[] = [];
    try {
      const inst = (await retry(ctx, () => ctx.ec2.send(new DescribeInstancesCommand({ InstanceIds: [d.EC2InstanceId] })))).Reservations?.[0]?.Instances?.[0];
      if (!inst || inst.State?.Name === "terminated" || inst.State?.Name === "shutting-down") return;
      const az = inst.Placement?.AvailabilityZone;
      for (const s of plan.subnets.filter((x) => x.availabilityZone === az)) {
        const have = inst.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === s.deviceIndex);
        if (have?.SubnetId === s.id) continue; // replayed event: already done
        const eniId = await createEni(ctx, s, d.EC2InstanceId, tagKey, attempts);
        const mine: { id: string; attachmentId?: string } = { id: eniId };
        created.push(mine);
        let attachmentId: string | undefined;
        try {
          attachmentId = (await retry(ctx, () => ctx.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: d.EC2InstanceId, DeviceIndex: s.deviceIndex })))).AttachmentId;
        } catch (err) {
          // A duplicate invocation attached its ENI first: ours is surplus.
          const now = (await retry(ctx, () => ctx.ec2.send(new DescribeInstancesCommand({ InstanceIds: [d.EC2InstanceId] })))).Reservations?.[0]?.Instances?.[0];
          const other = now?.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === s.deviceIndex && n.SubnetId === s.id);
          if (!other) throw err;
          await retry(ctx, () => ctx.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId })));
          created.pop();
          continue;
        }
        mine.attachmentId = attachmentId;
        await retry(ctx, () => ctx.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attachment: { AttachmentId: attachmentId, DeleteOnTermination: true } })));
      }
      await complete("CONTINUE");
    } catch (err) {
      ctx.log?.({ allocator: "plan", msg: "launch failed", instanceId: d.EC2InstanceId, error: (err as Error).name, message: (err as Error).message });
      await rollback(ctx, created);
      await complete("ABANDON");
    }
  };
}

async function createEni(ctx: AllocatorContext, s: PlannedSubnet, instanceId: string, tagKey: string, attempts: number): Promise<string> {
  const tags = [{ ResourceType: "network-interface" as const, Tags: [{ Key: tagKey, Value: instanceId }] }];
  if (s.strategy !== "static") {
    const out = await retry(ctx, () => ctx.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: s.id, TagSpecifications: tags })));
    return out.NetworkInterface!.NetworkInterfaceId!;
  }
  for (let i = 0; i < attempts; i++) {
    const used = await usedIps(ctx, s.id);
    const free: number[] = [];
    for (let ip = s.workers.first; ip <= s.workers.last; ip++) if (!used.has(ip)) free.push(ip);
    if (!free.length) throw Object.assign(new Error(`no free address in the worker block of ${s.id}`), { name: "WorkerBlockFull" });
    const ip = free[Math.floor(ctx.random() * free.length)]!;
    try {
      const out = await retry(ctx, () => ctx.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: s.id, PrivateIpAddress: intToIp(ip), TagSpecifications: tags })));
      return out.NetworkInterface!.NetworkInterfaceId!;
    } catch (err) {
      if ((err as Error).name !== "InvalidIPAddress.InUse") throw err;
    }
  }
  throw Object.assign(new Error(`no address in the worker block of ${s.id} after ${attempts} attempts`), { name: "WorkerBlockContended" });
}

async function usedIps(ctx: AllocatorContext, subnetId: string): Promise<Set<number>> {
  const used = new Set<number>();
  let token: string | undefined;
  do {
    const page = await retry(ctx, () => ctx.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [subnetId] }], MaxResults: 1000, NextToken: token })));
    for (const n of page.NetworkInterfaces ?? []) for (const a of n.PrivateIpAddresses ?? []) if (a.PrivateIpAddress) used.add(ipToInt(a.PrivateIpAddress));
    token = page.NextToken;
  } while (token);
  return used;
}

async function rollback(ctx: AllocatorContext, enis: { id: string; attachmentId?: string }[]): Promise<void> {
  for (const { id, attachmentId } of enis) {
    try {
      if (attachmentId) {
        try {
          await retry(ctx, () => ctx.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId })));
        } catch (err) {
          // Already detached (the instance went away): deleting is what is left to do.
          if ((err as Error).name !== "InvalidAttachmentID.NotFound") throw err;
        }
      }
      await retry(ctx, () => ctx.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })));
    } catch (err) {
      ctx.log?.({ allocator: "plan", msg: "rollback failed", eniId: id, error: (err as Error).name });
    }
  }
}

/** Retries throttled calls with capped exponential backoff and full jitter. */
async function retry<T>(ctx: AllocatorContext, fn: () => Promise<T>, tries = 10): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as Error).name !== "RequestLimitExceeded" || i >= tries - 1) throw err;
      await ctx.sleep(Math.floor(ctx.random() * Math.min(20_000, 100 * 2 ** i)));
    }
  }
}
