import { PlanError } from "../../../ipam";

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

// [registry[:port]/]path[:tag][@sha256:digest]; a tag or a digest is required so every image is pinned.
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

/**
 * A container image reference that names a tag or a digest (never an implied `:latest`). A
 * Terraform reference (a cdktf token, e.g. a variable) is checked where it is set.
 */
export function checkImage(image: unknown, field: string): string {
  if (typeof image === "string" && image.includes("${")) return image;
  if (typeof image !== "string" || !IMAGE.test(image) || image.endsWith(":latest") || !/(:[^/]+|@sha256:[0-9a-f]{64})$/.test(image)) {
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
