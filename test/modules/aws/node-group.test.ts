import { STARTUP_TAINT } from "../../../contract/node-network";
import { parse } from "yaml";
import { PlanError } from "../../../ipam";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { MultusNodeGroup, MultusNodeGroupProps } from "../../../modules/aws/node-group";
import { MIME_BOUNDARY } from "../../../modules/aws/user-data";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { join } from "node:path";
import { Json, dataSources, only, resources, sdkActionsCalled, statements, synthAwsStack, synthStack, userData } from "./helpers";

const BASE: MultusNodeGroupProps = {
  clusterName: "demo",
  clusterEndpoint: "https://ABC.gr7.us-west-2.eks.amazonaws.com",
  clusterCertificateAuthority: "Q0E=",
  clusterSecurityGroupId: "sg-0123456789abcdef0",
  nodeGroupName: "ng1",
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-0123456789abcdef0"],
  amiId: "ami-0123456789abcdef0",
  kubeletMaxPods: 42,
};

function synthNodeGroup(props: Partial<MultusNodeGroupProps> = {}): Json {
  return synthStack((stack) => new MultusNodeGroup(stack, "ng", { ...BASE, ...props }));
}

/** The NodeConfig document inside the AL2023 MIME user data. */
function nodeConfigOf(text: string): Json {
  const part = text.split(`--${MIME_BOUNDARY}`).find((p) => p.includes("application/node.eks.aws"));
  if (!part) throw new Error("no NodeConfig part");
  return parse(part.slice(part.indexOf("---")));
}

describe("MultusNodeGroup", () => {
  describe("GIVEN the default config's stack", () => {
    const { tf, plan, config } = synthAwsStack();
    const asg = only(tf, "aws_autoscaling_group");

    test("THEN the Auto Scaling group has its launch and terminate hooks from creation", () => {
      const hooks = asg.initial_lifecycle_hook as Json[];
      expect(hooks.map((h) => h.lifecycle_transition).sort()).toEqual(["autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING"]);
      const launch = hooks.find((h) => h.lifecycle_transition === "autoscaling:EC2_INSTANCE_LAUNCHING")!;
      expect(launch).toMatchObject({ default_result: "ABANDON", heartbeat_timeout: 300 });
    });

    test("THEN each initial hook is also a lifecycle hook resource of the group with the same settings, so later changes reach it", () => {
      const fields = (h: Json) => [h.name, h.lifecycle_transition, h.default_result, h.heartbeat_timeout];
      const byName = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
      const hookResources = resources(tf, "aws_autoscaling_lifecycle_hook");
      expect(hookResources.map(fields).sort(byName)).toEqual((asg.initial_lifecycle_hook as Json[]).map(fields).sort(byName));
      const asgId = Object.keys(tf.resource.aws_autoscaling_group)[0];
      for (const h of hookResources) expect(h.autoscaling_group_name).toBe(`\${aws_autoscaling_group.${asgId}.name}`);
    });

    test("THEN the group waits for the Lambda, its EventBridge target and permission", () => {
      const deps = asg.depends_on as string[];
      for (const type of ["aws_lambda_function", "aws_cloudwatch_event_target", "aws_lambda_permission", "aws_iam_role_policy"]) {
        expect(deps.some((d) => d.startsWith(`${type}.`))).toBe(true);
      }
    });

    test("THEN sizes, subnets and the ownership tag come from the config", () => {
      expect(asg).toMatchObject({
        min_size: config.nodeGroup.minSize,
        max_size: config.nodeGroup.maxSize,
        desired_capacity: config.nodeGroup.desiredSize,
        vpc_zone_identifier: config.nodeGroup.subnetIds,
        name: `${config.cluster.name}-${config.nodeGroup.name}`,
      });
      expect(asg.tag).toContainEqual({ key: `kubernetes.io/cluster/${config.cluster.name}`, value: "owned", propagate_at_launch: true });
    });

    test("THEN the launch template requires IMDSv2 and sets the root volume", () => {
      const lt = only(tf, "aws_launch_template");
      expect(lt.metadata_options).toMatchObject({ http_tokens: "required", http_endpoint: "enabled" });
      expect(lt.block_device_mappings[0].ebs).toMatchObject({ volume_size: config.nodeGroup.volumeSize, encrypted: "true" });
      expect(lt.image_id).toBe(config.nodeGroup.amiId);
      expect(lt.key_name).toBeUndefined();
    });

    test("THEN the IMDS hop limit is 1, so only hostNetwork pods can reach the node role's credentials", () => {
      expect(only(tf, "aws_launch_template").metadata_options.http_put_response_hop_limit).toBe(1);
    });

    test("THEN the AL2023 NodeConfig carries the plan's kubelet max-pods and the cluster", () => {
      const doc = nodeConfigOf(userData(tf));
      expect(doc.kind).toBe("NodeConfig");
      expect(doc.spec.kubelet.config.maxPods).toBe(plan.kubeletMaxPods);
      expect(doc.spec.cluster).toEqual({
        name: config.cluster.name,
        apiServerEndpoint: config.cluster.endpoint,
        certificateAuthority: config.cluster.certificateAuthority,
        cidr: config.cluster.serviceCidr,
      });
    });

    test("THEN the host script turns rp_filter off and configures the multus ENIs, also those attached later, and the node registers tainted", () => {
      const text = userData(tf);
      expect(text).toMatch(/net\.ipv4\.conf\.all\.rp_filter = 0/);
      expect(text).toMatch(/net\.ipv4\.conf\.\*\.rp_filter = 0/);
      expect(text).toMatch(/SUBSYSTEM=="net", ACTION=="add", DRIVERS=="ena\|ixgbevf\|vif", RUN\+="\/usr\/bin\/systemctl start --no-block multus-eni@\$name\.service"/);
      expect(nodeConfigOf(text).spec.kubelet.config.registerWithTaints).toEqual([{ key: STARTUP_TAINT.key, value: "true", effect: "NoSchedule" }]);
      expect(text).not.toMatch(/\$\{/);
    });

    test("THEN the node role has exactly the three EKS node policies and no wildcard action", () => {
      const arns = resources(tf, "aws_iam_role_policy_attachment").map((a) => String(a.policy_arn).split("/").pop());
      expect(arns.sort()).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]);
      for (const s of statements(tf)) for (const a of s.actions) expect(a).not.toMatch(/\*/);
    });

    test("THEN the node agent may touch only ENIs tagged with this node group", () => {
      const assign = statements(tf).find((s) => s.actions.includes("ec2:AssignPrivateIpAddresses") && s.sid === "AssignPodAddressesOnOwnEnis")!;
      expect(assign.actions.sort()).toEqual(["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]);
      expect(assign.condition).toEqual([{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: [asg.name] }]);
      expect(assign.resources[0]).toMatch(/:network-interface\/\*$/);
      const rolePolicies = resources(tf, "aws_iam_role_policy").filter((p) => p.name === "multus-node-agent");
      expect(rolePolicies).toHaveLength(1);
      expect(rolePolicies[0]!.role).toMatch(/aws_iam_role\.node-group_node-role/);
    });

    test("THEN the node agent's policy allows exactly the EC2 calls agent/ makes on IPv4-only networks", () => {
      const doc = dataSources(tf, "aws_iam_policy_document").find((d) => d.statement.some((s: Json) => s.sid === "AssignPodAddressesOnOwnEnis"))!;
      const granted = new Set(doc.statement.flatMap((s: Json) => s.actions as string[]));
      // The IPv6 calls are granted on dual-stack networks only (test/modules/aws/dual-stack.test.ts).
      const called = [...sdkActionsCalled(join(__dirname, "../../../agent"))].filter((a) => !/Ipv6/.test(a));
      expect(called.length).toBeGreaterThan(0);
      expect([...granted].sort()).toEqual(called.sort());
    });

    test("THEN the reference's security group rules exist, with egress added back", () => {
      const ingress = resources(tf, "aws_vpc_security_group_ingress_rule");
      const egress = resources(tf, "aws_vpc_security_group_egress_rule");
      const cp = config.cluster.securityGroupId;
      expect(ingress.filter((r) => r.security_group_id === cp).map((r) => [r.from_port, r.to_port])).toEqual([[443, 443]]);
      expect(egress.filter((r) => r.security_group_id === cp).map((r) => [r.from_port, r.to_port]).sort()).toEqual([[1025, 65535], [443, 443]]);
      expect(ingress.filter((r) => r.referenced_security_group_id === cp).map((r) => r.from_port).sort()).toEqual([1025, 443]);
      expect(egress.some((r) => r.cidr_ipv4 === "0.0.0.0/0" && r.ip_protocol === "-1")).toBe(true);
      expect(only(tf, "aws_security_group").tags).toMatchObject({ [`kubernetes.io/cluster/${config.cluster.name}`]: "owned" });
    });

    test("THEN nodes join through an EC2_LINUX access entry for the node role", () => {
      const entry = only(tf, "aws_eks_access_entry");
      expect(entry).toMatchObject({ cluster_name: config.cluster.name, type: "EC2_LINUX" });
      expect(entry.principal_arn).toMatch(/aws_iam_role\.node-group_node-role.*\.arn/);
    });
  });

  describe("GIVEN the options", () => {
    test("WHEN amiFamily is al2 THEN bootstrap.sh gets --use-max-pods false, --max-pods from the plan and the multus node label", () => {
      const tf = synthNodeGroup({ amiFamily: "al2", bootstrapArguments: "--node-labels=cnf=xyz" });
      const text = userData(tf);
      expect(text).toMatch(/\/etc\/eks\/bootstrap\.sh 'demo' .*--use-max-pods false/);
      expect(text).toMatch(new RegExp(`--kubelet-extra-args '--max-pods=42 --register-with-taints=${STARTUP_TAINT.key}=true:NoSchedule --node-labels=${MULTUS_NODE_LABEL}=ng1 --node-labels=cnf=xyz'`));
      expect(text).not.toMatch(/node\.eks\.aws/);
    });

    test("WHEN bootstrapArguments has flags on al2023 THEN they become NodeConfig kubelet flags after the multus node label", () => {
      const doc = nodeConfigOf(userData(synthNodeGroup({ nodeGroupName: "fast-lane", bootstrapArguments: "--node-labels=cnf=xyz  --register-with-taints=a=b:NoSchedule", startupTaint: false })));
      expect(doc.spec.kubelet.flags).toEqual([`--node-labels=${MULTUS_NODE_LABEL}=fast-lane`, "--node-labels=cnf=xyz", "--register-with-taints=a=b:NoSchedule"]);
      expect(doc.spec.kubelet.config.registerWithTaints).toBeUndefined();
    });

    test("WHEN bootstrapArguments registers taints while the startup taint is on THEN synth fails: the flag would replace the startup taint", () => {
      expect(() => synthNodeGroup({ bootstrapArguments: "--register-with-taints=a=b:NoSchedule" })).toThrow(/MultusNodeGroup.bootstrapArguments: sets --register-with-taints.*startupTaint: false/);
    });

    test("WHEN multus interfaces are given THEN the user data lists them for multus-eni; a bad one fails naming it", () => {
      const enis = [{ deviceIndex: 1, subnetId: "subnet-0123456789abcdef1", availabilityZone: "us-west-2a" }];
      expect(userData(synthNodeGroup({ multusInterfaces: enis }))).toContain("eni 1 subnet-0123456789abcdef1 us-west-2a");
      expect(() => synthNodeGroup({ multusInterfaces: [{ ...enis[0]!, deviceIndex: 0 }] })).toThrow(/MultusNodeGroup.multusInterfaces\[0\].deviceIndex/);
      expect(() => synthNodeGroup({ hostAddress: "static" as never })).toThrow(/MultusNodeGroup.hostAddress/);
    });

    test("WHEN no bootstrapArguments are given THEN the kubelet still labels the node with the node group's name, the label the node agent selects", () => {
      const doc = nodeConfigOf(userData(synthNodeGroup()));
      expect(doc.spec.kubelet.flags).toEqual([`--node-labels=${MULTUS_NODE_LABEL}=ng1`]);
    });

    test("WHEN hook names, timeouts and results are set THEN the hook resources carry them, as the initial hooks do", () => {
      const tf = synthNodeGroup({ launchHookName: "boot", launchHookTimeout: 600, launchHookDefaultResult: "CONTINUE", terminateHookName: "stop", terminateHookTimeout: 90, terminateHookDefaultResult: "ABANDON" });
      const hooks = resources(tf, "aws_autoscaling_lifecycle_hook").map((h) => [h.name, h.lifecycle_transition, h.default_result, h.heartbeat_timeout]);
      expect(hooks.sort()).toEqual([
        ["boot", "autoscaling:EC2_INSTANCE_LAUNCHING", "CONTINUE", 600],
        ["stop", "autoscaling:EC2_INSTANCE_TERMINATING", "ABANDON", 90],
      ]);
    });

    test("WHEN an existing node security group is given THEN no group or rule is created", () => {
      const tf = synthNodeGroup({ nodeSecurityGroupId: "sg-0aaaaaaaaaaaaaaa1" });
      expect(resources(tf, "aws_security_group")).toHaveLength(0);
      expect(resources(tf, "aws_vpc_security_group_ingress_rule")).toHaveLength(0);
      expect(only(tf, "aws_launch_template").vpc_security_group_ids).toEqual(["sg-0aaaaaaaaaaaaaaa1"]);
    });

    test("WHEN requireImdsv2 is false and a key pair is given THEN the template says so", () => {
      const lt = only(synthNodeGroup({ requireImdsv2: false, keyName: "ops" }), "aws_launch_template");
      expect(lt.metadata_options.http_tokens).toBe("optional");
      expect(lt.key_name).toBe("ops");
    });

    test("WHEN imdsHopLimit is 2 THEN the template opens IMDS to pods as asked", () => {
      expect(only(synthNodeGroup({ imdsHopLimit: 2 }), "aws_launch_template").metadata_options.http_put_response_hop_limit).toBe(2);
    });

    test("WHEN nodeAccess is aws-auth THEN no access entry is created", () => {
      expect(resources(synthNodeGroup({ nodeAccess: "aws-auth" }), "aws_eks_access_entry")).toHaveLength(0);
    });

    test("WHEN agentPermissions is policy THEN a separate IAM policy holds them and the node role does not", () => {
      const tf = synthNodeGroup({ agentPermissions: "policy" });
      expect(resources(tf, "aws_iam_policy")).toHaveLength(1);
      expect(resources(tf, "aws_iam_role_policy")).toHaveLength(0);
    });

    test("WHEN an SSM parameter is given instead of an AMI id THEN the image comes from it", () => {
      const name = "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id";
      const tf = synthNodeGroup({ amiId: undefined, amiSsmParameter: name });
      expect(dataSources(tf, "aws_ssm_parameter").map((d) => d.name)).toEqual([name]);
      expect(only(tf, "aws_launch_template").image_id).toMatch(/data\.aws_ssm_parameter\..*insecure_value/);
    });

    test("WHEN cluster and node group names are as long as allowed THEN every name prefix fits the provider's limit", () => {
      // Limits of aws provider 5.100 (terraform validate rejects longer prefixes).
      const tf = synthNodeGroup({ clusterName: "c".repeat(100), nodeGroupName: "n".repeat(63) });
      expect(only(tf, "aws_launch_template").name_prefix.length).toBeLessThanOrEqual(99);
      expect(only(tf, "aws_iam_role").name_prefix.length).toBeLessThanOrEqual(38);
      expect(only(tf, "aws_iam_instance_profile").name_prefix.length).toBeLessThanOrEqual(38);
      expect(only(tf, "aws_security_group").name_prefix.length).toBeLessThanOrEqual(100);
      expect(only(tf, "aws_autoscaling_group").name.length).toBeLessThanOrEqual(255);
    });

    test("WHEN the default stack is synthesized THEN no data source needs an AWS call", () => {
      const { tf } = synthAwsStack();
      expect(Object.keys(tf.data).sort()).toEqual(["aws_iam_policy_document", "aws_partition", "aws_region"]);
    });
  });

  describe("GIVEN invalid props", () => {
    const cases: [string, Partial<MultusNodeGroupProps>, RegExp][] = [
      ["clusterName", { clusterName: "" }, /MultusNodeGroup\.clusterName: must be a non-empty string/],
      ["clusterEndpoint", { clusterEndpoint: "http://x" }, /MultusNodeGroup\.clusterEndpoint/],
      ["clusterSecurityGroupId", { clusterSecurityGroupId: "group-1" }, /MultusNodeGroup\.clusterSecurityGroupId/],
      ["vpcId", { vpcId: "vpc-xyz" }, /MultusNodeGroup\.vpcId/],
      ["subnetIds", { subnetIds: [] }, /MultusNodeGroup\.subnetIds: must list at least 1/],
      ["subnetIds[1]", { subnetIds: ["subnet-0123456789abcdef0", "nope"] }, /MultusNodeGroup\.subnetIds\[1\]/],
      ["instanceType", { instanceType: "c5.huge" }, /MultusNodeGroup\.instanceType: unknown instance type/],
      ["maxSize", { maxSize: 0 }, /MultusNodeGroup\.maxSize/],
      ["minSize", { minSize: 4, maxSize: 3 }, /MultusNodeGroup\.minSize: must be a whole number from 0 to 3/],
      ["desiredSize", { minSize: 2, desiredSize: 1 }, /MultusNodeGroup\.desiredSize/],
      ["amiFamily", { amiFamily: "bottlerocket" as never }, /MultusNodeGroup\.amiFamily: must be one of al2023, al2/],
      ["amiId", { amiId: undefined }, /MultusNodeGroup\.amiId: is not set, and neither is amiSsmParameter/],
      ["amiId format", { amiId: "ami-1" }, /MultusNodeGroup\.amiId/],
      ["volumeSize", { volumeSize: 4 }, /MultusNodeGroup\.volumeSize/],
      ["bootstrapArguments quotes", { bootstrapArguments: "--kubelet-extra-args '--node-labels=a=b'" }, /MultusNodeGroup\.bootstrapArguments: contains quotes/],
      ["bootstrapArguments max-pods", { bootstrapArguments: "--max-pods=110" }, /MultusNodeGroup\.bootstrapArguments: sets --max-pods/],
      ["bootstrapArguments with the multus node label", { bootstrapArguments: `--node-labels=a=b,${MULTUS_NODE_LABEL}=other` }, /MultusNodeGroup\.bootstrapArguments: sets the node label multus\.eks\.amazonaws\.com\/node-group/],
      ["a node group name that is no label value", { nodeGroupName: "ng1-" }, /MultusNodeGroup\.nodeGroupName: "ng1-" ends with "-".*node label/],
      ["kubeletMaxPods", { kubeletMaxPods: 0 }, /MultusNodeGroup\.kubeletMaxPods/],
      ["launchHookTimeout", { launchHookTimeout: 10 }, /MultusNodeGroup\.launchHookTimeout: must be a whole number from 30 to 7200/],
      ["terminateHookName", { launchHookName: "h", terminateHookName: "h" }, /MultusNodeGroup\.terminateHookName: is the same as launchHookName/],
      ["nodeAccess", { nodeAccess: "configmap" as never }, /MultusNodeGroup\.nodeAccess/],
      ["agentPermissions", { agentPermissions: "all" as never }, /MultusNodeGroup\.agentPermissions/],
      // The production options, checked as the config checks them.
      ["instanceTypes[1]", { instanceTypes: ["c5.2xlarge", "c5.huge"] }, /MultusNodeGroup\.instanceTypes\[1\]: unknown instance type "c5\.huge"/],
      ["instanceType beside instanceTypes", { instanceType: "m5.large", instanceTypes: ["c5.2xlarge"] }, /MultusNodeGroup\.instanceType: "m5\.large" is not the first of instanceTypes/],
      ["placementGroup.strategy", { placementGroup: { strategy: "ring" as never } }, /MultusNodeGroup\.placementGroup\.strategy: must be one of cluster, partition, spread/],
      ["spot percentage", { spot: { onDemandPercentageAboveBaseCapacity: 101 } }, /MultusNodeGroup\.spot\.onDemandPercentageAboveBaseCapacity: must be a whole number from 0 to 100/],
      ["volume.kmsKeyId", { volume: { kmsKeyId: "my-key" } }, /MultusNodeGroup\.volume\.kmsKeyId: "my-key" is not a KMS key ARN/],
      ["taints[0].effect", { taints: [{ key: "a", effect: "Never" as never }] }, /MultusNodeGroup\.taints\[0\]\.effect/],
      ["agentPermissions node-role without the CNI policy", { iam: { attachCniPolicy: false }, agentPermissions: "node-role" }, /MultusNodeGroup\.agentPermissions: "node-role" would put ENI permissions/],
      ["bootstrapArguments with --register-with-taints beside taints", { startupTaint: false, taints: [{ key: "a", effect: "NoSchedule" }], bootstrapArguments: "--register-with-taints=b=c:NoSchedule" }, /MultusNodeGroup\.bootstrapArguments: sets --register-with-taints, which would replace the taints/],
      ["a pre-bootstrap script too large for EC2's user data", { preBootstrapScript: `echo ${"x".repeat(20000)}` }, /MultusNodeGroup\.preBootstrapScript: makes the user data \d+ bytes, above EC2's 16384/],
      ["tags", { tags: { "aws:x": "y" } }, /MultusNodeGroup\.tags\.aws:x: is not a valid tag key/],
    ];
    test.each(cases)("WHEN %s is bad THEN the constructor throws naming it", (_name, bad, message) => {
      expect(() => synthNodeGroup(bad)).toThrow(message);
      expect(() => synthNodeGroup(bad)).toThrow(PlanError);
    });
  });

  describe("GIVEN the construct alone with production options", () => {
    test("WHEN attachCniPolicy is false THEN the role has no CNI policy and the agent's policy is a separate one (for IRSA or Pod Identity), not on the role", () => {
      const tf = synthNodeGroup({ iam: { attachCniPolicy: false } });
      expect(resources(tf, "aws_iam_role_policy_attachment").map((a) => String(a.policy_arn).split("/").pop()).sort()).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"]);
      expect(resources(tf, "aws_iam_role_policy")).toEqual([]);
      expect(resources(tf, "aws_iam_policy")).toHaveLength(1);
    });

    test("WHEN one instance type and no spot THEN a plain launch template, no mixed instances policy; WHEN two types without spot THEN an On-Demand mixed policy in their order", () => {
      expect(only(synthNodeGroup(), "aws_autoscaling_group").mixed_instances_policy).toBeUndefined();
      const mixed = only(synthNodeGroup({ instanceTypes: ["c5.2xlarge", "m5.2xlarge"] }), "aws_autoscaling_group").mixed_instances_policy;
      expect(mixed.instances_distribution).toEqual({ on_demand_percentage_above_base_capacity: 100, on_demand_allocation_strategy: "prioritized" });
      expect(mixed.launch_template.override).toEqual([{ instance_type: "c5.2xlarge" }, { instance_type: "m5.2xlarge" }]);
    });

    test("WHEN instanceRefresh is disabled, or a partition placement group is asked for THEN they are synthesized so", () => {
      expect(only(synthNodeGroup({ instanceRefresh: { enabled: false } }), "aws_autoscaling_group").instance_refresh).toBeUndefined();
      expect(only(synthNodeGroup({ placementGroup: { strategy: "partition", partitionCount: 3 } }), "aws_placement_group")).toMatchObject({ strategy: "partition", partition_count: 3 });
    });
  });
});
