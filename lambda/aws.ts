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

/** The clients the handler uses: the real SDK clients, aws-sdk-client-mock's, or the simulator's router. */
export type Ec2 = Pick<EC2Client, "send">;
export type AutoScaling = Pick<AutoScalingClient, "send">;

/** The AWS error code of an SDK v3 error (`name`), or the error's text. */
export function errorCode(err: unknown): string {
  if (err && typeof err === "object" && "name" in err && typeof (err as { name: unknown }).name === "string") return (err as { name: string }).name;
  return String(err);
}

export function errorText(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : "";
  return message && message !== code ? `${code}: ${message}` : code;
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** Every page of DescribeNetworkInterfaces (1000 per page, the API's maximum). */
export async function describeNetworkInterfaces(ec2: Ec2, input: DescribeNetworkInterfacesCommandInput): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeNetworkInterfacesCommand({ ...input, ...(input.NetworkInterfaceIds?.length ? {} : { MaxResults: 1000 }), ...(NextToken ? { NextToken } : {}) }),
    );
    out.push(...(page.NetworkInterfaces ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Every instance of every page of DescribeInstances (1000 per page, the API's maximum). */
export async function describeInstances(ec2: Ec2, input: DescribeInstancesCommandInput): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({ ...input, ...(input.InstanceIds?.length ? {} : { MaxResults: 1000 }), ...(NextToken ? { NextToken } : {}) }),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** IPv4 addresses held by an ENI (primary and secondary). */
export function eniAddresses(eni: { PrivateIpAddress?: string; PrivateIpAddresses?: { PrivateIpAddress?: string }[] }): string[] {
  const out = new Set<string>();
  if (eni.PrivateIpAddress) out.add(eni.PrivateIpAddress);
  for (const p of eni.PrivateIpAddresses ?? []) if (p.PrivateIpAddress) out.add(p.PrivateIpAddress);
  return [...out];
}
