import {
  DescribeInstancesCommand,
  DescribeInstancesCommandInput,
  DescribeNetworkInterfacesCommand,
  DescribeNetworkInterfacesCommandInput,
  EC2Client,
  Instance,
  NetworkInterface,
  Tag,
} from "@aws-sdk/client-ec2";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2_MAX_RESULTS, paginate } from "../contract/paging";

/** The clients the handler uses: the real SDK clients, aws-sdk-client-mock's, or the simulator's router. */
export type Ec2 = Pick<EC2Client, "send">;
export type AutoScaling = Pick<AutoScalingClient, "send">;

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** Every page of DescribeNetworkInterfaces (EC2 refuses a page size together with ids). */
export async function describeNetworkInterfaces(ec2: Ec2, input: DescribeNetworkInterfacesCommandInput): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  const send = (i: DescribeNetworkInterfacesCommandInput) => ec2.send(new DescribeNetworkInterfacesCommand(i));
  for await (const page of paginate(send, input, { pageSize: input.NetworkInterfaceIds?.length ? undefined : EC2_MAX_RESULTS })) {
    out.push(...(page.NetworkInterfaces ?? []));
  }
  return out;
}

/** Every instance of every page of DescribeInstances (EC2 refuses a page size together with ids). */
export async function describeInstances(ec2: Ec2, input: DescribeInstancesCommandInput): Promise<Instance[]> {
  const out: Instance[] = [];
  const send = (i: DescribeInstancesCommandInput) => ec2.send(new DescribeInstancesCommand(i));
  for await (const page of paginate(send, input, { pageSize: input.InstanceIds?.length ? undefined : EC2_MAX_RESULTS })) {
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
  }
  return out;
}

/** IPv4 addresses held by an ENI (primary and secondary). */
export function eniAddresses(eni: { PrivateIpAddress?: string; PrivateIpAddresses?: { PrivateIpAddress?: string }[] }): string[] {
  const out = new Set<string>();
  if (eni.PrivateIpAddress) out.add(eni.PrivateIpAddress);
  for (const p of eni.PrivateIpAddresses ?? []) if (p.PrivateIpAddress) out.add(p.PrivateIpAddress);
  return [...out];
}
