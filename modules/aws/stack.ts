import { Fn, TerraformOutput, TerraformStack, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { MultusConfig } from "../../ipam/config";
import { isPlaceholder } from "../../ipam/placeholders";
import { LambdaEnvironmentExtra, lambdaEnvironment } from "../../ipam/lambda-env";
import type { NetworkPlan } from "../../ipam/plan";
import { RelativeLocalBackend } from "../backend";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { isLiteral, propError } from "./common";
import { LifecycleLambda, LifecycleLambdaProps } from "./lifecycle-lambda";
import { MultusNodeGroup, MultusNodeGroupProps } from "./node-group";
import { MultusSubnetReservations } from "./reservations";
import { DEFAULT_HOOKS, defaultAutoScalingGroupName } from "../../contract/lifecycle";

/** The AWS provider versions the generated Terraform accepts (5.100.0 is what the bindings wrap). */
export const AWS_PROVIDER_CONSTRAINT = ">= 5.100.0, < 7.0.0";

export type StackMode = "root" | "module";

export interface MultusAwsStackProps {
  readonly config: MultusConfig;
  readonly plan: NetworkPlan;
  /** The Lambda bundle (directory with index.js, or a zip). */
  readonly bundlePath: string;
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
   * Node group props beyond the config (nodeAccess, agentPermissions, amiSsmParameter, ...).
   * instanceType, kubeletMaxPods and maxSize come from the config and plan and are refused here;
   * launchDependsOn adds to the stack's own dependencies.
   */
  readonly nodeGroup?: Partial<MultusNodeGroupProps>;
  /**
   * Lifecycle Lambda props beyond the config (timeout, sweepSchedule, ...). environment and the
   * props wired from the node group (autoScalingGroupName, eniTagValue, hook names and timeout,
   * subnet and security group ids, bundlePath) are refused here.
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
  kubeletMaxPods: "leave it out: it is the address plan's kubeletMaxPods; change the config (instance type, multus subnets) to change it",
  maxSize: "set nodeGroup.maxSize in the config: the address plan sizes the worker blocks for it",
  multusInterfaces: "set multus.subnets in the config: the plan gives each subnet its device index",
};
const DERIVED_LAMBDA_PROPS: Partial<Record<keyof LifecycleLambdaProps, string>> = {
  environment: "leave it out: it is written from the config and plan; change the config, or pass lambdaEnvironment (sourceDestCheck, ipAttempts)",
  bundlePath: "pass the stack's bundlePath instead",
  autoScalingGroupName: "set nodeGroup.autoScalingGroupName instead: the function gets the node group's",
  eniTagValue: "set nodeGroup.eniTagValue instead: the function gets the node group's",
  lifecycleHookNames: "set nodeGroup.launchHookName and nodeGroup.terminateHookName instead: the function gets the node group's",
  hookTimeout: "set nodeGroup.launchHookTimeout instead: the function gets the node group's",
  multusSubnetIds: "set multus.subnets in the config (or the module's multus_subnet_ids)",
  multusSecurityGroupIds: "set multus.securityGroupIds in the config (or the module's multus_security_group_ids)",
};

function rejectDerived(group: "nodeGroup" | "lambda", given: object | undefined, derived: Record<string, string | undefined>): void {
  for (const [prop, fix] of Object.entries(derived)) {
    if (given && (given as Record<string, unknown>)[prop] !== undefined) {
      propError("MultusAwsStack", `${group}.${prop}`, "is set by the stack from the config and plan", fix!);
    }
  }
}

/** The ids a module caller passes in; everything that shapes the address plan stays fixed at synth. */
interface StackInputs {
  clusterEndpoint: string;
  clusterCertificateAuthority: string;
  clusterSecurityGroupId: string;
  vpcId: string;
  nodeSubnetIds: string[];
  multusSubnetIds: string[];
  multusSecurityGroupIds: string[];
  amiId: string;
  keyName?: string;
  minSize: number;
  desiredSize: number;
}

function configInputs(config: MultusConfig): StackInputs {
  return {
    clusterEndpoint: config.cluster.endpoint,
    clusterCertificateAuthority: config.cluster.certificateAuthority,
    clusterSecurityGroupId: config.cluster.securityGroupId,
    vpcId: config.vpc.id,
    nodeSubnetIds: config.nodeGroup.subnetIds,
    multusSubnetIds: config.multus.subnets.map((s) => s.id),
    multusSecurityGroupIds: config.multus.securityGroupIds,
    amiId: config.nodeGroup.amiId,
    keyName: config.nodeGroup.keyName,
    minSize: config.nodeGroup.minSize,
    desiredSize: config.nodeGroup.desiredSize,
  };
}

/** Module variables; the address plan's inputs (CIDRs, strategy, sizes that shape it) are not among them. */
function variableInputs(scope: Construct, config: MultusConfig): StackInputs {
  const v = (name: string, type: string, description: string, extra: Partial<ConstructorParameters<typeof TerraformVariable>[2]> = {}) => {
    const variable = new TerraformVariable(scope, name, { type, description, ...extra });
    variable.overrideLogicalId(name);
    return variable;
  };
  const n = config.multus.subnets.length;
  const multus = v("multus_subnet_ids", "list(string)", `Multus subnet ids in the order the module was generated for: ${config.multus.subnets.map((s) => `${s.cidr} (${s.availabilityZone})`).join(", ")}`, {
    validation: [{ condition: `\${length(var.multus_subnet_ids) == ${n}}`, errorMessage: `multus_subnet_ids must list exactly ${n} subnets, in the order of the generated address plan.` }],
  });
  const keyName = v("key_name", "string", 'EC2 key pair for SSH; "" for none', { default: config.nodeGroup.keyName ?? "" });
  return {
    clusterEndpoint: v("cluster_endpoint", "string", "EKS API server endpoint").stringValue,
    clusterCertificateAuthority: v("cluster_certificate_authority", "string", "EKS cluster certificate authority data (base64)").stringValue,
    clusterSecurityGroupId: v("cluster_security_group_id", "string", "The cluster control plane's security group").stringValue,
    vpcId: v("vpc_id", "string", "VPC of the nodes").stringValue,
    nodeSubnetIds: v("node_subnet_ids", "list(string)", "Subnets of the nodes' primary interface").listValue,
    multusSubnetIds: config.multus.subnets.map((_, i) => Token.asString(Fn.element(multus.listValue, i))),
    multusSecurityGroupIds: v("multus_security_group_ids", "list(string)", "Security groups of the multus ENIs").listValue,
    // No default from the example: a placeholder AMI must not reach a plan unnoticed.
    amiId: v("ami_id", "string", "EKS-optimized AMI id of the nodes", isPlaceholder(config.nodeGroup.amiId) ? {} : { default: config.nodeGroup.amiId }).stringValue,
    // "" means none: the launch template then gets no key_name at all.
    keyName: `\${var.${keyName.friendlyUniqueId} == "" ? null : var.${keyName.friendlyUniqueId}}`,
    minSize: v("min_size", "number", "Auto Scaling group minimum size", { default: config.nodeGroup.minSize }).numberValue,
    desiredSize: v("desired_size", "number", "Auto Scaling group desired capacity", { default: config.nodeGroup.desiredSize }).numberValue,
  };
}

/**
 * The config and plan with the ids the stack actually uses (module variables in module mode),
 * so the Lambda's environment names the same subnets and groups as its IAM policy.
 */
function withInputs(config: MultusConfig, plan: NetworkPlan, inputs: StackInputs): [MultusConfig, NetworkPlan] {
  const sgs = inputs.multusSecurityGroupIds;
  return [
    // A list variable cannot be joined in JS; Terraform's join does it at plan time.
    { ...config, multus: { ...config.multus, securityGroupIds: isLiteral(sgs) ? sgs : [Token.asString(Fn.join(",", sgs))] } },
    { ...plan, subnets: plan.subnets.map((s, i) => ({ ...s, id: inputs.multusSubnetIds[i]! })) },
  ];
}

/**
 * The AWS side of a multus node group: node group, lifecycle Lambda, subnet CIDR reservations
 * and node access, from one validated config and its address plan.
 */
export class MultusAwsStack extends TerraformStack {
  readonly nodeGroup: MultusNodeGroup;
  readonly lifecycle: LifecycleLambda;
  readonly reservations: MultusSubnetReservations;
  readonly mode: StackMode;

  constructor(scope: Construct, id: string, props: MultusAwsStackProps) {
    super(scope, id);
    const { config, plan } = props;
    rejectDerived("nodeGroup", props.nodeGroup, DERIVED_NODE_GROUP_PROPS);
    rejectDerived("lambda", props.lambda, DERIVED_LAMBDA_PROPS);
    this.mode = props.mode ?? "root";
    const tags = props.tags ?? {};

    if (this.mode === "root") {
      new AwsProvider(this, "aws", { region: config.region });
      new RelativeLocalBackend(this);
      this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_CONSTRAINT);
    } else {
      // A module declares what it needs; the caller configures the provider.
      this.addOverride("terraform.required_providers", { aws: { source: "hashicorp/aws", version: AWS_PROVIDER_CONSTRAINT } });
    }
    const inputs = this.mode === "root" ? configInputs(config) : variableInputs(this, config);

    const autoScalingGroupName = props.nodeGroup?.autoScalingGroupName ?? defaultAutoScalingGroupName(config.cluster.name, config.nodeGroup.name);
    const eniTagValue = props.nodeGroup?.eniTagValue ?? autoScalingGroupName;
    const hookTimeout = props.nodeGroup?.launchHookTimeout ?? DEFAULT_HOOKS.launch.heartbeatTimeout;
    const hookNames = [props.nodeGroup?.launchHookName ?? DEFAULT_HOOKS.launch.name, props.nodeGroup?.terminateHookName ?? DEFAULT_HOOKS.terminate.name];

    this.lifecycle = new LifecycleLambda(this, "lifecycle", {
      bundlePath: props.bundlePath,
      autoScalingGroupName,
      multusSubnetIds: inputs.multusSubnetIds,
      multusSecurityGroupIds: inputs.multusSecurityGroupIds,
      eniTagValue,
      hookTimeout,
      lifecycleHookNames: hookNames,
      environment: lambdaEnvironment(...withInputs(config, plan, inputs), { ...props.lambdaEnvironment, autoScalingGroupName, nodeGroupTag: eniTagValue }),
      tags,
      ...props.lambda,
    });

    // Reservations before any instance: creating a reservation does not unassign addresses
    // already in use, so a worker ENI that DHCP put in a pod block first would stay there
    // (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html).
    this.reservations = new MultusSubnetReservations(this, "reservations", {
      subnets: plan.subnets.map((s, i) => ({ ...s, id: inputs.multusSubnetIds[i]! })),
    });

    this.nodeGroup = new MultusNodeGroup(this, "node-group", {
      clusterName: config.cluster.name,
      clusterEndpoint: inputs.clusterEndpoint,
      clusterCertificateAuthority: inputs.clusterCertificateAuthority,
      clusterServiceCidr: config.cluster.serviceCidr,
      clusterSecurityGroupId: inputs.clusterSecurityGroupId,
      nodeGroupName: config.nodeGroup.name,
      vpcId: inputs.vpcId,
      subnetIds: inputs.nodeSubnetIds,
      instanceType: config.nodeGroup.instanceType,
      minSize: inputs.minSize,
      desiredSize: inputs.desiredSize,
      maxSize: config.nodeGroup.maxSize,
      amiFamily: config.nodeGroup.amiFamily,
      amiId: props.nodeGroup?.amiSsmParameter ? undefined : inputs.amiId,
      volumeSize: config.nodeGroup.volumeSize,
      keyName: inputs.keyName,
      bootstrapArguments: config.nodeGroup.bootstrapArguments,
      kubeletMaxPods: plan.kubeletMaxPods,
      multusInterfaces: plan.subnets.map((s, i) => ({ deviceIndex: s.deviceIndex, subnetId: inputs.multusSubnetIds[i]!, availabilityZone: s.availabilityZone })),
      autoScalingGroupName,
      eniTagValue,
      launchHookTimeout: hookTimeout,
      tags,
      ...props.nodeGroup,
      // The caller's dependencies add to the stack's, never replace them.
      launchDependsOn: [...this.lifecycle.ready, ...this.reservations.reservations.map((r) => r.resource), ...(props.nodeGroup?.launchDependsOn ?? [])],
    });

    const out = (name: string, value: unknown, description: string) => {
      const o = new TerraformOutput(this, name, { value, description });
      o.overrideLogicalId(name);
    };
    out("autoscaling_group_name", this.nodeGroup.autoScalingGroup.name, "Auto Scaling group of the multus nodes");
    out("autoscaling_group_arn", this.nodeGroup.autoScalingGroup.arn, "Auto Scaling group ARN");
    out("launch_template_id", this.nodeGroup.launchTemplate.id, "Launch template of the nodes");
    out("node_role_arn", this.nodeGroup.nodeRole.arn, "Node IAM role (for aws-auth mapRoles when nodeAccess is aws-auth)");
    out("node_security_group_id", this.nodeGroup.nodeSecurityGroupId, "Security group of the nodes' primary interface");
    out("lambda_function_arn", this.lifecycle.function.arn, "Lifecycle Lambda that manages the multus ENIs");
    out("subnet_cidr_reservation_ids", this.reservations.ids, "Explicit subnet CIDR reservations, in plan order");
    out("eni_tag_key", ENI_TAG_KEYS.nodeGroup, "Tag key on this node group's multus ENIs (the node agent selects ENIs by it)");
    out("eni_tag_value", this.nodeGroup.eniTagValue, "Tag value on this node group's multus ENIs");
    out("agent_policy_json", this.nodeGroup.agentPolicyJson, "IAM policy the node agent needs (on the node role by default)");
    if (this.nodeGroup.agentPolicy) out("agent_policy_arn", this.nodeGroup.agentPolicy.arn, "IAM policy for the node agent's IRSA or Pod Identity role");
  }

  /** Module mode: no backend block (cdktf adds a local one to every stack; a called module must not have one). */
  override toTerraform(): any {
    const tf = super.toTerraform();
    if (this.mode === "module" && tf.terraform) delete tf.terraform.backend;
    return tf;
  }
}
