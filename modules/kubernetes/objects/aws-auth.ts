import { stringify } from "yaml";
import { K8sObject, checkRoleArn } from "./common";

/**
 * The aws-auth ConfigMap entry that lets the self-managed nodes join (the reference applied
 * aws-auth-cm.yaml by hand). Clusters in the API authentication mode use an EKS access entry
 * of type EC2_LINUX instead (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
 */
export interface AwsAuthRole {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: string[];
}

/** The mapRoles entry of a node role (https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html). */
export function nodeRoleMapping(roleArn: string, field = "awsAuth.nodeRoleArn"): AwsAuthRole {
  checkRoleArn(roleArn, field, "give the node role's ARN (arn:aws:iam::<account>:role/<name>), not the instance profile's");
  return { rolearn: roleArn, username: "system:node:{{EC2PrivateDNSName}}", groups: ["system:bootstrappers", "system:nodes"] };
}

export function mapRolesYaml(roles: AwsAuthRole[]): string {
  return stringify(roles);
}

export function awsAuthConfigMap(roles: AwsAuthRole[]): K8sObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system" },
    data: { mapRoles: mapRolesYaml(roles) },
  };
}
