import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseConfig, planNetwork } from "../ipam";
import { renderPlan } from "../cli/plan";
import { AWS_STACK, main } from "../main";
import { fakeBundle } from "./modules/aws/helpers";

/** Runs main in-process and captures what it prints. */
async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const bundle = fakeBundle();

describe("main", () => {
  test("GIVEN a config with a bad field WHEN run THEN it exits 2 with one error line naming the field", async () => {
    const file = join(tmp("multus-cfg-"), "bad.json");
    writeFileSync(file, JSON.stringify({ nodeGroup: { maxSize: 0 } }));
    const r = await runMain(["--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: nodeGroup\.maxSize: must be a whole number from 1 to 1000, got 0 \(in .*bad\.json\)\. Fix: .*\n$/);
    expect(r.stdout).toBe("");
  });

  test("GIVEN an unknown flag WHEN run THEN it exits 2", async () => {
    expect((await runMain(["--nope"])).code).toBe(2);
  });

  test("GIVEN the defaults WHEN started THEN it synthesizes the app like cdktf synth and prints the plan", async () => {
    const outdir = tmp("multus-out-");
    const r = await runMain(["--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    const stackJson = JSON.parse(readFileSync(join(outdir, "stacks", AWS_STACK, "cdk.tf.json"), "utf8"));
    expect(Object.keys(stackJson.resource)).toContain("aws_autoscaling_group");
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toContain(AWS_STACK);
    // The Lambda bundle is zipped next to the stack, where the function's filename points.
    const fn = Object.values(stackJson.resource.aws_lambda_function)[0] as { filename: string };
    expect(existsSync(join(outdir, "stacks", AWS_STACK, fn.filename.replace("${path.module}/", "")))).toBe(true);
    expect(r.stdout).toContain(renderPlan(planNetwork(parseConfig({}))));
    expect(r.stdout).toMatch(new RegExp(`Synthesized to .*: .*${AWS_STACK}`));
  });

  test("GIVEN an outdir away from the working directory WHEN synthesized THEN the AWS stack keeps its state and bundle beside it and names no path of the build machine", async () => {
    const outdir = tmp("multus-out-");
    const r = await runMain(["--synth-only", "--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(outdir, "stacks", AWS_STACK, "cdk.tf.json"), "utf8");
    const tf = JSON.parse(text);
    const statePath = tf.terraform.backend.local.path as string;
    expect(isAbsolute(statePath)).toBe(false);
    // Beside the output directory (the project root for cdktf.out), out of reach of a re-synth.
    expect(resolve(outdir, "stacks", AWS_STACK, statePath)).toBe(resolve(outdir, "..", `terraform.${AWS_STACK}.tfstate`));
    for (const machinePath of [process.cwd(), outdir, bundle]) expect(text).not.toContain(machinePath);
    const fn = Object.values(tf.resource.aws_lambda_function)[0] as { filename: string };
    expect(fn.filename).toMatch(/^\$\{path\.module\}\/assets\//);
    // The Kubernetes stacks too: relative state beside the output directory, no machine path.
    for (const stack of ["multus-k8s-addons", "multus-k8s-networks"]) {
      const k8s = readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
      for (const machinePath of [process.cwd(), outdir]) expect(k8s).not.toContain(machinePath);
      expect(resolve(outdir, "stacks", stack, JSON.parse(k8s).terraform.backend.local.path)).toBe(resolve(outdir, "..", `terraform.${stack}.tfstate`));
    }
  });

  test("GIVEN --synth-only WHEN run THEN it writes the same stack and prints nothing", async () => {
    const outdir = tmp("multus-out-");
    const r = await runMain(["--synth-only", "--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(existsSync(join(outdir, "stacks", AWS_STACK, "cdk.tf.json"))).toBe(true);
  });

  test("GIVEN --module WHEN run THEN the AWS stack is a module: variables, outputs, no provider or backend", async () => {
    const outdir = tmp("multus-mod-");
    const r = await runMain(["--module", "--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    const tf = JSON.parse(readFileSync(join(outdir, "stacks", AWS_STACK, "cdk.tf.json"), "utf8"));
    expect(tf.provider).toBeUndefined();
    expect(tf.terraform.backend).toBeUndefined();
    expect(Object.keys(tf.variable)).toContain("multus_subnet_ids");
    expect(Object.keys(tf.output)).toContain("autoscaling_group_arn");
    expect(r.stdout).toContain(`module "multus"`);
  });
});

describe("buildApp", () => {
  test("GIVEN --ami-from-ssm WHEN synthesized THEN the image comes from the EKS SSM parameter of the config's version", async () => {
    const outdir = tmp("multus-ssm-");
    const r = await runMain(["--synth-only", "--ami-from-ssm", "--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    const tf = JSON.parse(readFileSync(join(outdir, "stacks", AWS_STACK, "cdk.tf.json"), "utf8"));
    const params = Object.values(tf.data.aws_ssm_parameter) as { name: string }[];
    expect(params.map((p) => p.name)).toEqual([`/aws/service/eks/optimized-ami/${parseConfig({}).cluster.version}/amazon-linux-2023/x86_64/standard/recommended/image_id`]);
    const lt = Object.values(tf.resource.aws_launch_template)[0] as { image_id: string };
    expect(lt.image_id).toMatch(/data\.aws_ssm_parameter\./);
  });

  test("GIVEN nodeAccess aws-auth WHEN synthesized THEN no access entry, and the Kubernetes stack maps the AWS stack's node role", async () => {
    const outdir = tmp("multus-auth-");
    const r = await runMain(["--synth-only", "--node-access", "aws-auth", "--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    const stacks = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")).stacks as Record<string, { synthesizedStackPath: string }>;
    const read = (name: string) => readFileSync(join(outdir, stacks[name]!.synthesizedStackPath), "utf8");
    const aws = JSON.parse(read(AWS_STACK));
    expect(aws.resource.aws_eks_access_entry).toBeUndefined();
    const others = Object.keys(stacks).filter((n) => n !== AWS_STACK).map(read).join("\n");
    expect(others).toMatch(/terraform_remote_state/);
    expect(others).toMatch(/aws-auth/);
    // Each stack runs in its own directory: the remote state must lead from there to the AWS stack's state.
    const awsStateFile = resolve(outdir, dirname(stacks[AWS_STACK]!.synthesizedStackPath), aws.terraform.backend.local.path);
    const readers = Object.keys(stacks).filter((n) => n !== AWS_STACK).flatMap((n) => {
      const states = Object.values(JSON.parse(read(n)).data?.terraform_remote_state ?? {}) as { config: { path: string } }[];
      return states.map((st) => resolve(outdir, dirname(stacks[n]!.synthesizedStackPath), st.config.path));
    });
    expect(readers.length).toBeGreaterThan(0);
    for (const stateFile of readers) expect(stateFile).toBe(awsStateFile);
  });
});
