import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { MultusConfig, NetworkPlan, ShorthandMultusConfig, asShorthand, parseConfig, planNetwork } from "../../../ipam";
import { MultusAwsStack, MultusAwsStackProps } from "../../../modules/aws/stack";

/** A stand-in Lambda bundle: the constructs only need a directory with index.js. */
export function fakeBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), "multus-bundle-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.js"), "exports.handler = async () => ({ action: 'ignored' });\n");
  return dir;
}

export type Json = Record<string, any>;

/** Synthesizes one stack built by `build` and returns its Terraform JSON. */
export function synthStack(build: (stack: TerraformStack) => void, withProvider = true): Json {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, "test");
  if (withProvider) new AwsProvider(stack, "aws", { region: "us-west-2" });
  build(stack);
  return JSON.parse(Testing.synth(stack));
}

/** Resources of one type, by logical id. */
export function resources(tf: Json, type: string): Json[] {
  return Object.values(tf.resource?.[type] ?? {});
}

export function dataSources(tf: Json, type: string): Json[] {
  return Object.values(tf.data?.[type] ?? {});
}

/** The only resource of a type (fails the test when there are several or none). */
export function only(tf: Json, type: string): Json {
  const list = resources(tf, type);
  if (list.length !== 1) throw new Error(`expected one ${type}, found ${list.length}`);
  return list[0]!;
}

/** Every IAM statement in the synthesized policy documents. */
export function statements(tf: Json): Json[] {
  return dataSources(tf, "aws_iam_policy_document").flatMap((d) => d.statement ?? []);
}

/** A single-group (shorthand) config over the defaults, and its plan. */
export function defaultSetup(user: unknown = {}): { config: ShorthandMultusConfig; plan: NetworkPlan } {
  const config = asShorthand(parseConfig(user));
  return { config, plan: planNetwork(config) };
}

/** The whole AWS stack for a config, synthesized. */
export function synthAwsStack(user: unknown = {}, extra: Partial<MultusAwsStackProps> = {}): { tf: Json; config: ShorthandMultusConfig; plan: NetworkPlan; stack: MultusAwsStack } {
  const { config, plan } = defaultSetup(user);
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new MultusAwsStack(app as Construct, "multus-aws", {
    config,
    plan,
    bundlePath: fakeBundle(),
    ...extra,
  });
  return { tf: JSON.parse(Testing.synth(stack)), config, plan, stack };
}

/** The AWS stack for any config (the cluster form too), synthesized. */
export function synthConfigStack(user: unknown, extra: Partial<MultusAwsStackProps> = {}): { tf: Json; config: MultusConfig; plan: NetworkPlan; stack: MultusAwsStack } {
  const config = parseConfig(user);
  const plan = planNetwork(config);
  const app = Testing.app({ fakeCdktfJsonPath: true });
  const stack = new MultusAwsStack(app as Construct, "multus-aws", { config, plan, bundlePath: fakeBundle(), ...extra });
  return { tf: JSON.parse(Testing.synth(stack)), config, plan, stack };
}

/** Decodes a launch template's user data (base64 in the synthesized JSON). */
export function userData(tf: Json): string {
  return Buffer.from(only(tf, "aws_launch_template").user_data, "base64").toString("utf8");
}

/** `service:Action` for every AWS SDK v3 command the .ts files of a source folder construct or page through. */
export function sdkActionsCalled(dir: string, skip: string[] = []): Set<string> {
  const out = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !skip.includes(f))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/client-(ec2|auto-scaling)"/g)) {
      const service = m[2] === "ec2" ? "ec2" : "autoscaling";
      for (const name of m[1]!.split(",").map((n) => n.trim())) {
        const command = /^(\w+)Command$/.exec(name);
        if (command && new RegExp(`new ${name}\\(`).test(text)) out.add(`${service}:${command[1]}`);
        // The SDK's paginators send the command they are named after.
        const paginator = /^paginate(\w+)$/.exec(name);
        if (paginator && new RegExp(`${name}\\(`).test(text)) out.add(`${service}:${paginator[1]}`);
      }
    }
  }
  return out;
}

/** The production example (examples/production.config.json): a default group and one with every production option. */
export const PRODUCTION = JSON.parse(readFileSync(join(__dirname, "../../../examples/production.config.json"), "utf8"));

/** A copy of the production example changed by `edit` (for the variants a test needs). */
export function production(edit: (c: Json) => void = () => {}): Json {
  const c = JSON.parse(JSON.stringify(PRODUCTION));
  edit(c);
  return c;
}

/** The resources of one type that belong to one node group of a cluster-form stack (construct `node-group-<name>`). */
export function ofGroup(tf: Json, type: string, group: string): Json[] {
  return Object.entries(tf.resource?.[type] ?? {}).filter(([id]) => id.startsWith(`node-group-${group}_`)).map(([, r]) => r as Json);
}
