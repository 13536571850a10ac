import type { AmiFamily } from "./user-data";
import { instanceArchitecture } from "../../ipam/capacity";

export { instanceArchitecture };

/**
 * The public SSM parameter holding the recommended EKS-optimized AMI id
 * (https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html):
 * AL2023 `/aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/standard/recommended/image_id`,
 * AL2 `/aws/service/eks/optimized-ami/<k8s>/amazon-linux-2[-arm64]/recommended/image_id`.
 */
export function eksAmiSsmParameter(kubernetesVersion: string, family: AmiFamily, instanceType: string): string {
  const arch = instanceArchitecture(instanceType);
  const base = `/aws/service/eks/optimized-ami/${kubernetesVersion}`;
  if (family === "al2023") return `${base}/amazon-linux-2023/${arch}/standard/recommended/image_id`;
  return `${base}/amazon-linux-2${arch === "arm64" ? "-arm64" : ""}/recommended/image_id`;
}
