import { PlanError } from "../../../ipam";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { isPinnedImage } from "../../../ipam/image-ref";

/** A Kubernetes object as written in a manifest (apiVersion, kind, metadata, ...). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** The whole set of objects one component installs, in apply order. */
export type ObjectList = K8sObject[];

// RFC 1123 label / subdomain, as the API server checks names
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Object names (most kinds): DNS subdomain, at most 253 characters. */
export function checkName(name: unknown, field: string): string {
  if (typeof name !== "string" || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new PlanError(field, `${JSON.stringify(name)} is not a valid Kubernetes name`, "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)");
  }
  return name;
}

/** Namespaces (and other label-like names): DNS label, at most 63 characters. */
export function checkNamespace(name: unknown, field: string): string {
  if (typeof name !== "string" || name.length > 63 || !DNS_LABEL.test(name)) {
    throw new PlanError(field, `${JSON.stringify(name)} is not a valid namespace`, "use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63 characters)");
  }
  return name;
}

/**
 * A container image reference that names a tag or a digest (never an implied `:latest`). A
 * Terraform reference (a cdktf token, e.g. a variable) is checked where it is set.
 */
export function checkImage(image: unknown, field: string): string {
  if (typeof image === "string" && image.includes("${")) return image;
  if (!isPinnedImage(image)) {
    throw new PlanError(field, `${JSON.stringify(image)} is not a pinned image reference`, "give REGISTRY/REPOSITORY:TAG (not :latest) or REPOSITORY@sha256:DIGEST");
  }
  return image;
}

/** The usual container resources block. */
export function resources(cpu: string, memoryRequest: string, memoryLimit = memoryRequest) {
  return { requests: { cpu, memory: memoryRequest }, limits: { cpu, memory: memoryLimit } };
}

/** The env entry that gives a container its node's name (downward API). */
export function nodeNameEnv(name: string) {
  return { name, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } } };
}

// arn:<partition>:iam::<account>:role/<path/name> (IAM ARN format:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * An IAM role ARN. A Terraform reference (a cdktf token such as a role's `.arn` from another
 * stack) is resolved at apply time and passes unchecked.
 */
export function checkRoleArn(arn: string, field: string, fix: string): string {
  if (!arn.includes("${") && !ROLE_ARN.test(arn)) throw new PlanError(field, `${JSON.stringify(arn)} is not an IAM role ARN`, fix);
  return arn;
}

/**
 * Nodes none of our DaemonSets can work on: not Linux (Windows nodes: the images are Linux
 * ones), or of an EKS compute type where the VPC CNI's aws-node does not run (Fargate, hybrid
 * and Auto Mode nodes; aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml at v1.23.1,
 * b52188387f2e, excludes exactly these). Multus delegates to the VPC CNI's conflist, so where
 * aws-node does not run there is nothing to wrap. Fargate nodes also never run DaemonSet pods:
 * a DaemonSet that counts them never finishes its rollout.
 */
export const VPC_CNI_NODES = [
  { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
  { key: "eks.amazonaws.com/compute-type", operator: "NotIn", values: ["fargate", "hybrid", "auto"] },
] as const;

/**
 * The required node affinity of a DaemonSet: VPC_CNI_NODES, and with `multusNodesOnly` only
 * nodes that carry MULTUS_NODE_LABEL (any node group's name).
 */
export function daemonSetAffinity(multusNodesOnly: boolean) {
  const matchExpressions = [
    ...VPC_CNI_NODES.map((e) => ({ ...e, values: [...e.values] })),
    ...(multusNodesOnly ? [{ key: MULTUS_NODE_LABEL, operator: "Exists" }] : []),
  ];
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } };
}

/**
 * The priority class of the node DaemonSets, as aws-node and kube-proxy have it: on a full node
 * their pods preempt others instead of staying Pending
 * (https://kubernetes.io/docs/tasks/administer-cluster/guaranteed-scheduling-critical-addon-pods/).
 */
export const NODE_CRITICAL = "system-node-critical";

/**
 * A priority class name for a pod spec: the default, another class's name, or null for none.
 * Returns the spec fragment.
 */
export function priorityClass(value: string | null | undefined, field: string): { priorityClassName?: string } {
  if (value === null) return {};
  return { priorityClassName: checkName(value ?? NODE_CRITICAL, field) };
}
