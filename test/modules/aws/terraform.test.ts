import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AWS_STACK, buildApp } from "../../../main";
import { MultusConfig, NetworkPlan, parseConfig, planNetwork } from "../../../ipam";
import { LAMBDA_CLUSTER_ENV, parseLambdaGroups } from "../../../contract/lambda-env";
import { EXAMPLE } from "../../ipam/cluster-helpers";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));
import { PRODUCTION, defaultSetup, fakeBundle } from "./helpers";
import { MIME_SKIP, parseMime } from "./mime";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { STARTUP_TAINT } from "../../../contract/node-network";

/**
 * Real Terraform over the synthesized JSON, offline: the aws provider comes from the local
 * mirror (/opt/tf-plugins), credentials are fake and the provider skips every account lookup
 * (see shared NOTES: `terraform plan -refresh=false` works offline that way). Skipped, with the
 * reason printed, where terraform or the mirror is missing.
 */
const PLUGIN_DIR = "/opt/tf-plugins";
const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
const skipReason = !hasTerraform ? "terraform is not on PATH" : !existsSync(PLUGIN_DIR) ? `${PLUGIN_DIR} (provider mirror) is missing` : "";
if (skipReason) process.stdout.write(`terraform tests skipped: ${skipReason}\n`);
const describeTf = skipReason ? describe.skip : describe;

const run = promisify(execFile);
const ENV = {
  ...process.env,
  TF_IN_AUTOMATION: "1",
  CHECKPOINT_DISABLE: "1",
  TF_CLI_CONFIG_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
};

async function terraform(dir: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("terraform", args, { cwd: dir, env: ENV, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${dir}:\n${e.stderr || e.stdout || e.message}`);
  }
}

interface Checked {
  planned: number;
}

/** `npm run plan:offline -- DIR [PLAN FLAGS]` as a user runs it: plan (validation included) with the offline override. */
async function planOffline(dir: string, ...planFlags: string[]): Promise<Checked> {
  let out: string;
  try {
    out = (await run("bash", [join(__dirname, "../../../scripts/plan-offline.sh"), dir, ...planFlags], { env: ENV, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`plan-offline failed in ${dir}:\n${e.stderr || e.stdout || e.message}`);
  }
  const m = /Plan: (\d+) to add, 0 to change, 0 to destroy/.exec(out);
  if (!m) throw new Error(`no plan summary in:\n${out}`);
  return { planned: Number(m[1]) };
}

/** The AWS stack alone as a module, to be called from an HCL root. */
function synthModule(config: MultusConfig, plan: NetworkPlan, work: string): string {
  buildApp({ config, plan, outdir: work, bundlePath: fakeBundle(), mode: "module" }).app.synth();
  return join(work, "stacks", AWS_STACK);
}

/**
 * The app synthesized into `work` as `npm run synth` writes it (root mode: npm run plan:offline
 * adds the offline credentials itself) and the AWS stack as a module, to be called from an HCL root.
 */
function synthRootAndModule(config: MultusConfig, plan: NetworkPlan, work: string): { rootDir: string; moduleDir: string } {
  const rootOut = join(work, "root");
  buildApp({ config, plan, outdir: rootOut, bundlePath: fakeBundle() }).app.synth();
  return { rootDir: join(rootOut, "stacks", AWS_STACK), moduleDir: synthModule(config, plan, join(work, "module")) };
}

interface ModuleCall {
  readonly name: string;
  readonly source: string;
  /** `name = value` lines beside the cluster's ids. */
  readonly inputs: string[];
  readonly output: string;
}

/**
 * Hand-written HCL beside a synthesized root stack (`modules.tf` in its directory, so one root
 * module): each module called with the cluster's ids and its `inputs`, one of its outputs passed
 * on. The stack's aws provider (with plan:offline's override) serves every call.
 */
function callModulesFrom(dir: string, calls: ModuleCall[]): string {
  writeFileSync(
    join(dir, "modules.tf"),
    [
      ...calls.flatMap((c) => [
        `module "${c.name}" {`,
        `  source                        = "${c.source}"`,
        `  cluster_endpoint              = "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com"`,
        `  cluster_certificate_authority = "LS0tLS1CRUdJTg=="`,
        `  cluster_security_group_id     = "sg-0123456789abcdef0"`,
        `  vpc_id                        = "vpc-0123456789abcdef0"`,
        ...c.inputs.map((line) => `  ${line}`),
        `}`,
        `output "${c.name}_${c.output}" { value = module.${c.name}.${c.output} }`,
      ]),
      "",
    ].join("\n"),
  );
  return dir;
}

/**
 * Resources the plan adds: one per resource block, and per for_each block as many as its set
 * holds (`forEach`: by logical id, for those that a module variable's default feeds; none: 0).
 */
function resourceCount(tf: { resource?: Record<string, Record<string, unknown>> }, forEach: Record<string, number> = {}): number {
  return Object.values(tf.resource ?? {}).reduce(
    (n, byId) => n + Object.entries(byId).reduce((m, [id, r]) => m + ((r as { for_each?: unknown }).for_each === undefined ? 1 : (forEach[id] ?? 0)), 0),
    0,
  );
}

/** Planned creates of managed resources in one module call (or in the root, with no name); data sources read at apply are left out. */
function changesOf(json: any, moduleName?: string): any[] {
  return (json.resource_changes as any[]).filter((r) => r.mode === "managed" && r.change.actions.includes("create") && (moduleName ? r.module_address === `module.${moduleName}` : r.module_address === undefined));
}

const readTf = (dir: string) => JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as { resource?: Record<string, Record<string, unknown>> };

/** The inputs of a cluster-form module: multus subnets, each group's subnets and AMI, each network's security groups. */
function clusterInputs(config: MultusConfig, plan: NetworkPlan): string[] {
  return [
    `multus_subnet_ids = ${JSON.stringify(plan.subnets.map((_, i) => `subnet-0123456789abcde${i}f`))}`,
    ...config.nodeGroups.flatMap((g) => [`${g.name.replace(/-/g, "_")}_node_subnet_ids = ["subnet-0123456789abcdef0"]`, `${g.name.replace(/-/g, "_")}_ami_id = "ami-0123456789abcdef0"`]),
    ...config.networks.map((n, i) => `${n.name}_security_group_ids = ["sg-0123456789abcdef${i}"]`),
  ];
}

/**
 * Every check in one beforeAll, on one terraform root: the example cluster's root stack, as `npm
 * run plan:offline` plans it, with HCL beside it that calls the default, cluster, production and
 * mixed (autoscaling, karpenter and managed groups) stacks as modules. Each terraform command
 * loads the 700 MB provider, seconds of CPU: one plan (validation included) and one show cover it all.
 */
describeTf("GIVEN terraform and the aws provider mirror", () => {
  const defaults = defaultSetup();
  const cluster = { config: parseConfig(EXAMPLE) };
  const clusterPlan = planNetwork(cluster.config);
  // examples/production.config.json: a default group and one with every production option.
  const prodConfig = parseConfig(PRODUCTION);
  const prodPlan = planNetwork(prodConfig);
  let prodTf: ReturnType<typeof readTf>;
  let prodForEach: Record<string, number> = {};
  // examples/mixed.config.json: an autoscaling, a karpenter and a managed group on one network.
  const mixedConfig = parseConfig(MIXED);
  const mixedPlan = planNetwork(mixedConfig);
  let mixedTf: ReturnType<typeof readTf>;
  const work = mkdtempSync(join(tmpdir(), "multus-tf-"));
  let rootResult: Checked;
  let rootLeftOver: string[] = [];
  let clusterTf: ReturnType<typeof readTf>;
  let called: { planned: number; json: any };
  let moduleTf: ReturnType<typeof readTf>;
  let clusterModuleTf: ReturnType<typeof readTf>;

  beforeAll(async () => {
    // The example cluster as `npm run synth` writes it (its root stack), and each app's AWS
    // stack as a module called from HCL beside it.
    mkdirSync(join(work, "cluster"));
    const byDefault = { moduleDir: synthModule(defaults.config, defaults.plan, join(work, "default")) };
    const byCluster = synthRootAndModule(cluster.config, clusterPlan, join(work, "cluster"));
    [moduleTf, clusterTf, clusterModuleTf] = [byDefault.moduleDir, byCluster.rootDir, byCluster.moduleDir].map(readTf);
    const prodOut = join(work, "production");
    buildApp({ config: prodConfig, plan: prodPlan, outdir: prodOut, mode: "module" }).app.synth();
    const prodDir = join(prodOut, "stacks", AWS_STACK);
    prodTf = readTf(prodDir);
    // The node roles' additional policies: one attachment per ARN of the variable's default (the top-level SSM policy).
    const mixedOut = join(work, "mixed");
    buildApp({ config: mixedConfig, plan: mixedPlan, outdir: mixedOut, bundlePath: fakeBundle(), mode: "module" }).app.synth();
    const mixedDir = join(mixedOut, "stacks", AWS_STACK);
    mixedTf = readTf(mixedDir);
    prodForEach = Object.fromEntries(Object.keys(prodTf.resource!.aws_iam_role_policy_attachment!).filter((id) => id.includes("node-additional")).map((id) => [id, 1]));
    const root = callModulesFrom(byCluster.rootDir, [
      {
        name: "multus",
        source: byDefault.moduleDir,
        inputs: [
          `node_subnet_ids = ["subnet-0123456789abcdef0"]`,
          `multus_subnet_ids = ${JSON.stringify(defaults.config.multus.subnets.map((_, i) => `subnet-0123456789abcde${i}f`))}`,
          `multus_security_group_ids = ["sg-0123456789abcdef1"]`,
          `ami_id = "ami-0123456789abcdef0"`,
        ],
        output: "autoscaling_group_name",
      },
      {
        name: "cluster",
        source: byCluster.moduleDir,
        inputs: clusterInputs(cluster.config, clusterPlan),
        output: "autoscaling_group_names",
      },
      // The caller's tags variable, over the config's own `team` tag.
      { name: "production", source: prodDir, inputs: [...clusterInputs(prodConfig, prodPlan), `tags = { team = "x" }`], output: "node_agent_role_arn" },
      { name: "mixed", source: mixedDir, inputs: clusterInputs(mixedConfig, mixedPlan), output: "eks_node_group_arns" },
    ]);
    rootResult = await planOffline(root, "-out=tf.plan");
    rootLeftOver = readdirSync(root).filter((f) => f.endsWith("_override.tf.json"));
    called = { planned: rootResult.planned, json: JSON.parse(await terraform(root, "show", "-json", "-no-color", "tf.plan")) };
  }, 180000);

  test("WHEN the example cluster's root synth is planned (npm run plan:offline) THEN it plans every resource, with one Auto Scaling group per node group, and leaves no override behind", () => {
    expect(rootLeftOver).toEqual([]);
    expect(resourceCount(clusterTf)).toBeGreaterThan(0);
    expect(changesOf(called.json)).toHaveLength(resourceCount(clusterTf));
    expect(changesOf(called.json).filter((r) => r.type === "aws_autoscaling_group")).toHaveLength(cluster.config.nodeGroups.length);
  });

  test("WHEN HCL in the root calls the default stack as a module THEN it plans every module resource", () => {
    expect(changesOf(called.json, "multus")).toHaveLength(resourceCount(moduleTf));
  });

  test("WHEN HCL in the root calls the cluster stack as a module THEN it plans every module resource, and the Lambda's planned environment reads back with the caller's ids", () => {
    const changes = changesOf(called.json, "cluster");
    expect(changes).toHaveLength(resourceCount(clusterModuleTf));
    expect(called.planned).toBe(resourceCount(clusterTf) + resourceCount(moduleTf) + resourceCount(clusterModuleTf) + resourceCount(prodTf, prodForEach) + resourceCount(mixedTf));
    const fn = changes.find((r) => r.type === "aws_lambda_function");
    const env = fn.change.after.environment[0].variables as Record<string, string>;
    const groups = parseLambdaGroups(env);
    expect(groups.map((g) => g.autoScalingGroupName).sort()).toEqual(["eks-multus-cluster-cnf-a", "eks-multus-cluster-cnf-b", "eks-multus-cluster-edge"]);
    const storage = groups[0]!.subnets.find((s) => s.network === "storage")!;
    expect(storage.securityGroupIds).toEqual(["sg-0123456789abcdef1"]);
    expect(storage.id).toMatch(/^subnet-0123456789abcde\df$/);
    expect(env[LAMBDA_CLUSTER_ENV.networks]).not.toContain("${");
  });
  // The production example, planned in the same HCL root: one check per option group.
  const prod = (type: string, group?: string) => changesOf(called.json, "production").filter((r) => r.type === type && (group === undefined || r.address.includes(`node-group-${group}_`)));

  test("WHEN HCL in the root calls the production stack as a module THEN it plans every module resource", () => {
    expect(changesOf(called.json, "production")).toHaveLength(resourceCount(prodTf, prodForEach));
  });

  test("WHEN the production module is planned THEN instances: the dpdk group's mixed instances policy (both types, the Spot split from its variables' defaults) and its cluster placement group; the default group's autoscaler tags", () => {
    const [asg] = prod("aws_autoscaling_group", "dpdk").map((r) => r.change.after);
    const mixed = asg.mixed_instances_policy[0];
    expect(mixed.launch_template[0].override.map((o: any) => o.instance_type)).toEqual(["c5.4xlarge", "c5.2xlarge"]);
    expect(mixed.instances_distribution[0]).toMatchObject({ on_demand_base_capacity: 1, on_demand_percentage_above_base_capacity: 25, spot_allocation_strategy: "price-capacity-optimized" });
    expect(asg).toMatchObject({ capacity_rebalance: true, max_instance_lifetime: 604800, health_check_grace_period: 600, termination_policies: ["OldestLaunchTemplate", "Default"] });
    expect(prod("aws_placement_group").map((r) => r.change.after)).toEqual([expect.objectContaining({ strategy: "cluster", name: "eks-telco-dpdk" })]);
    const [general] = prod("aws_autoscaling_group", "general").map((r) => r.change.after);
    expect(general.tag).toContainEqual({ key: "k8s.io/cluster-autoscaler/enabled", value: "true", propagate_at_launch: false });
    expect(general.tag).toContainEqual({ key: `k8s.io/cluster-autoscaler/node-template/label/${MULTUS_NODE_LABEL}`, value: "general", propagate_at_launch: false });
  });

  test("WHEN the production module is planned THEN volumes: the KMS key from the group's variable on the gp3 root volume", () => {
    const [tpl] = prod("aws_launch_template", "dpdk").map((r) => r.change.after);
    expect(tpl.block_device_mappings[0].ebs[0]).toMatchObject({ volume_type: "gp3", volume_size: 100, iops: 6000, throughput: 500, kms_key_id: PRODUCTION.nodeGroups[1].volume.kmsKeyId, encrypted: "true" });
  });

  (MIME_SKIP ? test.skip : test)("WHEN the production module is planned THEN nodes: the planned user data is a MIME multipart with the hugepages script first and the taint on the node", () => {
    const [tpl] = prod("aws_launch_template", "dpdk").map((r) => r.change.after);
    const mime = parseMime(Buffer.from(tpl.user_data, "base64").toString("utf8"));
    expect(mime.defects).toEqual([]);
    expect(mime.parts[0]!.body).toContain("vm.nr_hugepages");
    const nodeConfig = mime.parts.find((p) => p.contentType === "application/node.eks.aws")!.body;
    expect(nodeConfig).toContain("key: workload.example.com/dpdk");
    expect(nodeConfig).toContain(`key: ${STARTUP_TAINT.key}`);
    // The module's variables reached the NodeConfig.
    expect(nodeConfig).toContain("apiServerEndpoint: https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com");
  });

  test("WHEN the production module is planned THEN IAM: no CNI policy on the dpdk node role, the SSM policy on both, and the agent's own role with its Pod Identity association", () => {
    const policies = (g: string) => prod("aws_iam_role_policy_attachment", g).map((r) => String(r.change.after.policy_arn).split("/").pop()).sort();
    expect(policies("dpdk")).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonSSMManagedInstanceCore"]);
    expect(policies("general")).toEqual(["AmazonEC2ContainerRegistryReadOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"]);
    expect(prod("aws_iam_role_policy", "dpdk")).toEqual([]);
    const [association] = prod("aws_eks_pod_identity_association").map((r) => r.change.after);
    expect(association).toMatchObject({ cluster_name: "eks-telco", namespace: "kube-system", service_account: "multus-node-agent" });
    expect(prod("aws_iam_role").filter((r) => r.address.includes("node-agent-role_"))).toHaveLength(1);
    expect(prod("aws_iam_role", "dpdk")[0].change.after).toMatchObject({ path: "/telco/", permissions_boundary: PRODUCTION.nodeGroups[1].iam.permissionsBoundary });
  });

  test("WHEN the production module is planned THEN the caller's lifecycle hook, the Lambda's S3 code and the per-resource tags are planned", () => {
    expect(prod("aws_autoscaling_lifecycle_hook", "dpdk").map((r) => r.change.after.name).sort()).toEqual(["drain-notifier", "multus-launch", "multus-terminate"]);
    const [fn] = prod("aws_lambda_function").map((r) => r.change.after);
    expect(fn).toMatchObject({ s3_bucket: PRODUCTION.lambda.s3Bucket, s3_key: PRODUCTION.lambda.s3Key, s3_object_version: null });
    const [tpl] = prod("aws_launch_template", "dpdk").map((r) => r.change.after);
    const specs = Object.fromEntries(tpl.tag_specifications.map((t: any) => [t.resource_type, t.tags]));
    expect(specs.volume).toMatchObject(PRODUCTION.nodeGroups[1].resourceTags.volume);
    expect(specs["network-interface"]).toMatchObject(PRODUCTION.nodeGroups[1].resourceTags.networkInterface);
    expect(tpl.tags).toMatchObject(PRODUCTION.nodeGroups[1].resourceTags.launchTemplate);
  });

  test("WHEN the production module is called with tags = { team = \"x\" } THEN every tagged resource, tag specification and propagated group tag carries it over the config's team, beside the config's other tags", () => {
    const tagged = changesOf(called.json, "production").filter((r) => r.change.after.tags != null);
    expect(tagged.length).toBeGreaterThan(10);
    for (const r of tagged) expect({ address: r.address, tags: r.change.after.tags }).toEqual({ address: r.address, tags: expect.objectContaining({ team: "x", "cost-center": PRODUCTION.tags["cost-center"] }) });
    for (const tpl of prod("aws_launch_template").map((r) => r.change.after)) {
      for (const spec of tpl.tag_specifications) expect(spec.tags).toMatchObject({ team: "x" });
    }
    for (const asg of prod("aws_autoscaling_group").map((r) => r.change.after)) {
      expect(asg.tag).toContainEqual({ key: "team", value: "x", propagate_at_launch: true });
      expect(asg.tag.filter((t: any) => t.key === "team")).toHaveLength(1);
    }
    // Not passed to the other calls: the default stays the config's tags alone.
    for (const r of changesOf(called.json, "multus")) expect(r.change.after.tags?.team).toBeUndefined();
  });

  test("WHEN HCL in the root calls the mixed stack (autoscaling, karpenter, managed) as a module THEN it plans every resource: one Auto Scaling group, one EKS managed node group and the state-change rule", () => {
    const changes = changesOf(called.json, "mixed");
    expect(changes).toHaveLength(resourceCount(mixedTf));
    expect(changes.filter((r) => r.type === "aws_autoscaling_group")).toHaveLength(1);
    const managed = changes.filter((r) => r.type === "aws_eks_node_group");
    expect(managed.map((r) => r.change.after.node_group_name)).toEqual(["eks-multus-cluster-steady"]);
    expect(managed[0]!.change.after.taint).toContainEqual({ key: STARTUP_TAINT.key, value: STARTUP_TAINT.value, effect: "NO_SCHEDULE" });
    const patterns = changes.filter((r) => r.type === "aws_cloudwatch_event_rule" && r.change.after.event_pattern).map((r) => JSON.parse(r.change.after.event_pattern));
    expect(patterns).toContainEqual({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], detail: { state: ["pending", "shutting-down", "terminated"] } });
  });
});
