import limits from "./eni-limits.json";
import { PlanError } from "../contract/errors";

/**
 * ENI and IPv4 limits per instance type. Data: ipam/eni-limits.json, parsed from
 * aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go at b52188387f2e (generated from
 * EC2 DescribeInstanceTypes); see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html#AvailableIpPerENI.
 */
export interface InstanceLimits {
  readonly instanceType: string;
  /** ENIs on the default network card, primary included. */
  readonly maxEnis: number;
  /** IPv4 addresses per ENI, the ENI's primary address included. */
  readonly ipv4PerEni: number;
}

const table = (limits as { instanceTypes: Record<string, { maxEnis: number; ipv4PerEni: number }> }).instanceTypes;

export function knownInstanceTypes(): string[] {
  return Object.keys(table);
}

export function instanceLimits(instanceType: string, field = "instanceType"): InstanceLimits {
  const entry = table[instanceType];
  if (!entry) {
    const family = instanceType.split(".")[0] ?? "";
    const near = Object.keys(table).filter((t) => t.startsWith(`${family}.`)).slice(0, 5);
    throw new PlanError(
      field,
      `unknown instance type "${instanceType}"`,
      near.length ? `use one of ${near.join(", ")}, ...` : "use an EC2 instance type such as c5.2xlarge",
    );
  }
  return { instanceType, maxEnis: entry.maxEnis, ipv4PerEni: entry.ipv4PerEni };
}

/**
 * kubelet max-pods for the primary VPC CNI once `multusEnis` ENIs are taken by multus subnets:
 * the VPC CNI formula maxPods = ENIs x (IPv4 per ENI - 1) + 2 (amazon-vpc-cni-k8s
 * misc/eni-max-pods.txt) over the ENIs that remain. The AMI default counts every ENI and so
 * overcounts on a multus node.
 */
export function kubeletMaxPods(limits: InstanceLimits, multusEnis: number): number {
  if (multusEnis >= limits.maxEnis) {
    throw new PlanError(
      "multus.subnets",
      `${limits.instanceType} has ${limits.maxEnis} ENIs; ${multusEnis} multus subnets per node leave none for the VPC CNI's primary ENI`,
      `use at most ${limits.maxEnis - 1} multus subnets per availability zone, or a larger instance type`,
      "infeasible",
    );
  }
  return (limits.maxEnis - multusEnis) * (limits.ipv4PerEni - 1) + 2;
}

/** Multus pods one node can make routable on one multus ENI: every IPv4 slot but the primary. */
export function multusPodsPerEni(limits: InstanceLimits): number {
  return limits.ipv4PerEni - 1;
}
