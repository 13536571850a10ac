import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  Tag,
} from "@aws-sdk/client-ec2";
import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { intToIp, parseCidr } from "../../contract/address";
import type { Allocator, AllocatorContext } from "../scenario/types";
import { DETAIL_TYPES, LifecycleResult } from "../../contract/lifecycle";

/**
 * The reference system's lifecycle Lambda, reimplemented call for call so the simulator can
 * compare it with this project's. Source: aws-samples/eks-install-guide-for-multus,
 * cfn/templates/nodegroup/lambda_function.zip → lambda_function.py (the README's Option 1,
 * `useIPsFromStartOfSubnet`). What it does, and what this port keeps:
 * - Launch: for each subnet in `SubnetIds` order (device index 1, 2, ...): DescribeSubnets;
 *   with static IPs, read the subnet's ENIs ONCE (DescribeNetworkInterfaces, subnet-id filter,
 *   no pagination), list the 15 lowest addresses not in use after skipping the first three
 *   hosts (`maxFreeIPCOUNT=15`, `startIndex=3`), and try CreateNetworkInterface on each in turn,
 *   any error moving on to the next; without static IPs, one DHCP CreateNetworkInterface.
 *   Then sleep 2 s (`DELAY_SEC`), AttachNetworkInterface, ModifyNetworkInterfaceAttribute
 *   SourceDestCheck=false, then DeleteOnTermination=true.
 * - No ENI → CompleteLifecycleAction ABANDON (by instance id) and return. ENI but no
 *   attachment → ABANDON, sleep 2 s, DeleteNetworkInterface (errors only logged) and return.
 *   Otherwise CONTINUE. Earlier subnets' ENIs are left to DeleteOnTermination.
 * - Terminate: CONTINUE at once.
 * - Every ClientError is logged and swallowed; a failed read leaves an empty used list.
 * It ignores subnet CIDR reservations and never retries a throttled call.
 */
export interface ReferenceAllocatorConfig {
  /** `SubnetIds`: multus subnets in device order. */
  readonly subnetIds: string[];
  /** `SecGroupIds`: one per subnet, or one for all. */
  readonly securityGroupIds: string[];
  /** `useStaticIPs` (README: useIPsFromStartOfSubnet). */
  readonly useStaticIPs: boolean;
  /** `ENITags` as key=value pairs; `node.k8s.amazonaws.com/no_manage=true` is always added. */
  readonly tags?: Record<string, string>;
}

/** Tag the reference Lambda puts on every ENI it creates (lambda_function.py). */
export const NO_MANAGE_TAG = "node.k8s.amazonaws.com/no_manage";

const MAX_FREE_IP_COUNT = 15;
const START_INDEX = 3;
const DELAY_MS = 2000;

interface LaunchEvent {
  readonly "detail-type": string;
  readonly detail: { EC2InstanceId: string; LifecycleHookName: string; AutoScalingGroupName: string };
}

function errorOf(err: unknown): object {
  const e = err as { name?: string; message?: string };
  return { code: e?.name, message: e?.message };
}

export function referenceAllocator(config: ReferenceAllocatorConfig): Allocator {
  const groups =
    config.securityGroupIds.length === config.subnetIds.length
      ? config.securityGroupIds
      : config.subnetIds.map(() => config.securityGroupIds[0]!);
  const tags: Tag[] = [...Object.entries(config.tags ?? {}), [NO_MANAGE_TAG, "true"]].map(([Key, Value]) => ({ Key, Value }));

  return async (raw: unknown, ctx: AllocatorContext) => {
    const event = raw as LaunchEvent;
    const log = (line: object) => ctx.log?.({ allocator: "reference", ...line });
    const { EC2InstanceId: instanceId, LifecycleHookName: hook, AutoScalingGroupName: group } = event.detail;

    const complete = async (result: LifecycleResult) => {
      try {
        await ctx.autoscaling.send(
          new CompleteLifecycleActionCommand({ LifecycleHookName: hook, AutoScalingGroupName: group, InstanceId: instanceId, LifecycleActionResult: result }),
        );
      } catch (err) {
        log({ msg: "complete_lifecycle_action failed", instanceId, ...errorOf(err) });
      }
    };

    if (event["detail-type"] === DETAIL_TYPES.terminate) {
      await complete("CONTINUE");
      return;
    }
    if (event["detail-type"] !== DETAIL_TYPES.launch) return;

    let index = 1;
    for (const subnetId of config.subnetIds) {
      let eniId: string | undefined;
      let attachment: string | undefined;
      try {
        const cidr = await describeSubnetCidr(ctx, subnetId, log);
        if (!config.useStaticIPs) {
          eniId = await createInterface(ctx, { SubnetId: subnetId, Groups: [groups[index - 1]!], TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }] }, log);
        } else {
          // Python: subnetDetails['ipv4Cidr'] missing → KeyError → caught below, no ENI.
          if (cidr === undefined) throw new Error("KeyError: 'ipv4Cidr'");
          const free = await freeIps(ctx, subnetId, cidr, log);
          for (const ip of free) {
            eniId = await createInterface(
              ctx,
              { SubnetId: subnetId, Groups: [groups[index - 1]!], PrivateIpAddress: ip, TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }] },
              log,
            );
            if (eniId) break;
          }
        }
        if (eniId) {
          await ctx.sleep(DELAY_MS);
          attachment = await attachInterface(ctx, eniId, instanceId, index, log);
        }
        index++;
      } catch (err) {
        log({ msg: "Caught unexpected exception", ...errorOf(err) });
      }
      if (!eniId) {
        await complete("ABANDON");
        return;
      }
      if (!attachment) {
        await complete("ABANDON");
        await ctx.sleep(DELAY_MS);
        try {
          await ctx.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
        } catch (err) {
          log({ msg: "delete_interface failed", eniId, ...errorOf(err) });
        }
        return;
      }
    }
    await complete("CONTINUE");
  };
}

async function describeSubnetCidr(ctx: AllocatorContext, subnetId: string, log: (l: object) => void): Promise<string | undefined> {
  try {
    const out = await ctx.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    let cidr: string | undefined;
    for (const s of out.Subnets ?? []) cidr = s.CidrBlock;
    return cidr;
  } catch (err) {
    log({ msg: "Error describing subnet", subnetId, ...errorOf(err) });
    return undefined;
  }
}

/** getFreeIPs: the subnet's used addresses read once, then the 15 lowest free after skipping three hosts. */
async function freeIps(ctx: AllocatorContext, subnetId: string, cidr: string, log: (l: object) => void): Promise<string[]> {
  const used = new Set<string>();
  try {
    const out = await ctx.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [subnetId] }] }));
    for (const eni of out.NetworkInterfaces ?? []) for (const a of eni.PrivateIpAddresses ?? []) if (a.PrivateIpAddress) used.add(a.PrivateIpAddress);
  } catch (err) {
    log({ msg: "Error describing network interfaces", subnetId, ...errorOf(err) });
  }
  const net = parseCidr(cidr, "ipv4Cidr");
  const free: string[] = [];
  // ipaddress.IPv4Network.hosts(): network+1 .. broadcast-1.
  let count = 0;
  for (let ip = net.base + 1; ip < net.last && free.length < MAX_FREE_IP_COUNT; ip++) {
    count++;
    if (count <= START_INDEX) continue;
    const s = intToIp(ip);
    if (!used.has(s)) free.push(s);
  }
  return free;
}

async function createInterface(
  ctx: AllocatorContext,
  input: ConstructorParameters<typeof CreateNetworkInterfaceCommand>[0],
  log: (l: object) => void,
): Promise<string | undefined> {
  try {
    const out = await ctx.ec2.send(new CreateNetworkInterfaceCommand(input));
    return out.NetworkInterface?.NetworkInterfaceId;
  } catch (err) {
    log({ msg: "Error creating network interface", ip: input.PrivateIpAddress, ...errorOf(err) });
    return undefined;
  }
}

async function attachInterface(ctx: AllocatorContext, eniId: string, instanceId: string, index: number, log: (l: object) => void): Promise<string | undefined> {
  let attachment: string | undefined;
  try {
    const out = await ctx.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: index }));
    attachment = out.AttachmentId;
  } catch (err) {
    log({ msg: "Error attaching network interface", eniId, ...errorOf(err) });
  }
  try {
    await ctx.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, SourceDestCheck: { Value: false } }));
    await ctx.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attachment: { AttachmentId: attachment, DeleteOnTermination: true } }));
  } catch (err) {
    log({ msg: "Error modify_attribute network interface", eniId, ...errorOf(err) });
    attachment = undefined;
  }
  return attachment;
}
