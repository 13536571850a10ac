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

  test("GIVEN the production example with a KMS key that is not an ARN WHEN run THEN it exits 2 naming the node group's field", async () => {
    const user = JSON.parse(readFileSync(join(__dirname, "../examples/production.config.json"), "utf8"));
    user.nodeGroups[1].volume.kmsKeyId = "alias/aws/ebs";
    const file = join(tmp("multus-cfg-"), "prod.json");
    writeFileSync(file, JSON.stringify(user));
    const r = await runMain(["--config", file, "--module", "--outdir", tmp("multus-out-")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: nodeGroups\[1\]\.volume\.kmsKeyId: "alias\/aws\/ebs" is not a KMS key ARN \(in .*prod\.json\)\. Fix: give the full ARN/);
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

/** A config with every id real (not the example's placeholders). */
const REAL_IDS = {
  cluster: { endpoint: "https://ABCDEF0123456789ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com", certificateAuthority: "Y2VydGlmaWNhdGU=", securityGroupId: "sg-0123456789abcdef0" },
  vpc: { id: "vpc-0123456789abcdef0" },
  nodeGroup: { amiId: "ami-0123456789abcdef0", subnetIds: ["subnet-0123456789abcdef0"] },
  multus: {
    securityGroupIds: ["sg-0123456789abcdef1"],
    subnets: [
      { cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef4", availabilityZone: "us-west-2a" },
      { cidr: "10.0.5.0/24", id: "subnet-0123456789abcdef5", availabilityZone: "us-west-2b" },
    ],
  },
};

describe("main: what a new user meets", () => {
  test("GIVEN a user config that leaves ids at the example's placeholders WHEN started THEN exit 2 naming each such field", async () => {
    const file = join(tmp("multus-cfg-"), "multus.config.json");
    writeFileSync(file, JSON.stringify({ nodeGroup: { maxSize: 4 }, vpc: { id: "vpc-0123456789abcdef0" } }));
    const r = await runMain(["--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const line = r.stderr.trim();
    expect(line.split("\n")).toHaveLength(1);
    for (const field of ["cluster.endpoint", "cluster.certificateAuthority", "cluster.securityGroupId", "nodeGroup.amiId", "nodeGroup.subnetIds[0]", "multus.securityGroupIds[0]", "multus.subnets[0].id", "multus.subnets[1].id"]) {
      expect(line).toContain(field);
    }
    expect(line).not.toContain("vpc.id");
    expect(line).toContain(`(in ${file})`);
  });

  test("GIVEN --ami-from-ssm THEN the placeholder AMI is not asked for; GIVEN every id real THEN it synthesizes", async () => {
    const file = join(tmp("multus-cfg-"), "multus.config.json");
    const { amiId: _ami, ...nodeGroup } = REAL_IDS.nodeGroup;
    writeFileSync(file, JSON.stringify({ ...REAL_IDS, nodeGroup }));
    expect((await runMain(["--synth-only", "--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")])).stderr).toMatch(/^error: nodeGroup\.amiId: is still the example's placeholder/);
    expect((await runMain(["--synth-only", "--ami-from-ssm", "--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")])).code).toBe(0);
  });

  test("GIVEN the embedded example WHEN started THEN it says the example is not deployable, where each NAD works, and a deploy command that exists", async () => {
    const outdir = tmp("multus-out-");
    const r = await runMain(["--bundle", bundle, "--outdir", outdir]);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\n\s+/g, " ")).toMatch(/^Config: embedded defaults \(.*placeholders.*not deployable/);
    for (const line of r.stdout.split("\n").filter((l) => !l.startsWith("Synthesized to ") && !l.includes(outdir))) expect(line.length).toBeLessThanOrEqual(100);
    const flat = r.stdout.replace(/\n\s+/g, " ");
    expect(flat).toMatch(/NAD default\/ipvlan-conf-1 \(10\.0\.4\.0\/24\): only for pods on nodes in us-west-2a/);
    expect(flat).toMatch(/NAD default\/ipvlan-conf-2 \(10\.0\.5\.0\/24\): only for pods on nodes in us-west-2a/);
    // `npx cdktf` finds no binary (the cdktf package has none): the CLI is cdktf-cli, same release.
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
    expect(flat).toContain(`npx cdktf-cli@${pkg.dependencies.cdktf} deploy multus-aws multus-k8s-addons multus-k8s-networks`);
    expect(r.stdout).not.toMatch(/npx cdktf deploy/);
    expect(pkg.scripts.deploy).toContain(`cdktf-cli@${pkg.dependencies.cdktf} deploy multus-aws multus-k8s-addons multus-k8s-networks`);
    expect(existsSync(join(__dirname, "..", "node_modules", "cdktf", "package.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(__dirname, "..", "node_modules", "cdktf", "package.json"), "utf8")).bin).toBeUndefined();
  });

  test("GIVEN the app WHEN synthesized THEN the manifest orders the stacks: nodes, then add-ons, then networks", async () => {
    const outdir = tmp("multus-out-");
    expect((await runMain(["--synth-only", "--bundle", bundle, "--outdir", outdir])).code).toBe(0);
    const stacks = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")).stacks as Record<string, { dependencies: string[] }>;
    expect(stacks[AWS_STACK]!.dependencies).toEqual([]);
    expect(stacks["multus-k8s-addons"]!.dependencies).toEqual([AWS_STACK]);
    expect(stacks["multus-k8s-networks"]!.dependencies).toEqual(["multus-k8s-addons"]);
  });

  test("GIVEN a zone of another region WHEN started THEN exit 2 naming the field and the file", async () => {
    const file = join(tmp("multus-cfg-"), "multus.config.json");
    writeFileSync(file, JSON.stringify({ ...REAL_IDS, multus: { ...REAL_IDS.multus, subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef4", availabilityZone: "us-east-1a" }] } }));
    const r = await runMain(["--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: multus\.subnets\[0\]\.availabilityZone: us-east-1a is not in region us-west-2 \(in .*multus\.config\.json\)/);
  });

  test("GIVEN a plan that cannot fit WHEN started with a config file THEN exit 1 and the error names the file", async () => {
    const file = join(tmp("multus-cfg-"), "multus.config.json");
    writeFileSync(file, JSON.stringify({ ...REAL_IDS, nodeGroup: { ...REAL_IDS.nodeGroup, maxSize: 200, desiredSize: 2 } }));
    const r = await runMain(["--config", file, "--bundle", bundle, "--outdir", tmp("multus-out-")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: nodeGroup\.maxSize: .* \(in .*multus\.config\.json\)\. Fix/);
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
