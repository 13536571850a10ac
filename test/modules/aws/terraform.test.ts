import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AWS_STACK, buildApp } from "../../../main";
import { MultusConfig, NetworkPlan, parseConfig, planNetwork } from "../../../ipam";
import { LAMBDA_CLUSTER_ENV, parseLambdaGroups } from "../../../contract/lambda-env";
import { EXAMPLE } from "../../ipam/cluster-helpers";
import { defaultSetup, fakeBundle } from "./helpers";

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

/** Provider settings that need no account: fake keys, no STS or metadata calls. */
const OFFLINE_PROVIDER = {
  region: "us-west-2",
  access_key: "AKIAFAKEFAKEFAKEFAKE",
  secret_key: "fake-secret",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
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
  valid: boolean;
  planned: number;
}

/** init (local backend, mirror only), validate, plan -refresh=false; `show` also returns the saved plan as JSON. */
async function initValidatePlan(dir: string, show = false): Promise<Checked & { json?: any }> {
  await terraform(dir, "init", "-input=false", "-no-color", `-plugin-dir=${PLUGIN_DIR}`);
  const validate = JSON.parse(await terraform(dir, "validate", "-json", "-no-color")) as { valid: boolean };
  const plan = await terraform(dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color", ...(show ? ["-out=tf.plan"] : []));
  const m = /Plan: (\d+) to add, 0 to change, 0 to destroy/.exec(plan);
  if (!m) throw new Error(`no plan summary in:\n${plan}`);
  const json = show ? JSON.parse(await terraform(dir, "show", "-json", "-no-color", "tf.plan")) : undefined;
  return { valid: validate.valid, planned: Number(m[1]), ...(json ? { json } : {}) };
}

/** `npm run plan:offline -- DIR` as a user runs it: validate, then plan with the offline override. */
async function planOffline(dir: string): Promise<Checked> {
  let out: string;
  try {
    out = (await run("bash", [join(__dirname, "../../../scripts/plan-offline.sh"), dir], { env: ENV, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`plan-offline failed in ${dir}:\n${e.stderr || e.stdout || e.message}`);
  }
  const m = /Plan: (\d+) to add, 0 to change, 0 to destroy/.exec(out);
  if (!m) throw new Error(`no plan summary in:\n${out}`);
  return { valid: /Success! The configuration is valid/.test(out), planned: Number(m[1]) };
}

/**
 * The app synthesized into `work` as `npm run synth` writes it (root mode: npm run plan:offline
 * adds the offline credentials itself) and the AWS stack as a module, to be called from an HCL root.
 */
function synthRootAndModule(config: MultusConfig, plan: NetworkPlan, work: string): { rootDir: string; moduleDir: string } {
  const bundlePath = fakeBundle();
  const rootOut = join(work, "root");
  buildApp({ config, plan, outdir: rootOut, bundlePath }).app.synth();
  const moduleOut = join(work, "module");
  buildApp({ config, plan, outdir: moduleOut, bundlePath, mode: "module" }).app.synth();
  return { rootDir: join(rootOut, "stacks", AWS_STACK), moduleDir: join(moduleOut, "stacks", AWS_STACK) };
}

/**
 * A hand-written HCL root in `dir` that calls the module at `moduleDir` with the offline
 * provider, the cluster's ids, `inputs` (`name = value` lines) and one of its outputs.
 */
function hclRootCalling(dir: string, moduleDir: string, inputs: string[], output: string): string {
  mkdirSync(dir);
  const provider = Object.entries(OFFLINE_PROVIDER).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`).join("\n");
  writeFileSync(
    join(dir, "main.tf"),
    [
      `provider "aws" {\n${provider}\n}`,
      `module "multus" {`,
      `  source                        = "${moduleDir}"`,
      `  cluster_endpoint              = "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com"`,
      `  cluster_certificate_authority = "LS0tLS1CRUdJTg=="`,
      `  cluster_security_group_id     = "sg-0123456789abcdef0"`,
      `  vpc_id                        = "vpc-0123456789abcdef0"`,
      ...inputs.map((line) => `  ${line}`),
      `}`,
      `output "${output}" { value = module.multus.${output} }`,
      "",
    ].join("\n"),
  );
  return dir;
}

function resourceCount(tf: { resource?: Record<string, Record<string, unknown>> }): number {
  return Object.values(tf.resource ?? {}).reduce((n, byId) => n + Object.keys(byId).length, 0);
}

describeTf("GIVEN terraform and the aws provider mirror", () => {
  const { config, plan } = defaultSetup();
  const work = mkdtempSync(join(tmpdir(), "multus-tf-"));
  let rootResult: Checked;
  let moduleResult: Checked;
  let rootResources = 0;
  let rootLeftOver: string[] = [];
  let moduleResources = 0;

  beforeAll(async () => {
    // The default app, as `npm run synth` writes it, and the module called from a hand-written HCL root.
    const { rootDir, moduleDir } = synthRootAndModule(config, plan, work);
    rootResources = resourceCount(JSON.parse(readFileSync(join(rootDir, "cdk.tf.json"), "utf8")));
    moduleResources = resourceCount(JSON.parse(readFileSync(join(moduleDir, "cdk.tf.json"), "utf8")));
    const hclRoot = hclRootCalling(join(work, "hcl-root"), moduleDir, [
      `node_subnet_ids = ["subnet-0123456789abcdef0"]`,
      `multus_subnet_ids = ${JSON.stringify(config.multus.subnets.map((_, i) => `subnet-0123456789abcde${i}f`))}`,
      `multus_security_group_ids = ["sg-0123456789abcdef1"]`,
      `ami_id = "ami-0123456789abcdef0"`,
    ], "autoscaling_group_name");
    // The two roots are independent: check them side by side.
    [rootResult, moduleResult] = await Promise.all([planOffline(rootDir), initValidatePlan(hclRoot)]);
    rootLeftOver = readdirSync(rootDir).filter((f) => f.endsWith("_override.tf.json"));
  }, 150000);

  test("WHEN the default synth is validated and planned (npm run plan:offline) THEN it is valid, plans every resource and leaves no override behind", () => {
    expect(rootResult.valid).toBe(true);
    expect(rootLeftOver).toEqual([]);
    expect(rootResources).toBeGreaterThan(0);
    expect(rootResult.planned).toBe(rootResources);
  });

  test("WHEN an HCL root calls the module THEN it is valid and plans every module resource", () => {
    expect(moduleResult.valid).toBe(true);
    expect(moduleResult.planned).toBe(moduleResources);
  });
});

describeTf("GIVEN terraform, the provider mirror and the example cluster (three node groups)", () => {
  const config = parseConfig(EXAMPLE);
  const plan = planNetwork(config);
  const work = mkdtempSync(join(tmpdir(), "multus-tf-cluster-"));
  let root: Checked;
  let called: Checked & { json?: any };
  let rootTf: { resource?: Record<string, Record<string, unknown>> };
  let moduleResources = 0;

  beforeAll(async () => {
    const { rootDir, moduleDir } = synthRootAndModule(config, plan, work);
    rootTf = JSON.parse(readFileSync(join(rootDir, "cdk.tf.json"), "utf8"));
    moduleResources = resourceCount(JSON.parse(readFileSync(join(moduleDir, "cdk.tf.json"), "utf8")));
    const hclRoot = hclRootCalling(join(work, "hcl-root"), moduleDir, [
      `multus_subnet_ids = ${JSON.stringify(plan.subnets.map((_, i) => `subnet-0123456789abcde${i}f`))}`,
      ...config.nodeGroups.flatMap((g) => [`${g.name.replace(/-/g, "_")}_node_subnet_ids = ["subnet-0123456789abcdef0"]`, `${g.name.replace(/-/g, "_")}_ami_id = "ami-0123456789abcdef0"`]),
      ...config.networks.map((n, i) => `${n.name}_security_group_ids = ["sg-0123456789abcdef${i}"]`),
    ], "autoscaling_group_names");
    [root, called] = await Promise.all([planOffline(rootDir), initValidatePlan(hclRoot, true)]);
  }, 180000);

  test("WHEN the root synth is validated and planned (npm run plan:offline) THEN it is valid, plans every resource, and has one Auto Scaling group per node group", () => {
    expect(root.valid).toBe(true);
    expect(root.planned).toBe(resourceCount(rootTf));
    expect(Object.keys(rootTf.resource!.aws_autoscaling_group!)).toHaveLength(3);
  });

  test("WHEN an HCL root calls the module THEN it is valid, and the Lambda's planned environment reads back with the caller's ids", () => {
    expect(called.valid).toBe(true);
    expect(called.planned).toBe(moduleResources);
    const fn = (called.json.resource_changes as any[]).find((r) => r.type === "aws_lambda_function");
    const env = fn.change.after.environment[0].variables as Record<string, string>;
    const groups = parseLambdaGroups(env);
    expect(groups.map((g) => g.autoScalingGroupName).sort()).toEqual(["eks-multus-cluster-cnf-a", "eks-multus-cluster-cnf-b", "eks-multus-cluster-edge"]);
    const storage = groups[0]!.subnets.find((s) => s.network === "storage")!;
    expect(storage.securityGroupIds).toEqual(["sg-0123456789abcdef1"]);
    expect(storage.id).toMatch(/^subnet-0123456789abcde\df$/);
    expect(env[LAMBDA_CLUSTER_ENV.networks]).not.toContain("${");
  });
});
