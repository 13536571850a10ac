import { Fn, IResolvable, ITerraformDependable, TerraformIterator, Token } from "cdktf";
import { Construct } from "constructs";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate, LaunchTemplateBlockDeviceMappings } from "@cdktf/provider-aws/lib/launch-template";
import { PlacementGroup } from "@cdktf/provider-aws/lib/placement-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { instanceLimits } from "../../ipam/capacity";
import { Checker } from "../../ipam/config";
import {
  NodeGroupOptions, NodeTaint, VolumeConfig,
  MAX_USER_DATA_BYTES, checkNodeGroupOptions, checkTags,
} from "../../ipam/node-options";
import { MULTUS_NODE_LABEL, isLabelValue } from "../../contract/node-label";
import { awsContext } from "./aws-context";
import { agentPolicyStatements } from "./agent-role";
import { NodeGroupKind } from "../../contract/lifecycle";
import type { CapacityType } from "../../ipam/cluster-config";
import { nodeRoleName as resolveNodeRoleName, roleNameOfArn } from "../../ipam/group-names";
import { STARTUP_TAINT } from "../../contract/node-network";
import { DEFAULT_HOOKS, DEFAULT_NODE_GROUP_NAME, NODE_GROUP_NAME_PATTERN, HEARTBEAT_TIMEOUT_RANGE, HOOK_NAME_PATTERN, LIFECYCLE_RESULTS, LifecycleResult, TRANSITIONS, defaultAutoScalingGroupName } from "../../contract/lifecycle";
import { PropChecker, fitName, isLiteral, literalOnly, mergeTags } from "./common";
import { AMI_FAMILIES, AmiFamily, HOST_ADDRESSES, HostAddress, MultusEniSpec, nodeUserData } from "./user-data";

/** How the nodes are allowed into the cluster. */
export type NodeAccess = "access-entry" | "aws-auth" | "none";
export const NODE_ACCESS: readonly NodeAccess[] = ["access-entry", "aws-auth", "none"];

/** Where the node agent's EC2 permissions go. */
export type AgentPermissions = "node-role" | "policy" | "none";
export const AGENT_PERMISSIONS: readonly AgentPermissions[] = ["node-role", "policy", "none"];

/**
 * Props of {@link MultusNodeGroup}. modules/aws/README.md maps them to the reference
 * CloudFormation template's parameters.
 */
/** The production options (instances, Spot, placement, volumes, bootstrap parts, labels, taints, IAM, hooks, tags) are the config's: NodeGroupOptions. */
export interface MultusNodeGroupProps extends NodeGroupOptions {
  /**
   * Who launches the nodes: `autoscaling`, an Auto Scaling group with the multus lifecycle
   * hooks; `managed`, an EKS managed node group on the launch template (its ENIs attached on EC2
   * state changes); `karpenter`, neither: the node role, security group and user data for the
   * EC2NodeClass the Kubernetes stacks write.
   * @default "autoscaling"
   */
  readonly kind?: NodeGroupKind;
  /**
   * `managed` groups: the capacity the EKS node group runs on (aws_eks_node_group
   * capacity_type). A `karpenter` group's is its NodePool's requirement (the config's
   * capacityTypes); an `autoscaling` group's Spot is `spot`.
   * @default "ON_DEMAND"
   */
  readonly capacityType?: EksCapacityType;
  /** The EKS cluster the nodes join. */
  readonly clusterName: string;
  /** API server endpoint, written into the node's bootstrap (no DescribeCluster at boot). */
  readonly clusterEndpoint: string;
  /** Base64 certificate authority of the cluster. */
  readonly clusterCertificateAuthority: string;
  /** Kubernetes service CIDR. @default "172.20.0.0/16" */
  readonly clusterServiceCidr?: string;
  /** The control plane's security group; rules for the nodes are added to it. */
  readonly clusterSecurityGroupId: string;
  /**
   * Unique name of the node group in the cluster; also the value of the node
   * label MULTUS_NODE_LABEL (`multus.eks.amazonaws.com/node-group`) the kubelet sets.
   */
  readonly nodeGroupName: string;
  /** The VPC of the nodes and the multus subnets. */
  readonly vpcId: string;
  /** Subnets of the nodes' primary interface (the VPC CNI's). */
  readonly subnetIds: string[];
  /** EC2 instance type of the nodes; its ENI and IPv4 limits size the plan. @default "c5.2xlarge" */
  readonly instanceType?: string;
  /** Auto Scaling minimum size. @default 2 */
  readonly minSize?: number;
  /** Auto Scaling desired capacity. @default minSize */
  readonly desiredSize?: number;
  /** Auto Scaling maximum size. @default 3 */
  readonly maxSize?: number;
  /** AMI family of the image. al2 AMIs ended support on 2025-11-26 (awslabs/amazon-eks-ami#2545). @default "al2023" */
  readonly amiFamily?: AmiFamily;
  /** EKS-optimized (or custom) AMI id. One of amiId and amiSsmParameter is required. */
  readonly amiId?: string;
  /**
   * SSM parameter holding the AMI id, e.g.
   * `/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id`.
   * Read by a data source at plan time: needs AWS credentials. Ignored when amiId is set.
   * @default none
   */
  readonly amiSsmParameter?: string;
  /** Root volume GiB. @default 50 */
  readonly volumeSize?: number;
  /** Root volume type (the reference used gp2). @default "gp3" */
  readonly volumeType?: string;
  /** EC2 key pair for SSH. @default none */
  readonly keyName?: string;
  /** Extra kubelet flags separated by spaces, e.g. `--node-labels=cnf=xyz`. @default "" */
  readonly bootstrapArguments?: string;
  /**
   * kubelet --max-pods: what the VPC CNI can serve on the ENIs multus leaves it
   * (ipam `plan.kubeletMaxPods`). The AMI default counts the multus ENIs too.
   */
  readonly kubeletMaxPods: number;
  /** Require IMDSv2 tokens. @default true */
  readonly requireImdsv2?: boolean;
  /**
   * IMDS response hop limit. 1 keeps pods on the pod network away from IMDS, so they cannot take
   * the node role's credentials, which carry the node agent's Assign/UnassignPrivateIpAddresses
   * on this group's ENIs. The node agent, the VPC CNI, multus and whereabouts run with
   * hostNetwork and still reach it. EKS best practices, "Restrict access to the instance profile
   * assigned to the worker node":
   * https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html
   * Set 2 only if a pod without hostNetwork must use the node role (prefer IRSA or Pod Identity).
   * @default 1
   */
  readonly imdsHopLimit?: number;
  /** Use this security group for the nodes instead of creating one with the reference's rules. @default a new group */
  readonly nodeSecurityGroupId?: string;
  /** More security groups on the nodes' primary interface. @default [] */
  readonly additionalSecurityGroupIds?: string[];
  /** Auto Scaling group name. @default `${clusterName}-${nodeGroupName}` */
  readonly autoScalingGroupName?: string;
  /** Launch hook timeout in seconds; the lifecycle Lambda must finish within it. @default 300 */
  readonly launchHookTimeout?: number;
  /** What happens when the launch hook times out: ABANDON terminates the node. @default "ABANDON" */
  readonly launchHookDefaultResult?: LifecycleResult;
  /** Terminate hook timeout in seconds. @default 300 */
  readonly terminateHookTimeout?: number;
  /** @default "CONTINUE" (termination goes on either way; CONTINUE says so) */
  readonly terminateHookDefaultResult?: LifecycleResult;
  /** Launch hook name. @default "multus-launch" */
  readonly launchHookName?: string;
  /** Terminate hook name. @default "multus-terminate" */
  readonly terminateHookName?: string;
  /**
   * How nodes get into the cluster: an EKS access entry of type EC2_LINUX, or the aws-auth
   * ConfigMap (written by the Kubernetes stack from the `nodeRoleArn` output), or nothing.
   * @default "access-entry"
   */
  readonly nodeAccess?: NodeAccess;
  /**
   * The node agent's EC2 permissions (assign/unassign secondary IPs on this group's ENIs):
   * on the node role, or as a separate IAM policy (output `agentPolicyArn`) for IRSA or EKS Pod
   * Identity, or none.
   * @default "node-role"
   */
  readonly agentPermissions?: AgentPermissions;
  /**
   * The group's nodes sit on a dual-stack multus network: the node agent also assigns and
   * unassigns pod IPv6 addresses, so its policy grants ec2:AssignIpv6Addresses and
   * ec2:UnassignIpv6Addresses on the group's ENIs as well. @default false
   */
  readonly dualStack?: boolean;
  /** Value of the node-group tag on the multus ENIs (ENI_TAG_KEYS.nodeGroup). @default the Auto Scaling group name */
  readonly eniTagValue?: string;
  /**
   * The multus ENIs the lifecycle Lambda attaches (the plan's subnets: device index, subnet,
   * zone). The user data installs their host configuration (modules/aws/host/multus-eni.sh):
   * the name multus<N> the NADs use as `master`, link up, rp_filter off, no host address.
   * @default [] (no multus ENIs: the node agent lifts the startup taint once Multus runs)
   */
  readonly multusInterfaces?: readonly MultusEniSpec[];
  /**
   * What the host gives a multus ENI besides the link: "none" (no address, no default route:
   * ipvlan and macvlan need only the link) or "dhcp" (its primary address, no gateway or routes).
   * AL2023 only; on AL2 ec2-net-utils configures the ENI by DHCP either way. @default "none"
   */
  readonly hostAddress?: HostAddress;
  /**
   * Register nodes with the startup taint STARTUP_TAINT (`multus.eks.amazonaws.com/network-not-ready`,
   * NoSchedule), which the node agent lifts once the node's multus ENIs and Multus are ready,
   * so no pod lands before its extra interfaces can be set up. @default true
   */
  readonly startupTaint?: boolean;
  /** Resources the Auto Scaling group waits for, e.g. the lifecycle Lambda and its EventBridge rule, so the first launch already has its handler. @default [] */
  readonly launchDependsOn?: ITerraformDependable[];
}

const DEFAULTS = {
  clusterServiceCidr: "172.20.0.0/16",
  instanceType: "c5.2xlarge",
  minSize: 2,
  maxSize: 3,
  amiFamily: "al2023" as AmiFamily,
  volumeSize: 50,
  volumeType: "gp3",
  bootstrapArguments: "",
  imdsHopLimit: 1,
};

/**
 * A self-managed EKS node group ready for multus: node role and instance profile, security
 * group, launch template (bootstrap with kubelet max-pods from the plan and the multus node
 * label, rp_filter off and the secondary interfaces brought up), and an Auto Scaling group whose launch and terminate
 * lifecycle hooks exist from its creation (initial_lifecycle_hook), so no instance boots
 * before the lifecycle Lambda can give it its multus ENIs, and are also managed as
 * aws_autoscaling_lifecycle_hook resources, so later changes to them are applied.
 */
/**
 * Tag on a `karpenter` group's node security group: the EC2NodeClass selects it by this tag
 * (value `${cluster}-${group}`), as its id is known only after apply.
 */
export const KARPENTER_SECURITY_GROUP_TAG = "multus.eks.amazonaws.com/karpenter-node-class";

/** EKS's spelling of a managed group's capacity type (CreateNodegroup capacityType). */
export const EKS_CAPACITY_TYPES = { "on-demand": "ON_DEMAND", spot: "SPOT" } as const satisfies Record<CapacityType, string>;
export type EksCapacityType = (typeof EKS_CAPACITY_TYPES)[CapacityType];

export class MultusNodeGroup extends Construct {
  readonly kind: NodeGroupKind;
  /** `autoscaling` groups. */
  readonly autoScalingGroup?: AutoscalingGroup;
  /** `autoscaling` and `managed` groups. */
  readonly launchTemplate?: LaunchTemplate;
  /** `managed` groups: the EKS managed node group on the launch template. */
  readonly eksNodeGroup?: EksNodeGroup;
  /** The node role's name (a `karpenter` group's EC2NodeClass names it: fixed, no prefix, unless iam.roleUseNamePrefix). */
  readonly nodeRoleName: string;
  /** The nodes' user data (MIME multipart, not base64): nodeadm's NodeConfig and the host networking part. */
  readonly userData: string;
  /** The node role, unless an existing one was given (iam.roleArn). */
  readonly nodeRole?: IamRole;
  /** The node role's ARN, created or given. */
  readonly nodeRoleArn: string;
  /** The instance profile, unless an existing one was given (iam.instanceProfileArn). */
  readonly instanceProfile?: IamInstanceProfile;
  readonly instanceProfileArn: string;
  readonly placementGroup?: PlacementGroup;
  /** The node security group (created or given). */
  readonly nodeSecurityGroupId: string;
  readonly autoScalingGroupName: string;
  readonly eniTagValue: string;
  readonly launchHookName: string;
  readonly terminateHookName: string;
  /** The launch and terminate hooks as resources too, so changes reach an existing group (none unless `autoscaling`). */
  readonly lifecycleHooks: AutoscalingLifecycleHook[] = [];
  readonly accessEntry?: EksAccessEntry;
  /** Set when agentPermissions is "policy". */
  readonly agentPolicy?: IamPolicy;
  /** The node agent's policy document (JSON), whatever agentPermissions says. */
  readonly agentPolicyJson: string;

  constructor(scope: Construct, id: string, props: MultusNodeGroupProps) {
    super(scope, id);
    const p = validateNodeGroupProps(props);
    const kind = (this.kind = props.kind ?? "autoscaling");
    const ctx = awsContext(this);
    const tags = props.tags ?? {};
    const clusterTag = `kubernetes.io/cluster/${p.clusterName}`;

    this.autoScalingGroupName = p.autoScalingGroupName;
    this.eniTagValue = props.eniTagValue ?? p.autoScalingGroupName;
    this.launchHookName = p.launchHookName;
    this.terminateHookName = p.terminateHookName;

    // --- IAM: the managed policies EKS documents for nodes and nothing wider
    // (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html), the CNI policy
    // only with attachCniPolicy (terraform-aws-eks iam_role_attach_cni_policy). The reference
    // also attached AWSCloudFormationFullAccess and EC2 actions on "*".
    const iam = props.iam ?? {};
    let nodeRoleName: string;
    // The same resolution as the EC2NodeClass's spec.role (ipam/group-names.ts).
    const role = resolveNodeRoleName(p.clusterName, { name: p.nodeGroupName, kind }, iam);
    if (role.existing) {
      this.nodeRoleArn = role.roleArn;
      nodeRoleName = roleNameOf(role.roleArn);
    } else {
      const assume = new DataAwsIamPolicyDocument(this, "node-assume-role", {
        statement: [{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [`ec2.${ctx.dnsSuffix}`] }] }],
      });
      this.nodeRole = new IamRole(this, "node-role", {
        ...(role.prefix ? { namePrefix: `${role.name}-` } : { name: role.name }),
        path: iam.rolePath,
        permissionsBoundary: iam.permissionsBoundary,
        description: `EKS ${p.clusterName} node group ${p.nodeGroupName} (multus)`,
        assumeRolePolicy: assume.json,
        tags,
      });
      this.nodeRoleArn = this.nodeRole.arn;
      nodeRoleName = this.nodeRole.name;
      const managed = ["AmazonEKSWorkerNodePolicy", ...(p.attachCniPolicy ? ["AmazonEKS_CNI_Policy"] : []), "AmazonEC2ContainerRegistryReadOnly"];
      for (const policy of managed) {
        new IamRolePolicyAttachment(this, `node-${policy}`, {
          role: nodeRoleName,
          policyArn: `arn:${ctx.partition}:iam::aws:policy/${policy}`,
        });
      }
      const additional = iam.additionalPolicyArns ?? [];
      if (!isLiteral(additional) || additional.length > 0) {
        // One attachment per ARN, keyed by it: a module variable's list works the same way.
        const each = TerraformIterator.fromList(additional);
        new IamRolePolicyAttachment(this, "node-additional", { forEach: each, role: nodeRoleName, policyArn: Token.asString(each.value) });
      }
    }
    if (iam.instanceProfileArn !== undefined) {
      this.instanceProfileArn = iam.instanceProfileArn;
    } else {
      this.instanceProfile = new IamInstanceProfile(this, "node-profile", {
        namePrefix: fitName(`${p.nodeGroupName}-node-`, 38),
        path: iam.rolePath,
        role: nodeRoleName,
        tags,
      });
      this.instanceProfileArn = this.instanceProfile.arn;
    }

    // --- Node agent (agent/): assign/unassign secondary IPs (and, dual-stack, IPv6 addresses) only on ENIs tagged with this node group.
    const agentDoc = new DataAwsIamPolicyDocument(this, "agent-policy-document", { statement: agentPolicyStatements(ctx, [this.eniTagValue], p.dualStack) });
    this.agentPolicyJson = agentDoc.json;
    if (p.agentPermissions === "node-role") {
      new IamRolePolicy(this, "node-agent-policy", { name: "multus-node-agent", role: nodeRoleName, policy: agentDoc.json });
    } else if (p.agentPermissions === "policy") {
      this.agentPolicy = new IamPolicy(this, "agent-policy", {
        namePrefix: fitName(`${p.nodeGroupName}-multus-agent-`, 100),
        description: `Multus node agent of ${p.clusterName}/${p.nodeGroupName}: for IRSA or EKS Pod Identity`,
        policy: agentDoc.json,
        tags,
      });
    }

    // --- Security group: the reference's rules. Terraform removes the allow-all egress that
    // EC2 (and CloudFormation) give a new group, so it is added back explicitly.
    if (props.nodeSecurityGroupId !== undefined) {
      this.nodeSecurityGroupId = props.nodeSecurityGroupId;
    } else {
      const sg = new SecurityGroup(this, "node-sg", {
        namePrefix: fitName(`${p.clusterName}-${p.nodeGroupName}-node-`, 100),
        description: "Security group for all nodes in the cluster",
        vpcId: p.vpcId,
        tags: mergeTags(tags, { [clusterTag]: "owned", ...(kind === "karpenter" ? { [KARPENTER_SECURITY_GROUP_TAG]: `${p.clusterName}-${p.nodeGroupName}` } : {}) }),
        lifecycle: { createBeforeDestroy: true },
      });
      this.nodeSecurityGroupId = sg.id;
      const node = sg.id;
      const cp = p.clusterSecurityGroupId;
      // The reference template's rules, one row each: [id, direction, group, peer, protocol, ports, description].
      const rules: [string, "in" | "out", string, string, string, [number, number] | undefined, string][] = [
        ["node-from-node", "in", node, node, "-1", undefined, "Allow node to communicate with each other"],
        ["node-from-cp", "in", node, cp, "tcp", [1025, 65535], "Allow worker Kubelets and pods to receive communication from the cluster control plane"],
        ["node-from-cp-443", "in", node, cp, "tcp", [443, 443], "Allow pods running extension API servers on port 443 to receive communication from cluster control plane"],
        ["cp-from-node-443", "in", cp, node, "tcp", [443, 443], "Allow pods to communicate with the cluster API Server"],
        ["cp-to-node", "out", cp, node, "tcp", [1025, 65535], "Allow the cluster control plane to communicate with worker Kubelet and pods"],
        ["cp-to-node-443", "out", cp, node, "tcp", [443, 443], "Allow the cluster control plane to communicate with pods running extension API servers on port 443"],
      ];
      for (const [id, direction, securityGroupId, referencedSecurityGroupId, ipProtocol, ports, description] of rules) {
        const rule = { securityGroupId, referencedSecurityGroupId, ipProtocol, description, ...(ports ? { fromPort: ports[0], toPort: ports[1] } : {}) };
        if (direction === "in") new VpcSecurityGroupIngressRule(this, id, rule);
        else new VpcSecurityGroupEgressRule(this, id, rule);
      }
      new VpcSecurityGroupEgressRule(this, "node-egress", {
        securityGroupId: node, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "Allow all outbound traffic",
      });
    }

    // --- Launch template
    const nodeLabels = { ...props.labels, [MULTUS_NODE_LABEL]: p.nodeGroupName };
    const imageId =
      props.amiId ??
      new DataAwsSsmParameter(this, "ami", { name: props.amiSsmParameter!, withDecryption: false }).insecureValue;
    const userData = nodeUserData({
      amiFamily: p.amiFamily,
      clusterName: p.clusterName,
      clusterEndpoint: p.clusterEndpoint,
      clusterCertificateAuthority: p.clusterCertificateAuthority,
      clusterServiceCidr: p.clusterServiceCidr,
      maxPods: p.kubeletMaxPods,
      kubeletFlags: p.bootstrapArguments,
      // The node agent (and Multus and whereabouts, when asked) select multus nodes by it.
      nodeLabels: nodeLabels,
      multusEnis: p.multusInterfaces,
      hostAddress: p.hostAddress,
      startupTaint: p.startupTaint,
      taints: props.taints,
      preBootstrapScript: props.preBootstrapScript,
      postBootstrapScript: props.postBootstrapScript,
      extraNodeConfig: props.nodeConfig,
    });
    if (isLiteral(userData) && Buffer.byteLength(userData, "utf8") > MAX_USER_DATA_BYTES) {
      const c = new PropChecker("MultusNodeGroup");
      c.fail(props.preBootstrapScript || props.postBootstrapScript ? "preBootstrapScript" : "nodeConfig", `makes the user data ${Buffer.byteLength(userData, "utf8")} bytes, above EC2's ${MAX_USER_DATA_BYTES}`, "shorten the scripts (fetch a larger one from S3 in them)");
    }
    this.userData = userData;
    this.nodeRoleName = nodeRoleName;
    // EKS makes the access entry of a managed group's node role itself (EKS user guide, "Grant
    // IAM users access to Kubernetes with EKS access entries": managed node groups and Fargate
    // get theirs automatically); a second one would fail to create.
    this.accessEntry = p.nodeAccess === "access-entry" && kind !== "managed" ? nodeAccessEntry(this, p.clusterName, this.nodeRoleArn, tags) : undefined;
    // Karpenter launches the nodes itself, from the EC2NodeClass (modules/kubernetes).
    if (kind === "karpenter") return;
    const rt = props.resourceTags ?? {};
    const nameTags = { Name: `${p.clusterName}-${p.nodeGroupName}-Node`, [clusterTag]: "owned" };
    const instanceTags = mergeTags(tags, nameTags, rt.instance);
    const volumeTags = mergeTags(tags, nameTags, rt.volume);
    const interfaceTags = mergeTags(tags, rt.networkInterface);
    const root = props.volume ?? {};
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: fitName(`${p.clusterName}-${p.nodeGroupName}-`, 99),
      description: `Multus node group ${p.nodeGroupName} of ${p.clusterName}`,
      imageId,
      // A managed group lists its types itself and sets the instance profile from its node role:
      // its launch template may hold neither (EKS user guide, "Customizing managed nodes with
      // launch templates"). Nor a subnet on a network interface: this one sets none.
      instanceType: kind === "managed" ? undefined : p.instanceTypes[0],
      keyName: props.keyName,
      // Base64 in JS when every value is known; Terraform's base64encode when some are variables.
      userData: isLiteral(userData) ? Buffer.from(userData, "utf8").toString("base64") : base64WithTokens(userData),
      ...(kind === "managed" ? {} : { iamInstanceProfile: { arn: this.instanceProfileArn } }),
      vpcSecurityGroupIds: [this.nodeSecurityGroupId, ...(props.additionalSecurityGroupIds ?? [])],
      blockDeviceMappings: [
        ebsMapping("/dev/xvda", { ...root, type: root.type ?? p.volumeType, size: root.size ?? p.volumeSize }, true),
        ...(props.extraVolumes ?? []).map((v) => ebsMapping(v.deviceName, v, v.deleteOnTermination ?? true)),
      ],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: p.requireImdsv2 ? "required" : "optional",
        httpPutResponseHopLimit: p.imdsHopLimit,
      },
      // Auto Scaling propagates group tags to instances only; volumes and interfaces get theirs here
      // (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html).
      tagSpecifications: [
        { resourceType: "instance", tags: instanceTags },
        { resourceType: "volume", tags: volumeTags },
        ...(!isLiteral(interfaceTags) || Object.keys(interfaceTags).length ? [{ resourceType: "network-interface", tags: interfaceTags }] : []),
      ],
      updateDefaultVersion: true,
      tags: mergeTags(tags, rt.launchTemplate),
    });

    if (props.placementGroup) {
      const pg = props.placementGroup;
      this.placementGroup = new PlacementGroup(this, "placement-group", {
        name: fitName(`${p.clusterName}-${p.nodeGroupName}`, 255),
        strategy: pg.strategy,
        ...(pg.strategy === "partition" ? { partitionCount: pg.partitionCount ?? 2 } : {}),
        ...(pg.strategy === "spread" ? { spreadLevel: pg.spreadLevel ?? "rack" } : {}),
        tags,
      });
    }

    if (kind === "managed") {
      this.eksNodeGroup = new EksNodeGroup(this, "eks-node-group", {
        clusterName: p.clusterName,
        nodeGroupName: p.autoScalingGroupName,
        nodeRoleArn: this.nodeRoleArn,
        subnetIds: p.subnetIds,
        instanceTypes: p.instanceTypes,
        capacityType: props.capacityType ?? EKS_CAPACITY_TYPES["on-demand"],
        scalingConfig: { minSize: p.minSize, maxSize: p.maxSize, desiredSize: p.desiredSize },
        launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
        // EKS labels and taints the nodes too (the kubelet's own flags in the user data say the same).
        labels: nodeLabels,
        taint: [{ key: STARTUP_TAINT.key, value: STARTUP_TAINT.value, effect: "NO_SCHEDULE" }, ...(props.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: EKS_TAINT_EFFECTS[t.effect] }))],
        tags,
        dependsOn: props.launchDependsOn,
        ...(p.manageDesiredCapacity ? {} : { lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"] } }),
      });
      return;
    }

    // --- Auto Scaling group with its hooks from the start: the reference added hooks after the
    // group and then needed a custom resource that terminated every instance launched before.
    const hooks = [
      { key: "launch", name: p.launchHookName, lifecycleTransition: TRANSITIONS.launching, defaultResult: p.launchHookDefaultResult, heartbeatTimeout: p.launchHookTimeout },
      { key: "terminate", name: p.terminateHookName, lifecycleTransition: TRANSITIONS.terminating, defaultResult: p.terminateHookDefaultResult, heartbeatTimeout: p.terminateHookTimeout },
      // The caller's: Auto Scaling waits for every hook of a transition; the multus Lambda completes only its own.
      ...(props.lifecycleHooks ?? []).map((h) => ({
        key: `hook-${h.name}`,
        name: h.name,
        lifecycleTransition: h.transition === "launch" ? TRANSITIONS.launching : TRANSITIONS.terminating,
        defaultResult: h.defaultResult ?? "ABANDON",
        heartbeatTimeout: h.heartbeatTimeout ?? 3600,
        notificationTargetArn: h.notificationTargetArn,
        roleArn: h.roleArn,
        notificationMetadata: h.notificationMetadata,
      })),
    ].map(({ key, ...hook }) => ({ key, hook }));
    const template = { launchTemplateId: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) };
    const mixed = p.instanceTypes.length > 1 || props.spot !== undefined;
    const spot = props.spot;
    const refresh = props.instanceRefresh ?? {};
    this.autoScalingGroup = new AutoscalingGroup(this, "asg", {
      name: p.autoScalingGroupName,
      minSize: p.minSize,
      maxSize: p.maxSize,
      desiredCapacity: p.desiredSize,
      vpcZoneIdentifier: p.subnetIds,
      ...(mixed
        ? {
            mixedInstancesPolicy: {
              launchTemplate: { launchTemplateSpecification: template, override: p.instanceTypes.map((instanceType) => ({ instanceType })) },
              instancesDistribution: spot
                ? {
                    onDemandBaseCapacity: spot.onDemandBaseCapacity ?? 0,
                    onDemandPercentageAboveBaseCapacity: spot.onDemandPercentageAboveBaseCapacity ?? 0,
                    spotAllocationStrategy: spot.allocationStrategy ?? "price-capacity-optimized",
                    onDemandAllocationStrategy: spot.onDemandAllocationStrategy ?? "prioritized",
                    spotMaxPrice: spot.maxPrice,
                  }
                : { onDemandPercentageAboveBaseCapacity: 100, onDemandAllocationStrategy: "prioritized" },
            },
          }
        : { launchTemplate: { id: template.launchTemplateId, version: template.version } }),
      capacityRebalance: props.capacityRebalance ?? spot !== undefined,
      placementGroup: this.placementGroup?.name,
      terminationPolicies: props.terminationPolicies,
      maxInstanceLifetime: props.maxInstanceLifetime,
      healthCheckGracePeriod: props.healthCheckGracePeriod,
      ...(props.enabledMetrics?.length ? { enabledMetrics: props.enabledMetrics, metricsGranularity: "1Minute" } : {}),
      initialLifecycleHook: hooks.map((h) => h.hook),
      // Replace nodes one batch at a time when the launch template changes (the reference's
      // rolling update policy).
      ...(refresh.enabled === false
        ? {}
        : {
            instanceRefresh: {
              strategy: "Rolling",
              preferences: {
                minHealthyPercentage: refresh.minHealthyPercentage ?? 66,
                maxHealthyPercentage: refresh.maxHealthyPercentage,
                instanceWarmup: refresh.instanceWarmup === undefined ? undefined : String(refresh.instanceWarmup),
                skipMatching: refresh.skipMatching,
                autoRollback: refresh.autoRollback,
                checkpointPercentages: refresh.checkpointPercentages,
                checkpointDelay: refresh.checkpointDelay === undefined ? undefined : String(refresh.checkpointDelay),
              },
            },
          }),
      tag: groupTags([
        { tags: instanceTags, propagateAtLaunch: true },
        { tags: { ...(p.clusterAutoscaler ? autoscalerTags(p.clusterName, nodeLabels, props.taints ?? []) : {}), ...rt.autoScalingGroup }, propagateAtLaunch: false },
      ]),
      dependsOn: props.launchDependsOn,
      // Set at creation, then the cluster autoscaler's (terraform-aws-eks does the same).
      ...(p.manageDesiredCapacity ? {} : { lifecycle: { ignoreChanges: ["desired_capacity"] } }),
    });

    // initial_lifecycle_hook "will only work when creating a new Auto Scaling Group. For all
    // other use-cases, please use aws_autoscaling_lifecycle_hook" (Terraform AWS provider docs,
    // resources/autoscaling_group). So the same hooks also exist as resources: a later rename or
    // new timeout reaches the live group (PutLifecycleHook creates or updates, so the first
    // apply just re-puts what initial_lifecycle_hook made), and a renamed hook's old name is
    // deleted. Without them a renamed hook would keep its old name on the group, and the
    // EventBridge rule, which matches the new name, would never see a launch.
    // On destroy these go before the group: instances then terminate without the terminate hook,
    // and their multus ENIs go with them (the launch handler sets DeleteOnTermination).
    const asg = this.autoScalingGroup;
    this.lifecycleHooks = hooks.map(({ key, hook }) => new AutoscalingLifecycleHook(this, `${key}-hook`, { autoscalingGroupName: asg.name, ...hook }));
  }
}

/** EKS's spelling of the taint effects (CreateNodegroup Taint.effect). */
const EKS_TAINT_EFFECTS = { NoSchedule: "NO_SCHEDULE", NoExecute: "NO_EXECUTE", PreferNoSchedule: "PREFER_NO_SCHEDULE" } as const;

/**
 * EC2_LINUX entries put the role in system:nodes; no access policy may be associated
 * (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
 */
function nodeAccessEntry(scope: Construct, clusterName: string, principalArn: string, tags: Record<string, string>): EksAccessEntry {
  return new EksAccessEntry(scope, "access-entry", { clusterName, principalArn, type: "EC2_LINUX", tags });
}

/**
 * Terraform's base64encode over text holding references (module variables): the literal parts
 * go in as raw strings (quotes and `$` kept verbatim), the references as expressions.
 */
function base64WithTokens(text: string): string {
  const parts = text.split(/(\$\{TfToken\[[^\]]+\]\})/).filter((part) => part.length > 0);
  return Fn.base64encode(Fn.join("", parts.map((part) => (isLiteral(part) ? Fn.rawString(part) : part))));
}

/** An EBS block device mapping of the launch template. */
function ebsMapping(deviceName: string, v: VolumeConfig, deleteOnTermination: boolean): LaunchTemplateBlockDeviceMappings {
  return {
    deviceName,
    ebs: {
      volumeSize: v.size,
      volumeType: v.type ?? "gp3",
      iops: v.iops,
      throughput: v.throughput,
      kmsKeyId: v.kmsKeyId,
      // typed as strings in the aws provider 5.100.0 (NOTES)
      encrypted: String(v.encrypted ?? true),
      deleteOnTermination: String(deleteOnTermination),
    },
  };
}

/** The role name in a role ARN (`arn:aws:iam::<account>:role[/path]/<name>`), also for a module variable. */
function roleNameOf(roleArn: string): string {
  if (isLiteral(roleArn)) return roleNameOfArn(roleArn);
  return Token.asString(Fn.element(Fn.reverse(Fn.split("/", roleArn)), 0));
}

/**
 * The cluster-autoscaler's tags: auto-discovery (`--node-group-auto-discovery=asg:tag=...`) and
 * the node template for scale from zero, labels and taints as eksctl documents them
 * (https://docs.aws.amazon.com/eks/latest/eksctl/autoscaling.html, kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md "Auto-Discovery Setup", "Scaling a node group to 0").
 */
export function autoscalerTags(clusterName: string, labels: Readonly<Record<string, string>>, taints: readonly NodeTaint[]): Record<string, string> {
  return {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
    ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [`k8s.io/cluster-autoscaler/node-template/label/${k}`, v])),
    ...Object.fromEntries(taints.map((t) => [`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`, `${t.value ?? ""}:${t.effect}`])),
  };
}

/**
 * Auto Scaling group tag blocks, one per key (a later set wins), each with its propagate_at_launch.
 * When a set is a Terraform map (a module variable's), its keys are unknown at synth: then one
 * dynamic block over the sets merged in Terraform, each value carrying its propagate_at_launch.
 */
function groupTags(sets: { tags: Record<string, string>; propagateAtLaunch: boolean }[]): { key: string; value: string; propagateAtLaunch: boolean }[] | IResolvable {
  if (!sets.every((set) => isLiteral(set.tags))) {
    const withPropagation = sets.map(({ tags, propagateAtLaunch }) =>
      isLiteral(tags)
        ? Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, { value, propagate_at_launch: propagateAtLaunch }]))
        : TerraformIterator.fromMap(tags).forExpressionForMap("key", `{ value = val, propagate_at_launch = ${propagateAtLaunch} }`),
    );
    const each = TerraformIterator.fromMap(Token.asAnyMap(Fn.merge(withPropagation)));
    return each.dynamic({ key: each.key, value: each.getString("value"), propagate_at_launch: each.getBoolean("propagate_at_launch") });
  }
  const byKey = new Map<string, { value: string; propagateAtLaunch: boolean }>();
  for (const set of sets) for (const [key, value] of Object.entries(set.tags)) byKey.set(key, { value, propagateAtLaunch: set.propagateAtLaunch });
  return [...byKey].map(([key, t]) => ({ key, ...t }));
}

/** Props with defaults applied, after validation. */
type OptionProps =
  | "instanceTypes" | "manageDesiredCapacity" | "clusterAutoscaler" | "spot" | "capacityRebalance" | "instanceRefresh" | "placementGroup" | "terminationPolicies"
  | "maxInstanceLifetime" | "healthCheckGracePeriod" | "enabledMetrics" | "volume" | "extraVolumes" | "preBootstrapScript" | "postBootstrapScript" | "nodeConfig"
  | "labels" | "taints" | "iam" | "lifecycleHooks" | "resourceTags";
type ResolvedNodeGroupProps = Required<
  Omit<MultusNodeGroupProps, "amiId" | "amiSsmParameter" | "keyName" | "nodeSecurityGroupId" | "additionalSecurityGroupIds" | "eniTagValue" | "launchDependsOn" | "tags" | "kind" | "capacityType" | OptionProps>
> & {
  readonly instanceTypes: string[];
  readonly manageDesiredCapacity: boolean;
  readonly clusterAutoscaler: boolean;
  readonly attachCniPolicy: boolean;
};

/** Validates props (literal values only) and applies defaults. Throws PlanError naming `MultusNodeGroup.<prop>`. */
export function validateNodeGroupProps(props: MultusNodeGroupProps): ResolvedNodeGroupProps {
  const c = new PropChecker("MultusNodeGroup");
  c.str(props.clusterName, "clusterName", /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, "eks-multus-cluster");
  c.str(props.clusterEndpoint, "clusterEndpoint", /^https:\/\//, "https://<id>.gr7.<region>.eks.amazonaws.com");
  c.str(props.clusterCertificateAuthority, "clusterCertificateAuthority", /^[A-Za-z0-9+/=]+$/, "the base64 certificate authority data");
  const clusterServiceCidr = props.clusterServiceCidr ?? DEFAULTS.clusterServiceCidr;
  c.str(clusterServiceCidr, "clusterServiceCidr", /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "172.20.0.0/16");
  c.id(props.clusterSecurityGroupId, "clusterSecurityGroupId", "sg");
  c.str(props.nodeGroupName, "nodeGroupName", NODE_GROUP_NAME_PATTERN, DEFAULT_NODE_GROUP_NAME);
  if (isLiteral(props.nodeGroupName) && !isLabelValue(props.nodeGroupName)) {
    c.fail("nodeGroupName", `"${props.nodeGroupName}" ends with "-": it is the value of the node label ${MULTUS_NODE_LABEL}, which must end with a letter or digit`, "drop the trailing '-'");
  }
  c.id(props.vpcId, "vpcId", "vpc");
  c.ids(props.subnetIds, "subnetIds", "subnet");
  const instanceTypes = props.instanceTypes ?? [props.instanceType ?? DEFAULTS.instanceType];
  const instanceType = instanceTypes[0]!;
  if (props.instanceTypes !== undefined && props.instanceType !== undefined && props.instanceType !== instanceType) {
    c.fail("instanceType", `"${props.instanceType}" is not the first of instanceTypes`, "leave instanceType out: the launch template's type is instanceTypes[0]");
  }
  // Unknown types fail here, naming the prop, rather than at apply.
  instanceTypes.forEach((t, k) => {
    if (isLiteral(t)) instanceLimits(t, props.instanceTypes ? `MultusNodeGroup.instanceTypes[${k}]` : "MultusNodeGroup.instanceType");
  });
  const maxSize = props.maxSize ?? DEFAULTS.maxSize;
  c.int(maxSize, "maxSize", 1, 1000);
  const minSize = props.minSize ?? Math.min(DEFAULTS.minSize, isLiteral(maxSize) ? maxSize : DEFAULTS.minSize);
  c.int(minSize, "minSize", 0, isLiteral(maxSize) ? maxSize : 1000);
  const desiredSize = props.desiredSize ?? minSize;
  c.int(desiredSize, "desiredSize", isLiteral(minSize) ? minSize : 0, isLiteral(maxSize) ? maxSize : 1000);
  const amiFamily = props.amiFamily ?? DEFAULTS.amiFamily;
  c.oneOf(amiFamily, "amiFamily", AMI_FAMILIES);
  if (props.amiId === undefined && props.amiSsmParameter === undefined) {
    c.fail("amiId", "is not set, and neither is amiSsmParameter", "give an EKS-optimized AMI id (amiId), or amiSsmParameter to look one up at plan time");
  }
  if (props.amiId !== undefined) c.id(props.amiId, "amiId", "ami");
  else c.str(props.amiSsmParameter, "amiSsmParameter", /^\/[\w.\-/]+$/, "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id");
  const volumeSize = props.volumeSize ?? DEFAULTS.volumeSize;
  c.int(volumeSize, "volumeSize", 20, 16384);
  if (props.capacityType !== undefined) {
    if ((props.kind ?? "autoscaling") !== "managed") c.fail("capacityType", `is an EKS managed node group's; ${props.kind === "karpenter" ? "a karpenter" : "an autoscaling"} group has none`, props.kind === "karpenter" ? "give the NodePool's capacity types in the config's capacityTypes" : "use spot (the mixed instances policy), or set kind to \"managed\"");
    // A module variable is checked by its validation instead.
    if (isLiteral(props.capacityType)) c.oneOf(props.capacityType, "capacityType", Object.values(EKS_CAPACITY_TYPES));
  }
  const volumeType = props.volumeType ?? DEFAULTS.volumeType;
  c.oneOf(volumeType, "volumeType", ["gp3", "gp2", "io1", "io2"] as const);
  if (props.keyName !== undefined) c.str(props.keyName, "keyName");
  const bootstrapArguments = props.bootstrapArguments ?? DEFAULTS.bootstrapArguments;
  if (isLiteral(bootstrapArguments)) {
    if (typeof bootstrapArguments !== "string") c.fail("bootstrapArguments", "must be a string", 'set it to "" or kubelet flags');
    // The flags go into a YAML list (al2023) or a single-quoted shell word (al2).
    if (/['"`\\\n]|\$\{|%\{/.test(bootstrapArguments)) {
      c.fail("bootstrapArguments", `contains quotes, backslashes, newlines or template markers: ${JSON.stringify(bootstrapArguments)}`, "give plain space-separated kubelet flags such as --node-labels=cnf=xyz");
    }
    for (const flag of bootstrapArguments.split(/\s+/).filter(Boolean)) {
      if (!flag.startsWith("--")) c.fail("bootstrapArguments", `"${flag}" is not a kubelet flag`, "give flags of the form --name=value separated by spaces");
      if (/^--max-pods\b/.test(flag)) c.fail("bootstrapArguments", "sets --max-pods, which comes from the address plan", "remove --max-pods; kubeletMaxPods sets it");
      if (flag.startsWith("--node-labels=") && flag.slice("--node-labels=".length).split(",").some((l) => l.split("=")[0] === MULTUS_NODE_LABEL)) {
        c.fail("bootstrapArguments", `sets the node label ${MULTUS_NODE_LABEL}, which the node group sets to its name`, `remove ${MULTUS_NODE_LABEL} from --node-labels`);
      }
      // A kubelet flag wins over its configuration file: it would drop the startup taint.
      if (/^--register-with-taints\b/.test(flag) && (props.startupTaint ?? true)) {
        c.fail("bootstrapArguments", "sets --register-with-taints, which would replace the startup taint", "remove it, or set startupTaint: false and add the startup taint to your list yourself");
      }
      if (/^--register-with-taints\b/.test(flag) && (props.taints ?? []).length) {
        c.fail("bootstrapArguments", "sets --register-with-taints, which would replace the taints of the taints prop", "give every taint in taints instead");
      }
      if (/^--node-labels\b/.test(flag) && Object.keys(props.labels ?? {}).length) {
        // Still works (the kubelet adds repeated --node-labels up), but two places for labels drift apart.
        c.fail("bootstrapArguments", "sets --node-labels beside the labels prop", "give every label in labels instead");
      }
    }
  }
  c.int(props.kubeletMaxPods, "kubeletMaxPods", 1, 1000);
  const imdsHopLimit = props.imdsHopLimit ?? DEFAULTS.imdsHopLimit;
  c.int(imdsHopLimit, "imdsHopLimit", 1, 64);
  if (props.nodeSecurityGroupId !== undefined) c.id(props.nodeSecurityGroupId, "nodeSecurityGroupId", "sg");
  if (props.additionalSecurityGroupIds !== undefined) c.ids(props.additionalSecurityGroupIds, "additionalSecurityGroupIds", "sg", 0);
  const autoScalingGroupName = props.autoScalingGroupName ?? defaultAutoScalingGroupName(props.clusterName, props.nodeGroupName);
  c.str(autoScalingGroupName, "autoScalingGroupName", /^[^:]{1,255}$/, "eks-multus-cluster-ng1");
  const launchHookTimeout = props.launchHookTimeout ?? DEFAULT_HOOKS.launch.heartbeatTimeout;
  const terminateHookTimeout = props.terminateHookTimeout ?? DEFAULT_HOOKS.terminate.heartbeatTimeout;
  c.int(launchHookTimeout, "launchHookTimeout", HEARTBEAT_TIMEOUT_RANGE.min, HEARTBEAT_TIMEOUT_RANGE.max);
  c.int(terminateHookTimeout, "terminateHookTimeout", HEARTBEAT_TIMEOUT_RANGE.min, HEARTBEAT_TIMEOUT_RANGE.max);
  const launchHookDefaultResult = props.launchHookDefaultResult ?? DEFAULT_HOOKS.launch.defaultResult;
  const terminateHookDefaultResult = props.terminateHookDefaultResult ?? DEFAULT_HOOKS.terminate.defaultResult;
  c.oneOf(launchHookDefaultResult, "launchHookDefaultResult", LIFECYCLE_RESULTS);
  c.oneOf(terminateHookDefaultResult, "terminateHookDefaultResult", LIFECYCLE_RESULTS);
  const launchHookName = props.launchHookName ?? DEFAULT_HOOKS.launch.name;
  const terminateHookName = props.terminateHookName ?? DEFAULT_HOOKS.terminate.name;
  c.str(launchHookName, "launchHookName", HOOK_NAME_PATTERN, DEFAULT_HOOKS.launch.name);
  c.str(terminateHookName, "terminateHookName", HOOK_NAME_PATTERN, DEFAULT_HOOKS.terminate.name);
  if (launchHookName === terminateHookName) c.fail("terminateHookName", `is the same as launchHookName ("${launchHookName}")`, "give the two hooks different names");
  const nodeAccess = props.nodeAccess ?? "access-entry";
  c.oneOf(nodeAccess, "nodeAccess", NODE_ACCESS);
  const attachCniPolicy = props.iam?.attachCniPolicy ?? true;
  // Without the CNI policy the node role holds no ENI permission; the agent's goes elsewhere.
  const agentPermissions = props.agentPermissions ?? (attachCniPolicy ? "node-role" : "policy");
  c.oneOf(agentPermissions, "agentPermissions", AGENT_PERMISSIONS);
  if (!attachCniPolicy && agentPermissions === "node-role") {
    c.fail("agentPermissions", '"node-role" would put ENI permissions on a node role that iam.attachCniPolicy false keeps free of them', 'use "policy" (for the agent\'s own role through IRSA or Pod Identity) or "none"');
  }
  // The production options, checked as the config checks them (literal values only), naming `MultusNodeGroup.<prop>`.
  const zones = new Set((props.multusInterfaces ?? []).map((e) => e.availabilityZone)).size || 1;
  const options = literalOnly({
    instanceTypes: props.instanceTypes, manageDesiredCapacity: props.manageDesiredCapacity, clusterAutoscaler: props.clusterAutoscaler, spot: props.spot,
    capacityRebalance: props.capacityRebalance, instanceRefresh: props.instanceRefresh, placementGroup: props.placementGroup, terminationPolicies: props.terminationPolicies,
    maxInstanceLifetime: props.maxInstanceLifetime, healthCheckGracePeriod: props.healthCheckGracePeriod, enabledMetrics: props.enabledMetrics, volume: props.volume,
    extraVolumes: props.extraVolumes, preBootstrapScript: props.preBootstrapScript, postBootstrapScript: props.postBootstrapScript, nodeConfig: props.nodeConfig,
    labels: props.labels, taints: props.taints, iam: props.iam, lifecycleHooks: props.lifecycleHooks, resourceTags: props.resourceTags,
  });
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  checkNodeGroupOptions({ ...defined, maxSize: isLiteral(maxSize) ? maxSize : undefined, amiFamily }, "MultusNodeGroup", new Checker(), zones);
  // A Terraform map (the module's tags variable) is checked by AWS at apply.
  if (props.tags !== undefined && isLiteral(props.tags)) checkTags(literalOnly(props.tags), "MultusNodeGroup.tags", new Checker());
  if (props.eniTagValue !== undefined) c.str(props.eniTagValue, "eniTagValue", /^[\w.:/=+\-@ ]{1,256}$/, "eks-multus-cluster-ng1");
  const hostAddress = props.hostAddress ?? "none";
  c.oneOf(hostAddress, "hostAddress", HOST_ADDRESSES);
  const multusInterfaces = props.multusInterfaces ?? [];
  multusInterfaces.forEach((e, i) => {
    c.int(e.deviceIndex, `multusInterfaces[${i}].deviceIndex`, 1, 99);
    c.id(e.subnetId, `multusInterfaces[${i}].subnetId`, "subnet");
    c.str(e.availabilityZone, `multusInterfaces[${i}].availabilityZone`, /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, "us-west-2a");
  });
  return {
    clusterName: props.clusterName,
    clusterEndpoint: props.clusterEndpoint,
    clusterCertificateAuthority: props.clusterCertificateAuthority,
    clusterServiceCidr,
    clusterSecurityGroupId: props.clusterSecurityGroupId,
    nodeGroupName: props.nodeGroupName,
    vpcId: props.vpcId,
    subnetIds: props.subnetIds,
    instanceType,
    instanceTypes,
    manageDesiredCapacity: props.manageDesiredCapacity ?? false,
    clusterAutoscaler: props.clusterAutoscaler ?? true,
    attachCniPolicy,
    minSize,
    desiredSize,
    maxSize,
    amiFamily,
    volumeSize,
    volumeType,
    bootstrapArguments,
    kubeletMaxPods: props.kubeletMaxPods,
    requireImdsv2: props.requireImdsv2 ?? true,
    imdsHopLimit,
    autoScalingGroupName,
    launchHookTimeout,
    launchHookDefaultResult,
    terminateHookTimeout,
    terminateHookDefaultResult,
    launchHookName,
    terminateHookName,
    dualStack: props.dualStack ?? false,
    nodeAccess,
    agentPermissions,
    multusInterfaces,
    hostAddress,
    startupTaint: props.startupTaint ?? true,
  };
}
