import { resolve } from "node:path";
import { App } from "cdktf";
import { Command, Option } from "commander";
import { MultusConfig, NetworkPlan, asWritten, planNetwork, refusePlaceholders, withSource } from "./ipam";
import { buildLambda } from "./build";
import { MultusAwsStack, NODE_ACCESS, NodeAccess, StackMode, eksAmiSsmParameter } from "./modules/aws";
import { addKubernetesStacks, networkDefinitions, nodeRoleMapping } from "./modules/kubernetes";
import { dependencies } from "./package.json";
import { loadConfig } from "./cli/config-file";
import { renderPlan, wrap } from "./cli/plan";
import { EXIT, quietOnClosedPipe, reportError } from "./cli/common";

/**
 * The example app. Reads multus.config.json (or $MULTUS_CONFIG, or --config), else the
 * embedded defaults; plans the addresses; builds the Lambda bundle; synthesizes
 * - by default: the AWS stack (and the Kubernetes stacks) into cdktf.out, as `cdktf synth`
 *   does, then prints the plan for people (`npm start`);
 * - `--synth-only`: the same synth, quiet (`npm run synth`, and cdktf.json's app command);
 * - `--module`: the AWS stack as a plain Terraform module for an existing HCL root
 *   (`npm run synth:module`, into dist/terraform-module).
 */

export const AWS_STACK = "multus-aws";
/**
 * The deploy command that works: the `cdktf` library has no CLI binary, the CLI is the
 * `cdktf-cli` package of the same (final) release. cdktf is archived upstream; module mode
 * (`--module`, plain Terraform) is the long-term path.
 */
export const CDKTF_CLI = `cdktf-cli@${dependencies.cdktf}`;
export const DEFAULT_BUNDLE_DIR = resolve(__dirname, "dist/lambda");

export interface AppOptions {
  readonly config: MultusConfig;
  readonly plan: NetworkPlan;
  readonly outdir: string;
  readonly mode?: StackMode;
  /** Lambda bundle directory (with index.js) or zip; unused when the config's lambda gives the code's S3 object. */
  readonly bundlePath?: string;
  /** How nodes join: EKS access entry, or the aws-auth ConfigMap written by the Kubernetes stack. @default "access-entry" */
  readonly nodeAccess?: NodeAccess;
  /**
   * Read the AMI id from the public EKS SSM parameter at plan time instead of the config's
   * amiId (needs AWS credentials for plan). @default false
   */
  readonly amiFromSsm?: boolean;
}

/** The default app: the AWS stack (root or module mode), plus the Kubernetes stacks in root mode. */
export function buildApp(opts: AppOptions): { app: App; aws: MultusAwsStack } {
  const mode = opts.mode ?? "root";
  // Module mode has no provider block on purpose: the caller's root configures it.
  const app = new App({ outdir: opts.outdir, skipValidation: mode === "module" });
  const aws = new MultusAwsStack(app, AWS_STACK, {
    config: opts.config,
    plan: opts.plan,
    bundlePath: opts.bundlePath,
    mode,
    nodeGroup: { nodeAccess: opts.nodeAccess ?? "access-entry" },
    // Each group's AMI from the parameter of its family and instance type.
    ...(opts.amiFromSsm
      ? { nodeGroups: Object.fromEntries(opts.config.nodeGroups.map((g) => [g.name, { amiSsmParameter: eksAmiSsmParameter(opts.config.cluster.version, g.amiFamily, g.instanceType) }])) }
      : {}),
  });
  // The Kubernetes stacks (multus, whereabouts, node agent, NADs) belong to the root app only:
  // module mode is the AWS side for an existing Terraform pipeline.
  // With aws-auth, the node roles' ARNs cross stacks (cdktf wires an output and a remote state).
  if (mode === "root") {
    const [first, ...others] = aws.nodeGroups;
    const awsAuth = { nodeRoleArn: first!.nodeRoleArn, ...(others.length ? { additionalRoles: others.map((ng) => nodeRoleMapping(ng.nodeRoleArn)) } : {}) };
    // The agent's own role: nothing on its service account with Pod Identity, the role's ARN with IRSA.
    const agentRole = aws.nodeAgentRole;
    const agent = agentRole ? { agent: { iam: agentRole.credentials === "irsa" ? { mode: "irsa" as const, roleArn: agentRole.role.arn } : { mode: "podIdentity" as const } } } : {};
    const [addons] = addKubernetesStacks(app, opts.config, opts.plan, { ...(opts.nodeAccess === "aws-auth" ? { awsAuth } : {}), ...agent });
    // The nodes before the add-ons (the DaemonSets wait for their rollout on nodes), the add-ons
    // before the networks (the NAD CRD): cdktf deploys stacks in dependency order.
    addons.addDependency(aws);
  }
  return { app, aws };
}

/**
 * Where each generated NAD can be used: only on nodes in its subnet's availability zone (and,
 * with several node groups, on the nodes of the groups that have its network there).
 */
export function zoneNotes(_config: MultusConfig, plan: NetworkPlan): string[] {
  return networkDefinitions(plan, {}).map((n) => {
    const group = n.nodeSelectorTerm?.matchExpressions.find((e) => e.key !== "topology.kubernetes.io/zone");
    const groups = group ? ` of node groups ${group.values.join(", ")} (${group.key} In ...)` : "";
    return `NAD ${n.namespace}/${n.name} (${n.subnet.subnet.cidr}): only for pods on nodes${groups} in ${n.subnet.availabilityZone} (nodeSelector topology.kubernetes.io/zone: ${n.subnet.availabilityZone})`;
  });
}

/** Builds the Lambda bundle (esbuild, build.ts) so a fresh clone synthesizes. */
export async function ensureBundle(dir = DEFAULT_BUNDLE_DIR): Promise<string> {
  await buildLambda(dir);
  return dir;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const program = new Command()
    .name("main")
    .option("--synth-only", "synthesize without printing the plan")
    .option("--module", "synthesize the AWS stack as a Terraform module")
    .option("--config <file>", "config file (default: $MULTUS_CONFIG, ./multus.config.json, embedded defaults)")
    .option("--outdir <dir>", "output directory (default: cdktf.out, or dist/terraform-module with --module)")
    .option("--bundle <path>", "use this Lambda bundle (directory with index.js, or a zip) instead of building one")
    .addOption(new Option("--node-access <how>", "how nodes join the cluster").choices(NODE_ACCESS).default("access-entry"))
    .option("--ami-from-ssm", "read the EKS-optimized AMI from its public SSM parameter at plan time (needs AWS credentials)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch {
    return EXIT.input;
  }
  const flags = program.opts<{ synthOnly?: boolean; module?: boolean; config?: string; outdir?: string; bundle?: string; nodeAccess: NodeAccess; amiFromSsm?: boolean }>();
  try {
    const { config, source, file } = loadConfig(flags.config);
    const mode: StackMode = flags.module ? "module" : "root";
    // A user's config is meant for deployment: no id may stay at the example's placeholder.
    // Module mode takes the ids as variables, so only the example's AMI default is dropped there.
    const amiFields = config.form === "shorthand" ? ["nodeGroup.amiId"] : config.nodeGroups.map((_, i) => `nodeGroups[${i}].amiId`);
    if (file && mode === "root") refusePlaceholders(asWritten(config), file, flags.amiFromSsm ? amiFields : []);
    const plan = withSource(file ?? "", () => planNetwork(config));
    // CDKTF_OUTDIR: set by `cdktf synth --output`.
    const outdir = resolve(flags.outdir ?? (flags.module ? "dist/terraform-module" : process.env.CDKTF_OUTDIR ?? "cdktf.out"));
    // Code from S3 (the config's lambda): nothing to build here.
    const bundlePath = flags.bundle ? resolve(flags.bundle) : config.lambda ? undefined : await ensureBundle();
    const { app } = buildApp({ config, plan, outdir, mode, bundlePath, nodeAccess: flags.nodeAccess, amiFromSsm: flags.amiFromSsm });
    app.synth();
    const stacksDir = resolve(outdir, "stacks");
    if (flags.module) {
      process.stdout.write(
        `Terraform module written to ${stacksDir}/${AWS_STACK}\n` +
          `Call it from an HCL root: module "multus" { source = "${stacksDir}/${AWS_STACK}" ... } (see modules/aws/README.md)\n`,
      );
    } else if (!flags.synthOnly) {
      const example = file ? "" : " (the reference example: its ids are placeholders, so it plans and synthesizes but is not deployable; write your own multus.config.json, see examples/)";
      process.stdout.write(`${wrap(`Config: ${source}${example}`, "  ")}\n${renderPlan(plan)}\n\n`);
      const stacks = app.node.children.map((c) => c.node.id);
      process.stdout.write(`Synthesized to ${stacksDir}: ${stacks.join(", ")}\n`);
      process.stdout.write(`${zoneNotes(config, plan).map((n) => wrap(n)).join("\n")}\n`);
      // In this order: nodes before the Kubernetes add-ons, the NAD CRD before the NADs.
      process.stdout.write(
        `${wrap(`Deploy (in this order; the stacks declare it): npm run deploy, i.e. npx ${CDKTF_CLI} deploy ${stacks.join(" ")}`)}\n` +
          `  or terraform init && terraform apply in each ${stacksDir}/<stack>, in that order\n`,
      );
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

if (require.main === module) {
  quietOnClosedPipe();
  main().then((code) => {
    process.exitCode = code;
  });
}
