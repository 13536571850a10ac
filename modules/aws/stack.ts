import { Fn, Lazy, TerraformOutput, TerraformStack, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { MultusConfig } from "../../ipam/config";
import { isPlaceholder } from "../../ipam/placeholders";
import { LambdaEnvironmentExtra, groupNames, lambdaEnvironment } from "../../ipam/lambda-env";
import type { NetworkPlan } from "../../ipam/plan";
import { capacityTypesOf } from "../../ipam/cluster-config";
import { RelativeLocalBackend } from "../backend";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { concatLists, isLiteral, mergeTags, propError } from "./common";
import { LifecycleLambda, LifecycleLambdaProps } from "./lifecycle-lambda";
import { EKS_CAPACITY_TYPES, EksCapacityType, MultusNodeGroup, MultusNodeGroupProps } from "./node-group";
import { MultusSubnetReservations } from "./reservations";
import { NodeAgentRole } from "./agent-role";
import { DEFAULT_HOOKS } from "../../contract/lifecycle";
import { ARN_PATTERNS, LambdaCodeConfig, NodeIamConfig, SpotConfig, groupIam, nodeAgentIam } from "../../ipam/node-options";

/** The AWS provider versions the generated Terraform accepts (5.100.0 is what the bindings wrap). */
export const AWS_PROVIDER_CONSTRAINT = ">= 5.100.0, < 7.0.0";

export type StackMode = "root" | "module";

export interface MultusAwsStackProps {
  readonly config: MultusConfig;
  readonly plan: NetworkPlan;
  /** The Lambda bundle (directory with index.js, or a zip). Required unless the config's `lambda` gives the code's S3 object (then unused). */
  readonly bundlePath?: string;
  /** Lambda settings the config does not hold (sourceDestCheck, ipAttempts). @default {} */
  readonly lambdaEnvironment?: Pick<LambdaEnvironmentExtra, "sourceDestCheck" | "ipAttempts">;
  /**
   * `root`: a Terraform root with the AWS provider (region from the config) and a local
   * backend whose state file is `terraform.<stack>.tfstate` beside the output directory (modules/backend.ts). `module`: a plain module for an existing HCL root: ids as variables, outputs, no
   * provider or backend block.
   * @default "root"
   */
  readonly mode?: StackMode;
  /**
   * Node group props beyond the config (nodeAccess, agentPermissions, amiSsmParameter, ...), for
   * every node group. instanceType, kubeletMaxPods and maxSize come from the config and plan and
   * are refused here; launchDependsOn adds to the stack's own dependencies. With several groups,
   * autoScalingGroupName and eniTagValue go in `nodeGroups` (each group needs its own).
   */
  readonly nodeGroup?: Partial<MultusNodeGroupProps>;
  /** Node group props for one group, by the group's name, over `nodeGroup`. @default {} */
  readonly nodeGroups?: Readonly<Record<string, Partial<MultusNodeGroupProps>>>;
  /**
   * Lifecycle Lambda props beyond the config (timeout, sweepSchedule, ...). environment and the
   * props wired from the node groups (autoScalingGroupName, groups, eniTagValue, hook names and
   * timeout, subnet and security group ids, bundlePath) are refused here.
   */
  readonly lambda?: Partial<LifecycleLambdaProps>;
  /** Tags on every resource. @default {} */
  readonly tags?: Record<string, string>;
}

/**
 * Node group and Lambda props the stack derives from the config and plan, or wires between the
 * two constructs: an override would desync them (a kubelet max-pods the plan was not made for,
 * a function listening to another group), so it is refused, with where to set it instead.
 */
const DERIVED_NODE_GROUP_PROPS: Partial<Record<keyof MultusNodeGroupProps, string>> = {
  instanceType: "set nodeGroup.instanceType in the config: the address plan (ENIs, pods per node) is made for it",
  instanceTypes: "set instanceTypes of the node group in the config: the address plan (ENIs, pods per node) is made for them",
  kubeletMaxPods: "leave it out: it is the address plan's kubeletMaxPods; change the config (instance type, multus subnets) to change it",
  maxSize: "set nodeGroup.maxSize in the config: the address plan sizes the worker blocks for it",
  multusInterfaces: "set multus.subnets in the config: the plan gives each subnet its device index",
  dualStack: "give the group's multus subnets an ipv6Cidr in the config",
};
const DERIVED_LAMBDA_PROPS: Partial<Record<keyof LifecycleLambdaProps, string>> = {
  environment: "leave it out: it is written from the config and plan; change the config, or pass lambdaEnvironment (sourceDestCheck, ipAttempts)",
  bundlePath: "pass the stack's bundlePath instead",
  s3Code: "set lambda (s3Bucket, s3Key, s3ObjectVersion) in the config",
  autoScalingGroupName: "set nodeGroup.autoScalingGroupName instead: the function gets the node group's",
  groups: "leave it out: the function serves every node group of the config",
  eniTagValue: "set nodeGroup.eniTagValue instead: the function gets the node group's",
  lifecycleHookNames: "set nodeGroup.launchHookName and nodeGroup.terminateHookName instead: the function gets the node group's",
  hookTimeout: "set nodeGroup.launchHookTimeout instead: the function gets the node group's",
  multusSubnetIds: "set multus.subnets in the config (or the module's multus_subnet_ids)",
  multusSecurityGroupIds: "set multus.securityGroupIds in the config (or the module's multus_security_group_ids)",
};
/** With several groups one value for all would make them collide. */
const PER_GROUP_PROPS: (keyof MultusNodeGroupProps)[] = ["autoScalingGroupName", "eniTagValue", "nodeGroupName"];

function rejectDerived(group: string, given: object | undefined, derived: Record<string, string | undefined>): void {
  for (const [prop, fix] of Object.entries(derived)) {
    if (given && (given as Record<string, unknown>)[prop] !== undefined) {
      propError("MultusAwsStack", `${group}.${prop}`, "is set by the stack from the config and plan", fix!);
    }
  }
}

/** What a module caller passes in per node group. */
interface GroupInputs {
  nodeSubnetIds: string[];
  amiId: string;
  keyName?: string;
  minSize: number;
  desiredSize: number;
  /** The root volume's KMS key (undefined: the account's default EBS key). */
  kmsKeyId?: string;
  /** With spot. */
  spot?: Pick<SpotConfig, "onDemandBaseCapacity" | "onDemandPercentageAboveBaseCapacity">;
  /** `managed` groups: the EKS node group's capacity type (a variable in module mode). */
  capacityType?: EksCapacityType;
  /** The group's node role settings that may come from variables. */
  iam: Pick<NodeIamConfig, "roleArn" | "instanceProfileArn" | "permissionsBoundary" | "additionalPolicyArns">;
}

/** The ids a module caller passes in; everything that shapes the address plan stays fixed at synth. */
interface StackInputs {
  clusterEndpoint: string;
  clusterCertificateAuthority: string;
  clusterSecurityGroupId: string;
  vpcId: string;
  /** In plan order. */
  multusSubnetIds: string[];
  /** By network name. */
  networkSecurityGroupIds: Record<string, string[]>;
  /** By group name. */
  groups: Record<string, GroupInputs>;
  /** The Lambda's code from S3, when the config says so. */
  lambdaCode?: LambdaCodeConfig;
  /** IRSA: the cluster's OIDC provider. */
  oidcProviderArn?: string;
  /** Tags over the config's on every resource (module mode: the `tags` variable). */
  tags?: Record<string, string>;
}

function configInputs(config: MultusConfig, plan: NetworkPlan): StackInputs {
  return {
    clusterEndpoint: config.cluster.endpoint,
    clusterCertificateAuthority: config.cluster.certificateAuthority,
    clusterSecurityGroupId: config.cluster.securityGroupId,
    vpcId: config.vpc.id,
    multusSubnetIds: plan.subnets.map((s) => s.id),
    networkSecurityGroupIds: Object.fromEntries(config.networks.map((n) => [n.name, n.securityGroupIds])),
    groups: Object.fromEntries(
      config.nodeGroups.map((g) => {
        const iam = groupIam(config.iam, g.iam);
        return [
          g.name,
          {
            nodeSubnetIds: g.subnetIds,
            amiId: g.amiId,
            keyName: g.keyName,
            minSize: g.minSize,
            desiredSize: g.desiredSize,
            kmsKeyId: g.volume?.kmsKeyId,
            ...(g.spot ? { spot: g.spot } : {}),
            ...(g.kind === "managed" ? { capacityType: eksCapacityType(g) } : {}),
            iam: { roleArn: iam.roleArn, instanceProfileArn: iam.instanceProfileArn, permissionsBoundary: iam.permissionsBoundary, additionalPolicyArns: iam.additionalPolicyArns },
          },
        ];
      }),
    ),
    lambdaCode: config.lambda,
    oidcProviderArn: config.iam?.nodeAgent?.oidcProviderArn,
  };
}

/** A managed group's one capacity type (the config's capacityTypes, default on-demand) as EKS spells it. */
function eksCapacityType(g: MultusConfig["nodeGroups"][number]): EksCapacityType {
  return EKS_CAPACITY_TYPES[capacityTypesOf(g)[0]!];
}

/** A variable validation that the value is "" or matches `pattern` (an ARN). */
function emptyOrMatches(variable: string, pattern: RegExp, message: string) {
  return { condition: `\${var.${variable} == "" || can(regex(${JSON.stringify(pattern.source)}, var.${variable}))}`, errorMessage: message };
}

/** `var.x == "" ? null : var.x`: a string variable where "" means none (a token, so synth-time checks leave it to the variable's validation). */
const orNull = (variable: string) => Lazy.stringValue({ produce: () => `\${var.${variable} == "" ? null : var.${variable}}` });

/** A Terraform variable name from a group or network name. */
const varName = (name: string) => name.replace(/-/g, "_");

/**
 * Module variables; the address plan's inputs (CIDRs, strategy, sizes that shape it) are not
 * among them. The shorthand's names are kept; with `nodeGroups`, each group's are prefixed with
 * its name (`<group>_node_subnet_ids`, ...) and each network's security groups are
 * `<network>_security_group_ids`.
 */
function variableInputs(scope: Construct, config: MultusConfig, plan: NetworkPlan): StackInputs {
  const v = (name: string, type: string, description: string, extra: Partial<ConstructorParameters<typeof TerraformVariable>[2]> = {}) => {
    const variable = new TerraformVariable(scope, name, { type, description, ...extra });
    variable.overrideLogicalId(name);
    return variable;
  };
  const n = plan.subnets.length;
  const cluster = config.form === "cluster";
  const where = (s: NetworkPlan["subnets"][number]) => `${s.subnet.cidr} (${cluster ? `${s.network}, ` : ""}${s.availabilityZone})`;
  const multus = v("multus_subnet_ids", "list(string)", `Multus subnet ids in the order the module was generated for: ${plan.subnets.map(where).join(", ")}`, {
    validation: [{ condition: `\${length(var.multus_subnet_ids) == ${n}}`, errorMessage: `multus_subnet_ids must list exactly ${n} subnets, in the order of the generated address plan.` }],
  });
  const shared = cluster ? undefined : v("multus_security_group_ids", "list(string)", "Security groups of the multus ENIs").listValue;
  const groupInputs = (g: MultusConfig["nodeGroups"][number]): GroupInputs => {
    const p = cluster ? `${varName(g.name)}_` : "";
    const of = cluster ? ` of node group ${g.name}` : "";
    const keyName = v(`${p}key_name`, "string", `EC2 key pair for SSH${of}; "" for none`, { default: g.keyName ?? "" });
    const iam = groupIam(config.iam, g.iam);
    v(`${p}volume_kms_key_id`, "string", `ARN of the KMS key that encrypts the root volume${of}; "" for the account's default EBS key`, {
      default: g.volume?.kmsKeyId ?? "",
      validation: [emptyOrMatches(`${p}volume_kms_key_id`, ARN_PATTERNS.kmsKey, `${p}volume_kms_key_id must be "" or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>).`)],
    });
    const spot = g.spot
      ? {
          onDemandBaseCapacity: v(`${p}on_demand_base_capacity`, "number", `On-Demand instances before any Spot${of}`, {
            default: g.spot.onDemandBaseCapacity ?? 0,
            validation: [{ condition: `\${var.${p}on_demand_base_capacity >= 0 && floor(var.${p}on_demand_base_capacity) == var.${p}on_demand_base_capacity}`, errorMessage: `${p}on_demand_base_capacity must be a whole number, 0 or more.` }],
          }).numberValue,
          onDemandPercentageAboveBaseCapacity: v(`${p}on_demand_percentage_above_base_capacity`, "number", `Percent On-Demand above the base${of}, 0 to 100`, {
            default: g.spot.onDemandPercentageAboveBaseCapacity ?? 0,
            validation: [{ condition: `\${var.${p}on_demand_percentage_above_base_capacity >= 0 && var.${p}on_demand_percentage_above_base_capacity <= 100}`, errorMessage: `${p}on_demand_percentage_above_base_capacity must be from 0 to 100.` }],
          }).numberValue,
        }
      : undefined;
    const capacityType = g.kind === "managed"
      ? (v(`${p}capacity_type`, "string", `Capacity type of the EKS managed node group${of}: ${Object.values(EKS_CAPACITY_TYPES).join(" or ")}`, {
          default: eksCapacityType(g),
          validation: [{ condition: `\${contains(${JSON.stringify(Object.values(EKS_CAPACITY_TYPES))}, var.${p}capacity_type)}`, errorMessage: `${p}capacity_type must be one of ${Object.values(EKS_CAPACITY_TYPES).join(", ")}.` }],
        }).stringValue as EksCapacityType)
      : undefined;
    let groupIamInputs: GroupInputs["iam"];
    if (iam.roleArn !== undefined) {
      // An existing role (and profile): their ARNs, from the caller.
      const role = v(`${p}node_role_arn`, "string", `The existing node IAM role${of}`, { default: iam.roleArn, validation: [{ condition: `\${can(regex(${JSON.stringify(ARN_PATTERNS.role.source)}, var.${p}node_role_arn))}`, errorMessage: `${p}node_role_arn must be an IAM role ARN.` }] });
      const profile = iam.instanceProfileArn !== undefined ? v(`${p}instance_profile_arn`, "string", `The existing instance profile of the node role${of}`, { default: iam.instanceProfileArn }).stringValue : undefined;
      groupIamInputs = { roleArn: role.stringValue, instanceProfileArn: profile };
    } else {
      const policies = v(`${p}additional_policy_arns`, "list(string)", `More managed policies (ARNs) on the node role${of}, e.g. AmazonSSMManagedInstanceCore`, {
        default: iam.additionalPolicyArns ?? [],
        validation: [{ condition: `\${alltrue([for a in var.${p}additional_policy_arns : can(regex(${JSON.stringify(ARN_PATTERNS.policy.source)}, a))])}`, errorMessage: `${p}additional_policy_arns must list IAM policy ARNs.` }],
      });
      v(`${p}permissions_boundary`, "string", `ARN of the node role's permissions boundary${of}; "" for none`, {
        default: iam.permissionsBoundary ?? "",
        validation: [emptyOrMatches(`${p}permissions_boundary`, ARN_PATTERNS.policy, `${p}permissions_boundary must be "" or an IAM policy ARN.`)],
      });
      groupIamInputs = { additionalPolicyArns: policies.listValue, permissionsBoundary: orNull(`${p}permissions_boundary`) };
    }
    return {
      kmsKeyId: orNull(`${p}volume_kms_key_id`),
      ...(spot ? { spot } : {}),
      ...(capacityType ? { capacityType } : {}),
      iam: groupIamInputs,
      nodeSubnetIds: v(`${p}node_subnet_ids`, "list(string)", `Subnets of the nodes' primary interface${of}`).listValue,
      // No default from the example: a placeholder AMI must not reach a plan unnoticed.
      amiId: v(`${p}ami_id`, "string", `EKS-optimized AMI id of the nodes${of}`, isPlaceholder(g.amiId) ? {} : { default: g.amiId }).stringValue,
      // "" means none: the launch template then gets no key_name at all.
      keyName: `\${var.${keyName.friendlyUniqueId} == "" ? null : var.${keyName.friendlyUniqueId}}`,
      minSize: v(`${p}min_size`, "number", `Auto Scaling group minimum size${of}`, { default: g.minSize }).numberValue,
      desiredSize: v(`${p}desired_size`, "number", `Auto Scaling group desired capacity${of}`, { default: g.desiredSize }).numberValue,
    };
  };
  return {
    clusterEndpoint: v("cluster_endpoint", "string", "EKS API server endpoint").stringValue,
    clusterCertificateAuthority: v("cluster_certificate_authority", "string", "EKS cluster certificate authority data (base64)").stringValue,
    clusterSecurityGroupId: v("cluster_security_group_id", "string", "The cluster control plane's security group").stringValue,
    vpcId: v("vpc_id", "string", "VPC of the nodes").stringValue,
    // As every AWS module takes it (terraform-aws-eks `tags`); merged in Terraform over the config's.
    tags: Token.asStringMap(v("tags", "map(string)", "A map of tags to add to all resources, over the config's tags", { default: {} }).value),
    multusSubnetIds: plan.subnets.map((_, i) => Token.asString(Fn.element(multus.listValue, i))),
    networkSecurityGroupIds: Object.fromEntries(
      config.networks.map((net) => [net.name, shared ?? v(`${varName(net.name)}_security_group_ids`, "list(string)", `Security groups of the ENIs of multus network ${net.name}`).listValue]),
    ),
    groups: Object.fromEntries(config.nodeGroups.map((g) => [g.name, groupInputs(g)])),
    ...(config.lambda
      ? {
          lambdaCode: {
            s3Bucket: v("lambda_s3_bucket", "string", "S3 bucket of the lifecycle Lambda's zip (npm run build:lambda)", { default: config.lambda.s3Bucket }).stringValue,
            s3Key: v("lambda_s3_key", "string", "S3 key of the lifecycle Lambda's zip", { default: config.lambda.s3Key }).stringValue,
            s3ObjectVersion: (() => {
              v("lambda_s3_object_version", "string", 'S3 object version of the zip; "" for the latest', { default: config.lambda.s3ObjectVersion ?? "" });
              return orNull("lambda_s3_object_version");
            })(),
          },
        }
      : {}),
    ...(config.iam?.nodeAgent?.credentials === "irsa"
      ? {
          oidcProviderArn: v("node_agent_oidc_provider_arn", "string", "The cluster's IAM OIDC provider ARN, trusted for the node agent's service account (IRSA)", {
            default: config.iam.nodeAgent.oidcProviderArn,
            validation: [emptyOrMatches("node_agent_oidc_provider_arn", ARN_PATTERNS.oidcProvider, "node_agent_oidc_provider_arn must be an IAM OIDC provider ARN.")],
          }).stringValue,
        }
      : {}),
  };
}

/**
 * The plan with the ids the stack actually uses (module variables in module mode), so the
 * Lambda's environment names the same subnets and security groups as its IAM policy.
 */
function withInputs(plan: NetworkPlan, inputs: StackInputs): NetworkPlan {
  // A list variable cannot be joined in JS; Terraform's join does it at plan time (once per
  // variable, so networks sharing one read as sharing it).
  const joined = new Map<string[], string[]>();
  const sgs = (name: string) => {
    const list = inputs.networkSecurityGroupIds[name]!;
    if (isLiteral(list)) return list;
    if (!joined.has(list)) joined.set(list, [Token.asString(Fn.join(",", list))]);
    return joined.get(list)!;
  };
  const idOf = new Map(plan.subnets.map((s, i) => [s.id, inputs.multusSubnetIds[i]!]));
  return {
    ...plan,
    subnets: plan.subnets.map((s) => ({ ...s, id: idOf.get(s.id)! })),
    groups: plan.groups.map((g) => ({ ...g, subnets: g.subnets.map((s) => ({ ...s, id: idOf.get(s.id)! })) })),
    networks: plan.networks.map((n) => ({ ...n, securityGroupIds: sgs(n.name) })),
  };
}

/**
 * The AWS side of the multus node groups of a cluster: a node group (Auto Scaling group,
 * launch template, role) per group of the config, one lifecycle Lambda serving all of them,
 * the subnet CIDR reservations of every block and node access, from one validated config and
 * its address plan.
 */
export class MultusAwsStack extends TerraformStack {
  /** The node groups, in config order. */
  readonly nodeGroups: MultusNodeGroup[];
  readonly lifecycle: LifecycleLambda;
  readonly reservations: MultusSubnetReservations;
  /** The node agent's own role (Pod Identity or IRSA), when a group's node role holds no ENI permission or the config's iam.nodeAgent asks for it. */
  readonly nodeAgentRole?: NodeAgentRole;
  readonly mode: StackMode;

  /** The first (in the shorthand, the only) node group. */
  get nodeGroup(): MultusNodeGroup {
    return this.nodeGroups[0]!;
  }

  constructor(scope: Construct, id: string, props: MultusAwsStackProps) {
    super(scope, id);
    const { config, plan } = props;
    const cluster = config.form === "cluster";
    rejectDerived("nodeGroup", props.nodeGroup, DERIVED_NODE_GROUP_PROPS);
    for (const [name, over] of Object.entries(props.nodeGroups ?? {})) {
      if (!config.nodeGroups.some((g) => g.name === name)) {
        propError("MultusAwsStack", `nodeGroups.${name}`, "is not a node group of the config", `use one of: ${config.nodeGroups.map((g) => g.name).join(", ")}`);
      }
      rejectDerived(`nodeGroups.${name}`, over, { ...DERIVED_NODE_GROUP_PROPS, nodeGroupName: "rename the group in the config" });
      // The Kubernetes stacks name the NodePool from the config alone (ipam/group-names.ts): another name here would wire the Lambda to no NodePool.
      if (over.autoScalingGroupName !== undefined && config.nodeGroups.find((g) => g.name === name)?.kind === "karpenter") {
        propError("MultusAwsStack", `nodeGroups.${name}.autoScalingGroupName`, "would name a Karpenter group's NodePool, which the Kubernetes stacks name from the config", "leave it out: the NodePool is <cluster>-<group>");
      }
    }
    if (config.nodeGroups.length > 1) {
      for (const prop of PER_GROUP_PROPS) {
        if (props.nodeGroup?.[prop] !== undefined) propError("MultusAwsStack", `nodeGroup.${prop}`, "would be the same for every node group", `set it per group in nodeGroups.<name>.${prop}`);
      }
    }
    rejectDerived("lambda", props.lambda, DERIVED_LAMBDA_PROPS);
    this.mode = props.mode ?? "root";

    if (this.mode === "root") {
      new AwsProvider(this, "aws", { region: config.region });
      new RelativeLocalBackend(this);
      this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT);
    } else {
      // A module declares what it needs; the caller configures the provider.
      this.addOverride("terraform.required_providers", { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_CONSTRAINT } });
    }
    const inputs = this.mode === "root" ? configInputs(config, plan) : variableInputs(this, config, plan);
    // The config's tags for everything, the caller's over them, and (module mode) the tags variable over both.
    const literalTags = { ...config.tags, ...props.tags };
    const tags = mergeTags(literalTags, inputs.tags);
    const used = withInputs(plan, inputs);

    // Each group's props over the stack-wide ones, and the names the function is wired to.
    const overrides = (name: string): Partial<MultusNodeGroupProps> => ({ ...props.nodeGroup, ...props.nodeGroups?.[name] });
    const names = groupNames(config, {
      groups: Object.fromEntries(config.nodeGroups.map((g) => [g.name, { autoScalingGroupName: overrides(g.name).autoScalingGroupName, nodeGroupTag: overrides(g.name).eniTagValue }])),
    });
    const wiring = config.nodeGroups.map((g, i) => {
      const over = overrides(g.name);
      return {
        autoScalingGroupName: names[i]!.autoScalingGroupName,
        kind: g.kind,
        eniTagValue: names[i]!.nodeGroupTag,
        hookTimeout: over.launchHookTimeout ?? DEFAULT_HOOKS.launch.heartbeatTimeout,
        lifecycleHookNames: [over.launchHookName ?? DEFAULT_HOOKS.launch.name, over.terminateHookName ?? DEFAULT_HOOKS.terminate.name],
      };
    });
    const environment = lambdaEnvironment(config, used, {
      ...props.lambdaEnvironment,
      groups: Object.fromEntries(
        config.nodeGroups.map((g, i) => {
          const w = wiring[i]!;
          // A Terraform expression (module mode) cannot be checked here: the function assumes the default then.
          return [g.name, { autoScalingGroupName: w.autoScalingGroupName, nodeGroupTag: w.eniTagValue, ...(isLiteral(w.hookTimeout) ? { launchHookTimeout: w.hookTimeout } : {}) }];
        }),
      ),
    });
    const sgLists = [...new Set(Object.values(inputs.networkSecurityGroupIds))];
    const securityGroupIds = sgLists.every((l) => isLiteral(l)) ? [...new Set(sgLists.flat())] : sgLists.length === 1 ? sgLists[0]! : concatLists(...sgLists);

    if (!inputs.lambdaCode && props.bundlePath === undefined) {
      propError("MultusAwsStack", "bundlePath", "is not set and the config has no lambda (S3 object)", "build the Lambda (npm run build:lambda) and pass its directory, or set lambda.s3Bucket and lambda.s3Key in the config");
    }
    this.lifecycle = new LifecycleLambda(this, "lifecycle", {
      ...(inputs.lambdaCode ? { s3Code: inputs.lambdaCode } : { bundlePath: props.bundlePath }),
      ...(wiring.length === 1 ? wiring[0]! : { groups: wiring, name: config.cluster.name }),
      multusSubnetIds: inputs.multusSubnetIds,
      multusSecurityGroupIds: securityGroupIds,
      environment,
      tags,
      ...props.lambda,
    });

    // Reservations before any instance: creating a reservation does not unassign addresses
    // already in use, so a worker ENI that DHCP put in a pod block first would stay there
    // (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html).
    this.reservations = new MultusSubnetReservations(this, "reservations", { subnets: used.subnets });

    // The node agent's own role, for every group's ENIs (one DaemonSet, one service account).
    const agentIam = nodeAgentIam(config);
    if (agentIam) {
      this.nodeAgentRole = new NodeAgentRole(this, "node-agent-role", {
        clusterName: config.cluster.name,
        eniTagValues: [...new Set(wiring.map((w) => w.eniTagValue))],
        dualStack: plan.subnets.some((s) => s.ipv6 !== undefined),
        credentials: agentIam.credentials,
        oidcProviderArn: inputs.oidcProviderArn,
        rolePath: config.iam?.rolePath,
        permissionsBoundary: config.iam?.permissionsBoundary,
        tags,
      });
    }

    this.nodeGroups = config.nodeGroups.map((g, i) => {
      const over = overrides(g.name);
      const gi = inputs.groups[g.name]!;
      const w = wiring[i]!;
      const iam = groupIam(config.iam, g.iam);
      return new MultusNodeGroup(this, cluster ? `node-group-${g.name}` : "node-group", {
        kind: g.kind,
        clusterName: config.cluster.name,
        clusterEndpoint: inputs.clusterEndpoint,
        clusterCertificateAuthority: inputs.clusterCertificateAuthority,
        clusterServiceCidr: config.cluster.serviceCidr,
        clusterSecurityGroupId: inputs.clusterSecurityGroupId,
        nodeGroupName: g.name,
        vpcId: inputs.vpcId,
        subnetIds: gi.nodeSubnetIds,
        instanceType: g.instanceType,
        minSize: gi.minSize,
        desiredSize: gi.desiredSize,
        maxSize: g.maxSize,
        amiFamily: g.amiFamily,
        amiId: over.amiSsmParameter ? undefined : gi.amiId,
        volumeSize: g.volumeSize,
        keyName: gi.keyName,
        // The production options of the group (ipam/node-options.ts), with the ids module variables may give.
        instanceTypes: g.instanceTypes,
        manageDesiredCapacity: g.manageDesiredCapacity,
        clusterAutoscaler: g.clusterAutoscaler,
        spot: g.spot && { ...g.spot, ...gi.spot },
        capacityType: gi.capacityType,
        capacityRebalance: g.capacityRebalance,
        instanceRefresh: g.instanceRefresh,
        placementGroup: g.placementGroup,
        terminationPolicies: g.terminationPolicies,
        maxInstanceLifetime: g.maxInstanceLifetime,
        healthCheckGracePeriod: g.healthCheckGracePeriod,
        enabledMetrics: g.enabledMetrics,
        volume: { ...g.volume, kmsKeyId: gi.kmsKeyId },
        extraVolumes: g.extraVolumes,
        preBootstrapScript: g.preBootstrapScript,
        postBootstrapScript: g.postBootstrapScript,
        nodeConfig: g.nodeConfig,
        labels: g.labels,
        taints: g.taints,
        iam: { ...iam, ...gi.iam },
        lifecycleHooks: g.lifecycleHooks,
        resourceTags: g.resourceTags,
        // With the agent's own role the node roles carry none of its permissions.
        ...(this.nodeAgentRole ? { agentPermissions: "none" as const } : {}),
        bootstrapArguments: g.bootstrapArguments,
        kubeletMaxPods: plan.groups[i]!.kubeletMaxPods,
        // The group's multus ENIs, as the ids the stack uses (module variables in module mode).
        multusInterfaces: used.groups[i]!.subnets.map((s) => ({ deviceIndex: s.deviceIndex, subnetId: s.id, availabilityZone: s.availabilityZone })),
        dualStack: plan.groups[i]!.subnets.some((s) => s.ipv6 !== undefined),
        autoScalingGroupName: w.autoScalingGroupName,
        eniTagValue: w.eniTagValue,
        launchHookTimeout: w.hookTimeout,
        tags: mergeTags(literalTags, g.tags, inputs.tags),
        ...over,
        // The caller's dependencies add to the stack's, never replace them.
        launchDependsOn: [...this.lifecycle.ready, ...this.reservations.reservations.map((r) => r.resource), ...(over.launchDependsOn ?? [])],
      });
    });

    const out = (name: string, value: unknown, description: string) => {
      const o = new TerraformOutput(this, name, { value, description });
      o.overrideLogicalId(name);
    };
    // With several groups: one map per attribute, keyed by node group name.
    const byGroup = (f: (ng: MultusNodeGroup) => unknown, only: (ng: MultusNodeGroup) => boolean = () => true) =>
      Object.fromEntries(this.nodeGroups.map((ng, i) => [config.nodeGroups[i]!.name, ng] as const).filter(([, ng]) => only(ng)).map(([name, ng]) => [name, f(ng)]));
    if (!cluster) {
      const ng = this.nodeGroup;
      // The shorthand's one group is always an Auto Scaling group.
      out("autoscaling_group_name", ng.autoScalingGroup!.name, "Auto Scaling group of the multus nodes");
      out("autoscaling_group_arn", ng.autoScalingGroup!.arn, "Auto Scaling group ARN");
      out("launch_template_id", ng.launchTemplate!.id, "Launch template of the nodes");
      out("node_role_arn", ng.nodeRoleArn, "Node IAM role (for aws-auth mapRoles when nodeAccess is aws-auth)");
      out("node_security_group_id", ng.nodeSecurityGroupId, "Security group of the nodes' primary interface");
    } else {
      const asg = (ng: MultusNodeGroup) => ng.autoScalingGroup !== undefined;
      out("autoscaling_group_names", byGroup((ng) => ng.autoScalingGroup!.name, asg), "Auto Scaling group of each autoscaling node group");
      out("autoscaling_group_arns", byGroup((ng) => ng.autoScalingGroup!.arn, asg), "Auto Scaling group ARN of each autoscaling node group");
      out("launch_template_ids", byGroup((ng) => ng.launchTemplate!.id, (ng) => ng.launchTemplate !== undefined), "Launch template of each autoscaling and managed node group");
      if (this.nodeGroups.some((ng) => ng.eksNodeGroup)) {
        out("eks_node_group_arns", byGroup((ng) => ng.eksNodeGroup!.arn, (ng) => ng.eksNodeGroup !== undefined), "EKS managed node group of each managed node group");
      }
      if (this.nodeGroups.some((ng) => ng.kind === "karpenter")) {
        out("karpenter_node_role_names", byGroup((ng) => ng.nodeRoleName, (ng) => ng.kind === "karpenter"), "Node role of each Karpenter node group (its EC2NodeClass's spec.role)");
      }
      out("node_role_arns", byGroup((ng) => ng.nodeRoleArn), "Node IAM role of each node group (for aws-auth mapRoles when nodeAccess is aws-auth)");
      out("node_security_group_ids", byGroup((ng) => ng.nodeSecurityGroupId), "Security group of each node group's primary interface");
    }
    out("lambda_function_arn", this.lifecycle.function.arn, "Lifecycle Lambda that manages the multus ENIs");
    out("subnet_cidr_reservation_ids", this.reservations.ids, "Explicit subnet CIDR reservations, in plan order");
    out("eni_tag_key", ENI_TAG_KEYS.nodeGroup, "Tag key on this node group's multus ENIs (the node agent selects ENIs by it)");
    if (this.nodeAgentRole) out("node_agent_role_arn", this.nodeAgentRole.role.arn, `The node agent's own IAM role (${this.nodeAgentRole.credentials}): the only one with ENI permissions where node roles have none`);
    if (!cluster) {
      const ng = this.nodeGroup;
      out("eni_tag_value", ng.eniTagValue, "Tag value on this node group's multus ENIs");
      out("agent_policy_json", ng.agentPolicyJson, "IAM policy the node agent needs (on the node role by default)");
      if (ng.agentPolicy) out("agent_policy_arn", ng.agentPolicy.arn, "IAM policy for the node agent's IRSA or Pod Identity role");
    } else {
      out("eni_tag_values", byGroup((ng) => ng.eniTagValue), "Tag value on each node group's multus ENIs");
      out("agent_policy_jsons", byGroup((ng) => ng.agentPolicyJson), "IAM policy the node agent needs on each node group (on its node role by default)");
      if (this.nodeGroups.some((ng) => ng.agentPolicy)) {
        out("agent_policy_arns", byGroup((ng) => ng.agentPolicy!.arn, (ng) => !!ng.agentPolicy), "IAM policy for the node agent's IRSA or Pod Identity role, per node group");
      }
    }
  }

  /** Module mode: no backend block (cdktf adds a local one to every stack; a called module must not have one). */
  override toTerraform(): any {
    const tf = super.toTerraform();
    if (this.mode === "module" && tf.terraform) delete tf.terraform.backend;
    return tf;
  }
}
