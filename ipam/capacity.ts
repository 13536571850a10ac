import limits from "./eni-limits.json";
import { PlanError } from "../contract/errors";
import { nearest } from "./wording";

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
  /**
   * ENI limit of each network card, by card index (card 0, the default, first). Types with
   * several cards limit ENIs per card, not per instance (DescribeInstanceTypes
   * NetworkInfo.NetworkCards[].MaximumNetworkInterfaces).
   */
  readonly networkCards: readonly number[];
}

const table = (limits as { instanceTypes: Record<string, { maxEnis: number; ipv4PerEni: number; cards?: number[] }> }).instanceTypes;

export function knownInstanceTypes(): string[] {
  return Object.keys(table);
}

/** CPU architecture of an instance type: Graviton families carry a `g` after the generation (m7g, c6gn, r8gd) or are a1. */
export function instanceArchitecture(instanceType: string): "x86_64" | "arm64" {
  const m = /^([a-z]+)(\d+)([a-z-]*)\./.exec(instanceType);
  if (!m) return "x86_64";
  if (m[1] === "a" && m[2] === "1") return "arm64";
  return m[3]!.includes("g") ? "arm64" : "x86_64";
}

export function instanceLimits(instanceType: string, field = "instanceType"): InstanceLimits {
  const entry = table[instanceType];
  if (!entry) {
    throw new PlanError(field, `unknown instance type "${instanceType}"`, `use one of the nearest known names: ${nearest(Object.keys(table), instanceType).join(", ")}`);
  }
  return { instanceType, maxEnis: entry.maxEnis, ipv4PerEni: entry.ipv4PerEni, networkCards: entry.cards ?? [entry.maxEnis] };
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
      `use at most ${limits.maxEnis - 1} multus subnet${limits.maxEnis - 1 === 1 ? "" : "s"} per availability zone, or a larger instance type`,
      "infeasible",
    );
  }
  return (limits.maxEnis - multusEnis) * (limits.ipv4PerEni - 1) + 2;
}

/** Multus pods one node can make routable on one multus ENI: every IPv4 slot but the primary. */
export function multusPodsPerEni(limits: InstanceLimits): number {
  return limits.ipv4PerEni - 1;
}

/**
 * The DaemonSets on every multus node, each one pod that counts against kubelet max-pods:
 * EKS's own (aws-node: the VPC CNI; kube-proxy) and this project's (modules/kubernetes:
 * Multus, whereabouts, the node agent).
 */
export const NODE_DAEMONSETS = ["aws-node", "kube-proxy", "kube-multus-ds", "whereabouts", "multus-node-agent"] as const;

/** Fewer workload pods per node than this gets a warning (a judgement, not an AWS limit). */
export const FEW_WORKLOAD_PODS = 10;

/**
 * Refuses an instance type whose max-pods the DaemonSets fill (infeasible), and warns with
 * the count where few pods are left for workloads.
 */
export function checkRoomForPods(limits: InstanceLimits, maxPods: number, field = "nodeGroup.instanceType"): string[] {
  const daemons = NODE_DAEMONSETS.length;
  const room = maxPods - daemons;
  if (room <= 0) {
    throw new PlanError(
      field,
      `${limits.instanceType} gets kubelet max-pods ${maxPods} with the multus ENIs taken, and the ${daemons} DaemonSet pods every node runs (${NODE_DAEMONSETS.join(", ")}) fill it`,
      "use an instance type with more ENIs or IPv4 addresses per ENI (e.g. c5.xlarge), or fewer multus subnets per availability zone",
      "infeasible",
    );
  }
  if (room < FEW_WORKLOAD_PODS) {
    return [`${field} ${limits.instanceType}: kubelet max-pods ${maxPods} leaves ${room} pod${room === 1 ? "" : "s"} per node for workloads after the ${daemons} DaemonSet pods (${NODE_DAEMONSETS.join(", ")})`];
  }
  return [];
}
