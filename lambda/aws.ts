import {
  DescribeInstancesCommandInput,
  DescribeNetworkInterfacesCommandInput,
  EC2Client,
  Instance,
  NetworkInterface,
  Tag,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
} from "@aws-sdk/client-ec2";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2_MAX_RESULTS } from "../contract/paging";

/** The clients the handler uses: the real SDK clients (against AWS, aws-sdk-client-mock, or the simulator). */
export type Ec2 = EC2Client;
export type AutoScaling = AutoScalingClient;

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** Every page of DescribeNetworkInterfaces, by the SDK's paginator (EC2 refuses a page size together with ids). */
export async function describeNetworkInterfaces(ec2: Ec2, input: DescribeNetworkInterfacesCommandInput): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  const pageSize = input.NetworkInterfaceIds?.length ? undefined : EC2_MAX_RESULTS;
  // The paginator writes NextToken into the input it is given: hand it a copy.
  for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, ...(pageSize ? { pageSize } : {}) }, { ...input })) {
    out.push(...(page.NetworkInterfaces ?? []));
  }
  return out;
}

/** Every instance of every page of DescribeInstances, by the SDK's paginator (EC2 refuses a page size together with ids). */
export async function describeInstances(ec2: Ec2, input: DescribeInstancesCommandInput): Promise<Instance[]> {
  const out: Instance[] = [];
  const pageSize = input.InstanceIds?.length ? undefined : EC2_MAX_RESULTS;
  for await (const page of paginateDescribeInstances({ client: ec2, ...(pageSize ? { pageSize } : {}) }, { ...input })) {
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
