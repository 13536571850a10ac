import { execFile } from "node:child_process";
import { build } from "esbuild";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { NETWORK_STATUS_ANNOTATION } from "../../agent/annotation";
import { networkStatusAnnotation } from "../../simulator/kube";

/**
 * KubeClient against a small fake API server. @kubernetes/client-node 1.x is an ES module that
 * jest's CommonJS loader cannot import, so the client runs in a child Node process, which
 * loads it with require(esm) (Node >= 20.19): compiled by esbuild with node_modules left
 * external, it prints what it saw.
 */

const ROOT = path.resolve(__dirname, "../..");

function apiPod(name: string, node: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: "2026-01-01T00:00:00Z",
      annotations: { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation([{ network: "default/m", ips: ["10.0.16.100"] }]) },
    },
    spec: { nodeName: node, containers: [{ name: "c", image: "busybox" }] },
    status: { phase: "Running" },
    ...extra,
  };
}

describe("KubeClient", () => {
  let server: http.Server;
  let dir: string;
  const requests: { method: string; url: string; body?: unknown }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        requests.push({ method: req.method ?? "", url: `${url.pathname}${url.search}`, ...(raw ? { body: JSON.parse(raw) } : {}) });
        res.setHeader("Content-Type", "application/json");
        if (url.pathname === "/api/v1/pods" && url.searchParams.get("watch") === "true") {
          const lines = [
            { type: "ADDED", object: apiPod("a", "n1") },
            { type: "BOOKMARK", object: { kind: "Pod", apiVersion: "v1", metadata: { resourceVersion: "7" } } },
            { type: "MODIFIED", object: apiPod("a", "n1", { status: { phase: "Succeeded" } }) },
            { type: "DELETED", object: apiPod("a", "n1") },
          ];
          res.end(lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
        } else if (url.pathname === "/api/v1/pods") {
          res.end(JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: {}, items: [apiPod("a", "n1"), apiPod("b", "n1", { metadata: { name: "b", namespace: "default" } })] }));
        } else if (url.pathname === "/api/v1/namespaces/default/events" && req.method === "POST") {
          res.statusCode = 201;
          res.end(raw);
        } else if (url.pathname === "/api/v1/nodes/n1") {
          res.end(JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "n1", labels: { "node.kubernetes.io/instance-type": "t3.medium" } }, spec: { providerID: "aws:///us-west-2a/i-0123456789abcdef0" } }));
        } else {
          res.statusCode = 404;
          res.end(JSON.stringify({ kind: "Status", status: "Failure", code: 404 }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-kube-"));
    fs.writeFileSync(
      path.join(dir, "kubeconfig"),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "fake", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "c", context: { cluster: "fake", user: "u" } }],
        "current-context": "c",
      }),
    );
    fs.writeFileSync(
      path.join(dir, "run.ts"),
      `import { KubeClient } from ${JSON.stringify(path.join(ROOT, "agent/kube-client"))};
async function main() {
  const kube = new KubeClient("n1");
  const pods = await kube.listPods("n1");
  const node = await kube.getNode("n1");
  await kube.createEvent(pods[0]!, "MultusIpLimitExceeded", "full", "Warning");
  const events: string[] = [];
  await new Promise<void>((resolve) => { void kube.watchPods("n1", (e) => events.push(e.type + " " + e.pod.name + " " + e.pod.phase), () => resolve()); });
  process.stdout.write(JSON.stringify({ pods: pods.map((p) => p.name), node, events }));
}
main().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`,
    );

    await build({ entryPoints: [path.join(dir, "run.ts")], outfile: path.join(dir, "run.js"), bundle: true, packages: "external", platform: "node", format: "cjs", target: "node20", logLevel: "warning" });
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("GIVEN an API server WHEN the client lists, reads the node, posts an event and watches THEN it uses the node's field selector and maps what comes back", async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [path.join(dir, "run.js")], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", NODE_PATH: path.join(ROOT, "node_modules"), KUBECONFIG: path.join(dir, "kubeconfig") }, timeout: 30000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const seen = JSON.parse(out) as { pods: string[]; node: unknown; events: string[] };
    // The pod without a uid is dropped; the watch skips the bookmark.
    expect(seen.pods).toEqual(["a"]);
    expect(seen.node).toEqual({ providerId: "aws:///us-west-2a/i-0123456789abcdef0", labels: { "node.kubernetes.io/instance-type": "t3.medium" } });
    expect(seen.events).toEqual(["ADDED a Running", "MODIFIED a Succeeded", "DELETED a Running"]);

    const list = requests.find((r) => r.method === "GET" && r.url.startsWith("/api/v1/pods?") && !r.url.includes("watch=true"))!;
    expect(new URL(list.url, "http://x").searchParams.get("fieldSelector")).toBe("spec.nodeName=n1");
    const watch = requests.find((r) => r.url.includes("watch=true"))!;
    expect(new URL(watch.url, "http://x").searchParams.get("fieldSelector")).toBe("spec.nodeName=n1");
    const event = requests.find((r) => r.method === "POST")!;
    expect(event.url).toBe("/api/v1/namespaces/default/events");
    expect(event.body).toMatchObject({
      metadata: { generateName: "a.", namespace: "default" },
      involvedObject: { kind: "Pod", name: "a", namespace: "default", uid: "uid-a" },
      reason: "MultusIpLimitExceeded",
      message: "full",
      type: "Warning",
      source: { component: "multus-node-agent", host: "n1" },
    });
  });
});
