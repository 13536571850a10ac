import { PlanError } from "../contract/errors";
import { JsonObject as Json, isObject } from "../contract/json";
import { DEFAULT_HOOKS, HEARTBEAT_TIMEOUT_RANGE, HOOK_NAME_PATTERN } from "../contract/lifecycle";
import { MULTUS_NODE_LABEL, isLabelValue } from "../contract/node-label";
import { STARTUP_TAINT } from "../contract/node-network";
import { MAX_TAGS_PER_RESOURCE, TAG_TEXT } from "../contract/tags";
import { instanceArchitecture, instanceLimits } from "./capacity";
import { CONFIG_FIELDS } from "./config-fields";
import type { Checker } from "./config";
import { checkExtraNodeConfig } from "./nodeadm";

/**
 * A node group's production options (beside its sizes and AMI): what teams using
 * terraform-aws-eks's self-managed node group (v21, modules/self-managed-node-group) rely on.
 * The same shapes are MultusNodeGroup's props (modules/aws/node-group.ts).
 */

/** Spot allocation strategies of an Auto Scaling mixed instances policy (InstancesDistribution.SpotAllocationStrategy). */
export const SPOT_ALLOCATION_STRATEGIES = ["price-capacity-optimized", "capacity-optimized", "capacity-optimized-prioritized", "lowest-price"] as const;
export type SpotAllocationStrategy = (typeof SPOT_ALLOCATION_STRATEGIES)[number];
export const ON_DEMAND_ALLOCATION_STRATEGIES = ["prioritized", "lowest-price"] as const;

/** Spot capacity through a mixed instances policy (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html). */
export interface SpotConfig {
  /** On-Demand instances before any Spot. @default 0 */
  readonly onDemandBaseCapacity?: number;
  /** Percent On-Demand above the base, 0 to 100. @default 0 (all Spot) */
  readonly onDemandPercentageAboveBaseCapacity?: number;
  /** @default "price-capacity-optimized" (AWS's recommendation) */
  readonly allocationStrategy?: SpotAllocationStrategy;
  /** @default "prioritized" (instanceTypes order) */
  readonly onDemandAllocationStrategy?: (typeof ON_DEMAND_ALLOCATION_STRATEGIES)[number];
  /** Maximum Spot price per hour, e.g. "0.25". @default the On-Demand price */
  readonly maxPrice?: string;
}

/** Instance refresh preferences (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html). */
export interface InstanceRefreshConfig {
  /** false: no instance refresh when the launch template changes. @default true */
  readonly enabled?: boolean;
  /** @default 66 (the reference's rolling update) */
  readonly minHealthyPercentage?: number;
  /** 100 to 200; above 100 launches replacements before terminating. @default AWS's (100) */
  readonly maxHealthyPercentage?: number;
  /** Seconds until a new instance counts as healthy. @default the group's health check grace period */
  readonly instanceWarmup?: number;
  /** @default false */
  readonly skipMatching?: boolean;
  /** @default false */
  readonly autoRollback?: boolean;
  /** Ascending percentages, the last 100. @default none */
  readonly checkpointPercentages?: number[];
  /** Seconds to wait at each checkpoint. @default 3600 (AWS's) */
  readonly checkpointDelay?: number;
}

export const PLACEMENT_STRATEGIES = ["cluster", "partition", "spread"] as const;
export type PlacementStrategy = (typeof PLACEMENT_STRATEGIES)[number];

/** A placement group made for the node group (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/placement-strategies.html). */
export interface PlacementGroupConfig {
  /** `cluster` (low latency, one AZ), `partition` or `spread` (at most 7 running instances per AZ). */
  readonly strategy: PlacementStrategy;
  /** `partition`: 1 to 7 partitions. @default 2 */
  readonly partitionCount?: number;
  /** `spread`: "rack", or "host" (Outposts only). @default "rack" */
  readonly spreadLevel?: "rack" | "host";
}

export const ROOT_VOLUME_TYPES = ["gp3", "gp2", "io1", "io2", "standard"] as const;
/** st1 and sc1 cannot be boot volumes (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html). */
export const VOLUME_TYPES = [...ROOT_VOLUME_TYPES, "st1", "sc1"] as const;

/** An EBS volume of the launch template. */
export interface VolumeConfig {
  /** @default "gp3" */
  readonly type?: string;
  /** GiB. @default the group's volumeSize (root) */
  readonly size?: number;
  /** gp3 3,000-80,000, io1 100-64,000, io2 100-256,000. @default the type's baseline */
  readonly iops?: number;
  /** gp3 only, MiB/s, 125-2,000. @default 125 */
  readonly throughput?: number;
  /** ARN of the KMS key that encrypts it. @default the account's default EBS key */
  readonly kmsKeyId?: string;
  /** @default true */
  readonly encrypted?: boolean;
}

/** A volume beside the root one. */
export interface ExtraVolumeConfig extends VolumeConfig {
  /** e.g. "/dev/xvdb". */
  readonly deviceName: string;
  readonly size: number;
  /** @default true */
  readonly deleteOnTermination?: boolean;
}

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
/** A taint the node registers with. */
export interface NodeTaint {
  readonly key: string;
  /** @default "" */
  readonly value?: string;
  readonly effect: (typeof TAINT_EFFECTS)[number];
}

/** The node role of a group: terraform-aws-eks's iam_role_* and create_iam_instance_profile variables. */
export interface NodeIamConfig {
  /**
   * Attach AmazonEKS_CNI_Policy to the node role, as terraform-aws-eks's
   * `iam_role_attach_cni_policy` (default true). false: the node role holds no ENI permission
   * at all; the VPC CNI then needs its own role (IRSA or Pod Identity for aws-node) and the
   * node agent gets one (`iam.nodeAgent`). @default true
   */
  readonly attachCniPolicy?: boolean;
  /** An existing node role (ARN): no role is created, nothing is attached to it but the agent's inline policy where the agent uses the node role. @default a new role */
  readonly roleArn?: string;
  /** An existing instance profile (ARN) of roleArn: none is created. @default a new profile */
  readonly instanceProfileArn?: string;
  /** @default `<group>-node` */
  readonly roleName?: string;
  /** Use roleName as a prefix (a unique suffix is added). @default true */
  readonly roleUseNamePrefix?: boolean;
  /** @default "/" */
  readonly rolePath?: string;
  /** ARN of a permissions boundary policy. @default none */
  readonly permissionsBoundary?: string;
  /** More managed policies (ARNs), e.g. arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore. @default [] */
  readonly additionalPolicyArns?: string[];
}

/** How the node agent gets its own AWS credentials when it does not use the node role. */
export interface NodeAgentIamConfig {
  /** `pod-identity`: an EKS Pod Identity association (the cluster needs the Pod Identity Agent add-on); `irsa`: IAM roles for service accounts. @default "pod-identity" */
  readonly credentials?: "pod-identity" | "irsa";
  /** `irsa`: the cluster's IAM OIDC provider ARN. */
  readonly oidcProviderArn?: string;
}

/** The config's top-level `iam`: every group's defaults, and the node agent's role. */
export interface ClusterIamConfig extends NodeIamConfig {
  /** @default created (pod-identity) when a group has attachCniPolicy false, else the agent uses the node roles */
  readonly nodeAgent?: NodeAgentIamConfig;
}

/** A lifecycle hook of the caller's, beside the multus launch and terminate hooks. */
export interface LifecycleHookConfig {
  readonly name: string;
  readonly transition: "launch" | "terminate";
  /** @default "ABANDON" */
  readonly defaultResult?: "CONTINUE" | "ABANDON";
  /** Seconds. @default 3600 (AWS's) */
  readonly heartbeatTimeout?: number;
  /** SNS topic or SQS queue ARN. @default none (EventBridge sees the action) */
  readonly notificationTargetArn?: string;
  /** Role Auto Scaling assumes to publish to the target; required with it. */
  readonly roleArn?: string;
  readonly notificationMetadata?: string;
}

/** Tags per resource of a group, beside the group's `tags` (which go on all of them). */
export interface ResourceTagsConfig {
  /** On the Auto Scaling group only (propagate_at_launch false). */
  readonly autoScalingGroup?: Record<string, string>;
  /** On the instances (launch template tag specification and propagated group tags). */
  readonly instance?: Record<string, string>;
  /** On the instances' EBS volumes (launch template tag specification). */
  readonly volume?: Record<string, string>;
  /** On the instances' primary network interfaces (launch template tag specification); multus ENIs carry their network's interfaceTags. */
  readonly networkInterface?: Record<string, string>;
  /** On the launch template itself. */
  readonly launchTemplate?: Record<string, string>;
}

/**
 * A node group's production options: the config's fields of a node group and the
 * MultusNodeGroup construct's props alike (one declaration, validated by checkNodeGroupOptions).
 */
export interface NodeGroupOptions {
  /**
   * Instance types of a mixed instances policy, the launch template's first. Each must fit the
   * multus ENIs (its ENI and IPv4 limits are checked); kubelet max-pods is the smallest of theirs.
   * @default [instanceType]
   */
  readonly instanceTypes?: string[];
  /**
   * Let Terraform set the Auto Scaling group's desired capacity on every apply. By default it is
   * set at creation and then ignored (lifecycle ignore_changes, as terraform-aws-eks does), so an
   * apply does not undo the cluster autoscaler. @default false
   */
  readonly manageDesiredCapacity?: boolean;
  /**
   * The cluster-autoscaler tags on the group (not propagated): auto-discovery
   * `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`, and for scale
   * from zero `k8s.io/cluster-autoscaler/node-template/label/<key>` and `.../taint/<key>` for the
   * node group label, `labels` and `taints`. The startup taint is left out of the template (it is
   * lifted within minutes); run the autoscaler with `--startup-taint` for it. @default true
   */
  readonly clusterAutoscaler?: boolean;
  /** Spot capacity (mixed instances policy distribution). @default none: On-Demand only */
  readonly spot?: SpotConfig;
  /** Capacity rebalancing: replace a Spot instance at an elevated interruption risk ahead of time. @default true with spot, else false */
  readonly capacityRebalance?: boolean;
  /** Instance refresh on launch template changes (Rolling). @default enabled, minHealthyPercentage 66 */
  readonly instanceRefresh?: InstanceRefreshConfig;
  /** A placement group made for the nodes. @default none */
  readonly placementGroup?: PlacementGroupConfig;
  /** @default AWS's ["Default"] */
  readonly terminationPolicies?: string[];
  /** Seconds: 0 for none, else 86,400 to 31,536,000. @default 0 */
  readonly maxInstanceLifetime?: number;
  /** Seconds. @default 300 (AWS's) */
  readonly healthCheckGracePeriod?: number;
  /** Group metrics to collect, at 1-minute granularity. @default [] */
  readonly enabledMetrics?: string[];
  /** The root volume; overrides volumeSize and volumeType. @default {type: volumeType, size: volumeSize}, encrypted with the account's default key */
  readonly volume?: VolumeConfig;
  /** @default [] */
  readonly extraVolumes?: ExtraVolumeConfig[];
  /** Shell run before the node's bootstrap (e.g. hugepages; a MIME part before nodeadm's on AL2023). @default none */
  readonly preBootstrapScript?: string;
  /** Shell run after the node's bootstrap parts (AL2: after bootstrap.sh; AL2023: after the other parts, before nodeadm starts the kubelet). @default none */
  readonly postBootstrapScript?: string;
  /** A nodeadm NodeConfig spec merged after the node group's own (AL2023). @default none */
  readonly nodeConfig?: Record<string, unknown>;
  /** Node labels beside the node group label (kubelet --node-labels). @default {} */
  readonly labels?: Record<string, string>;
  /** Node taints beside the startup taint (KubeletConfiguration registerWithTaints; AL2: --register-with-taints). @default [] */
  readonly taints?: NodeTaint[];
  /**
   * The node role: CNI policy, an existing role or profile, its name, path, boundary and more
   * policies; in the config, over its top-level `iam`. @default a new role with the CNI policy
   */
  readonly iam?: NodeIamConfig;
  /** The caller's lifecycle hooks, beside the multus launch and terminate hooks. @default [] */
  readonly lifecycleHooks?: LifecycleHookConfig[];
  /** Tags on every resource of the group (propagated to the instances). @default {} */
  readonly tags?: Record<string, string>;
  /** Tags per resource, over `tags`. @default {} */
  readonly resourceTags?: ResourceTagsConfig;
}

/** The Lambda's code from S3 instead of the local bundle. */
export interface LambdaCodeConfig {
  readonly s3Bucket: string;
  readonly s3Key: string;
  /** @default the latest version */
  readonly s3ObjectVersion?: string;
}

/** Auto Scaling group metrics (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_EnableMetricsCollection.html). */
export const ASG_METRICS = [
  "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupStandbyInstances",
  "GroupTerminatingInstances", "GroupTotalInstances", "GroupInServiceCapacity", "GroupPendingCapacity", "GroupStandbyCapacity",
  "GroupTerminatingCapacity", "GroupTotalCapacity", "WarmPoolDesiredCapacity", "WarmPoolWarmedCapacity", "WarmPoolPendingCapacity",
  "WarmPoolTerminatingCapacity", "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity", "GroupAndWarmPoolTotalCapacity",
] as const;

/** Termination policies (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html), or a Lambda function ARN. */
export const TERMINATION_POLICIES = ["Default", "AllocationStrategy", "OldestLaunchTemplate", "OldestLaunchConfiguration", "ClosestToNextInstanceHour", "NewestInstance", "OldestInstance"] as const;

/** A mixed instances policy holds at most 40 overrides (API_LaunchTemplate: Overrides, maximum 40 items). */
export const MAX_INSTANCE_TYPES = 40;
/** EC2 user data: 16 KB before base64 (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html). */
export const MAX_USER_DATA_BYTES = 16384;
/** Lifecycle hooks per Auto Scaling group (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html). */
export const MAX_LIFECYCLE_HOOKS = 50;

/** What the options' strings must look like (EC2, IAM, S3 and Auto Scaling's rules). */
export const OPTION_PATTERNS = {
  maxPrice: /^\d+(\.\d+)?$/,
  deviceName: /^\/dev\/(sd[b-z]|xvd[b-z][a-z]?|nvme\d+n\d+)$/,
  roleName: /^[\w+=,.@-]{1,37}$/,
  rolePath: /^\/([\w+=,.@-]+\/)*$/,
  s3Bucket: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  s3Text: /^[\s\S]{1,1024}$/,
  notificationMetadata: /^[\s\S]{1,1023}$/,
} as const;

const PARTITION = "aws(-[a-z]+)*";
export const ARN_PATTERNS = {
  kmsKey: new RegExp(`^arn:${PARTITION}:kms:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:key/(mrk-)?[A-Za-z0-9-]{1,64}$`),
  role: new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`),
  instanceProfile: new RegExp(`^arn:${PARTITION}:iam::\\d{12}:instance-profile/[\\w+=,.@/-]{1,512}$`),
  policy: new RegExp(`^arn:${PARTITION}:iam::(\\d{12}|aws):policy/[\\w+=,.@/-]{1,512}$`),
  oidcProvider: new RegExp(`^arn:${PARTITION}:iam::\\d{12}:oidc-provider/[\\w./-]+$`),
  lambda: new RegExp(`^arn:${PARTITION}:lambda:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:function:[\\w-]{1,64}(:[\\w$-]+)?$`),
  notificationTarget: new RegExp(`^arn:${PARTITION}:(sns|sqs):[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:[\\w-]{1,256}$`),
};
const EXAMPLE_ARN = {
  kmsKey: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  role: "arn:aws:iam::111122223333:role/eks-node",
  instanceProfile: "arn:aws:iam::111122223333:instance-profile/eks-node",
  policy: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  oidcProvider: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
  lambda: "arn:aws:lambda:us-west-2:111122223333:function:my-termination-policy",
  notificationTarget: "arn:aws:sqs:us-west-2:111122223333:node-drain",
};

/** Checks an ARN of a kind, naming the field and an example. */
export function checkArn(c: Checker, v: unknown, field: string, kind: keyof typeof ARN_PATTERNS): string {
  if (typeof v !== "string" || !ARN_PATTERNS[kind].test(v)) {
    c.fail(field, `${JSON.stringify(v)} is not ${kind === "kmsKey" ? "a KMS key ARN" : `an ARN of ${kind.replace(/[A-Z]/g, (m) => ` ${m.toLowerCase()}`)}`}`, `give the full ARN, e.g. ${EXAMPLE_ARN[kind]}`);
  }
  return v;
}

/** EC2 and Auto Scaling tags: at most 50, keys 1-128 characters not starting with aws:, values at most 256. */
export function checkTags(tags: unknown, field: string, c: Checker): Record<string, string> {
  if (!isObject(tags)) c.fail(field, "must be an object of tag values", 'write it as {"key": "value"}');
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS_PER_RESOURCE) c.fail(field, `has ${entries.length} tags, more than EC2's ${MAX_TAGS_PER_RESOURCE} per resource`, `use at most ${MAX_TAGS_PER_RESOURCE}`);
  for (const [k, v] of entries) {
    if (typeof v !== "string") c.fail(`${field}.${k}`, "must be a string", "write every tag value as a string");
    if (k.length < 1 || k.length > 128 || /^aws:/i.test(k) || !TAG_TEXT.test(k)) c.fail(`${field}.${k}`, "is not a valid tag key", "use 1-128 letters, digits, spaces or _ . : / = + - @, not starting with aws:");
    if (v.length > 256 || !TAG_TEXT.test(v)) c.fail(`${field}.${k}`, "is not a valid tag value", "use at most 256 letters, digits, spaces or _ . : / = + - @");
  }
  return tags as Record<string, string>;
}

// Label keys: an optional DNS-subdomain prefix and a name of at most 63 characters
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set).
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The kubelet refuses `--node-labels` in the kubernetes.io and k8s.io namespaces but for its
 * own (kubelet.kubernetes.io/, node.kubernetes.io/ and a fixed list: k8s.io/kubelet
 * pkg/apis/well_known_labels.go, KubeletLabelNamespaces and kubeletLabels), so a label there
 * would keep the node from starting.
 */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const restricted = (d: string) => prefix === d || prefix.endsWith(`.${d}`);
  if (!restricted("kubernetes.io") && !restricted("k8s.io")) return true;
  if (restricted("kubelet.kubernetes.io") || restricted("node.kubernetes.io")) return true;
  return [
    "kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region", "beta.kubernetes.io/instance-type", "kubernetes.io/os", "kubernetes.io/arch",
    "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
  ].includes(key);
}

function checkLabels(v: unknown, field: string, c: Checker): void {
  if (!isObject(v)) c.fail(field, "must be an object of label values", 'write it as {"key": "value"}');
  for (const [k, val] of Object.entries(v)) {
    if (!QUALIFIED_NAME.test(k) || k.length > 317) c.fail(`${field}.${k}`, "is not a Kubernetes label key", "use [prefix/]name: a DNS subdomain prefix and a name of at most 63 letters, digits, '-', '_' or '.'");
    if (k === MULTUS_NODE_LABEL) c.fail(`${field}.${k}`, "is the label the node group sets to its name", "remove it");
    if (!kubeletMaySetLabel(k)) c.fail(`${field}.${k}`, "is in the kubernetes.io or k8s.io namespace, which the kubelet may not set (it would not start)", "use a prefix of your own, or node.kubernetes.io/ or kubelet.kubernetes.io/");
    if (typeof val !== "string" || !isLabelValue(val)) c.fail(`${field}.${k}`, `${JSON.stringify(val)} is not a label value`, "use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
  }
}

function checkTaints(v: unknown, field: string, c: Checker): void {
  const list = c.list(v, field, 0);
  const seen = new Set<string>();
  list.forEach((t, i) => {
    const at = `${field}[${i}]`;
    const taint = c.keys(t, at, CONFIG_FIELDS["nodeGroup.taints[]"]);
    const key = c.str(taint.key, `${at}.key`);
    if (!QUALIFIED_NAME.test(key)) c.fail(`${at}.key`, `"${key}" is not a taint key`, "use [prefix/]name, as a label key");
    if (key === STARTUP_TAINT.key) c.fail(`${at}.key`, "is the startup taint, which the node group sets and the node agent lifts", "remove it (startupTaint switches it off)");
    if (taint.value !== undefined && (typeof taint.value !== "string" || !isLabelValue(taint.value))) c.fail(`${at}.value`, `${JSON.stringify(taint.value)} is not a taint value`, "use a label value (at most 63 letters, digits, '-', '_' or '.')");
    const effect = c.oneOf(taint.effect, `${at}.effect`, TAINT_EFFECTS);
    if (seen.has(`${key}:${effect}`)) c.fail(`${at}.key`, `${key}:${effect} is listed twice`, "list each taint once");
    seen.add(`${key}:${effect}`);
  });
}

/** Checks a volume's type-dependent fields. `root`: no st1/sc1. */
function checkVolume(v: unknown, at: string, c: Checker, fields: readonly string[], root: boolean): Json {
  const vol = c.keys(v, at, fields);
  const type = vol.type === undefined ? "gp3" : c.oneOf(vol.type, `${at}.type`, root ? ROOT_VOLUME_TYPES : VOLUME_TYPES);
  if (vol.size !== undefined) c.int(vol.size, `${at}.size`, root ? 20 : 1, 65536);
  const iopsRange: Record<string, [number, number]> = { gp3: [3000, 80000], io1: [100, 64000], io2: [100, 256000] };
  if (vol.iops !== undefined) {
    const range = iopsRange[type];
    if (!range) c.fail(`${at}.iops`, `is not set on a ${type} volume`, "remove it, or use gp3, io1 or io2");
    c.int(vol.iops, `${at}.iops`, ...range);
  } else if (type === "io1" || type === "io2") {
    c.fail(`${at}.iops`, `is required for a ${type} volume`, `set ${at}.iops (${iopsRange[type]!.join(" to ")})`);
  }
  if (vol.throughput !== undefined) {
    if (type !== "gp3") c.fail(`${at}.throughput`, `is set on a ${type} volume; only gp3 takes it`, "remove it, or use gp3");
    c.int(vol.throughput, `${at}.throughput`, 125, 2000);
  }
  if (vol.encrypted !== undefined) c.bool(vol.encrypted, `${at}.encrypted`);
  if (vol.kmsKeyId !== undefined) {
    checkArn(c, vol.kmsKeyId, `${at}.kmsKeyId`, "kmsKey");
    if (vol.encrypted === false) c.fail(`${at}.kmsKeyId`, "is set on a volume with encrypted false", "remove kmsKeyId, or leave encrypted true");
  }
  return vol;
}

function checkIam(v: unknown, at: string, c: Checker, top: boolean): void {
  const iam = c.keys(v, at, top ? CONFIG_FIELDS.iam : CONFIG_FIELDS["nodeGroup.iam"]);
  if (iam.attachCniPolicy !== undefined) c.bool(iam.attachCniPolicy, `${at}.attachCniPolicy`);
  if (iam.roleArn !== undefined) checkArn(c, iam.roleArn, `${at}.roleArn`, "role");
  if (iam.instanceProfileArn !== undefined) checkArn(c, iam.instanceProfileArn, `${at}.instanceProfileArn`, "instanceProfile");
  if (iam.roleName !== undefined) c.str(iam.roleName, `${at}.roleName`, OPTION_PATTERNS.roleName, "ng1-node");
  if (iam.roleUseNamePrefix !== undefined) c.bool(iam.roleUseNamePrefix, `${at}.roleUseNamePrefix`);
  if (iam.rolePath !== undefined) c.str(iam.rolePath, `${at}.rolePath`, OPTION_PATTERNS.rolePath, "/eks/");
  if (iam.permissionsBoundary !== undefined) checkArn(c, iam.permissionsBoundary, `${at}.permissionsBoundary`, "policy");
  if (iam.additionalPolicyArns !== undefined) c.list(iam.additionalPolicyArns, `${at}.additionalPolicyArns`, 0).forEach((p, i) => checkArn(c, p, `${at}.additionalPolicyArns[${i}]`, "policy"));
  if (top && iam.nodeAgent !== undefined) {
    const agent = c.keys(iam.nodeAgent, `${at}.nodeAgent`, CONFIG_FIELDS["iam.nodeAgent"]);
    const credentials = agent.credentials === undefined ? "pod-identity" : c.oneOf(agent.credentials, `${at}.nodeAgent.credentials`, ["pod-identity", "irsa"] as const);
    if (credentials === "irsa") checkArn(c, agent.oidcProviderArn, `${at}.nodeAgent.oidcProviderArn`, "oidcProvider");
    else if (agent.oidcProviderArn !== undefined) c.fail(`${at}.nodeAgent.oidcProviderArn`, "is only used with credentials irsa", 'remove it, or set credentials to "irsa"');
  }
}

/** The group's node role settings: the top-level `iam` (without the agent's), then the group's own. */
export function groupIam(top: ClusterIamConfig | undefined, group: NodeIamConfig | undefined): NodeIamConfig {
  const { nodeAgent: _agent, ...defaults } = top ?? {};
  return { ...defaults, ...group };
}

/** Checks what only holds for the group's resolved IAM (top-level defaults and its own together). */
function checkResolvedIam(iam: NodeIamConfig, at: string, c: Checker): void {
  const where = (f: keyof NodeIamConfig) => `${at}.iam.${f} (or iam.${f})`;
  if (iam.instanceProfileArn !== undefined && iam.roleArn === undefined) {
    c.fail(where("instanceProfileArn"), "is set without roleArn", "give the profile's role as roleArn too: the access entry and the agent's policy need it");
  }
  if (iam.roleArn !== undefined) {
    for (const f of ["roleName", "rolePath", "permissionsBoundary", "roleUseNamePrefix"] as const) {
      if (iam[f] !== undefined) c.fail(where(f), "shapes a role the node group creates, but roleArn names an existing one", `remove ${f}, or roleArn`);
    }
    if ((iam.additionalPolicyArns ?? []).length) c.fail(where("additionalPolicyArns"), "would attach policies to the existing role roleArn", "attach them to your role yourself, or leave roleArn out");
  }
  // Two groups' fixed role names (roleUseNamePrefix false, or a Karpenter group's default) are compared in ipam/cluster-config.ts checkRoleNames.
}

function checkLifecycleHooks(v: unknown, at: string, c: Checker): void {
  const hooks = c.list(v, at, 0);
  const ours: string[] = [DEFAULT_HOOKS.launch.name, DEFAULT_HOOKS.terminate.name];
  if (hooks.length + ours.length > MAX_LIFECYCLE_HOOKS) c.fail(at, `has ${hooks.length} hooks; with the 2 multus hooks that passes Auto Scaling's ${MAX_LIFECYCLE_HOOKS} per group`, `use at most ${MAX_LIFECYCLE_HOOKS - 2}`);
  const names: string[] = [];
  hooks.forEach((h, i) => {
    const f = `${at}[${i}]`;
    const hook = c.keys(h, f, CONFIG_FIELDS["nodeGroup.lifecycleHooks[]"]);
    const name = c.str(hook.name, `${f}.name`, HOOK_NAME_PATTERN, "drain-notifier");
    if (ours.includes(name)) c.fail(`${f}.name`, `"${name}" is a multus hook's name`, "give your hook another name");
    if (names.includes(name)) c.fail(`${f}.name`, `"${name}" is listed twice`, "give each hook its own name");
    names.push(name);
    c.oneOf(hook.transition, `${f}.transition`, ["launch", "terminate"] as const);
    if (hook.defaultResult !== undefined) c.oneOf(hook.defaultResult, `${f}.defaultResult`, ["CONTINUE", "ABANDON"] as const);
    if (hook.heartbeatTimeout !== undefined) c.int(hook.heartbeatTimeout, `${f}.heartbeatTimeout`, HEARTBEAT_TIMEOUT_RANGE.min, HEARTBEAT_TIMEOUT_RANGE.max);
    if (hook.notificationTargetArn !== undefined) {
      checkArn(c, hook.notificationTargetArn, `${f}.notificationTargetArn`, "notificationTarget");
      if (hook.roleArn === undefined) c.fail(`${f}.roleArn`, "is required with notificationTargetArn", "give the role Auto Scaling assumes to publish to the target");
    }
    if (hook.roleArn !== undefined) checkArn(c, hook.roleArn, `${f}.roleArn`, "role");
    if (hook.notificationMetadata !== undefined) c.str(hook.notificationMetadata, `${f}.notificationMetadata`, OPTION_PATTERNS.notificationMetadata);
  });
}

function checkScript(v: unknown, field: string, c: Checker): void {
  if (typeof v !== "string" || v.trim().length === 0) c.fail(field, "must be a non-empty shell script", 'give the script text, e.g. "sysctl -w vm.nr_hugepages=1024"');
  // The MIME part ends at the boundary line; a script holding it would end early.
  if (/^--MULTUSBOUNDARY/m.test(v)) c.fail(field, "contains the user data's MIME boundary line", "remove the line starting with --MULTUSBOUNDARY");
}

/**
 * Checks a node group's production options (`nodeGroup` or `nodeGroups[i]` at `at`), naming the
 * field. `zones`: the group's availability zones; `top`: the top-level iam defaults.
 */
export function checkNodeGroupOptions(ng: Json, at: string, c: Checker, zones: number, top?: ClusterIamConfig): void {
  if (ng.instanceTypes !== undefined) {
    const types = c.list(ng.instanceTypes, `${at}.instanceTypes`);
    if (types.length > MAX_INSTANCE_TYPES) c.fail(`${at}.instanceTypes`, `lists ${types.length} types, more than a mixed instances policy holds (${MAX_INSTANCE_TYPES})`, `list at most ${MAX_INSTANCE_TYPES}`);
    types.forEach((t, k) => {
      const type = c.str(t, `${at}.instanceTypes[${k}]`);
      instanceLimits(type, `${at}.instanceTypes[${k}]`);
      if (types.indexOf(t) !== k) c.fail(`${at}.instanceTypes[${k}]`, `${type} is listed twice`, "list each type once");
      const arch = instanceArchitecture(types[0] as string);
      if (instanceArchitecture(type) !== arch) {
        c.fail(`${at}.instanceTypes[${k}]`, `${type} is ${instanceArchitecture(type)} but ${String(types[0])} is ${arch}: one AMI cannot boot both`, "list types of one architecture (make another node group for the other)");
      }
    });
  }
  for (const f of ["manageDesiredCapacity", "clusterAutoscaler", "capacityRebalance"] as const) if (ng[f] !== undefined) c.bool(ng[f], `${at}.${f}`);
  if (ng.spot !== undefined) {
    const spot = c.keys(ng.spot, `${at}.spot`, CONFIG_FIELDS["nodeGroup.spot"]);
    if (spot.onDemandBaseCapacity !== undefined) c.int(spot.onDemandBaseCapacity, `${at}.spot.onDemandBaseCapacity`, 0, ng.maxSize as number);
    if (spot.onDemandPercentageAboveBaseCapacity !== undefined) c.int(spot.onDemandPercentageAboveBaseCapacity, `${at}.spot.onDemandPercentageAboveBaseCapacity`, 0, 100);
    if (spot.allocationStrategy !== undefined) c.oneOf(spot.allocationStrategy, `${at}.spot.allocationStrategy`, SPOT_ALLOCATION_STRATEGIES);
    if (spot.onDemandAllocationStrategy !== undefined) c.oneOf(spot.onDemandAllocationStrategy, `${at}.spot.onDemandAllocationStrategy`, ON_DEMAND_ALLOCATION_STRATEGIES);
    if (spot.maxPrice !== undefined) c.str(spot.maxPrice, `${at}.spot.maxPrice`, OPTION_PATTERNS.maxPrice, "0.25");
  }
  if (ng.instanceRefresh !== undefined) {
    const r = c.keys(ng.instanceRefresh, `${at}.instanceRefresh`, CONFIG_FIELDS["nodeGroup.instanceRefresh"]);
    for (const f of ["enabled", "skipMatching", "autoRollback"] as const) if (r[f] !== undefined) c.bool(r[f], `${at}.instanceRefresh.${f}`);
    const min = r.minHealthyPercentage === undefined ? 66 : c.int(r.minHealthyPercentage, `${at}.instanceRefresh.minHealthyPercentage`, 0, 100);
    if (r.maxHealthyPercentage !== undefined) {
      const max = c.int(r.maxHealthyPercentage, `${at}.instanceRefresh.maxHealthyPercentage`, 100, 200);
      if (max - min > 100) c.fail(`${at}.instanceRefresh.maxHealthyPercentage`, `${max} is more than 100 above minHealthyPercentage ${min}`, "keep the two within 100 of each other (Auto Scaling's rule)");
    }
    if (r.instanceWarmup !== undefined) c.int(r.instanceWarmup, `${at}.instanceRefresh.instanceWarmup`, 0, 86400);
    if (r.checkpointDelay !== undefined) c.int(r.checkpointDelay, `${at}.instanceRefresh.checkpointDelay`, 0, 172800);
    if (r.checkpointPercentages !== undefined) {
      const cps = c.list(r.checkpointPercentages, `${at}.instanceRefresh.checkpointPercentages`).map((p, k) => c.int(p, `${at}.instanceRefresh.checkpointPercentages[${k}]`, 1, 100));
      if (cps.some((p, k) => k > 0 && p <= cps[k - 1]!) || cps[cps.length - 1] !== 100) c.fail(`${at}.instanceRefresh.checkpointPercentages`, `${JSON.stringify(cps)} is not ascending to 100`, "list ascending percentages ending with 100");
    }
  }
  if (ng.placementGroup !== undefined) {
    const pg = c.keys(ng.placementGroup, `${at}.placementGroup`, CONFIG_FIELDS["nodeGroup.placementGroup"]);
    const strategy = c.oneOf(pg.strategy, `${at}.placementGroup.strategy`, PLACEMENT_STRATEGIES);
    if (pg.partitionCount !== undefined) {
      if (strategy !== "partition") c.fail(`${at}.placementGroup.partitionCount`, `is set on a ${strategy} placement group`, 'remove it, or use strategy "partition"');
      c.int(pg.partitionCount, `${at}.placementGroup.partitionCount`, 1, 7);
    }
    if (pg.spreadLevel !== undefined) {
      if (strategy !== "spread") c.fail(`${at}.placementGroup.spreadLevel`, `is set on a ${strategy} placement group`, 'remove it, or use strategy "spread"');
      c.oneOf(pg.spreadLevel, `${at}.placementGroup.spreadLevel`, ["rack", "host"] as const);
    }
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/placement-strategies.html
    if (strategy === "cluster" && zones > 1) {
      c.fail(`${at}.placementGroup.strategy`, `"cluster" keeps instances in one availability zone, but the group has ${zones}`, "give the group one availability zone (and its subnets there), or use partition or spread");
    }
    if (strategy === "spread" && (ng.maxSize as number) > 7 * zones) {
      c.fail(`${at}.placementGroup.strategy`, `"spread" holds at most 7 running instances per availability zone (${7 * zones} here), but maxSize is ${String(ng.maxSize)}`, "lower maxSize, add availability zones, or use partition");
    }
  }
  if (ng.terminationPolicies !== undefined) {
    c.list(ng.terminationPolicies, `${at}.terminationPolicies`).forEach((p, k) => {
      if (typeof p === "string" && p.startsWith("arn:")) checkArn(c, p, `${at}.terminationPolicies[${k}]`, "lambda");
      else c.oneOf(p, `${at}.terminationPolicies[${k}]`, TERMINATION_POLICIES);
    });
  }
  if (ng.maxInstanceLifetime !== undefined) {
    const v = ng.maxInstanceLifetime;
    if (v !== 0) c.int(v, `${at}.maxInstanceLifetime`, 86400, 31536000);
  }
  if (ng.healthCheckGracePeriod !== undefined) c.int(ng.healthCheckGracePeriod, `${at}.healthCheckGracePeriod`, 0, 86400);
  if (ng.enabledMetrics !== undefined) c.list(ng.enabledMetrics, `${at}.enabledMetrics`, 0).forEach((m, k) => c.oneOf(m, `${at}.enabledMetrics[${k}]`, ASG_METRICS));
  if (ng.volume !== undefined) checkVolume(ng.volume, `${at}.volume`, c, CONFIG_FIELDS["nodeGroup.volume"], true);
  if (ng.extraVolumes !== undefined) {
    const devices: string[] = [];
    c.list(ng.extraVolumes, `${at}.extraVolumes`, 0).forEach((v, k) => {
      const f = `${at}.extraVolumes[${k}]`;
      const vol = checkVolume(v, f, c, CONFIG_FIELDS["nodeGroup.extraVolumes[]"], false);
      const device = c.str(vol.deviceName, `${f}.deviceName`, OPTION_PATTERNS.deviceName, "/dev/xvdb");
      if (devices.includes(device)) c.fail(`${f}.deviceName`, `${device} is used twice`, "give each volume its own device");
      devices.push(device);
      c.int(vol.size, `${f}.size`, 1, 65536);
      if (vol.deleteOnTermination !== undefined) c.bool(vol.deleteOnTermination, `${f}.deleteOnTermination`);
    });
  }
  if (ng.preBootstrapScript !== undefined) checkScript(ng.preBootstrapScript, `${at}.preBootstrapScript`, c);
  if (ng.postBootstrapScript !== undefined) checkScript(ng.postBootstrapScript, `${at}.postBootstrapScript`, c);
  if (ng.nodeConfig !== undefined) {
    if (ng.amiFamily !== "al2023") c.fail(`${at}.nodeConfig`, "is nodeadm's configuration, which only AL2023 reads", 'remove it, or use amiFamily "al2023"');
    checkExtraNodeConfig(ng.nodeConfig, `${at}.nodeConfig`, MULTUS_NODE_LABEL);
  }
  if (ng.labels !== undefined) checkLabels(ng.labels, `${at}.labels`, c);
  if (ng.taints !== undefined) checkTaints(ng.taints, `${at}.taints`, c);
  if (ng.iam !== undefined) checkIam(ng.iam, `${at}.iam`, c, false);
  checkResolvedIam(groupIam(top, ng.iam as NodeIamConfig | undefined), at, c);
  if (ng.lifecycleHooks !== undefined) checkLifecycleHooks(ng.lifecycleHooks, `${at}.lifecycleHooks`, c);
  if (ng.tags !== undefined) checkTags(ng.tags, `${at}.tags`, c);
  if (ng.resourceTags !== undefined) {
    const rt = c.keys(ng.resourceTags, `${at}.resourceTags`, CONFIG_FIELDS["nodeGroup.resourceTags"]);
    for (const [k, v] of Object.entries(rt)) checkTags(v, `${at}.resourceTags.${k}`, c);
  }
}

/** Checks the config's top-level production fields: `iam`, `tags`, `lambda`. */
export function checkClusterOptions(raw: Json, c: Checker): void {
  if (raw.iam !== undefined) checkIam(raw.iam, "iam", c, true);
  if (raw.tags !== undefined) checkTags(raw.tags, "tags", c);
  if (raw.lambda !== undefined) {
    const l = c.keys(raw.lambda, "lambda", CONFIG_FIELDS.lambda);
    c.str(l.s3Bucket, "lambda.s3Bucket", OPTION_PATTERNS.s3Bucket, "my-artifacts");
    c.str(l.s3Key, "lambda.s3Key", OPTION_PATTERNS.s3Text, "multus-eks/lambda.zip");
    if (l.s3ObjectVersion !== undefined) c.str(l.s3ObjectVersion, "lambda.s3ObjectVersion", OPTION_PATTERNS.s3Text);
  }
}

/** The group's instance types: `instanceTypes`, or its one `instanceType`. */
export function groupInstanceTypes(g: { readonly instanceType: string; readonly instanceTypes?: readonly string[] }): string[] {
  return [...(g.instanceTypes ?? [g.instanceType])];
}

/**
 * The node agent's own role, when it needs one: asked for in `iam.nodeAgent`, or because a
 * group's node role holds no ENI permission (attachCniPolicy false). undefined: the agent uses
 * the node roles.
 */
export function nodeAgentIam(config: { readonly iam?: ClusterIamConfig; readonly nodeGroups: readonly { readonly iam?: NodeIamConfig }[] }): Required<Pick<NodeAgentIamConfig, "credentials">> & NodeAgentIamConfig | undefined {
  const needed = config.iam?.nodeAgent !== undefined || config.nodeGroups.some((g) => groupIam(config.iam, g.iam).attachCniPolicy === false);
  if (!needed) return undefined;
  return { credentials: "pod-identity", ...config.iam?.nodeAgent };
}

/** The instance type's limits field of a group: for messages naming it. */
export function instanceTypeField(at: string, g: { readonly instanceTypes?: readonly string[] }, k: number): string {
  return g.instanceTypes ? `${at}.instanceTypes[${k}]` : `${at}.instanceType`;
}

/** Refuses `instanceType` beside `instanceTypes` unless it is their first (the launch template's). */
export function checkInstanceTypeAgrees(raw: unknown, at: string): void {
  if (!isObject(raw) || raw.instanceTypes === undefined || raw.instanceType === undefined) return;
  if (!Array.isArray(raw.instanceTypes) || raw.instanceTypes[0] !== raw.instanceType) {
    throw new PlanError(`${at}.instanceType`, `${JSON.stringify(raw.instanceType)} is not the first of ${at}.instanceTypes`, "remove instanceType: instanceTypes says it all (the first is the launch template's)");
  }
}
