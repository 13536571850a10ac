import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { STARTUP_TAINT } from "../../contract/node-network";
import { FakeServer, apiPod, fakeServer, kubeHandler, writeKubeconfig } from "./fake-servers";

/**
 * KubeClient against a small fake API server. @kubernetes/client-node 1.x is an ES module that
 * jest's CommonJS loader cannot import, so the client runs in a child Node process, which
 * loads it with require(esm) (Node >= 20.19): compiled by esbuild with node_modules left
 * external, it prints what it saw.
 */

const ROOT = path.resolve(__dirname, "../..");

describe("KubeClient", () => {
  let api: FakeServer;
  let dir: string;

  beforeAll(async () => {
    const a = apiPod("a", "n1", "10.0.16.100");
    api = await fakeServer(
      kubeHandler({
        instanceId: "i-0123456789abcdef0",
        // The second pod lacks a uid: the client drops it.
        pods: [a, apiPod("b", "n1", "10.0.16.101", { metadata: { name: "b", namespace: "default" } })],
        // The startup taint, and one the node controller added (with its timeAdded).
        taints: [
          { key: STARTUP_TAINT.key, value: "true", effect: "NoSchedule" },
          { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" },
        ],
        watchEvents: [
          { type: "ADDED", object: a },
          { type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: "7" } } },
          { type: "MODIFIED", object: { ...a, status: { phase: "Succeeded" } } },
          { type: "DELETED", object: a },
        ],
      }),
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-kube-"));
    writeKubeconfig(dir, api.url);
    fs.writeFileSync(
      path.join(dir, "run.ts"),
      `import { KubeClient } from ${JSON.stringify(path.join(ROOT, "agent/kube-client"))};
async function main() {
  const kube = new KubeClient("n1");
  const pods = await kube.listPods("n1");
  const node = await kube.getNode("n1");
  await kube.removeNodeTaint("n1", ${JSON.stringify(STARTUP_TAINT.key)}, node);
  // The node changed since it was read: the same patch again is a conflict.
  const stale = await kube.removeNodeTaint("n1", ${JSON.stringify(STARTUP_TAINT.key)}, node).then(() => "applied", (e) => String(e.code ?? e.statusCode ?? e));
  const after = await kube.getNode("n1");
  await kube.createEvent(pods[0]!, "MultusIpLimitExceeded", "full", "Warning");
  const events: string[] = [];
  await new Promise<void>((resolve) => { void kube.watchPods("n1", (e) => events.push(e.type + " " + e.pod.name + " " + e.pod.phase), () => resolve()); });
  process.stdout.write(JSON.stringify({ pods: pods.map((p) => p.name), node, stale, after, events }));
}
main().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`,
    );
    await build({ entryPoints: [path.join(dir, "run.ts")], outfile: path.join(dir, "run.js"), bundle: true, packages: "external", platform: "node", format: "cjs", target: "node20", logLevel: "warning" });
  });

  afterAll(async () => {
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("GIVEN an API server WHEN the client lists, reads the node, posts an event and watches THEN it uses the node's field selector and maps what comes back", async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(dir, "run.js")],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? "", NODE_PATH: path.join(ROOT, "node_modules"), KUBECONFIG: path.join(dir, "kubeconfig") }, timeout: 30000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const seen = JSON.parse(out) as { pods: string[]; node: unknown; stale: string; after: { taints: unknown[]; resourceVersion: string }; events: string[] };
    expect(seen.pods).toEqual(["a"]);
    const unreachable = { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00.000Z" };
    expect(seen.node).toEqual({
      providerId: "aws:///us-west-2a/i-0123456789abcdef0",
      labels: { "node.kubernetes.io/instance-type": "t3.medium" },
      taints: [{ key: STARTUP_TAINT.key, value: "true", effect: "NoSchedule" }, unreachable],
      resourceVersion: "1",
    });
    // The taint removal: a merge patch of the other taints, conditional on the version read.
    const patch = api.requests.find((r) => r.method === "PATCH")!;
    expect(patch.url).toBe("/api/v1/nodes/n1");
    expect(patch.contentType).toBe("application/merge-patch+json");
    expect(JSON.parse(patch.body)).toEqual({ metadata: { resourceVersion: "1" }, spec: { taints: [unreachable] } });
    expect(seen.stale).toBe("409");
    expect(seen.after).toMatchObject({ taints: [unreachable], resourceVersion: "2" });
    // The bookmark is skipped.
    expect(seen.events).toEqual(["ADDED a Running", "MODIFIED a Succeeded", "DELETED a Running"]);

    const list = api.requests.find((r) => r.method === "GET" && r.url.startsWith("/api/v1/pods?") && !r.url.includes("watch=true"))!;
    expect(new URL(list.url, "http://x").searchParams.get("fieldSelector")).toBe("spec.nodeName=n1");
    const watch = api.requests.find((r) => r.url.includes("watch=true"))!;
    expect(new URL(watch.url, "http://x").searchParams.get("fieldSelector")).toBe("spec.nodeName=n1");
    const event = api.requests.find((r) => r.method === "POST")!;
    expect(event.url).toBe("/api/v1/namespaces/default/events");
    expect(JSON.parse(event.body)).toMatchObject({
      metadata: { generateName: "a.", namespace: "default" },
      involvedObject: { kind: "Pod", name: "a", namespace: "default", uid: "uid-a" },
      reason: "MultusIpLimitExceeded",
      message: "full",
      type: "Warning",
      source: { component: "multus-node-agent", host: "n1" },
    });
  });
});
