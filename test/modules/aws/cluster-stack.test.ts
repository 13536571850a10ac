import { PlanError } from "../../../ipam";
import { LAMBDA_CLUSTER_ENV, parseLambdaGroups } from "../../../contract/lambda-env";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { EXAMPLE } from "../../ipam/cluster-helpers";
import { Json, only, resources, statements, synthConfigStack } from "./helpers";

const decode = (lt: Json) => Buffer.from(lt.user_data as string, "base64").toString("utf8");

describe("MultusAwsStack with several node groups", () => {
  describe("GIVEN the example cluster (three groups, two networks, two AZs) in root mode", () => {
    const { tf, plan } = synthConfigStack(EXAMPLE);
    const asgs = resources(tf, "aws_autoscaling_group");
    const groups = parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables);

    test("THEN one Auto Scaling group and launch template per node group, and one Lambda for all", () => {
      expect(asgs.map((a) => a.name).sort()).toEqual(["eks-multus-cluster-cnf-a", "eks-multus-cluster-cnf-b", "eks-multus-cluster-edge"]);
      expect(resources(tf, "aws_launch_template")).toHaveLength(3);
      expect(resources(tf, "aws_lambda_function")).toHaveLength(1);
      // Each group's resources live under its own construct, named after it.
      expect(Object.keys(tf.resource.aws_autoscaling_group).map((id) => id.split("_")[0]).sort()).toEqual(["node-group-cnf-a", "node-group-cnf-b", "node-group-edge"]);
    });

    test("THEN the Lambda's environment names every group by its Auto Scaling group, with the plan's worker blocks", () => {
      expect(groups.map((g) => g.autoScalingGroupName).sort()).toEqual(asgs.map((a) => a.name).sort());
      for (const g of groups) {
        for (const s of g.subnets) expect(s.workers).toEqual(plan.subnets.find((p) => p.id === s.id)!.workerBlocks[g.name!]);
      }
    });

    test("THEN each group's instance type and max size, and kubelet max-pods from its own plan", () => {
      for (const g of plan.groups) {
        const asg = asgs.find((a) => a.name === `eks-multus-cluster-${g.name}`)!;
        expect(asg.max_size).toBe(g.maxSize);
        const lt = resources(tf, "aws_launch_template").find((l) => String(l.name_prefix).includes(`-${g.name}-`))!;
        expect(lt.instance_type).toBe(g.instance.instanceType);
        const ud = decode(lt);
        expect(ud).toContain(`maxPods: ${g.kubeletMaxPods}`);
        // The nodes say which group they are: the NADs' placement selects it.
        expect(ud).toContain(`--node-labels=${MULTUS_NODE_LABEL}=${g.name}`);
      }
    });

    test("THEN one EventBridge rule passes every group's lifecycle actions, and the role may complete each group's", () => {
      const rule = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!;
      expect(JSON.parse(rule.event_pattern).detail.AutoScalingGroupName.sort()).toEqual(asgs.map((a) => a.name).sort());
      const complete = statements(tf).find((s) => s.sid === "CompleteOwnLifecycleActions")!;
      expect(complete.resources).toHaveLength(3);
      const tagged = statements(tf).flatMap((s) => s.condition ?? []).filter((c) => String(c.variable).endsWith(ENI_TAG_KEYS.nodeGroup));
      const lambdaTags = tagged.filter((c) => (c.values as string[]).length === 3);
      expect(lambdaTags.length).toBeGreaterThanOrEqual(2);
      for (const c of lambdaTags) expect([...c.values].sort()).toEqual(groups.map((g) => g.nodeGroupTag).sort());
    });

    test("THEN the function may create ENIs in every network's subnets with every network's security groups", () => {
      const create = statements(tf).find((s) => s.sid === "CreateInMultusSubnets")!;
      for (const s of plan.subnets) expect(create.resources.some((r: string) => r.endsWith(`subnet/${s.id}`))).toBe(true);
      for (const sg of ["sg-0c0ffee0c0ffee002", "sg-0c0ffee0c0ffee003"]) expect(create.resources.some((r: string) => r.endsWith(`security-group/${sg}`))).toBe(true);
    });

    test("THEN an explicit reservation for every CIDR of every block, described with its owner, and every group waits for all of them", () => {
      const made = resources(tf, "aws_ec2_subnet_cidr_reservation");
      const planned = plan.subnets.flatMap((s) => s.reservations.map((r) => `${s.id} ${r.cidr} multus ${r.purpose} of ${r.owner}`));
      expect(made.map((r) => `${r.subnet_id} ${r.cidr_block} ${r.description}`).sort()).toEqual(planned.sort());
      for (const asg of asgs) expect((asg.depends_on as string[]).filter((d) => d.startsWith("aws_ec2_subnet_cidr_reservation."))).toHaveLength(made.length);
    });

    test("THEN the outputs are maps by group name", () => {
      expect(Object.keys(tf.output.autoscaling_group_names.value).sort()).toEqual(["cnf-a", "cnf-b", "edge"]);
      expect(tf.output.autoscaling_group_name).toBeUndefined();
      expect(tf.output.lambda_function_arn).toBeDefined();
    });
  });

  describe("GIVEN the example cluster in module mode", () => {
    const { tf } = synthConfigStack(EXAMPLE, { mode: "module" });

    test("THEN variables per group and per network, beside the cluster's", () => {
      const names = Object.keys(tf.variable);
      for (const g of ["cnf_a", "cnf_b", "edge"]) {
        for (const v of ["node_subnet_ids", "ami_id", "key_name", "min_size", "desired_size"]) expect(names).toContain(`${g}_${v}`);
      }
      expect(names).toContain("data_security_group_ids");
      expect(names).toContain("storage_security_group_ids");
      expect(names).not.toContain("multus_security_group_ids");
      expect(tf.variable.multus_subnet_ids.validation[0].condition).toContain("== 4");
    });

    test("THEN each group's Auto Scaling group takes its own subnets and sizes, and the Lambda's networks their variables' security groups", () => {
      const edge = resources(tf, "aws_autoscaling_group").find((a) => a.name === "eks-multus-cluster-edge")!;
      expect(edge.vpc_zone_identifier).toBe("${var.edge_node_subnet_ids}");
      expect(edge.min_size).toBe("${var.edge_min_size}");
      // Terraform joins each network's list into the JSON at plan time.
      const networks = only(tf, "aws_lambda_function").environment.variables[LAMBDA_CLUSTER_ENV.networks] as string;
      expect(networks).toContain('"data":{"sg":"${join(",", var.data_security_group_ids)}"');
      expect(networks).toContain('"storage":{"sg":"${join(",", var.storage_security_group_ids)}"');
    });
  });

  test("GIVEN one autoScalingGroupName for every group THEN refused, saying to set it per group", () => {
    let error: unknown;
    try {
      synthConfigStack(EXAMPLE, { nodeGroup: { autoScalingGroupName: "same" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).message).toMatch(/MultusAwsStack\.nodeGroup\.autoScalingGroupName: would be the same for every node group.*nodeGroups\.<name>\.autoScalingGroupName/);
  });

  test("GIVEN a group's own Auto Scaling group name THEN the function serves it under that name", () => {
    const { tf } = synthConfigStack(EXAMPLE, { nodeGroups: { edge: { autoScalingGroupName: "edge-asg" } } });
    expect(resources(tf, "aws_autoscaling_group").map((a) => a.name)).toContain("edge-asg");
    expect(parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables).map((g) => g.autoScalingGroupName)).toContain("edge-asg");
  });

  test("GIVEN one group's longer launch hook THEN the function learns each group's timeout, and events live as long as the longest hook", () => {
    const { tf } = synthConfigStack(EXAMPLE, { nodeGroups: { edge: { launchHookTimeout: 900 } } });
    const groups = parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables);
    expect(Object.fromEntries(groups.map((g) => [g.name, g.launchHookTimeoutSeconds]))).toEqual({ "cnf-a": 300, "cnf-b": 300, edge: 900 });
    expect(only(tf, "aws_lambda_function_event_invoke_config").maximum_event_age_in_seconds).toBe(900);
    expect(resources(tf, "aws_cloudwatch_event_target").find((t) => t.target_id === "multus-lifecycle")!.retry_policy.maximum_event_age_in_seconds).toBe(900);
  });
});
