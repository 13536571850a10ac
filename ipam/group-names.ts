import { createHash } from "node:crypto";
import { NodeGroupKind, defaultAutoScalingGroupName, hooklessGroupName } from "../contract/lifecycle";
import type { NodeIamConfig } from "./node-options";

/**
 * The names two stacks must agree on, from one place: the AWS stack creates a `karpenter`
 * group's node role and wires the Lambda to its NodePool's name (the `karpenter.sh/nodepool`
 * instance tag), the Kubernetes stacks write the EC2NodeClass naming that role and the NodePool
 * of that name. Neither can read the other's state, so both compute them here.
 */

/**
 * A resource name within AWS's length limit: kept as is when it fits, otherwise cut and
 * suffixed with a short hash of the full name so two long names stay distinct.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, max - 9)}-${hash}`;
}

/** A node group as the names need it. */
export interface NamedGroup {
  readonly name: string;
  readonly kind: NodeGroupKind;
}

/**
 * What launches the group's nodes, by name: its Auto Scaling group (`autoscaling`), NodePool
 * (`karpenter`) or EKS node group (`managed`); also the value of the instance tag the Lambda
 * selects hookless instances by (`karpenter.sh/nodepool`, `eks:nodegroup-name`).
 */
export function launcherName(clusterName: string, group: NamedGroup): string {
  return group.kind === "autoscaling" ? defaultAutoScalingGroupName(clusterName, group.name) : hooklessGroupName(clusterName, group.name);
}

/**
 * The node role of a group: an existing one (iam.roleArn), or the one the node group creates,
 * named `name` exactly or, with `prefix`, `name-` plus a suffix IAM picks (known only after apply).
 * A `karpenter` group's role has a fixed name by default, so its EC2NodeClass can name it.
 */
export type NodeRoleName =
  | { readonly existing: true; readonly roleArn: string }
  | { readonly existing: false; readonly name: string; readonly prefix: boolean };

export function nodeRoleName(clusterName: string, group: NamedGroup, iam: NodeIamConfig): NodeRoleName {
  if (iam.roleArn !== undefined) return { existing: true, roleArn: iam.roleArn };
  const karpenter = group.kind === "karpenter";
  // 64: IAM's role name limit; 37 leaves room for the prefix's 26-character suffix.
  const name = iam.roleName ?? (karpenter ? fitName(`${clusterName}-${group.name}-node`, 64) : fitName(`${group.name}-node`, 37));
  return { existing: false, name, prefix: iam.roleUseNamePrefix ?? !karpenter };
}

/** The role name in a role ARN (`arn:aws:iam::<account>:role[/path]/<name>`). */
export function roleNameOfArn(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

/**
 * A `karpenter` group's NodePool name (metadata.name of its EC2NodeClass and NodePool) and the
 * node role name its EC2NodeClass's spec.role gives. undefined role: a prefixed name, unknown
 * before apply (the config refuses it for a karpenter group).
 */
export function karpenterNames(clusterName: string, group: NamedGroup, iam: NodeIamConfig): { nodePool: string; nodeRole?: string } {
  const role = nodeRoleName(clusterName, group, iam);
  return {
    nodePool: launcherName(clusterName, group),
    ...(role.existing ? { nodeRole: roleNameOfArn(role.roleArn) } : role.prefix ? {} : { nodeRole: role.name }),
  };
}
