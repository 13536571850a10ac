import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { buildAgent } from "../../../build";
import { AGENT_MEMORY_FILE, AgentMemoryFigures, agentMemoryVerdict, mebibytes } from "../../../bench/agent-memory";
import { K8sObject, KubernetesStacksOptions, MULTUS_NODE_LABEL, agentObjects, buildKubernetesStacks, multusObjects, whereaboutsObjects } from "../../../modules/kubernetes";
import { MIME_BOUNDARY } from "../../../modules/aws/user-data";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { apiPod, ec2Handler, fakeServer, kubeHandler, writeKubeconfig, writeReadyHost } from "../../agent/fake-servers";
import { synthAwsStack, userData } from "../aws/helpers";
import { DEFAULT, find, manifestsOf, newApp, resourcesOf, synthJson, validateObject } from "./helpers";

type Json = Record<string, unknown>;
const AGENT_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/multus-node-agent:v0.1.0";
const DAEMONSETS = { multus: "kube-multus-ds", whereabouts: "whereabouts", agent: "multus-node-agent" } as const;
type Component = keyof typeof DAEMONSETS;

let defaults: { objects: K8sObject[]; json: Json } | undefined;
/** The addons stack synthesized with `opts` (the defaults once, as several tests read them). */
function addons(opts?: KubernetesStacksOptions): { objects: K8sObject[]; json: Json } {
  if (opts === undefined) return (defaults ??= synthAddons({}));
  return synthAddons(opts);
}

function synthAddons(opts: KubernetesStacksOptions): { objects: K8sObject[]; json: Json } {
  const stacks = buildKubernetesStacks(newApp(), DEFAULT.config, DEFAULT.plan, { ...opts, agent: { image: AGENT_IMAGE, ...opts.agent } });
  const json = synthJson(stacks.addons);
  return { objects: manifestsOf(json), json };
}

const podSpec = (o: K8sObject) => ((o.spec as Json).template as Json).spec as Json;
const daemonSets = (objects: K8sObject[]) => Object.fromEntries(Object.entries(DAEMONSETS).map(([c, name]) => [c, podSpec(find(objects, "DaemonSet", name))])) as Record<Component, Json>;

// ------------------------------------------------------------------ where a DaemonSet runs

interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}
interface Node {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly taints: Taint[];
}
type Expression = { key: string; operator: string; values?: string[] };
type Toleration = { key?: string; operator?: string; value?: string; effect?: string };

function expressionMatches(e: Expression, labels: Record<string, string>): boolean {
  const v = labels[e.key];
  switch (e.operator) {
    case "In":
      return v !== undefined && e.values!.includes(v);
    case "NotIn":
      return v === undefined || !e.values!.includes(v);
    case "Exists":
      return v !== undefined;
    case "DoesNotExist":
      return v === undefined;
    default:
      throw new Error(`operator ${e.operator} not modelled`);
  }
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === "Exists") return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
}

/**
 * Whether the DaemonSet controller places a pod of `spec` on `node`, as the Kubernetes docs
 * describe it (https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#how-daemon-pods-are-scheduled):
 * nodeSelector and required node affinity (terms ORed, expressions ANDed), and every NoSchedule
 * or NoExecute taint tolerated (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
 */
function runsOn(spec: Json, node: Node): boolean {
  const selector = (spec.nodeSelector as Record<string, string> | undefined) ?? {};
  if (!Object.entries(selector).every(([k, v]) => node.labels[k] === v)) return false;
  const required = ((spec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined;
  const terms = (required?.nodeSelectorTerms as { matchExpressions: Expression[] }[] | undefined) ?? [];
  if (terms.length && !terms.some((t) => t.matchExpressions.every((e) => expressionMatches(e, node.labels)))) return false;
  const tolerations = (spec.tolerations as Toleration[] | undefined) ?? [];
  return node.taints.filter((t) => t.effect !== "PreferNoSchedule").every((taint) => tolerations.some((t) => tolerates(t, taint)));
}

let nodeLabels: Record<string, string> | undefined;
/** The labels the kubelet of a MultusNodeGroup node registers with: its --node-labels flags, read back from the synthesized user data (synthesized once). */
function multusNodeLabels(): Record<string, string> {
  return (nodeLabels ??= readNodeLabels());
}

type NodeConfigDoc = { spec: { kubelet: { flags: string[]; config: { registerWithTaints?: Taint[] } } } };
let nodeConfigDoc: NodeConfigDoc | undefined;
/** The NodeConfig of the node group's synthesized user data (synthesized once). */
function nodeConfig(): NodeConfigDoc {
  if (nodeConfigDoc) return nodeConfigDoc;
  const text = userData(synthAwsStack().tf);
  const part = text.split(`--${MIME_BOUNDARY}`).find((p) => p.includes("application/node.eks.aws"))!;
  return (nodeConfigDoc = parse(part.slice(part.indexOf("---"))) as NodeConfigDoc);
}

function readNodeLabels(): Record<string, string> {
  const flags = nodeConfig().spec.kubelet.flags;
  const labels: Record<string, string> = {};
  for (const f of flags.filter((x) => x.startsWith("--node-labels="))) {
    for (const pair of f.slice("--node-labels=".length).split(",")) labels[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
  }
  return labels;
}

const LINUX = { "kubernetes.io/os": "linux" };
/** Nodes of a mixed EKS cluster, labelled and tainted as EKS does. */
function clusterNodes(): Node[] {
  const multus = { ...LINUX, ...multusNodeLabels() };
  return [
    // Fargate nodes: https://docs.aws.amazon.com/eks/latest/userguide/fargate-pod-configuration.html
    { name: "fargate", labels: { ...LINUX, "eks.amazonaws.com/compute-type": "fargate" }, taints: [{ key: "eks.amazonaws.com/compute-type", value: "fargate", effect: "NoSchedule" }] },
    // Windows nodes, with the taint AWS suggests for them (https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html).
    { name: "windows", labels: { "kubernetes.io/os": "windows" }, taints: [{ key: "os", value: "windows", effect: "NoSchedule" }] },
    { name: "hybrid", labels: { ...LINUX, "eks.amazonaws.com/compute-type": "hybrid" }, taints: [] },
    { name: "linux", labels: { ...LINUX }, taints: [] },
    { name: "linux-noexecute", labels: { ...LINUX }, taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] },
    { name: "multus", labels: multus, taints: [] },
    { name: "multus-noexecute", labels: multus, taints: [{ key: "dedicated", value: "telco", effect: "NoExecute" }] },
    { name: "multus-noschedule", labels: multus, taints: [{ key: "dedicated", value: "telco", effect: "NoSchedule" }] },
  ];
}

function placement(opts: KubernetesStacksOptions = {}): Record<Component, string[]> {
  const specs = daemonSets(addons(opts).objects);
  const nodes = clusterNodes();
  return Object.fromEntries(Object.entries(specs).map(([c, spec]) => [c, nodes.filter((n) => runsOn(spec, n)).map((n) => n.name)])) as Record<Component, string[]>;
}

describe("where the DaemonSets run", () => {
  it("GIVEN the node group's user data THEN its kubelet labels the node with MULTUS_NODE_LABEL and the node group's name", () => {
    expect(multusNodeLabels()).toEqual({ [MULTUS_NODE_LABEL]: DEFAULT.config.nodeGroup.name });
  });

  it("GIVEN a mixed cluster and the defaults WHEN placed as the DaemonSet controller does THEN nothing lands on Fargate, Windows or hybrid nodes; whereabouts goes wherever Multus goes, NoExecute nodes included; the agent only on multus nodes", () => {
    const where = placement();
    expect(where.multus).toEqual(["linux", "linux-noexecute", "multus", "multus-noexecute", "multus-noschedule"]);
    expect(where.whereabouts).toEqual(where.multus);
    expect(where.agent).toEqual(["multus", "multus-noexecute", "multus-noschedule"]);
  });

  it("GIVEN multus.multusNodesOnly THEN Multus and whereabouts run on the multus nodes only, and whereabouts still wherever Multus does", () => {
    const where = placement({ multus: { multusNodesOnly: true } });
    expect(where.multus).toEqual(["multus", "multus-noexecute", "multus-noschedule"]);
    expect(where.whereabouts).toEqual(where.multus);
    expect(placement({ multus: { multusNodesOnly: true }, whereabouts: { multusNodesOnly: false } }).whereabouts).toEqual(["linux", "linux-noexecute", "multus", "multus-noexecute", "multus-noschedule"]);
  });

  it("GIVEN agent.multusNodesOnly false THEN the agent runs on every Linux node of the VPC CNI, still not on Fargate, Windows or hybrid nodes", () => {
    expect(placement({ agent: { multusNodesOnly: false } }).agent).toEqual(["linux", "linux-noexecute", "multus", "multus-noexecute", "multus-noschedule"]);
  });

  it("GIVEN the synthesized DaemonSets THEN each requires Linux and excludes the Fargate, hybrid and Auto Mode compute types by node affinity", () => {
    for (const [component, spec] of Object.entries(daemonSets(addons().objects))) {
      const terms = (((spec.affinity as Json).nodeAffinity as Json).requiredDuringSchedulingIgnoredDuringExecution as Json).nodeSelectorTerms as { matchExpressions: Expression[] }[];
      expect({ component, terms: terms.length }).toEqual({ component, terms: 1 });
      expect(terms[0]!.matchExpressions).toEqual(
        expect.arrayContaining([
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "eks.amazonaws.com/compute-type", operator: "NotIn", values: ["fargate", "hybrid", "auto"] },
        ]),
      );
    }
  });

  it("GIVEN a multus node as its user data registers it, with the startup taint THEN Multus, whereabouts and the agent run on it (the agent lifts the taint once they are ready), and a pod without a toleration does not", () => {
    const taints = nodeConfig().spec.kubelet.config.registerWithTaints!;
    expect(taints).toEqual([{ key: STARTUP_TAINT.key, value: STARTUP_TAINT.value, effect: "NoSchedule" }]);
    const starting: Node = { name: "multus-starting", labels: { ...LINUX, ...multusNodeLabels() }, taints };
    for (const [component, spec] of Object.entries(daemonSets(addons().objects))) expect({ component, runs: runsOn(spec, starting) }).toEqual({ component, runs: true });
    expect(runsOn({}, starting)).toBe(false);
    expect(runsOn({}, { ...starting, taints: [] })).toBe(true);
  });

  it("GIVEN whereabouts THEN it tolerates NoSchedule and NoExecute taints, as Multus does", () => {
    const specs = daemonSets(addons().objects);
    expect(specs.whereabouts.tolerations).toEqual(specs.multus.tolerations);
    expect(specs.whereabouts.tolerations).toEqual([
      { operator: "Exists", effect: "NoSchedule" },
      { operator: "Exists", effect: "NoExecute" },
    ]);
  });

  it("GIVEN the evaluator THEN it follows the documented matching (a check of the check)", () => {
    const node: Node = { name: "n", labels: { a: "1" }, taints: [{ key: "k", value: "v", effect: "NoExecute" }] };
    expect(runsOn({ tolerations: [{ operator: "Exists" }] }, node)).toBe(true);
    expect(runsOn({ tolerations: [{ operator: "Exists", effect: "NoSchedule" }] }, node)).toBe(false);
    expect(runsOn({ tolerations: [{ key: "k", operator: "Equal", value: "v" }] }, node)).toBe(true);
    expect(runsOn({ tolerations: [{ operator: "Exists" }], nodeSelector: { a: "2" } }, node)).toBe(false);
    const affinity = (e: Expression) => ({ tolerations: [{ operator: "Exists" }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [e] }] } } } });
    expect(runsOn(affinity({ key: "b", operator: "NotIn", values: ["x"] }), node)).toBe(true);
    expect(runsOn(affinity({ key: "b", operator: "Exists" }), node)).toBe(false);
    expect(runsOn(affinity({ key: "a", operator: "In", values: ["1"] }), node)).toBe(true);
  });
});

describe("priority", () => {
  it("GIVEN the defaults THEN Multus, whereabouts and the agent are system-node-critical, as aws-node and kube-proxy", () => {
    for (const spec of Object.values(daemonSets(addons().objects))) expect(spec.priorityClassName).toBe("system-node-critical");
  });

  it("GIVEN a class per component, or null THEN each DaemonSet carries its own, or none", () => {
    const specs = daemonSets(addons({ multus: { priorityClassName: "network-critical" }, whereabouts: { priorityClassName: null }, agent: { priorityClassName: "agents" } }).objects);
    expect([specs.multus.priorityClassName, "priorityClassName" in specs.whereabouts, specs.agent.priorityClassName]).toEqual(["network-critical", false, "agents"]);
    for (const o of [...multusObjects({ priorityClassName: null }), ...whereaboutsObjects({ priorityClassName: "x" })]) expect(validateObject(o)).toEqual([]);
  });

  it.each<[string, () => unknown, RegExp]>([
    ["Multus", () => multusObjects({ priorityClassName: "Not A Name" }), /multus.priorityClassName.*not a valid Kubernetes name/],
    ["whereabouts", () => whereaboutsObjects({ priorityClassName: "" }), /whereabouts.priorityClassName/],
    ["the agent", () => agentObjects({ image: AGENT_IMAGE, region: "us-west-2", priorityClassName: "UPPER" }), /agent.priorityClassName/],
  ])("GIVEN a bad priority class for %s THEN it is refused naming the field", (_, make, message) => {
    expect(make).toThrow(message);
  });
});

describe("the node agent's pod", () => {
  const agent = () => podSpec(find(addons().objects, "DaemonSet", DAEMONSETS.agent));

  it("GIVEN the DaemonSet THEN it runs as the image's non-root user under the runtime's seccomp profile, without privileges", () => {
    const ctx = ((agent().containers as Json[])[0]!.securityContext ?? {}) as Json;
    expect([ctx.runAsNonRoot, ctx.seccompProfile]).toEqual([true, { type: "RuntimeDefault" }]);
    // The kubelet refuses runAsNonRoot with an image whose user is root or not numeric: the
    // user set here is the Dockerfile's numeric, non-root one.
    const [, uid, gid] = /^USER (\d+):(\d+)$/m.exec(fs.readFileSync(path.resolve(__dirname, "../../../agent/Dockerfile"), "utf8"))!;
    expect([ctx.runAsUser, ctx.runAsGroup]).toEqual([Number(uid), Number(gid)]);
    expect(Number(uid)).toBeGreaterThan(0);
    expect([ctx.allowPrivilegeEscalation, ctx.readOnlyRootFilesystem, ctx.capabilities, ctx.privileged]).toEqual([false, true, { drop: ["ALL"] }, undefined]);
  });

  it("GIVEN the DaemonSet THEN it uses the node's resolver, not CoreDNS, on the host network", () => {
    expect(agent()).toMatchObject({ hostNetwork: true, dnsPolicy: "Default" });
  });

  it("GIVEN agent.nodeSelector THEN it narrows the multus nodes further (one node group), keeping the affinity", () => {
    const spec = podSpec(find(addons({ agent: { nodeSelector: { [MULTUS_NODE_LABEL]: "ng2" } } }).objects, "DaemonSet", DAEMONSETS.agent));
    const multus = clusterNodes().find((n) => n.name === "multus")!;
    expect(runsOn(spec, multus)).toBe(false);
    expect(runsOn(spec, { ...multus, labels: { ...multus.labels, [MULTUS_NODE_LABEL]: "ng2" } })).toBe(true);
  });
});

describe("the node agent's memory, against the recorded bench figures", () => {
  const recorded = JSON.parse(fs.readFileSync(AGENT_MEMORY_FILE, "utf8")) as AgentMemoryFigures & { measured: string; node: string };
  const resources = () => ((agentObjects({ image: AGENT_IMAGE, region: "us-west-2" }).find((o) => o.kind === "DaemonSet")!.spec as Json).template as Json).spec as Json;
  const memory = () => {
    const r = ((resources().containers as Json[])[0]!.resources as { requests: Record<string, string>; limits: Record<string, string> });
    return { request: r.requests.memory!, limit: r.limits.memory! };
  };

  it("GIVEN bench/agent-memory.json THEN it holds an idle run and a run with 1,000 pods, measured on Node 20 or later", () => {
    expect(recorded.rows.map((r) => r.pods)).toEqual([0, 1000]);
    for (const r of recorded.rows) expect(r.peakMiB).toBeGreaterThanOrEqual(r.steadyMiB);
    expect(recorded.rows[1]!.events).toBeGreaterThan(0);
    expect(Number(/^v(\d+)/.exec(recorded.node)![1])).toBeGreaterThanOrEqual(20);
  });

  it("GIVEN the synthesized DaemonSet THEN its memory request is at least the measured idle peak RSS and its limit above the peak with 1,000 pods", () => {
    const { request, limit } = memory();
    const idle = recorded.rows.find((r) => r.pods === 0)!;
    const busy = recorded.rows.find((r) => r.pods === 1000)!;
    expect(mebibytes(request)).toBeGreaterThanOrEqual(idle.peakMiB);
    expect(mebibytes(limit)).toBeGreaterThan(busy.peakMiB);
    expect(agentMemoryVerdict(recorded, { request, limit })).toMatchObject({ met: true });
  });

  it("GIVEN the 64Mi request the agent used to have, as request and limit THEN the same check fails on both (a check of the check)", () => {
    expect(agentMemoryVerdict(recorded, { request: "64Mi", limit: "64Mi" })).toMatchObject({ met: false, text: expect.stringMatching(/request 64Mi is below the idle peak.*limit 64Mi is not above the peak with 1000 pods/) });
  });
});

// ------------------------------------------------------------------ RBAC against what the agent does

/**
 * The authorization attributes of a Kubernetes API request (group, resource, verb), as the API
 * server derives them (https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb).
 */
function attributes(method: string, url: string): string {
  const u = new URL(url, "http://x");
  const parts = u.pathname.split("/").filter(Boolean);
  const [group, rest] = parts[0] === "api" ? ["", parts.slice(2)] : [parts[1]!, parts.slice(3)];
  const scoped = rest[0] === "namespaces" && rest.length > 2 ? rest.slice(2) : rest;
  const [resource, name] = scoped;
  const verb =
    method === "GET" ? (u.searchParams.get("watch") === "true" ? "watch" : name ? "get" : "list") : ({ POST: "create", PUT: "update", PATCH: "patch", DELETE: name ? "delete" : "deletecollection" } as Record<string, string>)[method]!;
  return `${group}/${resource}:${verb}`;
}

function granted(role: K8sObject): string[] {
  return (role.rules as Json[]).flatMap((r) => (r.apiGroups as string[]).flatMap((g) => (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => `${g}/${res}:${v}`))));
}

describe("the node agent's RBAC against the requests it makes", () => {
  let requests: { method: string; url: string }[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-agent-rbac-"));
    const { file } = await buildAgent(dir);
    const instanceId = "i-0123456789abcdef0";
    // Seven pods on a t3.medium ENI (5 secondary addresses): two get an event.
    const pods = Array.from({ length: 7 }, (_, i) => apiPod(`p${i}`, "n1", `10.0.16.${100 + i}`));
    // The node registered with the startup taint, and its host is ready: the agent lifts it.
    const api = await fakeServer(kubeHandler({ instanceId, pods, keepWatchOpen: true, taints: [{ ...STARTUP_TAINT }] }));
    const ec2 = await fakeServer(ec2Handler({ instanceId, secondaries: [] }));
    try {
      const child = spawn(process.execPath, [file], {
        cwd: os.tmpdir(),
        stdio: "ignore",
        env: { PATH: process.env.PATH ?? "", NODE_NAME: "n1", AWS_REGION: "us-west-2", KUBECONFIG: writeKubeconfig(dir, api.url), AWS_ENDPOINT_URL_EC2: ec2.url, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_EC2_METADATA_DISABLED: "true", ...writeReadyHost(dir) },
      });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      const seen = () => api.requests.map((r) => attributes(r.method, r.url));
      for (let i = 0; i < 200 && !["/events:create", "/pods:watch", "/nodes:patch"].every((a) => seen().includes(a)); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGTERM");
      await exited;
      requests = api.requests.map((r) => ({ method: r.method, url: r.url }));
    } finally {
      await api.close();
      await ec2.close();
    }
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("GIVEN the agent bundle run against a recording API server THEN every request is allowed by its ClusterRole and every permission is used", () => {
    const role = find(agentObjects({ image: AGENT_IMAGE, region: "us-west-2" }), "ClusterRole");
    const made = [...new Set(requests.map((r) => attributes(r.method, r.url)))].sort();
    expect(made).toEqual(["/events:create", "/nodes:get", "/nodes:patch", "/pods:list", "/pods:watch"]);
    expect(granted(role).sort()).toEqual(made);
  });

  it("GIVEN the request mapping THEN it reads verbs as the API server does (a check of the check)", () => {
    expect(attributes("GET", "/api/v1/namespaces/default/pods/p1")).toBe("/pods:get");
    expect(attributes("GET", "/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn1")).toBe("/pods:watch");
    expect(attributes("PATCH", "/apis/events.k8s.io/v1/namespaces/default/events/e1")).toBe("events.k8s.io/events:patch");
  });
});

describe("waiting for rollouts", () => {
  it("GIVEN the defaults THEN every DaemonSet and Deployment waits for its rollout with the provider's 10 minute timeout written out", () => {
    const workloads = Object.values(resourcesOf(addons().json, "kubernetes_manifest")).filter((r) => ["DaemonSet", "Deployment"].includes(String((r.manifest as Json).kind)));
    expect(workloads).toHaveLength(4);
    for (const r of workloads) expect([r.wait, r.timeouts]).toEqual([{ rollout: true }, { create: "10m", update: "10m" }]);
  });

  it("GIVEN a rollout timeout per component THEN that component's resources carry it; GIVEN no wait THEN neither wait nor timeouts", () => {
    const { json } = addons({ multus: { rolloutTimeout: "20m" }, agent: { waitForRollout: false } });
    const byKind = Object.values(resourcesOf(json, "kubernetes_manifest")).map((r) => [String(((r.manifest as Json).metadata as Json).name), r.timeouts, r.wait]);
    expect(byKind.find(([n]) => n === DAEMONSETS.multus)).toEqual([DAEMONSETS.multus, { create: "20m", update: "20m" }, { rollout: true }]);
    expect(byKind.find(([n]) => n === DAEMONSETS.agent)).toEqual([DAEMONSETS.agent, undefined, undefined]);
    expect(() => addons({ whereabouts: { rolloutTimeout: "ten minutes" } })).toThrow(/whereabouts.rolloutTimeout.*not a duration/);
    expect(() => addons({ multus: { rolloutTimeout: "0m" } })).toThrow(/multus.rolloutTimeout/);
  });
});
