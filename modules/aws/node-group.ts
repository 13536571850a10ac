import { Fn, ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingLifecycleHook } from "@cdktf/provider-aws/lib/autoscaling-lifecycle-hook";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsSsmParameter } from "@cdktf/provider-aws/lib/data-aws-ssm-parameter";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { instanceLimits } from "../../ipam/capacity";
import { MULTUS_NODE_LABEL, isLabelValue } from "../../contract/node-label";
import { awsContext } from "./aws-context";
import { DEFAULT_HOOKS, DEFAULT_NODE_GROUP_NAME, NODE_GROUP_NAME_PATTERN, HEARTBEAT_TIMEOUT_RANGE, HOOK_NAME_PATTERN, LIFECYCLE_RESULTS, LifecycleResult, TRANSITIONS, defaultAutoScalingGroupName } from "../../contract/lifecycle";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { PropChecker, arn, fitName, isLiteral } from "./common";
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
export interface MultusNodeGroupProps {
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
  /** Tags on every resource and propagated to the instances. @default {} */
  readonly tags?: Record<string, string>;
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
export class MultusNodeGroup extends Construct {
  readonly autoScalingGroup: AutoscalingGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly nodeRole: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  /** The node security group (created or given). */
  readonly nodeSecurityGroupId: string;
  readonly autoScalingGroupName: string;
  readonly eniTagValue: string;
  readonly launchHookName: string;
  readonly terminateHookName: string;
  /** The launch and terminate hooks as resources too, so changes reach an existing group. */
  readonly lifecycleHooks: AutoscalingLifecycleHook[];
  readonly accessEntry?: EksAccessEntry;
  /** Set when agentPermissions is "policy". */
  readonly agentPolicy?: IamPolicy;
  /** The node agent's policy document (JSON), whatever agentPermissions says. */
  readonly agentPolicyJson: string;

  constructor(scope: Construct, id: string, props: MultusNodeGroupProps) {
    super(scope, id);
    const p = validateNodeGroupProps(props);
    const ctx = awsContext(this);
    const tags = props.tags ?? {};
    const clusterTag = `kubernetes.io/cluster/${p.clusterName}`;

    this.autoScalingGroupName = p.autoScalingGroupName;
    this.eniTagValue = props.eniTagValue ?? p.autoScalingGroupName;
    this.launchHookName = p.launchHookName;
    this.terminateHookName = p.terminateHookName;

    // --- IAM: the three managed policies EKS documents for nodes and nothing wider
    // (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html). The reference
    // also attached AWSCloudFormationFullAccess and EC2 actions on "*".
    const assume = new DataAwsIamPolicyDocument(this, "node-assume-role", {
      statement: [{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [`ec2.${ctx.dnsSuffix}`] }] }],
    });
    this.nodeRole = new IamRole(this, "node-role", {
      namePrefix: fitName(`${p.nodeGroupName}-node-`, 38),
      description: `EKS ${p.clusterName} node group ${p.nodeGroupName} (multus)`,
      assumeRolePolicy: assume.json,
      tags,
    });
    for (const policy of ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]) {
      new IamRolePolicyAttachment(this, `node-${policy}`, {
        role: this.nodeRole.name,
        policyArn: `arn:${ctx.partition}:iam::aws:policy/${policy}`,
      });
    }
    this.instanceProfile = new IamInstanceProfile(this, "node-profile", {
      namePrefix: fitName(`${p.nodeGroupName}-node-`, 38),
      role: this.nodeRole.name,
      tags,
    });

    // --- Node agent (agent/): assign/unassign secondary IPs only on ENIs tagged with this node group.
    // Describe* actions take no resource-level permissions, so they need "*"
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
    const agentDoc = new DataAwsIamPolicyDocument(this, "agent-policy-document", {
      statement: [
        {
          sid: "AssignPodAddressesOnOwnEnis",
          effect: "Allow",
          actions: ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
          resources: [arn(ctx.partition, "ec2", ctx.region, "network-interface/*")],
          condition: [{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: [this.eniTagValue] }],
        },
        { sid: "Describe", effect: "Allow", actions: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], resources: ["*"] },
      ],
    });
    this.agentPolicyJson = agentDoc.json;
    if (p.agentPermissions === "node-role") {
      new IamRolePolicy(this, "node-agent-policy", { name: "multus-node-agent", role: this.nodeRole.id, policy: agentDoc.json });
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
        tags: { ...tags, [clusterTag]: "owned" },
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
      nodeLabels: { [MULTUS_NODE_LABEL]: p.nodeGroupName },
      multusEnis: p.multusInterfaces,
      hostAddress: p.hostAddress,
      startupTaint: p.startupTaint,
    });
    const instanceTags = { ...tags, Name: `${p.clusterName}-${p.nodeGroupName}-Node`, [clusterTag]: "owned" };
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: fitName(`${p.clusterName}-${p.nodeGroupName}-`, 99),
      description: `Multus node group ${p.nodeGroupName} of ${p.clusterName}`,
      imageId,
      instanceType: p.instanceType,
      keyName: props.keyName,
      // Base64 in JS when every value is known; Terraform's base64encode when some are variables.
      userData: isLiteral(userData) ? Buffer.from(userData, "utf8").toString("base64") : base64WithTokens(userData),
      iamInstanceProfile: { arn: this.instanceProfile.arn },
      vpcSecurityGroupIds: [this.nodeSecurityGroupId, ...(props.additionalSecurityGroupIds ?? [])],
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: { volumeSize: p.volumeSize, volumeType: p.volumeType, deleteOnTermination: "true", encrypted: "true" },
        },
      ],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: p.requireImdsv2 ? "required" : "optional",
        httpPutResponseHopLimit: p.imdsHopLimit,
      },
      tagSpecifications: [
        { resourceType: "instance", tags: instanceTags },
        { resourceType: "volume", tags: instanceTags },
      ],
      updateDefaultVersion: true,
      tags,
    });

    // --- Auto Scaling group with its hooks from the start: the reference added hooks after the
    // group and then needed a custom resource that terminated every instance launched before.
    const hooks = [
      { key: "launch", name: p.launchHookName, lifecycleTransition: TRANSITIONS.launching, defaultResult: p.launchHookDefaultResult, heartbeatTimeout: p.launchHookTimeout },
      { key: "terminate", name: p.terminateHookName, lifecycleTransition: TRANSITIONS.terminating, defaultResult: p.terminateHookDefaultResult, heartbeatTimeout: p.terminateHookTimeout },
    ].map(({ key, ...hook }) => ({ key, hook }));
    this.autoScalingGroup = new AutoscalingGroup(this, "asg", {
      name: p.autoScalingGroupName,
      minSize: p.minSize,
      maxSize: p.maxSize,
      desiredCapacity: p.desiredSize,
      vpcZoneIdentifier: p.subnetIds,
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      initialLifecycleHook: hooks.map((h) => h.hook),
      // Replace nodes one batch at a time when the launch template changes (the reference's
      // rolling update policy).
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 66 } },
      tag: Object.entries(instanceTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      dependsOn: props.launchDependsOn,
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
    this.lifecycleHooks = hooks.map(
      ({ key, hook }) => new AutoscalingLifecycleHook(this, `${key}-hook`, { autoscalingGroupName: this.autoScalingGroup.name, ...hook }),
    );

    if (p.nodeAccess === "access-entry") {
      // EC2_LINUX entries put the role in system:nodes; no access policy may be associated
      // (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html).
      this.accessEntry = new EksAccessEntry(this, "access-entry", {
        clusterName: p.clusterName,
        principalArn: this.nodeRole.arn,
        type: "EC2_LINUX",
        tags,
      });
    }
  }
}

/**
 * Terraform's base64encode over text holding references (module variables): the literal parts
 * go in as raw strings (quotes and `$` kept verbatim), the references as expressions.
 */
function base64WithTokens(text: string): string {
  const parts = text.split(/(\$\{TfToken\[[^\]]+\]\})/).filter((part) => part.length > 0);
  return Fn.base64encode(Fn.join("", parts.map((part) => (isLiteral(part) ? Fn.rawString(part) : part))));
}

/** Props with defaults applied, after validation. */
type ResolvedNodeGroupProps = Required<
  Omit<MultusNodeGroupProps, "amiId" | "amiSsmParameter" | "keyName" | "nodeSecurityGroupId" | "additionalSecurityGroupIds" | "eniTagValue" | "launchDependsOn" | "tags">
>;

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
  const instanceType = props.instanceType ?? DEFAULTS.instanceType;
  // Unknown types fail here, naming the prop, rather than at apply.
  if (isLiteral(instanceType)) instanceLimits(instanceType, "MultusNodeGroup.instanceType");
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
  const agentPermissions = props.agentPermissions ?? "node-role";
  c.oneOf(agentPermissions, "agentPermissions", AGENT_PERMISSIONS);
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
    nodeAccess,
    agentPermissions,
    multusInterfaces,
    hostAddress,
    startupTaint: props.startupTaint ?? true,
  };
}
