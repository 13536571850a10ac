import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PlanError } from "../../../ipam";
import { parseEvent } from "../../../lambda/events";
import { DETAIL_TYPES } from "../../../contract/lifecycle";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { DEFAULT_SWEEP_EVENT, LifecycleLambda, LifecycleLambdaProps } from "../../../modules/aws/lifecycle-lambda";
import { Json, fakeBundle, only, resources, sdkActionsCalled, statements, synthStack } from "./helpers";

const BUNDLE = fakeBundle();
const BASE = {
  bundlePath: BUNDLE,
  autoScalingGroupName: "demo-ng1",
  multusSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
  multusSecurityGroupIds: ["sg-0bbbbbbbbbbbbbbb1"],
  environment: { MULTUS_STRATEGY: "static", MULTUS_SUBNET_IDS: "subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2" },
  eniTagValue: "demo-ng1",
} satisfies LifecycleLambdaProps;

function synthLambda(props: Partial<LifecycleLambdaProps> = {}): Json {
  return synthStack((stack) => new LifecycleLambda(stack, "lifecycle", { ...BASE, ...props }));
}

const bySid = (tf: Json, sid: string): Json => {
  const found = statements(tf).find((s) => s.sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};

describe("LifecycleLambda", () => {
  describe("GIVEN the defaults", () => {
    const tf = synthLambda();
    const fn = only(tf, "aws_lambda_function");

    test("THEN the function runs the bundle's handler with the plan's environment", () => {
      expect(fn).toMatchObject({ handler: "index.handler", runtime: "nodejs22.x", timeout: 270 });
      expect(fn.environment.variables).toEqual(BASE.environment);
      expect(fn.filename).toMatch(/^\$\{path\.module\}\/assets\/.+\/archive\.zip$/);
      expect(fn.source_code_hash).toContain(`filebase64sha256("${fn.filename}")`);
    });

    test("THEN its log group keeps logs for 30 days and exists before the function", () => {
      const logs = only(tf, "aws_cloudwatch_log_group");
      expect(logs).toMatchObject({ name: `/aws/lambda/${fn.function_name}`, retention_in_days: 30 });
      expect(fn.depends_on.some((d: string) => d.startsWith("aws_cloudwatch_log_group."))).toBe(true);
    });

    test("THEN the EventBridge rule matches only this group's launch and terminate lifecycle actions", () => {
      const rule = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!;
      expect(JSON.parse(rule.event_pattern)).toEqual({
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-launch Lifecycle Action", "EC2 Instance-terminate Lifecycle Action"],
        detail: { AutoScalingGroupName: [BASE.autoScalingGroupName], LifecycleHookName: ["multus-launch", "multus-terminate"] },
      });
      const target = resources(tf, "aws_cloudwatch_event_target").find((t) => t.rule.includes(".name") && !t.input)!;
      expect(target.arn).toMatch(/aws_lambda_function\..*\.arn/);
      expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 300, maximum_retry_attempts: 185 });
    });

    test("THEN Lambda's asynchronous queue retries a failed or timed-out invocation twice and drops events older than the launch hook's timeout", () => {
      const [config] = resources(tf, "aws_lambda_function_event_invoke_config");
      expect(config).toMatchObject({ maximum_retry_attempts: 2, maximum_event_age_in_seconds: 300 });
      expect(config!.function_name).toMatch(/aws_lambda_function\..*\.function_name/);
    });

    test("THEN EventBridge may invoke the function from each rule, and only from it", () => {
      const perms = resources(tf, "aws_lambda_permission");
      expect(perms.map((p) => p.principal)).toEqual(["events.amazonaws.com", "events.amazonaws.com"]);
      for (const p of perms) expect(p.source_arn).toMatch(/aws_cloudwatch_event_rule\..*\.arn/);
    });

    test("THEN a schedule invokes the orphaned-ENI sweep with the sweep event", () => {
      const sweep = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.schedule_expression)!;
      expect(sweep.schedule_expression).toBe("rate(15 minutes)");
      const target = resources(tf, "aws_cloudwatch_event_target").find((t) => t.input)!;
      expect(JSON.parse(target.input)).toEqual(DEFAULT_SWEEP_EVENT);
    });

    test("THEN no IAM action is a wildcard and no statement grants every action on '*'", () => {
      for (const s of statements(tf)) {
        for (const a of s.actions) expect(a).not.toMatch(/\*/);
        if (s.resources?.includes("*")) expect(s.actions.every((a: string) => /^ec2:(Describe|Get)/.test(a))).toBe(true);
      }
    });

    test("THEN ENIs are created only in the multus subnets, with the multus groups, tagged with the node group", () => {
      const subnets = bySid(tf, "CreateInMultusSubnets").resources as string[];
      expect(subnets.filter((r) => r.includes(":subnet/")).map((r) => r.split("/").pop())).toEqual(BASE.multusSubnetIds);
      expect(subnets.filter((r) => r.includes(":security-group/")).map((r) => r.split("/").pop())).toEqual(BASE.multusSecurityGroupIds);
      expect(bySid(tf, "CreateTaggedEnis").condition).toEqual([
        { test: "StringEquals", variable: `aws:RequestTag/${ENI_TAG_KEYS.nodeGroup}`, values: [BASE.eniTagValue] },
      ]);
    });

    test("THEN attach, delete and modify act only on ENIs tagged with this node group, and nothing may detach", () => {
      const own = bySid(tf, "ManageOwnEnis");
      expect(own.actions).toEqual(["ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"]);
      expect(JSON.stringify(tf)).not.toContain("ec2:DetachNetworkInterface");
      expect(own.condition).toEqual([{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: [BASE.eniTagValue] }]);
      const instances = bySid(tf, "AttachToGroupInstances");
      expect(instances.condition[0].values).toEqual([BASE.autoScalingGroupName]);
    });

    test("THEN lifecycle actions can be completed on this Auto Scaling group only", () => {
      const complete = bySid(tf, "CompleteOwnLifecycleActions");
      expect(complete.actions).toContain("autoscaling:CompleteLifecycleAction");
      expect(complete.resources).toHaveLength(1);
      expect(complete.resources[0]).toMatch(new RegExp(`:autoScalingGroup:\\*:autoScalingGroupName/${BASE.autoScalingGroupName}$`));
    });

    test("THEN the function writes only to its own log group", () => {
      expect(bySid(tf, "WriteOwnLogs").resources).toEqual([expect.stringMatching(/aws_cloudwatch_log_group\..*\.arn\}:\*$/)]);
    });
  });

  describe("GIVEN options", () => {
    test("WHEN sweepSchedule is null THEN there is no sweep rule", () => {
      const tf = synthLambda({ sweepSchedule: null });
      expect(resources(tf, "aws_cloudwatch_event_rule")).toHaveLength(1);
      expect(resources(tf, "aws_lambda_permission")).toHaveLength(1);
    });

    test("WHEN the code is an S3 object THEN the function points at it, with no asset and no local hash", () => {
      const fn = only(synthLambda({ bundlePath: undefined, s3Code: { s3Bucket: "my-artifacts", s3Key: "multus/lambda.zip", s3ObjectVersion: "v3" } }), "aws_lambda_function");
      expect(fn).toMatchObject({ s3_bucket: "my-artifacts", s3_key: "multus/lambda.zip", s3_object_version: "v3" });
      expect(fn.filename).toBeUndefined();
      expect(fn.source_code_hash).toBeUndefined();
    });

    test("WHEN the bundle is a zip file THEN it is used as is", () => {
      const zip = join(fakeBundle(), "bundle.zip");
      writeFileSync(zip, "PK");
      expect(only(synthLambda({ bundlePath: zip }), "aws_lambda_function").filename).toMatch(/bundle\.zip$/);
    });

    test("WHEN the group name is long THEN names stay within AWS's 64 characters and distinct", () => {
      const a = only(synthLambda({ autoScalingGroupName: `${"x".repeat(70)}-a` }), "aws_lambda_function").function_name;
      const b = only(synthLambda({ autoScalingGroupName: `${"x".repeat(70)}-b` }), "aws_lambda_function").function_name;
      expect(a.length).toBeLessThanOrEqual(64);
      expect(a).not.toBe(b);
      const tf = synthLambda({ autoScalingGroupName: "x".repeat(255) });
      for (const rule of resources(tf, "aws_cloudwatch_event_rule")) expect(rule.name.length).toBeLessThanOrEqual(64);
      expect(only(tf, "aws_iam_role").name_prefix.length).toBeLessThanOrEqual(38);
    });
  });

  test.each([
    [180, 150],
    [60, 30],
    [7200, 900],
  ])("GIVEN a launch hook of %i s and no timeout THEN the function's timeout is %i s: 30 s below the hook, within Lambda's 900 s", (hookTimeout, timeout) => {
    expect(only(synthLambda({ hookTimeout }), "aws_lambda_function").timeout).toBe(timeout);
  });

  describe("GIVEN invalid props", () => {
    const cases: [string, Partial<LifecycleLambdaProps>, RegExp][] = [
      ["bundlePath missing", { bundlePath: "/nonexistent/bundle" }, /LifecycleLambda\.bundlePath: \/nonexistent\/bundle does not exist/],
      ["neither bundlePath nor s3Code", { bundlePath: undefined }, /LifecycleLambda\.bundlePath: is not set, and neither is s3Code/],
      ["both bundlePath and s3Code", { s3Code: { s3Bucket: "my-artifacts", s3Key: "k" } }, /LifecycleLambda\.s3Code: is set beside bundlePath/],
      ["an S3 bucket name S3 refuses", { bundlePath: undefined, s3Code: { s3Bucket: "My_Bucket", s3Key: "k" } }, /LifecycleLambda\.s3Code\.s3Bucket/],
      ["timeout above the hook", { timeout: 300, hookTimeout: 300 }, /LifecycleLambda\.timeout: 300 s is not below the launch hook timeout/],
      ["multusSubnetIds", { multusSubnetIds: [] }, /LifecycleLambda\.multusSubnetIds/],
      ["multusSecurityGroupIds", { multusSecurityGroupIds: ["default"] }, /LifecycleLambda\.multusSecurityGroupIds\[0\]/],
      ["logRetentionDays", { logRetentionDays: 10 }, /LifecycleLambda\.logRetentionDays: 10 is not a CloudWatch retention value/],
      ["sweepSchedule", { sweepSchedule: "every 5 minutes" }, /LifecycleLambda\.sweepSchedule/],
      ["reconcileSchedule", { reconcileSchedule: "every minute" }, /LifecycleLambda\.reconcileSchedule/],
      ["environment name", { environment: { "bad-name": "x" } }, /LifecycleLambda\.environment: "bad-name"/],
      ["runtime", { runtime: "python3.8" }, /LifecycleLambda\.runtime/],
      ["lifecycleHookNames", { lifecycleHookNames: [] }, /LifecycleLambda\.lifecycleHookNames: is empty/],
    ];
    test.each(cases)("WHEN %s THEN the constructor throws naming the prop", (_name, bad, message) => {
      expect(() => synthLambda(bad)).toThrow(message);
      expect(() => synthLambda(bad)).toThrow(PlanError);
    });
  });
});

describe("GIVEN the lifecycle handler's source in lambda/", () => {
  test("WHEN the role's policy is synthesized THEN it allows exactly the EC2 and Auto Scaling calls the handler makes", () => {
    const called = sdkActionsCalled(join(__dirname, "../../../lambda"), ["build.ts"]);
    expect(called.size).toBeGreaterThan(0);
    const granted = new Set(statements(synthLambda()).flatMap((s) => s.actions as string[]).filter((a) => !a.startsWith("logs:") && a !== "sts:AssumeRole" && a !== "ec2:CreateTags"));
    expect([...granted].sort()).toEqual([...called].sort());
  });
});

describe("GIVEN the handler's event parser (lambda/events.ts)", () => {
  const tf = synthLambda();

  /** EventBridge pattern matching for the subset used here: every key's value listed in the pattern. */
  function matches(pattern: Json, event: Json): boolean {
    return Object.entries(pattern).every(([k, want]) =>
      Array.isArray(want) ? want.includes(event[k]) : typeof event[k] === "object" && event[k] !== null && matches(want as Json, event[k] as Json),
    );
  }

  const lifecycleEvent = (detailType: string, transition: string, group: string, hook: string) => ({
    source: "aws.autoscaling",
    "detail-type": detailType,
    detail: { AutoScalingGroupName: group, LifecycleHookName: hook, EC2InstanceId: "i-0123456789abcdef0", LifecycleActionToken: "t", LifecycleTransition: transition },
  });

  test("WHEN the sweep schedule fires THEN the handler reads its input as a sweep", () => {
    const target = resources(tf, "aws_cloudwatch_event_target").find((t) => t.input)!;
    expect(parseEvent(JSON.parse(target.input))).toEqual({ kind: "sweep" });
  });

  test("WHEN this group's hooks emit launch and terminate actions THEN the rule passes them and the handler sees launch and terminate", () => {
    const pattern = JSON.parse(resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!.event_pattern);
    const launch = lifecycleEvent(DETAIL_TYPES.launch, "autoscaling:EC2_INSTANCE_LAUNCHING", BASE.autoScalingGroupName, "multus-launch");
    const terminate = lifecycleEvent(DETAIL_TYPES.terminate, "autoscaling:EC2_INSTANCE_TERMINATING", BASE.autoScalingGroupName, "multus-terminate");
    expect(matches(pattern, launch)).toBe(true);
    expect(matches(pattern, terminate)).toBe(true);
    expect(parseEvent(launch).kind).toBe("launch");
    expect(parseEvent(terminate).kind).toBe("terminate");
  });

  test("WHEN another group or another hook emits an action THEN the rule does not pass it", () => {
    const pattern = JSON.parse(resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!.event_pattern);
    expect(matches(pattern, lifecycleEvent(DETAIL_TYPES.launch, "autoscaling:EC2_INSTANCE_LAUNCHING", "other-group", "multus-launch"))).toBe(false);
    expect(matches(pattern, lifecycleEvent(DETAIL_TYPES.launch, "autoscaling:EC2_INSTANCE_LAUNCHING", BASE.autoScalingGroupName, "someone-elses-hook"))).toBe(false);
  });
});
