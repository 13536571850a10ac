import { existsSync, statSync } from "node:fs";
import { AssetType, ITerraformDependable, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { awsContext } from "./aws-context";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { PropChecker, arn, arnEach, concatLists, fitName, isLiteral } from "./common";
import { DEFAULT_HOOKS, DEFAULT_LAMBDA_TIMEOUT, DETAIL_TYPES, defaultLambdaTimeout, EVENT_DELIVERY, HOOK_NAME_PATTERN, NODE_GROUP_KINDS, NodeGroupKind, maximumEventAgeSeconds } from "../../contract/lifecycle";
import { GROUP_INSTANCE_TAG, RECONCILE, RULE_STATES, STATE_CHANGE } from "../../contract/state-change";
import type { LambdaCodeConfig } from "../../ipam/node-options";

/** The input the sweep schedule sends the function. */
export const DEFAULT_SWEEP_EVENT = { source: "multus.sweep", action: "sweep" } as const;

/** The input the reconcile schedule sends the function (lambda/events.ts). */
export const RECONCILE_EVENT = RECONCILE.event;

/** A schedule expression EventBridge takes: rate(...) or cron(...). */
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;

/** One Auto Scaling group a lifecycle Lambda serves. */
export interface LifecycleGroup {
  /**
   * The group: its lifecycle actions reach the function, which may complete them. A `karpenter`
   * or `managed` group: its NodePool or EKS node group name, which its instances' tag carries.
   */
  readonly autoScalingGroupName: string;
  /**
   * Who launches its instances. `karpenter` and `managed` groups have no hook the function can
   * hold: it hears of their instances by EC2 Instance State-change Notification.
   * @default "autoscaling"
   */
  readonly kind?: NodeGroupKind;
  /** Value of the node-group tag (ENI_TAG_KEYS.nodeGroup) on the group's ENIs. */
  readonly eniTagValue: string;
  /** @default ["multus-launch", "multus-terminate"] */
  readonly lifecycleHookNames?: string[];
  /** @default 300 */
  readonly hookTimeout?: number;
}

/** Props of {@link LifecycleLambda}. */
export interface LifecycleLambdaProps {
  /**
   * The bundle: a directory holding `index.js` (zipped at synth), or a `.zip` file.
   * Built by `build.ts` (`npm run build:lambda`, default `dist/lambda`). Required unless `s3Code`
   * is given.
   */
  readonly bundlePath?: string;
  /**
   * The function's code from S3 instead of the local bundle: the zip `npm run build:lambda`
   * writes, uploaded by the caller's pipeline. `s3ObjectVersion` pins it (a new version
   * updates the function); without it, Terraform sees no change when the object changes.
   * @default none: the local bundle
   */
  readonly s3Code?: LambdaCodeConfig;
  /**
   * The node group's Auto Scaling group: the only one whose events reach the function and whose
   * actions it may complete. Required unless `groups` is given.
   */
  readonly autoScalingGroupName?: string;
  /**
   * Every Auto Scaling group the function serves (several node groups, one function): each
   * one's events reach it, its actions it may complete, its tagged ENIs it may manage.
   * @default one group: autoScalingGroupName, eniTagValue, lifecycleHookNames, hookTimeout
   */
  readonly groups?: LifecycleGroup[];
  /** Prefix of the function's, rules' and role's names. @default autoScalingGroupName (required with several groups) */
  readonly name?: string;
  /** Subnet ids the function creates ENIs in. */
  readonly multusSubnetIds: string[];
  /** Security groups of the multus ENIs. */
  readonly multusSecurityGroupIds: string[];
  /** Function environment, written from the address plan (ipam/lambda-env.ts lambdaEnvironment). */
  readonly environment: Record<string, string>;
  /** Value of the node-group tag (ENI_TAG_KEYS.nodeGroup) the function puts on its ENIs. Required unless `groups` is given. */
  readonly eniTagValue?: string;
  /**
   * The node group's lifecycle hook names: only their actions reach the function, so a hook
   * someone else adds to the group is left to its own handler.
   * @default ["multus-launch", "multus-terminate"] (MultusNodeGroup's defaults)
   */
  readonly lifecycleHookNames?: string[];
  /** Launch hook heartbeat timeout: the function must finish within it. @default 300 */
  readonly hookTimeout?: number;
  /** Function name. @default `${autoScalingGroupName}-multus-eni`, cut to 64 characters */
  readonly functionName?: string;
  /** @default "nodejs22.x" (Node.js 20 left Lambda standard support in April 2026; the bundle targets node20 and runs on 22) */
  readonly runtime?: string;
  /**
   * Seconds. Must stay below hookTimeout. Each running invocation holds one unit of the
   * account's Lambda concurrency, and one waiting on a throttled EC2 is billed while it waits.
   * @default 30 s below the shortest launch hook's timeout, at most 900 (defaultLambdaTimeout: 270 for the default 300 s hook)
   */
  readonly timeout?: number;
  /** MB. @default 256 */
  readonly memorySize?: number;
  /** CloudWatch log retention in days. @default 30 */
  readonly logRetentionDays?: number;
  /**
   * EventBridge schedule of the sweep that deletes this node group's orphaned `available` ENIs
   * (an instance that died before its terminate hook ran); `null` disables it.
   * @default "rate(15 minutes)"
   */
  readonly sweepSchedule?: string | null;
  /** The sweep rule's constant input. @default DEFAULT_SWEEP_EVENT */
  readonly sweepEvent?: Record<string, unknown>;
  /**
   * EventBridge schedule of the reconcile pass, when a group is `karpenter` or `managed`: their
   * running instances that lack their multus ENIs (their `pending` state change was lost or
   * late: AWS services' events reach EventBridge on a best-effort basis, EventBridge user
   * guide, "Event delivery from AWS services") get them. Such a
   * node keeps its startup taint meanwhile and its multus pods stay Pending, and the scheduler
   * does not replace it ("Karpenter assumes that the taint is temporary and some other system
   * will remove the taint", https://karpenter.sh/v1.14/concepts/nodepools/), so
   * the default is EventBridge's finest rate, not the sweep's: one minute (a rate expression
   * is in minutes at the least, EventBridge user guide, "Schedule expressions for rules").
   * A pass costs a DescribeInstances per hookless group when nothing is missing. A lost
   * event then costs a node about RECONCILE_AFTER_MS (lambda/handler.ts) plus up to a
   * minute. `null` leaves the rule out (and such a node tainted). The rule exists whatever
   * `sweepSchedule` says.
   * @default "rate(1 minute)" (no rule when every group is `autoscaling`: a lost launch action times out into ABANDON)
   */
  readonly reconcileSchedule?: string | null;
  /** @default {} */
  readonly tags?: Record<string, string>;
}

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * The lifecycle Lambda: function from the bundle, a role with least privilege, its log group,
 * the EventBridge rule for this Auto Scaling group's launch/terminate lifecycle actions, and a
 * schedule for the orphaned-ENI sweep.
 */
export class LifecycleLambda extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** Lifecycle actions of the Auto Scaling groups (none when every group is hookless). */
  readonly lifecycleRule?: CloudwatchEventRule;
  /** EC2 Instance State-change Notification (pending, shutting-down, terminated), when a group is `karpenter` or `managed`. */
  readonly stateChangeRule?: CloudwatchEventRule;
  /** Asynchronous invocation: retries and the oldest event still delivered (modules/aws/README.md, "Event delivery"). */
  readonly eventInvokeConfig: LambdaFunctionEventInvokeConfig;
  readonly sweepRule?: CloudwatchEventRule;
  /** The reconcile pass's schedule, when a group is `karpenter` or `managed`. */
  readonly reconcileRule?: CloudwatchEventRule;
  /** The local bundle, unless the code comes from S3. */
  readonly asset?: TerraformAsset;
  /** Everything that must exist before the first lifecycle event (the node group waits on these). */
  readonly ready: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: LifecycleLambdaProps) {
    super(scope, id);
    const c = new PropChecker("LifecycleLambda");
    const bundlePath = props.bundlePath;
    if (props.s3Code !== undefined && bundlePath !== undefined) c.fail("s3Code", "is set beside bundlePath", "give one: the local bundle or the S3 object");
    if (props.s3Code !== undefined) {
      c.str(props.s3Code.s3Bucket, "s3Code.s3Bucket", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "my-artifacts");
      c.str(props.s3Code.s3Key, "s3Code.s3Key");
      if (props.s3Code.s3ObjectVersion !== undefined) c.str(props.s3Code.s3ObjectVersion, "s3Code.s3ObjectVersion");
    } else if (bundlePath === undefined) {
      c.fail("bundlePath", "is not set, and neither is s3Code", "build the function (npm run build:lambda) and give its directory, or give the S3 object of its zip");
    } else if (!existsSync(bundlePath)) {
      c.fail("bundlePath", `${bundlePath} does not exist`, "build the function first (npm run build:lambda) or give the path of its directory or zip");
    }
    const isZip = bundlePath !== undefined && statSync(bundlePath).isFile();
    if (bundlePath !== undefined) {
      if (isZip && !bundlePath.endsWith(".zip")) c.fail("bundlePath", `${bundlePath} is a file but not a .zip`, "give the bundle directory (with index.js) or a .zip");
      if (!isZip && !existsSync(`${bundlePath}/index.js`)) c.fail("bundlePath", `${bundlePath} has no index.js`, "give the directory `npm run build:lambda` writes (dist/lambda)");
    }
    const groups: Required<LifecycleGroup>[] = (
      props.groups ?? [{ autoScalingGroupName: props.autoScalingGroupName!, eniTagValue: props.eniTagValue!, lifecycleHookNames: props.lifecycleHookNames, hookTimeout: props.hookTimeout }]
    ).map((g) => ({
      autoScalingGroupName: g.autoScalingGroupName,
      kind: g.kind ?? "autoscaling",
      eniTagValue: g.eniTagValue,
      lifecycleHookNames: g.lifecycleHookNames ?? [DEFAULT_HOOKS.launch.name, DEFAULT_HOOKS.terminate.name],
      hookTimeout: g.hookTimeout ?? DEFAULT_HOOKS.launch.heartbeatTimeout,
    }));
    if (groups.length === 0) c.fail("groups", "is empty", "give the Auto Scaling groups the function serves");
    const one = groups.length === 1;
    groups.forEach((g, i) => {
      const at = (prop: string) => (props.groups ? `groups[${i}].${prop}` : prop);
      c.str(g.autoScalingGroupName, at("autoScalingGroupName"), /^[^:]{1,255}$/, "eks-multus-cluster-ng1");
      c.str(g.eniTagValue, at("eniTagValue"));
      c.oneOf(g.kind, at("kind"), NODE_GROUP_KINDS);
      if (!Array.isArray(g.lifecycleHookNames) || g.lifecycleHookNames.length === 0) c.fail(at("lifecycleHookNames"), "is empty", "give the node group's launch and terminate hook names");
      g.lifecycleHookNames.forEach((h, k) => c.str(h, `${at("lifecycleHookNames")}[${k}]`, HOOK_NAME_PATTERN, DEFAULT_HOOKS.launch.name));
      c.int(g.hookTimeout, at("hookTimeout"), 30, 7200);
    });
    if (!one && props.name === undefined) c.fail("name", "is not set and the function serves several groups", "give the prefix of the function's names, e.g. the cluster's name");
    const name = props.name ?? groups[0]!.autoScalingGroupName;
    c.str(name, "name", /^[^:]{1,255}$/, "eks-multus-cluster");
    c.ids(props.multusSubnetIds, "multusSubnetIds", "subnet");
    c.ids(props.multusSecurityGroupIds, "multusSecurityGroupIds", "sg");
    const asgNames = groups.filter((g) => g.kind === "autoscaling").map((g) => g.autoScalingGroupName);
    const hookless = groups.filter((g) => g.kind !== "autoscaling") as (Required<LifecycleGroup> & { kind: keyof typeof GROUP_INSTANCE_TAG })[];
    const tagValues = [...new Set(groups.map((g) => g.eniTagValue))];
    const hookNames = [...new Set(groups.flatMap((g) => g.lifecycleHookNames))];
    // The function must finish within the shortest hook; events are worth retrying until the longest gives up.
    const hookTimeout = Math.min(...groups.map((g) => g.hookTimeout));
    const longestHook = Math.max(...groups.map((g) => g.hookTimeout));
    const groupsText = one ? `node group ${groups[0]!.autoScalingGroupName}` : `node groups ${groups.map((g) => g.autoScalingGroupName).join(", ")}`;
    const timeout = props.timeout ?? (isLiteral(hookTimeout) ? defaultLambdaTimeout(hookTimeout) : DEFAULT_LAMBDA_TIMEOUT);
    c.int(timeout, "timeout", 3, 900);
    if (isLiteral(timeout) && isLiteral(hookTimeout) && timeout >= hookTimeout) {
      c.fail("timeout", `${timeout} s is not below the launch hook timeout (${hookTimeout} s)`, "lower timeout or raise the hook timeout, so the function can complete the action before the hook gives up");
    }
    const memorySize = props.memorySize ?? 256;
    c.int(memorySize, "memorySize", 128, 10240);
    const retention = props.logRetentionDays ?? 30;
    if (!LOG_RETENTION_DAYS.includes(retention)) c.fail("logRetentionDays", `${retention} is not a CloudWatch retention value`, `use one of ${LOG_RETENTION_DAYS.join(", ")}`);
    const runtime = props.runtime ?? "nodejs22.x";
    c.str(runtime, "runtime", /^nodejs\d+\.x$/, "nodejs22.x");
    const functionName = props.functionName ?? fitName(`${name}-multus-eni`, 64);
    c.str(functionName, "functionName", /^[A-Za-z0-9\-_]{1,64}$/, "eks-multus-cluster-ng1-multus-eni");
    for (const [k, v] of Object.entries(props.environment)) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(k)) c.fail("environment", `"${k}" is not a valid variable name`, "use letters, digits and underscores, starting with a letter");
      if (typeof v !== "string") c.fail(`environment.${k}`, "must be a string", "write every value as a string");
    }
    const sweepSchedule = props.sweepSchedule === undefined ? "rate(15 minutes)" : props.sweepSchedule;
    if (sweepSchedule !== null) c.str(sweepSchedule, "sweepSchedule", SCHEDULE, "rate(15 minutes)");
    const reconcileSchedule = props.reconcileSchedule === undefined ? RECONCILE.schedule : props.reconcileSchedule;
    if (reconcileSchedule !== null) c.str(reconcileSchedule, "reconcileSchedule", SCHEDULE, "rate(1 minute)");
    const tags = props.tags ?? {};
    const ctx = awsContext(this);

    let code: Pick<ConstructorParameters<typeof LambdaFunction>[2], "filename" | "sourceCodeHash" | "s3Bucket" | "s3Key" | "s3ObjectVersion">;
    if (props.s3Code !== undefined) {
      code = { s3Bucket: props.s3Code.s3Bucket, s3Key: props.s3Code.s3Key, s3ObjectVersion: props.s3Code.s3ObjectVersion };
    } else {
      this.asset = new TerraformAsset(this, "bundle", { path: bundlePath!, type: isZip ? AssetType.FILE : AssetType.ARCHIVE });
      // path.module: the same file whether Terraform runs this as the root or as a called module.
      const zipPath = `\${path.module}/${this.asset.path}`;
      // The hash written as an expression: cdktf's Fn helpers would escape the path.module reference.
      code = { filename: zipPath, sourceCodeHash: `\${filebase64sha256("${zipPath}")}` };
    }

    this.logGroup = new CloudwatchLogGroup(this, "logs", { name: `/aws/lambda/${functionName}`, retentionInDays: retention, tags });

    // --- Least privilege: the calls lambda/ makes, no more. Resource-level scoping per the
    // Service Authorization Reference
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html):
    // CreateNetworkInterface is checked against the subnet, the security groups and the new ENI
    // (aws:RequestTag: the function tags in the same call, so CreateTags is allowed only as part
    // of it, ec2:CreateAction); the other ENI actions against the ENI's tags (aws:ResourceTag);
    // Attach and Detach also against the instance, which Auto Scaling tags with
    // aws:autoscaling:groupName. Describe* takes no resource-level permissions ("*").
    const eniArn = arn(ctx.partition, "ec2", ctx.region, "network-interface/*");
    const ownEni = [{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: tagValues }];
    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: "Describe",
        effect: "Allow",
        actions: ["ec2:DescribeInstanceTypes", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces"],
        resources: ["*"],
      },
      {
        sid: "CreateInMultusSubnets",
        effect: "Allow",
        actions: ["ec2:CreateNetworkInterface"],
        resources: concatLists(
          arnEach(ctx.partition, "ec2", ctx.region, "subnet/", props.multusSubnetIds),
          arnEach(ctx.partition, "ec2", ctx.region, "security-group/", props.multusSecurityGroupIds),
        ),
      },
      {
        sid: "CreateTaggedEnis",
        effect: "Allow",
        actions: ["ec2:CreateNetworkInterface"],
        resources: [eniArn],
        condition: [{ test: "StringEquals", variable: `aws:RequestTag/${ENI_TAG_KEYS.nodeGroup}`, values: tagValues }],
      },
      {
        sid: "TagOnCreate",
        effect: "Allow",
        actions: ["ec2:CreateTags"],
        resources: [eniArn],
        condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: ["CreateNetworkInterface"] }],
      },
      {
        sid: "ManageOwnEnis",
        effect: "Allow",
        // No DetachNetworkInterface: the function never detaches (lambda/launch.ts retireEni).
        actions: ["ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
        resources: [eniArn],
        condition: ownEni,
      },
      ...(asgNames.length === 0 ? [] : [{
        // ModifyNetworkInterfaceAttribute sets the attachment's DeleteOnTermination: allowed on
        // the group's instances too, should EC2 authorize an attachment change against them.
        sid: "AttachToGroupInstances",
        effect: "Allow",
        actions: ["ec2:AttachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
        resources: [arn(ctx.partition, "ec2", ctx.region, "instance/*")],
        condition: [{ test: "StringEquals", variable: "aws:ResourceTag/aws:autoscaling:groupName", values: asgNames }],
      }]),
      // Karpenter's and a managed group's instances, by the tag that names their NodePool or node group.
      ...hookless.map((g, k) => ({
        sid: `AttachToHooklessInstances${k}`,
        effect: "Allow",
        actions: ["ec2:AttachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
        resources: [arn(ctx.partition, "ec2", ctx.region, "instance/*")],
        condition: [{ test: "StringEquals", variable: `aws:ResourceTag/${GROUP_INSTANCE_TAG[g.kind]}`, values: [g.autoScalingGroupName] }],
      })),
      ...(asgNames.length === 0 ? [] : [{
        sid: "CompleteOwnLifecycleActions",
        effect: "Allow",
        actions: ["autoscaling:CompleteLifecycleAction"],
        // By name: the group's ARN holds a generated id, and the group itself waits for this
        // function (no dependency cycle).
        resources: asgNames.map((g) => arn(ctx.partition, "autoscaling", ctx.region, `autoScalingGroup:*:autoScalingGroupName/${g}`)),
      }]),
      {
        sid: "WriteOwnLogs",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
    ];
    const assume = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] }],
    });
    this.role = new IamRole(this, "role", {
      namePrefix: fitName(`${functionName}-`, 38),
      description: fitName(`Lifecycle Lambda of ${groupsText}: multus ENIs`, 1000),
      assumeRolePolicy: assume.json,
      tags,
    });
    const policyDoc = new DataAwsIamPolicyDocument(this, "policy-document", { statement: statements });
    const policy = new IamRolePolicy(this, "policy", { name: "multus-lifecycle", role: this.role.id, policy: policyDoc.json });

    this.function = new LambdaFunction(this, "function", {
      functionName,
      description: "Creates and attaches multus ENIs on Auto Scaling launch, releases them on terminate",
      role: this.role.arn,
      runtime,
      handler: "index.handler",
      ...code,
      timeout,
      memorySize,
      environment: { variables: props.environment },
      tags,
      dependsOn: [this.logGroup, policy],
    });

    // An event older than the longest launch hook's timeout finds its action closed: neither
    // EventBridge nor Lambda's queue keeps one longer (EVENT_DELIVERY; modules/aws/README.md,
    // "Event delivery").
    const eventAge = isLiteral(longestHook) ? maximumEventAgeSeconds(longestHook) : longestHook;
    this.eventInvokeConfig = new LambdaFunctionEventInvokeConfig(this, "event-invoke-config", {
      functionName: this.function.functionName,
      maximumRetryAttempts: EVENT_DELIVERY.lambdaMaximumRetryAttempts,
      maximumEventAgeInSeconds: eventAge,
    });
    this.ready = [this.function, policy, this.eventInvokeConfig];
    /** A rule whose events invoke the function, retried as EVENT_DELIVERY says. */
    const invokingRule = (id: string, ruleName: string, description: string, pattern: object, statementId: string): CloudwatchEventRule => {
      const rule = new CloudwatchEventRule(this, `${id}-rule`, { name: fitName(ruleName, 64), description: fitName(description, 512), eventPattern: JSON.stringify(pattern), tags });
      const target = new CloudwatchEventTarget(this, `${id}-target`, {
        rule: rule.name,
        targetId: `multus-${id}`,
        arn: this.function.arn,
        retryPolicy: { maximumEventAgeInSeconds: eventAge, maximumRetryAttempts: EVENT_DELIVERY.targetMaximumRetryAttempts },
      });
      const permission = new LambdaPermission(this, `${id}-permission`, {
        statementId,
        action: "lambda:InvokeFunction",
        functionName: this.function.functionName,
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
      });
      this.ready.push(target, permission);
      return rule;
    };

    // --- EventBridge: the Auto Scaling groups' lifecycle actions, of their multus hooks only.
    if (asgNames.length) {
      this.lifecycleRule = invokingRule("lifecycle", `${name}-lifecycle`, `Launch and terminate lifecycle actions of ${asgNames.join(", ")}`, {
        source: ["aws.autoscaling"],
        "detail-type": [DETAIL_TYPES.launch, DETAIL_TYPES.terminate],
        detail: { AutoScalingGroupName: asgNames, LifecycleHookName: hookNames },
      }, "AllowLifecycleEvents");
    }
    // --- Karpenter's and managed groups' instances: no hook, so EC2's state changes. The event
    // carries no tags (contract/state-change.ts), so the rule takes every instance of the
    // account and Region; the function reads the instance's tags and ignores the others.
    if (hookless.length) {
      this.stateChangeRule = invokingRule("state-change", `${name}-state-change`, `Instance state changes for ${hookless.map((g) => g.autoScalingGroupName).join(", ")}`, {
        source: [STATE_CHANGE.source],
        "detail-type": [STATE_CHANGE.detailType],
        detail: { state: [...RULE_STATES] },
      }, "AllowStateChangeEvents");
    }

    /** A schedule that invokes the function with a constant input. */
    const scheduledRule = (id: string, ruleName: string, description: string, schedule: string, input: object, statementId: string): CloudwatchEventRule => {
      const rule = new CloudwatchEventRule(this, `${id}-rule`, { name: fitName(ruleName, 64), description: fitName(description, 512), scheduleExpression: schedule, tags });
      new CloudwatchEventTarget(this, `${id}-target`, { rule: rule.name, targetId: `multus-eni-${id}`, arn: this.function.arn, input: JSON.stringify(input) });
      new LambdaPermission(this, `${id}-permission`, { statementId, action: "lambda:InvokeFunction", functionName: this.function.functionName, principal: "events.amazonaws.com", sourceArn: rule.arn });
      return rule;
    };
    if (sweepSchedule !== null) {
      this.sweepRule = scheduledRule("sweep", `${name}-eni-sweep`, `Deletes orphaned available multus ENIs of ${groups.map((g) => g.autoScalingGroupName).join(", ")}`, sweepSchedule, props.sweepEvent ?? DEFAULT_SWEEP_EVENT, "AllowSweepSchedule");
    }
    // Its calls are the state-change path's: DescribeInstances and the ENI calls (statements
    // above, AttachToHooklessInstances*), nothing more.
    if (hookless.length && reconcileSchedule !== null) {
      this.reconcileRule = scheduledRule("reconcile", `${name}-eni-reconcile`, `Attaches missing multus ENIs of running ${hookless.map((g) => g.autoScalingGroupName).join(", ")} nodes`, reconcileSchedule, RECONCILE_EVENT, "AllowReconcileSchedule");
    }
  }
}
