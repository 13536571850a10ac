import { PlanError } from "./errors";

/**
 * Tag keys on the multus ENIs the lifecycle Lambda creates, read by the node agent and the
 * sweep. IAM conditions (`aws:ResourceTag/<key>`) in the node group's policies match the
 * node-group key, so neither the Lambda nor the agent can touch another group's ENIs.
 */
export const ENI_TAG_KEYS = {
  /** Value: the node group's tag value (the Auto Scaling group name by default). */
  nodeGroup: "multus.eks.amazonaws.com/node-group",
  /** Value: the EC2 instance id the ENI was created for. */
  instanceId: "multus.eks.amazonaws.com/instance-id",
  /** Value: ISO time of creation; the sweep spares younger ENIs whose instance it cannot see yet. */
  createdAt: "multus.eks.amazonaws.com/created-at",
  /**
   * Value "true": the VPC CNI's ipamd leaves the ENI alone (aws/amazon-vpc-cni-k8s
   * pkg/ipamd/ipamd.go, `eniNoManageTagKey`).
   */
  noManage: "node.k8s.amazonaws.com/no_manage",
} as const;

/** Tags per EC2 resource: 50 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions). */
export const MAX_TAGS_PER_RESOURCE = 50;

/** EC2 tag characters (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions). */
export const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Checks user tags for the multus ENIs: EC2's key and value rules, and room for the Lambda's own. */
export function checkInterfaceTags(tags: Record<string, string>, field: string): void {
  const ours = Object.values(ENI_TAG_KEYS) as string[];
  const keys = Object.keys(tags);
  if (keys.length + ours.length > MAX_TAGS_PER_RESOURCE) {
    throw new PlanError(
      field,
      `has ${keys.length} tags; with the ${ours.length} the Lambda adds that passes EC2's ${MAX_TAGS_PER_RESOURCE} per resource`,
      `use at most ${MAX_TAGS_PER_RESOURCE - ours.length} interface tags`,
    );
  }
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== "string") throw new PlanError(`${field}.${k}`, "must be a string", "write every tag value as a string");
    if (ours.includes(k)) throw new PlanError(`${field}.${k}`, "is a tag the Lambda sets itself", "remove it from the interface tags");
    if (k.length < 1 || k.length > 128 || /^aws:/i.test(k) || !TAG_TEXT.test(k)) {
      throw new PlanError(`${field}.${k}`, "is not a valid EC2 tag key", "use 1-128 letters, digits, spaces or _ . : / = + - @, not starting with aws:");
    }
    if (v.length > 256 || !TAG_TEXT.test(v)) throw new PlanError(`${field}.${k}`, "is not a valid EC2 tag value", "use at most 256 letters, digits, spaces or _ . : / = + - @");
  }
}
