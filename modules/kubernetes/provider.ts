import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { MultusConfig } from "../../ipam";

export interface KubernetesConnectionOptions {
  /** AWS CLI profile for `aws eks get-token`. @default the CLI's default credentials */
  readonly awsProfile?: string;
  /** Role the CLI assumes to get the token (`--role-arn`). @default none */
  readonly roleArn?: string;
  /**
   * Use a kubeconfig file instead of the cluster endpoint and `aws eks get-token`
   * (e.g. "~/.kube/config" after `aws eks update-kubeconfig`). @default none
   */
  readonly configPath?: string;
  /** Context in that kubeconfig. @default its current context */
  readonly configContext?: string;
}

/**
 * The kubernetes provider for the EKS cluster in `config`: its endpoint and CA, with a token
 * from `aws eks get-token` at every run, so no credential is stored in the state
 * (https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs#exec-plugins).
 */
export function kubernetesProvider(scope: Construct, id: string, config: MultusConfig, opts: KubernetesConnectionOptions = {}): KubernetesProvider {
  if (opts.configPath) {
    return new KubernetesProvider(scope, id, { configPath: opts.configPath, ...(opts.configContext ? { configContext: opts.configContext } : {}) });
  }
  const args = ["eks", "get-token", "--cluster-name", config.cluster.name, "--region", config.region];
  if (opts.roleArn) args.push("--role-arn", opts.roleArn);
  // A CLI flag, not AWS_PROFILE in exec.env: cdktf rewrites that map's keys to snake_case.
  if (opts.awsProfile) args.push("--profile", opts.awsProfile);
  return new KubernetesProvider(scope, id, {
    host: config.cluster.endpoint,
    clusterCaCertificate: Fn.base64decode(config.cluster.certificateAuthority),
    exec: [
      {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args,
      },
    ],
  });
}
