import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlanError } from "../../../ipam";
import { unknownNodeConfigFields } from "../../../ipam/nodeadm";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { ENI_TAG_KEYS } from "../../../contract/tags";
import { AGENT_SERVICE_ACCOUNT } from "../../../contract/agent-env";
import { IRSA_ANNOTATION } from "../../../modules/kubernetes/objects/agent";
import { AWS_STACK, buildApp } from "../../../main";
import { parseConfig, planNetwork } from "../../../ipam";
import { Json, PRODUCTION, dataSources, ofGroup, only, production, resources, synthAwsStack, synthConfigStack } from "./helpers";
import { MIME_SKIP, mergeNodeConfigs, nodeConfigDocs, parseMime } from "./mime";

const decode = (lt: Json) => Buffer.from(lt.user_data as string, "base64").toString("utf8");
const tagsOf = (asg: Json) => Object.fromEntries((asg.tag as Json[]).map((t) => [t.key, { value: t.value, propagate: t.propagate_at_launch }]));
const describeMime = MIME_SKIP ? describe.skip : describe;
if (MIME_SKIP) process.stdout.write(`MIME user data checks skipped: ${MIME_SKIP}\n`);

describe("Production node groups (examples/production.config.json)", () => {
  const { tf, plan } = synthConfigStack(PRODUCTION);
  const asg = (g: string) => ofGroup(tf, "aws_autoscaling_group", g)[0]!;
  const lt = (g: string) => ofGroup(tf, "aws_launch_template", g)[0]!;

  describe("GIVEN the default group (sizes only)", () => {
    test("THEN its Auto Scaling group ignores desired_capacity after creation and carries the autoscaler's discovery and node-template tags, not propagated", () => {
      const general = asg("general");
      expect(general.desired_capacity).toBe(2);
      expect(general.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
      const tags = tagsOf(general);
      expect(tags["k8s.io/cluster-autoscaler/enabled"]).toEqual({ value: "true", propagate: false });
      expect(tags["k8s.io/cluster-autoscaler/eks-telco"]).toEqual({ value: "owned", propagate: false });
      expect(tags[`k8s.io/cluster-autoscaler/node-template/label/${MULTUS_NODE_LABEL}`]).toEqual({ value: "general", propagate: false });
      // The startup taint is lifted within minutes: a template with it would keep the autoscaler from scaling up for untolerating pods.
      expect(Object.keys(tags).filter((k) => k.includes("node-template/taint/"))).toEqual([]);
      expect(general.launch_template).toBeDefined();
      expect(general.mixed_instances_policy).toBeUndefined();
    });

    test("THEN the shorthand's default group does the same", () => {
      const one = only(synthAwsStack().tf, "aws_autoscaling_group");
      expect(one.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
      expect(tagsOf(one)["k8s.io/cluster-autoscaler/eks-multus-cluster"]).toEqual({ value: "owned", propagate: false });
    });

    test("WHEN manageDesiredCapacity is true or clusterAutoscaler false THEN Terraform manages the desired capacity, and the tags are left out", () => {
      const { tf: managed } = synthConfigStack(production((c) => Object.assign(c.nodeGroups[0], { manageDesiredCapacity: true, clusterAutoscaler: false })));
      const general = ofGroup(managed, "aws_autoscaling_group", "general")[0]!;
      expect(general.lifecycle).toBeUndefined();
      expect(Object.keys(tagsOf(general)).filter((k) => k.startsWith("k8s.io/cluster-autoscaler"))).toEqual([]);
    });
  });

  describe("GIVEN the dpdk group (every option)", () => {
    test("THEN instances: a mixed instances policy of both types with the Spot distribution, capacity rebalance, instance refresh preferences, a cluster placement group, termination policies, lifetime, grace period and metrics", () => {
      const d = asg("dpdk");
      expect(d.launch_template).toBeUndefined();
      const mixed = d.mixed_instances_policy;
      expect(mixed.launch_template.override).toEqual([{ instance_type: "c5.4xlarge" }, { instance_type: "c5.2xlarge" }]);
      expect(mixed.launch_template.launch_template_specification.launch_template_id).toMatch(/^\$\{aws_launch_template\.node-group-dpdk_launch-template_\w+\.id\}$/);
      expect(mixed.instances_distribution).toEqual({
        on_demand_base_capacity: 1,
        on_demand_percentage_above_base_capacity: 25,
        spot_allocation_strategy: "price-capacity-optimized",
        on_demand_allocation_strategy: "prioritized",
      });
      expect(d.capacity_rebalance).toBe(true);
      expect(d.instance_refresh).toEqual({ strategy: "Rolling", preferences: { min_healthy_percentage: 90, max_healthy_percentage: 120, instance_warmup: "300", skip_matching: true } });
      const pg = ofGroup(tf, "aws_placement_group", "dpdk");
      expect(pg).toHaveLength(1);
      expect(pg[0]).toMatchObject({ strategy: "cluster", name: "eks-telco-dpdk" });
      expect(d.placement_group).toMatch(/^\$\{aws_placement_group\.node-group-dpdk_placement-group_\w+\.name\}$/);
      expect(d).toMatchObject({ termination_policies: ["OldestLaunchTemplate", "Default"], max_instance_lifetime: 604800, health_check_grace_period: 600 });
      expect(d).toMatchObject({ enabled_metrics: ["GroupDesiredCapacity", "GroupInServiceInstances"], metrics_granularity: "1Minute" });
      // The launch template's own type is the first; kubelet max-pods the smallest of the two.
      expect(lt("dpdk").instance_type).toBe("c5.4xlarge");
      expect(plan.groups.find((g) => g.name === "dpdk")!.kubeletMaxPods).toBe(44);
      expect(ofGroup(tf, "aws_placement_group", "general")).toEqual([]);
    });

    test("THEN volumes: a KMS-encrypted gp3 root volume with its IOPS and throughput, and the extra volume", () => {
      const [root, extra] = lt("dpdk").block_device_mappings as Json[];
      const key = PRODUCTION.nodeGroups[1].volume.kmsKeyId;
      expect(root).toEqual({ device_name: "/dev/xvda", ebs: { volume_size: 100, volume_type: "gp3", iops: 6000, throughput: 500, kms_key_id: key, encrypted: "true", delete_on_termination: "true" } });
      expect(extra).toEqual({ device_name: "/dev/xvdb", ebs: { volume_size: 200, volume_type: "gp3", kms_key_id: key, encrypted: "true", delete_on_termination: "true" } });
      // The default group keeps the account's default EBS key.
      expect((lt("general").block_device_mappings as Json[])[0].ebs.kms_key_id).toBeUndefined();
    });

    test("THEN the node's label and taint are in its scale-from-zero template too, beside the caller's group tags", () => {
      const tags = tagsOf(asg("dpdk"));
      expect(tags["k8s.io/cluster-autoscaler/node-template/label/workload.example.com/class"]).toEqual({ value: "dpdk", propagate: false });
      expect(tags["k8s.io/cluster-autoscaler/node-template/taint/workload.example.com/dpdk"]).toEqual({ value: "true:NoSchedule", propagate: false });
      expect(tags["k8s.io/cluster-autoscaler/node-template/resources/hugepages-2Mi"]).toEqual({ value: "4Gi", propagate: false });
    });

    test("THEN IAM: no CNI policy and no agent permission on its node role, which takes the path, boundary and the top-level SSM policy; the default group's keeps the CNI policy", () => {
      const attached = (g: string) => ofGroup(tf, "aws_iam_role_policy_attachment", g);
      const named = (g: string) => attached(g).filter((a) => !a.for_each).map((a) => String(a.policy_arn).split("/").pop()).sort();
      expect(named("dpdk")).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy"]);
      expect(named("general")).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]);
      for (const g of ["dpdk", "general"]) {
        const extra = attached(g).find((a) => a.for_each)!;
        expect(extra.for_each).toContain("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        expect(extra.policy_arn).toBe("${each.value}");
        // The agent has a role of its own: no node role carries its ENI permissions.
        expect(ofGroup(tf, "aws_iam_role_policy", g)).toEqual([]);
      }
      const role = ofGroup(tf, "aws_iam_role", "dpdk")[0]!;
      expect(role).toMatchObject({ name_prefix: "dpdk-node-", path: "/telco/", permissions_boundary: PRODUCTION.nodeGroups[1].iam.permissionsBoundary });
    });

    test("THEN the node agent's own role: trusted by EKS Pod Identity, associated with the agent's service account, its policy scoped to both groups' ENI tags", () => {
      const association = only(tf, "aws_eks_pod_identity_association");
      expect(association).toMatchObject({ cluster_name: "eks-telco", namespace: AGENT_SERVICE_ACCOUNT.namespace, service_account: AGENT_SERVICE_ACCOUNT.name });
      const roleId = Object.keys(tf.resource.aws_iam_role).find((id) => id.startsWith("node-agent-role_"))!;
      expect(association.role_arn).toBe(`\${aws_iam_role.${roleId}.arn}`);
      const trust = tf.data.aws_iam_policy_document[Object.keys(tf.data.aws_iam_policy_document).find((id) => id.startsWith("node-agent-role_assume-role"))!];
      expect(trust.statement).toEqual([{ effect: "Allow", actions: ["sts:AssumeRole", "sts:TagSession"], principals: [{ type: "Service", identifiers: ["pods.eks.amazonaws.com"] }] }]);
      const policy = tf.data.aws_iam_policy_document[Object.keys(tf.data.aws_iam_policy_document).find((id) => id.startsWith("node-agent-role_policy-document"))!];
      const assign = (policy.statement as Json[]).find((s) => s.sid === "AssignPodAddressesOnOwnEnis")!;
      expect(assign.condition).toEqual([{ test: "StringEquals", variable: `aws:ResourceTag/${ENI_TAG_KEYS.nodeGroup}`, values: ["eks-telco-general", "eks-telco-dpdk"] }]);
      expect(Object.keys(tf.resource.aws_iam_role_policy).filter((id) => id.startsWith("node-agent-role_"))).toHaveLength(1);
      expect(tf.output.node_agent_role_arn.value).toBe(`\${aws_iam_role.${roleId}.arn}`);
    });

    test("THEN lifecycle hooks: the caller's beside the multus ones, from creation and as resources; the Lambda's rule still sees only the multus hooks", () => {
      const initial = asg("dpdk").initial_lifecycle_hook as Json[];
      expect(initial.map((h) => h.name).sort()).toEqual(["drain-notifier", "multus-launch", "multus-terminate"]);
      const mine = PRODUCTION.nodeGroups[1].lifecycleHooks[0];
      expect(initial.find((h) => h.name === "drain-notifier")).toEqual({
        name: "drain-notifier",
        lifecycle_transition: "autoscaling:EC2_INSTANCE_TERMINATING",
        default_result: "CONTINUE",
        heartbeat_timeout: 600,
        notification_target_arn: mine.notificationTargetArn,
        role_arn: mine.roleArn,
      });
      expect(ofGroup(tf, "aws_autoscaling_lifecycle_hook", "dpdk").map((h) => h.name).sort()).toEqual(["drain-notifier", "multus-launch", "multus-terminate"]);
      const rule = resources(tf, "aws_cloudwatch_event_rule").find((r) => r.event_pattern)!;
      expect(JSON.parse(rule.event_pattern).detail.LifecycleHookName.sort()).toEqual(["multus-launch", "multus-terminate"]);
    });

    test("THEN the Lambda's code comes from the S3 object, with no local asset", () => {
      const fn = only(tf, "aws_lambda_function");
      expect(fn).toMatchObject({ s3_bucket: PRODUCTION.lambda.s3Bucket, s3_key: PRODUCTION.lambda.s3Key });
      expect(fn.filename).toBeUndefined();
      expect(fn.source_code_hash).toBeUndefined();
    });

    test("THEN tags: the config's on every resource, the group's on its own, and each per-resource map where Auto Scaling expects it", () => {
      const rt = PRODUCTION.nodeGroups[1].resourceTags;
      const common = { ...PRODUCTION.tags, workload: "dpdk" };
      const specs = Object.fromEntries((lt("dpdk").tag_specifications as Json[]).map((s) => [s.resource_type, s.tags]));
      const nameTags = { Name: "eks-telco-dpdk-Node", "kubernetes.io/cluster/eks-telco": "owned" };
      expect(specs.instance).toEqual({ ...common, ...nameTags, ...rt.instance });
      expect(specs.volume).toEqual({ ...common, ...nameTags, ...rt.volume });
      expect(specs["network-interface"]).toEqual({ ...common, ...rt.networkInterface });
      expect(lt("dpdk").tags).toEqual({ ...common, ...rt.launchTemplate });
      const tags = tagsOf(asg("dpdk"));
      // Group tags reach the instances (propagate_at_launch); the group's own map stays on the group.
      for (const [k, v] of Object.entries({ ...common, ...nameTags, ...rt.instance })) expect(tags[k]).toEqual({ value: v, propagate: true });
      for (const [k, v] of Object.entries(rt.autoScalingGroup)) expect(tags[k]).toEqual({ value: v, propagate: false });
      expect(tags.owner).toBeUndefined();
      expect(ofGroup(tf, "aws_iam_role", "dpdk")[0]!.tags).toEqual(common);
      expect(ofGroup(tf, "aws_iam_role", "general")[0]!.tags).toEqual(PRODUCTION.tags);
      expect(only(tf, "aws_lambda_function").tags).toEqual(PRODUCTION.tags);
    });
  });

  describeMime("GIVEN the dpdk group's user data, parsed as cloud-init parses it", () => {
    const text = decode(lt("dpdk"));
    const mime = parseMime(text);

    test("THEN it is a valid MIME multipart: the pre-bootstrap script first, our NodeConfig, the caller's, the host script, the post-bootstrap script", () => {
      expect(mime).toMatchObject({ multipart: true, contentType: "multipart/mixed", boundary: "MULTUSBOUNDARY", defects: [] });
      expect(mime.parts.map((p) => p.contentType)).toEqual(["text/x-shellscript", "application/node.eks.aws", "application/node.eks.aws", "text/x-shellscript", "text/x-shellscript"]);
      expect(mime.parts[0]!.body).toContain("sysctl -w vm.nr_hugepages=2048");
      expect(mime.parts[0]!.body.startsWith("#!/bin/bash\n")).toBe(true);
      expect(mime.parts[3]!.body).toContain("multus-eni");
      expect(mime.parts[4]!.body).toContain("hugepages-2048kB");
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(16384);
    });

    test("THEN every NodeConfig has only fields of nodeadm's API (v20260724), and their merge (as nodeadm merges) holds the plan's max-pods, the startup taint and the group's taint, its labels and the caller's kubelet settings", () => {
      const docs = nodeConfigDocs(mime);
      expect(docs).toHaveLength(2);
      for (const d of docs) {
        expect(Object.keys(d).sort()).toEqual(["apiVersion", "kind", "spec"]);
        expect(unknownNodeConfigFields(d.spec)).toEqual([]);
      }
      const merged = mergeNodeConfigs(docs).spec;
      expect(merged.cluster.name).toBe("eks-telco");
      expect(merged.kubelet.config).toMatchObject({ maxPods: 44, cpuManagerPolicy: "static", topologyManagerPolicy: "single-numa-node", reservedSystemCPUs: "0-1" });
      expect(merged.kubelet.config.registerWithTaints).toEqual([{ ...STARTUP_TAINT }, { key: "workload.example.com/dpdk", value: "true", effect: "NoSchedule" }]);
      const labels = (merged.kubelet.flags as string[]).filter((f) => f.startsWith("--node-labels=")).flatMap((f) => f.slice("--node-labels=".length).split(","));
      expect(labels.sort()).toEqual([`${MULTUS_NODE_LABEL}=dpdk`, "workload.example.com/class=dpdk"]);
      // The caller's flags come after ours (appended).
      expect((merged.kubelet.flags as string[]).at(-1)).toBe("--v=2");
    });

    test("WHEN the group is AL2 (no NodeConfig) THEN the scripts go around bootstrap.sh, which registers both taints and the labels", () => {
      const { tf: al2 } = synthConfigStack(production((c) => Object.assign(c.nodeGroups[1], { amiFamily: "al2", nodeConfig: undefined })));
      const m = parseMime(decode(ofGroup(al2, "aws_launch_template", "dpdk")[0]!));
      expect(m.defects).toEqual([]);
      expect(m.parts.map((p) => p.contentType)).toEqual(["text/x-shellscript", "text/x-shellscript", "text/x-shellscript"]);
      expect(m.parts[0]!.body).toContain("vm.nr_hugepages");
      expect(m.parts[1]!.body).toContain("/etc/eks/bootstrap.sh");
      expect(m.parts[1]!.body).toContain(`--register-with-taints=${STARTUP_TAINT.key}=true:NoSchedule,workload.example.com/dpdk=true:NoSchedule`);
      expect(m.parts[1]!.body).toContain("--node-labels=workload.example.com/class=dpdk,");
      expect(m.parts[2]!.body).toContain("hugepages-2048kB");
    });
  });

  describe("GIVEN IAM variants", () => {
    test("WHEN the node agent uses IRSA THEN its role trusts the OIDC provider for exactly its service account, with no Pod Identity association", () => {
      const provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
      const { tf: irsa } = synthConfigStack(production((c) => (c.iam.nodeAgent = { credentials: "irsa", oidcProviderArn: provider })));
      expect(resources(irsa, "aws_eks_pod_identity_association")).toEqual([]);
      const trust = irsa.data.aws_iam_policy_document[Object.keys(irsa.data.aws_iam_policy_document).find((id) => id.startsWith("node-agent-role_assume-role"))!];
      const issuer = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
      expect(trust.statement[0]).toMatchObject({ actions: ["sts:AssumeRoleWithWebIdentity"], principals: [{ type: "Federated", identifiers: [provider] }] });
      expect(trust.statement[0].condition).toEqual([
        { test: "StringEquals", variable: `${issuer}:sub`, values: [`system:serviceaccount:${AGENT_SERVICE_ACCOUNT.namespace}:${AGENT_SERVICE_ACCOUNT.name}`] },
        { test: "StringEquals", variable: `${issuer}:aud`, values: ["sts.amazonaws.com"] },
      ]);
    });

    test("WHEN a group names an existing role and instance profile THEN neither is created, and the launch template and access entry use them", () => {
      const roleArn = "arn:aws:iam::111122223333:role/platform/eks-general-node";
      const profile = "arn:aws:iam::111122223333:instance-profile/eks-general-node";
      const { tf: existing } = synthConfigStack(production((c) => (c.nodeGroups[0].iam = { roleArn, instanceProfileArn: profile, additionalPolicyArns: [] })));
      expect(ofGroup(existing, "aws_iam_role", "general")).toEqual([]);
      expect(ofGroup(existing, "aws_iam_instance_profile", "general")).toEqual([]);
      expect(ofGroup(existing, "aws_iam_role_policy_attachment", "general")).toEqual([]);
      expect(ofGroup(existing, "aws_launch_template", "general")[0]!.iam_instance_profile).toEqual({ arn: profile });
      expect(ofGroup(existing, "aws_eks_access_entry", "general")[0]!.principal_arn).toBe(roleArn);
    });

    test("WHEN only the role is given THEN a profile is made for it, by the role's name", () => {
      const roleArn = "arn:aws:iam::111122223333:role/platform/eks-general-node";
      const { tf: existing } = synthConfigStack(production((c) => (c.nodeGroups[0].iam = { roleArn, additionalPolicyArns: [] })));
      expect(ofGroup(existing, "aws_iam_instance_profile", "general")[0]!.role).toBe("eks-general-node");
    });

    test("WHEN attachCniPolicy is false and the agent is put back on the node role THEN the construct refuses it, naming the prop", () => {
      expect(() => synthConfigStack(PRODUCTION, { nodeGroups: { dpdk: { agentPermissions: "node-role" } } })).toThrow(PlanError);
      expect(() => synthConfigStack(PRODUCTION, { nodeGroups: { dpdk: { agentPermissions: "node-role" } } })).toThrow(/MultusNodeGroup\.agentPermissions: "node-role" would put ENI permissions on a node role/);
    });
  });

  describe("GIVEN module mode", () => {
    const { tf: mod } = synthConfigStack(PRODUCTION, { mode: "module" });

    test("THEN the group's KMS key, Spot split, node role policies and boundary, and the Lambda's S3 object are variables with the config's values as defaults, validated", () => {
      const v = mod.variable;
      expect(v.dpdk_volume_kms_key_id.default).toBe(PRODUCTION.nodeGroups[1].volume.kmsKeyId);
      expect(v.dpdk_volume_kms_key_id.validation[0].condition).toContain("can(regex(");
      expect(v.general_volume_kms_key_id.default).toBe("");
      expect(v.dpdk_on_demand_base_capacity.default).toBe(1);
      expect(v.dpdk_on_demand_percentage_above_base_capacity.default).toBe(25);
      expect(v.general_on_demand_base_capacity).toBeUndefined();
      expect(v.dpdk_additional_policy_arns.default).toEqual(["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
      expect(v.dpdk_permissions_boundary.default).toBe(PRODUCTION.nodeGroups[1].iam.permissionsBoundary);
      expect([v.lambda_s3_bucket.default, v.lambda_s3_key.default, v.lambda_s3_object_version.default]).toEqual([PRODUCTION.lambda.s3Bucket, PRODUCTION.lambda.s3Key, ""]);
      const root = (ofGroup(mod, "aws_launch_template", "dpdk")[0]!.block_device_mappings as Json[])[0].ebs;
      expect(root.kms_key_id).toBe('${var.dpdk_volume_kms_key_id == "" ? null : var.dpdk_volume_kms_key_id}');
      const d = ofGroup(mod, "aws_autoscaling_group", "dpdk")[0]!;
      expect(d.mixed_instances_policy.instances_distribution.on_demand_percentage_above_base_capacity).toBe("${var.dpdk_on_demand_percentage_above_base_capacity}");
      expect(ofGroup(mod, "aws_iam_role_policy_attachment", "dpdk").find((a) => a.for_each)!.for_each).toBe("${toset(var.dpdk_additional_policy_arns)}");
      expect(only(mod, "aws_lambda_function").s3_bucket).toBe("${var.lambda_s3_bucket}");
    });
  });

  describe("GIVEN the app (main.ts) on the production config", () => {
    const config = parseConfig(PRODUCTION);
    const readStack = (outdir: string, stack: string) => JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
    const agentServiceAccount = (addons: Json) =>
      Object.values(addons.resource.kubernetes_manifest as Record<string, Json>).map((r) => r.manifest).find((m) => m.kind === "ServiceAccount" && m.metadata.name === AGENT_SERVICE_ACCOUNT.name)!;

    test("THEN the agent's service account carries nothing (Pod Identity), and no bundle is needed with the code in S3", () => {
      const outdir = mkdtempSync(join(tmpdir(), "multus-prod-"));
      buildApp({ config, plan: planNetwork(config), outdir }).app.synth();
      expect(agentServiceAccount(readStack(outdir, "multus-k8s-addons")).metadata.annotations).toBeUndefined();
      expect(readStack(outdir, AWS_STACK).resource.aws_eks_pod_identity_association).toBeDefined();
    });

    test("WHEN the agent uses IRSA THEN its service account is annotated with the agent role's ARN from the AWS stack", () => {
      const irsa = parseConfig(production((c) => (c.iam.nodeAgent = { credentials: "irsa", oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE" })));
      const outdir = mkdtempSync(join(tmpdir(), "multus-prod-irsa-"));
      buildApp({ config: irsa, plan: planNetwork(irsa), outdir }).app.synth();
      const annotation = agentServiceAccount(readStack(outdir, "multus-k8s-addons")).metadata.annotations[IRSA_ANNOTATION];
      // A reference across stacks: the AWS stack's output of the role's ARN, read from its state.
      expect(annotation).toMatch(/^\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]*node-agent-role_\w+arn\}$/);
    });
  });

  test("GIVEN the dpdk group THEN the data sources stay offline-safe (policy documents, partition, region)", () => {
    const kinds = Object.keys(tf.data ?? {}).sort();
    expect(kinds).toEqual(["aws_iam_policy_document", "aws_partition", "aws_region"]);
    expect(dataSources(tf, "aws_iam_policy_document").length).toBeGreaterThan(0);
  });
});
