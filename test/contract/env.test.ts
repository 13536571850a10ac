import { Testing } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../main";
import { AGENT_ENV, parseAgentEnvironment } from "../../contract/agent-env";
import { LAMBDA_ENV, parseLambdaEnvironment } from "../../contract/lambda-env";
import { K8sObject, unescapeTerraform } from "../../modules/kubernetes";
import { fakeBundle } from "../modules/aws/helpers";
import { DEFAULT } from "../modules/kubernetes/helpers";

type Env = Record<string, string | undefined>;
type Json = Record<string, any>;

/** Runs `parse` on `env` and returns the names it looked at. */
function namesRead(parse: (env: Env) => unknown, env: Env): Set<string> {
  const read = new Set<string>();
  const spy = new Proxy(env, {
    get(target, key) {
      if (typeof key === "string") read.add(key);
      return target[key as string];
    },
  });
  parse(spy);
  return read;
}

/** The names whose absence makes `parse` refuse the environment. */
function namesRequired(parse: (env: Env) => unknown, env: Env): string[] {
  return Object.keys(env).filter((name) => {
    const { [name]: _dropped, ...rest } = env;
    try {
      parse(rest);
      return false;
    } catch {
      return true;
    }
  });
}

describe("the environment the stacks write and the deployed pieces read", () => {
  // GIVEN the default app (the AWS stack and the Kubernetes stacks) synthesized as `npm start` does
  const { app } = buildApp({ config: DEFAULT.config, plan: DEFAULT.plan, outdir: mkdtempSync(join(tmpdir(), "env-")), bundlePath: fakeBundle() });
  const stacks = Object.fromEntries(app.node.children.map((s) => [s.node.id, JSON.parse(Testing.synth(s as never)) as Json]));

  test("WHEN the Lambda parses its function's environment THEN it reads every variable the stack writes, and the stack writes every one it reads", () => {
    const fns = Object.values(stacks["multus-aws"]!.resource.aws_lambda_function as Record<string, Json>);
    expect(fns).toHaveLength(1);
    const written: Env = fns[0]!.environment.variables;
    const read = namesRead(parseLambdaEnvironment, written);
    expect([...read].sort()).toEqual(Object.keys(written).sort());
    expect([...read].sort()).toEqual(Object.values(LAMBDA_ENV).sort());
  });

  test("WHEN the agent parses its DaemonSet's environment THEN every variable written is read, and every variable the agent requires is written", () => {
    const manifests = Object.values(stacks["multus-k8s-addons"]!.resource.kubernetes_manifest as Record<string, Json>).map((r) => unescapeTerraform(r.manifest) as K8sObject);
    const ds = manifests.find((o) => o.kind === "DaemonSet" && (o.metadata.labels as Json | undefined)?.["app.kubernetes.io/component"] === "node-agent");
    expect(ds).toBeDefined();
    const entries = (ds!.spec as Json).template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    // A node resolves the downward-API field to its own name.
    const written: Env = Object.fromEntries(entries.map((e) => [e.name, e.valueFrom ? "ip-10-0-0-10.us-west-2.compute.internal" : e.value]));
    const read = namesRead(parseAgentEnvironment, written);
    for (const name of Object.keys(written)) expect(read).toContain(name);
    const required = namesRequired(parseAgentEnvironment, written);
    expect(required.sort()).toEqual([AGENT_ENV.nodeName, AGENT_ENV.region].sort());
    // The rest of what the agent reads are documented overrides, each a name of the contract.
    for (const name of read) expect(Object.values(AGENT_ENV)).toContain(name);
  });
});
