import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AWS_STACK, buildApp } from "../../../main";
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

/** init (local backend, mirror only), validate, plan -refresh=false. */
async function initValidatePlan(dir: string): Promise<Checked> {
  await terraform(dir, "init", "-input=false", "-no-color", `-plugin-dir=${PLUGIN_DIR}`);
  const validate = JSON.parse(await terraform(dir, "validate", "-json", "-no-color")) as { valid: boolean };
  const plan = await terraform(dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color");
  const m = /Plan: (\d+) to add, 0 to change, 0 to destroy/.exec(plan);
  if (!m) throw new Error(`no plan summary in:\n${plan}`);
  return { valid: validate.valid, planned: Number(m[1]) };
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
    const bundlePath = fakeBundle();
    // The default app, as `npm run synth` writes it; the override file adds offline credentials
    // without changing the synthesized JSON (Terraform merges *_override.tf.json files).
    const rootOut = join(work, "root");
    buildApp({ config, plan, outdir: rootOut, bundlePath }).app.synth();
    const rootDir = join(rootOut, "stacks", AWS_STACK);
    rootResources = resourceCount(JSON.parse(readFileSync(join(rootDir, "cdk.tf.json"), "utf8")));

    // Module mode, called from a hand-written HCL root.
    const moduleOut = join(work, "module");
    buildApp({ config, plan, outdir: moduleOut, bundlePath, mode: "module" }).app.synth();
    const moduleDir = join(moduleOut, "stacks", AWS_STACK);
    moduleResources = resourceCount(JSON.parse(readFileSync(join(moduleDir, "cdk.tf.json"), "utf8")));
    const hclRoot = join(work, "hcl-root");
    mkdirSync(hclRoot);
    const provider = Object.entries(OFFLINE_PROVIDER).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`).join("\n");
    writeFileSync(
      join(hclRoot, "main.tf"),
      [
        `provider "aws" {\n${provider}\n}`,
        `module "multus" {`,
        `  source                        = "${moduleDir}"`,
        `  cluster_endpoint              = "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com"`,
        `  cluster_certificate_authority = "LS0tLS1CRUdJTg=="`,
        `  cluster_security_group_id     = "sg-0123456789abcdef0"`,
        `  vpc_id                        = "vpc-0123456789abcdef0"`,
        `  node_subnet_ids               = ["subnet-0123456789abcdef0"]`,
        `  multus_subnet_ids             = ${JSON.stringify(config.multus.subnets.map((_, i) => `subnet-0123456789abcde${i}f`))}`,
        `  multus_security_group_ids     = ["sg-0123456789abcdef1"]`,
        `  ami_id                        = "ami-0123456789abcdef0"`,
        `}`,
        `output "autoscaling_group_name" { value = module.multus.autoscaling_group_name }`,
        "",
      ].join("\n"),
    );
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
