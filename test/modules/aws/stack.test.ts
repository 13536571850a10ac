import { PlanError, intToIp } from "../../../ipam";
import { parseLambdaEnvironment } from "../../../contract/lambda-env";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { AWS_PROVIDER_CONSTRAINT, MultusAwsStackProps } from "../../../modules/aws/stack";
import { only, resources, statements, synthAwsStack, userData } from "./helpers";

describe("MultusAwsStack", () => {
  describe("GIVEN the default config in root mode", () => {
    const { tf, config, plan } = synthAwsStack();

    test("THEN the AWS provider is pinned to the accepted range and set to the config's region", () => {
      expect(tf.terraform.required_providers.aws.version).toBe(AWS_PROVIDER_CONSTRAINT);
      expect(tf.provider.aws[0].region).toBe(config.region);
    });

    test("THEN the Lambda environment reads back (as the handler does) to the plan's layout", () => {
      const env = only(tf, "aws_lambda_function").environment.variables;
      const parsed = parseLambdaEnvironment(env);
      expect(parsed.strategy).toBe(config.multus.strategy);
      expect(parsed.autoScalingGroupName).toBe(only(tf, "aws_autoscaling_group").name);
      expect(parsed.subnets.map((s) => [s.id, s.cidr, s.deviceIndex, s.workers && intToIp(s.workers.first)])).toEqual(
        plan.subnets.map((s) => [s.id, s.subnet.cidr, s.deviceIndex, s.strategy === "static" ? intToIp(s.workers.first) : undefined]),
      );
      expect(parsed.securityGroupIds).toEqual(config.multus.securityGroupIds);
    });

    test("THEN the Lambda, the node agent and the IAM conditions use one node-group tag value", () => {
      const tagValue = parseLambdaEnvironment(only(tf, "aws_lambda_function").environment.variables).nodeGroupTag;
      const conditions = statements(tf).flatMap((s) => s.condition ?? []).filter((c) => String(c.variable).endsWith(ENI_TAG_KEYS.nodeGroup));
      expect(conditions.length).toBeGreaterThanOrEqual(3);
      for (const c of conditions) expect(c.values).toEqual([tagValue]);
    });

    test("THEN every output a consumer needs is there", () => {
      expect(Object.keys(tf.output).sort()).toEqual(
        ["agent_policy_json", "autoscaling_group_arn", "autoscaling_group_name", "eni_tag_key", "eni_tag_value", "lambda_function_arn", "launch_template_id", "node_role_arn", "node_security_group_id", "subnet_cidr_reservation_ids"].sort(),
      );
      const env = parseLambdaEnvironment(only(tf, "aws_lambda_function").environment.variables);
      expect([tf.output.eni_tag_key.value, tf.output.eni_tag_value.value]).toEqual([ENI_TAG_KEYS.nodeGroup, env.nodeGroupTag]);
      const ids = tf.output.subnet_cidr_reservation_ids.value as string[];
      expect(ids).toHaveLength(plan.subnets.reduce((n, s) => n + s.reservations.length, 0));
      for (const id of ids) expect(id).toMatch(/^\$\{aws_ec2_subnet_cidr_reservation\..*\.id\}$/);
    });
  });

  test("GIVEN the default config THEN the user data lists every planned multus ENI (device, subnet, zone) for multus-eni", () => {
    const { tf, plan } = synthAwsStack();
    const text = userData(tf);
    for (const s of plan.subnets) expect(text).toContain(`eni ${s.deviceIndex} ${s.id} ${s.availabilityZone}`);
  });

  describe("GIVEN module mode", () => {
    const { tf, config } = synthAwsStack({}, { mode: "module" });

    test("THEN the user data takes the multus subnet ids from the variable, in plan order", () => {
      const ud = String(only(tf, "aws_launch_template").user_data);
      config.multus.subnets.forEach((_, i) => expect(ud).toContain(`element(var.multus_subnet_ids, ${i})`));
    });

    test("THEN there is no provider and no backend, only the required provider constraint", () => {
      expect(tf.provider).toBeUndefined();
      expect(tf.terraform.backend).toBeUndefined();
      expect(tf.terraform.required_providers.aws).toEqual({ source: "hashicorp/aws", version: AWS_PROVIDER_CONSTRAINT });
    });

    test("THEN the ids come from variables and the multus subnet list has the planned length", () => {
      expect(Object.keys(tf.variable).sort()).toEqual(
        [
          "ami_id", "cluster_certificate_authority", "cluster_endpoint", "cluster_security_group_id", "desired_size", "key_name", "min_size", "multus_security_group_ids", "multus_subnet_ids", "node_subnet_ids", "vpc_id",
          // the node role's and root volume's, with the config's defaults
          "additional_policy_arns", "permissions_boundary", "volume_kms_key_id",
          // as every AWS module takes it
          "tags",
        ].sort(),
      );
      expect(tf.variable.multus_subnet_ids.validation[0].condition).toContain(`== ${config.multus.subnets.length}`);
      const reservations = resources(tf, "aws_ec2_subnet_cidr_reservation");
      expect(new Set(reservations.map((r) => r.subnet_id))).toEqual(new Set(config.multus.subnets.map((_, i) => `\${element(var.multus_subnet_ids, ${i})}`)));
      expect(only(tf, "aws_autoscaling_group").vpc_zone_identifier).toBe("${var.node_subnet_ids}");
    });

    test("THEN ami_id has no default from the example's placeholder, and defaults to a real AMI the config gives", () => {
      expect(tf.variable.ami_id.default).toBeUndefined();
      const real = synthAwsStack({ nodeGroup: { amiId: "ami-0123456789abcdef0" } }, { mode: "module" }).tf;
      expect(real.variable.ami_id.default).toBe("ami-0123456789abcdef0");
    });

    test("THEN the Lambda environment names the variables' subnets and groups, not the config's", () => {
      const env = only(tf, "aws_lambda_function").environment.variables;
      expect(env.MULTUS_SECURITY_GROUPS).toBe('${join(",", var.multus_security_group_ids)}');
      expect(env.MULTUS_SUBNETS).toContain("${element(var.multus_subnet_ids, 0)}");
      for (const s of config.multus.subnets) expect(env.MULTUS_SUBNETS).not.toContain(s.id);
    });

    test("THEN a tags variable, map(string) defaulting to {}, is merged in Terraform over the config's tags on every tagged resource, and the group's tag blocks are a dynamic block over it", () => {
      const tagged = synthAwsStack({ tags: { team: "config" } }, { mode: "module" }).tf;
      expect(tagged.variable.tags).toMatchObject({ type: "map(string)", default: {} });
      const withTags = Object.values(tagged.resource as Record<string, Record<string, any>>).flatMap((byId) => Object.values(byId)).filter((r) => r.tags !== undefined);
      expect(withTags.length).toBeGreaterThan(5);
      for (const r of withTags) expect(r.tags).toMatch(/^\$\{merge\(.*"team" = "config".*var\.tags\)/s);
      for (const spec of only(tagged, "aws_launch_template").tag_specifications) expect(spec.tags).toContain("var.tags");
      const asg = only(tagged, "aws_autoscaling_group");
      expect(asg.tag).toBeUndefined();
      expect(asg.dynamic.tag.for_each).toContain("var.tags");
      expect(asg.dynamic.tag.content).toEqual({ key: "${each.key}", value: "${each.value.value}", propagate_at_launch: "${each.value.propagate_at_launch}" });
    });

    test("THEN the user data is encoded by Terraform around the variables", () => {
      expect(only(tf, "aws_launch_template").user_data).toMatch(/^\$\{base64encode\(join\("", \[.*var\.cluster_endpoint.*\]\)\)\}$/s);
    });
  });

  test("GIVEN the config's tags in root mode WHEN synthesized THEN there is no tags variable and every resource gets them as a literal map, the group as tag blocks", () => {
    const { tf } = synthAwsStack({ tags: { team: "config" } });
    expect(tf.variable?.tags).toBeUndefined();
    expect(only(tf, "aws_lambda_function").tags).toEqual({ team: "config" });
    expect(only(tf, "aws_launch_template").tag_specifications[0].tags).toMatchObject({ team: "config" });
    const asg = only(tf, "aws_autoscaling_group");
    expect(asg.dynamic).toBeUndefined();
    expect(asg.tag).toContainEqual({ key: "team", value: "config", propagate_at_launch: true });
  });

  test("GIVEN custom hook names WHEN synthesized THEN the EventBridge rule listens to exactly the group's hooks", () => {
    const { tf } = synthAwsStack({}, { nodeGroup: { launchHookName: "boot", terminateHookName: "stop" } });
    const hooks = (only(tf, "aws_autoscaling_group").initial_lifecycle_hook as { name: string }[]).map((h) => h.name);
    const rule = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!;
    expect(JSON.parse(rule.event_pattern).detail.LifecycleHookName.sort()).toEqual(hooks.sort());
    expect(hooks.sort()).toEqual(["boot", "stop"]);
    expect(resources(tf, "aws_autoscaling_lifecycle_hook").map((h) => h.name).sort()).toEqual(hooks.sort());
  });

  test("GIVEN a caller's launchDependsOn WHEN synthesized THEN the group waits for it as well as for the Lambda and the reservations", () => {
    const extra = { fqn: "aws_s3_bucket.caller_bucket" };
    const { tf } = synthAwsStack({}, { nodeGroup: { launchDependsOn: [extra] } });
    const dependsOn = only(tf, "aws_autoscaling_group").depends_on as string[];
    expect(dependsOn).toContain(extra.fqn);
    for (const type of ["aws_lambda_function", "aws_cloudwatch_event_target", "aws_ec2_subnet_cidr_reservation"]) {
      expect(dependsOn.some((d) => d.startsWith(`${type}.`))).toBe(true);
    }
  });

  describe("GIVEN an override of a prop the stack derives from the config and plan", () => {
    const cases: [string, Partial<MultusAwsStackProps>, RegExp][] = [
      ["nodeGroup.instanceType", { nodeGroup: { instanceType: "m5.large" } }, /Fix: set nodeGroup\.instanceType in the config/],
      ["nodeGroup.kubeletMaxPods", { nodeGroup: { kubeletMaxPods: 110 } }, /Fix: leave it out: it is the address plan's kubeletMaxPods/],
      ["nodeGroup.maxSize", { nodeGroup: { maxSize: 50 } }, /Fix: set nodeGroup\.maxSize in the config/],
      ["lambda.environment", { lambda: { environment: { MULTUS_STRATEGY: "static" } } }, /Fix: leave it out: it is written from the config and plan/],
      ["lambda.lifecycleHookNames", { lambda: { lifecycleHookNames: ["other"] } }, /Fix: set nodeGroup\.launchHookName and nodeGroup\.terminateHookName instead/],
      ["lambda.autoScalingGroupName", { lambda: { autoScalingGroupName: "other" } }, /Fix: set nodeGroup\.autoScalingGroupName instead/],
    ];
    test.each(cases)("WHEN %s is given THEN a PlanError names it and says where to set it", (prop, extra, fix) => {
      let error: unknown;
      try {
        synthAwsStack({}, extra);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlanError);
      expect((error as PlanError).field).toBe(`MultusAwsStack.${prop}`);
      expect((error as PlanError).message).toMatch(fix);
    });
  });

  test("GIVEN agentPermissions policy WHEN synthesized THEN the policy ARN is an output", () => {
    const { tf } = synthAwsStack({}, { nodeGroup: { agentPermissions: "policy" } });
    expect(tf.output.agent_policy_arn.value).toMatch(/aws_iam_policy\..*\.arn/);
  });

  describe.each(["reservation", "static"] as const)("GIVEN the %s strategy WHEN synthesized", (strategy) => {
    const { tf } = synthAwsStack({ multus: { strategy } });

    test("THEN the Auto Scaling group waits for every subnet CIDR reservation, so no instance launches before the pod blocks are reserved", () => {
      const reservationIds = Object.keys(tf.resource.aws_ec2_subnet_cidr_reservation ?? {}).map((id) => `aws_ec2_subnet_cidr_reservation.${id}`);
      expect(reservationIds.length).toBeGreaterThan(0);
      const dependsOn = only(tf, "aws_autoscaling_group").depends_on as string[];
      for (const id of reservationIds) expect(dependsOn).toContain(id);
    });

    test("THEN the Auto Scaling group still waits for the lifecycle function and its EventBridge target", () => {
      const dependsOn = only(tf, "aws_autoscaling_group").depends_on as string[];
      for (const type of ["aws_lambda_function", "aws_cloudwatch_event_target", "aws_lambda_permission"]) {
        expect(dependsOn.some((d) => d.startsWith(`${type}.`))).toBe(true);
      }
    });
  });

  test("GIVEN the reservation strategy WHEN synthesized THEN the Lambda environment carries no worker block", () => {
    const { tf } = synthAwsStack({ multus: { strategy: "reservation" } });
    const parsed = parseLambdaEnvironment(only(tf, "aws_lambda_function").environment.variables);
    expect(parsed.strategy).toBe("reservation");
    for (const s of parsed.subnets) expect(s.workers).toBeUndefined();
  });
});
