import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLambdaGroups } from "../../../contract/lambda-env";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { STATE_CHANGE } from "../../../contract/state-change";
import { KARPENTER_SECURITY_GROUP_TAG } from "../../../modules/aws/node-group";
import { Json, only, resources, statements, synthConfigStack } from "./helpers";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

describe("GIVEN an autoscaling, a karpenter and a managed group on one network", () => {
  const { tf } = synthConfigStack(MIXED);

  test("THEN only the autoscaling group has an Auto Scaling group and hooks; the managed one is an aws_eks_node_group on its own launch template", () => {
    expect(resources(tf, "aws_autoscaling_group").map((g) => g.name)).toEqual(["eks-multus-cluster-asg"]);
    expect(resources(tf, "aws_autoscaling_lifecycle_hook")).toHaveLength(2);
    const ng = only(tf, "aws_eks_node_group");
    expect(ng.node_group_name).toBe("eks-multus-cluster-steady");
    expect(ng.scaling_config).toEqual({ min_size: 1, max_size: 3, desired_size: 2 });
    expect(ng.instance_types).toEqual(["m5.xlarge"]);
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
    expect(resources(tf, "aws_lambda_permission").map((p) => p.statement_id).sort()).toEqual(["AllowLifecycleEvents", "AllowStateChangeEvents", "AllowSweepSchedule"]);
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
});
