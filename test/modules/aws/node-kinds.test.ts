import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLambdaGroups } from "../../../contract/lambda-env";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { GROUP_INSTANCE_TAG, STATE_CHANGE } from "../../../contract/state-change";
import { KARPENTER_SECURITY_GROUP_TAG } from "../../../modules/aws/node-group";
import { RECONCILE_EVENT } from "../../../modules/aws/lifecycle-lambda";
import { createHandler } from "../../../lambda/handler";
import { parseEvent } from "../../../lambda/events";
import { Ec2Model } from "../../../simulator/ec2/model";
import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { autoScalingClient, ec2Client } from "../../../simulator/sdk";
import { Json, only, resources, statements, synthConfigStack } from "./helpers";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

describe("GIVEN an autoscaling, a karpenter and a managed group on one network", () => {
  const { tf, plan } = synthConfigStack(MIXED);

  test("THEN only the autoscaling group has an Auto Scaling group and hooks; the managed one is an aws_eks_node_group on its own launch template", () => {
    expect(resources(tf, "aws_autoscaling_group").map((g) => g.name)).toEqual(["eks-multus-cluster-asg"]);
    expect(resources(tf, "aws_autoscaling_lifecycle_hook")).toHaveLength(2);
    const ng = only(tf, "aws_eks_node_group");
    expect(ng.node_group_name).toBe("eks-multus-cluster-steady");
    expect(ng.scaling_config).toEqual({ min_size: 1, max_size: 3, desired_size: 2 });
    expect(ng.instance_types).toEqual(["m5.xlarge"]);
    // capacityTypes left out: on-demand.
    expect(ng.capacity_type).toBe("ON_DEMAND");
    expect(ng.taint).toContainEqual({ key: STARTUP_TAINT.key, value: STARTUP_TAINT.value, effect: "NO_SCHEDULE" });
    expect(ng.labels["multus.eks.amazonaws.com/node-group"]).toBe("steady");
    // Two launch templates (autoscaling and managed); the managed one holds no subnet, instance type or profile.
    const templates = resources(tf, "aws_launch_template");
    expect(templates).toHaveLength(2);
    const managed = templates.find((t) => ng.launch_template.id.includes(Object.keys(tf.resource.aws_launch_template).find((k) => tf.resource.aws_launch_template[k] === t)!))!;
    expect(managed).toBeDefined();
    expect(managed.instance_type).toBeUndefined();
    expect(managed.iam_instance_profile).toBeUndefined();
    expect(JSON.stringify(managed.network_interfaces ?? [])).not.toMatch(/subnet_id/);
  });

  test("THEN the Karpenter group has a fixed-name node role and a node security group the EC2NodeClass selects by tag, and no launch template", () => {
    const roles = resources(tf, "aws_iam_role").filter((r) => r.name === "eks-multus-cluster-burst-node");
    expect(roles).toHaveLength(1);
    expect(resources(tf, "aws_security_group").filter((g) => g.tags?.[KARPENTER_SECURITY_GROUP_TAG] === "eks-multus-cluster-burst")).toHaveLength(1);
    expect(tf.output.karpenter_node_role_names.value.burst).toMatch(/^\$\{aws_iam_role\.node-group-burst_node-role_\w+\.name\}$/);
    expect(resources(tf, "aws_launch_template").some((t) => JSON.stringify(t).includes("burst"))).toBe(false);
  });

  test("THEN one function serves all three; an EventBridge rule takes EC2 Instance State-change Notification (pending, shutting-down, terminated) besides the lifecycle rule", () => {
    const rules = resources(tf, "aws_cloudwatch_event_rule").filter((r) => r.event_pattern).map((r) => JSON.parse(r.event_pattern) as Json);
    expect(rules).toContainEqual({ source: ["aws.autoscaling"], "detail-type": ["EC2 Instance-launch Lifecycle Action", "EC2 Instance-terminate Lifecycle Action"], detail: { AutoScalingGroupName: ["eks-multus-cluster-asg"], LifecycleHookName: ["multus-launch", "multus-terminate"] } });
    expect(rules).toContainEqual({ source: ["aws.ec2"], "detail-type": [STATE_CHANGE.detailType], detail: { state: ["pending", "shutting-down", "terminated"] } });
    expect(resources(tf, "aws_lambda_permission").map((p) => p.statement_id).sort()).toEqual(["AllowLifecycleEvents", "AllowReconcileSchedule", "AllowStateChangeEvents", "AllowSweepSchedule"]);
    const groups = parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables);
    expect(groups.map((g) => g.kind ?? "autoscaling")).toEqual(["autoscaling", "karpenter", "managed"]);
  });

  test("THEN the function may attach to the hookless groups' instances only by their NodePool and node group tags", () => {
    const attach = statements(tf).filter((s) => String(s.sid).startsWith("AttachToHooklessInstances"));
    expect(attach.map((s) => [s.condition[0].variable, s.condition[0].values])).toEqual([
      ["aws:ResourceTag/karpenter.sh/nodepool", ["eks-multus-cluster-burst"]],
      ["aws:ResourceTag/eks:nodegroup-name", ["eks-multus-cluster-steady"]],
    ]);
    expect(statements(tf).find((s) => s.sid === "Describe")!.actions).toContain("ec2:DescribeInstances");
  });

  test("THEN a one-minute schedule sends the reconcile pass, whose every EC2 call the role allows", async () => {
    const rule = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.schedule_expression && r.name.includes("reconcile"))!;
    expect(rule.schedule_expression).toBe("rate(1 minute)");
    const target = resources(tf, "aws_cloudwatch_event_target").find((t) => t.input && JSON.parse(t.input).action === "reconcile")!;
    expect(JSON.parse(target.input)).toEqual(RECONCILE_EVENT);
    expect(parseEvent(JSON.parse(target.input))).toEqual({ kind: "reconcile" });
    // A reconcile pass of the synthesized function's own configuration, its calls recorded.
    const groups = parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables);
    const ec2 = new Ec2Model({ seed: 3 });
    for (const x of plan.subnets) ec2.addSubnet({ cidr: x.subnet.cidr, id: x.id, availabilityZone: x.availabilityZone });
    const primary = ec2.addSubnet({ cidr: "10.200.0.0/24", availabilityZone: plan.subnets[0]!.availabilityZone });
    for (const g of groups.filter((x) => x.kind)) ec2.launchInstance({ instanceType: "m5.xlarge", subnetId: primary.subnetId, tags: { [GROUP_INSTANCE_TAG[g.kind as "karpenter" | "managed"]]: g.autoScalingGroupName } });
    const calls = new Set<string>();
    const handler = createHandler({
      ec2: ec2Client(ec2, { hook: (call, next) => (calls.add(`ec2:${call.operation}`), next()) }),
      autoscaling: autoScalingClient(new AutoScalingModel(ec2, { groupName: groups[0]!.autoScalingGroupName, subnetIds: [primary.subnetId] })),
      config: groups,
      sleep: async () => undefined,
      random: () => 0.5,
      log: () => undefined,
    });
    const out = await handler(RECONCILE_EVENT);
    expect(out.enis).toHaveLength(2);
    expect(out.reason).toBeUndefined();
    const allowed = new Set(statements(tf).flatMap((x) => x.actions as string[]));
    expect([...calls].filter((c) => !allowed.has(c))).toEqual([]);
    expect([...calls]).toEqual(expect.arrayContaining(["ec2:DescribeInstances", "ec2:CreateNetworkInterface", "ec2:AttachNetworkInterface"]));
  });

  test("WHEN the sweep is switched off THEN the reconcile schedule stays; switched off itself, it goes", () => {
    const noSweep = synthConfigStack(MIXED, { lambda: { sweepSchedule: null } }).tf;
    expect(resources(noSweep, "aws_lambda_permission").map((p) => p.statement_id)).toContain("AllowReconcileSchedule");
    expect(resources(noSweep, "aws_lambda_permission").map((p) => p.statement_id)).not.toContain("AllowSweepSchedule");
    const none = synthConfigStack(MIXED, { lambda: { reconcileSchedule: null } }).tf;
    expect(resources(none, "aws_lambda_permission").map((p) => p.statement_id)).not.toContain("AllowReconcileSchedule");
  });
});

describe("GIVEN the mixed example with its managed group on spot", () => {
  const user = structuredClone(MIXED);
  user.nodeGroups[2].capacityTypes = ["spot"];

  test("THEN the aws_eks_node_group's capacity_type is SPOT", () => {
    expect(only(synthConfigStack(user).tf, "aws_eks_node_group").capacity_type).toBe("SPOT");
  });

  test("WHEN synthesized as a module THEN capacity_type is a variable of the managed group only, defaulting to SPOT and validated to EKS's values", () => {
    const { tf } = synthConfigStack(user, { mode: "module" });
    expect(only(tf, "aws_eks_node_group").capacity_type).toBe("${var.steady_capacity_type}");
    const variable = tf.variable.steady_capacity_type;
    expect(variable.default).toBe("SPOT");
    expect(variable.validation[0].condition).toBe('${contains(["ON_DEMAND","SPOT"], var.steady_capacity_type)}');
    expect(Object.keys(tf.variable).filter((v) => v.endsWith("capacity_type"))).toEqual(["steady_capacity_type"]);
  });
});

describe("GIVEN per-group props (capacityType, autoScalingGroupName) on the mixed example's stack", () => {
  const { config, plan } = synthConfigStack(MIXED);
  const build = (group: number, capacityType: string) => () =>
    synthConfigStack(MIXED, { nodeGroups: { [config.nodeGroups[group]!.name]: { capacityType: capacityType as "SPOT" } } });

  test("WHEN capacityType is set on an autoscaling or karpenter group THEN refused, naming the prop and where the capacity goes instead", () => {
    expect(plan.groups[0]!.kind).toBe("autoscaling");
    expect(build(0, "SPOT")).toThrow(/MultusNodeGroup\.capacityType: is an EKS managed node group's; an autoscaling group has none.*use spot/);
    expect(build(1, "SPOT")).toThrow(/MultusNodeGroup\.capacityType: .*capacityTypes/);
  });

  test("WHEN a karpenter group's autoScalingGroupName is given THEN refused: the Kubernetes stacks name its NodePool from the config", () => {
    expect(() => synthConfigStack(MIXED, { nodeGroups: { burst: { autoScalingGroupName: "other" } } })).toThrow(/MultusAwsStack\.nodeGroups\.burst\.autoScalingGroupName: would name a Karpenter group's NodePool/);
  });

  test("WHEN capacityType is a value EKS does not take THEN refused, naming the values", () => {
    expect(build(2, "CAPACITY_BLOCK")).toThrow(/MultusNodeGroup\.capacityType: must be one of ON_DEMAND, SPOT/);
  });
});
