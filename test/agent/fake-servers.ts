import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { NETWORK_STATUS_ANNOTATION } from "../../agent/annotation";
import { networkStatusAnnotation } from "../../simulator/kube";

/** A request a fake server received. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly contentType?: string;
}

export function apiPod(name: string, node: string, ip: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: "2026-01-01T00:00:00Z",
      annotations: { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation([{ network: "default/m", ips: [ip] }]) },
    },
    spec: { nodeName: node, containers: [{ name: "c", image: "busybox" }] },
    status: { phase: "Running" },
    ...extra,
  };
}

export interface FakeServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 answering with `handle` and recording every request. */
export async function fakeServer(handle: (req: SeenRequest, res: http.ServerResponse) => void): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const seen = { method: req.method ?? "", url: req.url ?? "/", body, ...(req.headers["content-type"] ? { contentType: req.headers["content-type"] } : {}) };
      requests.push(seen);
      handle(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A Kubernetes API with node `n1` (providerID of `instanceId`, type t3.medium, the given
 * taints), the given pods on it, a watch that sends them as ADDED (plus a bookmark) and stays
 * open, event creation, and node merge patches of spec.taints with resourceVersion as the
 * precondition (409 Conflict when stale, as the API server answers).
 */
export function kubeHandler(opts: { instanceId: string; pods: object[]; watchEvents?: object[]; keepWatchOpen?: boolean; taints?: object[] }) {
  let version = 1;
  let taints = opts.taints ?? [];
  const node = () => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "n1", resourceVersion: String(version), labels: { "node.kubernetes.io/instance-type": "t3.medium" } },
    spec: { providerID: `aws:///us-west-2a/${opts.instanceId}`, ...(taints.length ? { taints } : {}) },
  });
  return (req: SeenRequest, res: http.ServerResponse) => {
    const url = new URL(req.url, "http://x");
    res.setHeader("Content-Type", "application/json");
    if (url.pathname === "/api/v1/pods" && url.searchParams.get("watch") === "true") {
      const events = opts.watchEvents ?? opts.pods.map((object) => ({ type: "ADDED", object }));
      res.write(events.map((l) => JSON.stringify(l)).join("\n") + "\n");
      if (!opts.keepWatchOpen) res.end();
    } else if (url.pathname === "/api/v1/pods") {
      res.end(JSON.stringify({ apiVersion: "v1", kind: "PodList", metadata: {}, items: opts.pods }));
    } else if (/^\/api\/v1\/namespaces\/[^/]+\/events$/.test(url.pathname) && req.method === "POST") {
      res.statusCode = 201;
      res.end(req.body);
    } else if (url.pathname === "/api/v1/nodes/n1" && req.method === "PATCH") {
      const patch = JSON.parse(req.body) as { metadata?: { resourceVersion?: string }; spec?: { taints?: object[] } };
      if (req.contentType !== "application/merge-patch+json") {
        res.statusCode = 415;
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: 415 }));
      } else if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== String(version)) {
        res.statusCode = 409;
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Conflict", code: 409, message: 'Operation cannot be fulfilled on nodes "n1": the object has been modified' }));
      } else {
        if (patch.spec?.taints) taints = patch.spec.taints;
        version++;
        res.end(JSON.stringify(node()));
      }
    } else if (url.pathname === "/api/v1/nodes/n1") {
      res.end(JSON.stringify(node()));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: 404 }));
    }
  };
}

/** A kubeconfig file for a fake API server (plain HTTP needs insecure-skip-tls-verify in client-node). */
export function writeKubeconfig(dir: string, server: string): string {
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "c", context: { cluster: "fake", user: "u" } }],
      "current-context": "c",
    }),
  );
  return file;
}

/** The MAC address of the fake EC2's ENI eni-0a1. */
export const FAKE_ENI_MAC = "02:00:00:00:0a:01";

/**
 * A node's host as multus-eni and Multus leave it once ready, as files under `dir`: the
 * expected device 1, its record (interface ens6, FAKE_ENI_MAC), sysfs for ens6 (up), and
 * Multus's CNI configuration. Returns the agent's environment pointing at them.
 */
export function writeReadyHost(dir: string): Record<string, string> {
  const state = path.join(dir, "multus-eks");
  fs.mkdirSync(path.join(state, "enis"), { recursive: true });
  fs.writeFileSync(path.join(state, "expected"), "1\n");
  fs.writeFileSync(path.join(state, "enis", "1"), `device=1\ninterface=ens6\naltname=multus1\nmac=${FAKE_ENI_MAC}\nsubnet=subnet-0a1\n`);
  const sys = path.join(dir, "sys-class-net");
  fs.mkdirSync(path.join(sys, "ens6"), { recursive: true });
  fs.writeFileSync(path.join(sys, "ens6", "address"), `${FAKE_ENI_MAC}\n`);
  fs.writeFileSync(path.join(sys, "ens6", "flags"), "0x1003\n");
  const cni = path.join(dir, "net.d");
  fs.mkdirSync(cni, { recursive: true });
  fs.writeFileSync(path.join(cni, "00-multus.conf"), "{}");
  return { MULTUS_ENI_STATE_DIR: state, SYS_CLASS_NET: sys, MULTUS_CNI_CONFIG: path.join(cni, "00-multus.conf") };
}

/**
 * The EC2 query API (form-encoded requests, XML answers, shapes as in the EC2 API reference)
 * for one multus ENI `eni-0a1` in subnet `subnet-0a1` (10.0.16.0/24) attached to `instanceId`
 * at device 1, primary 10.0.16.10, holding `secondaries`.
 */
export function ec2Handler(opts: { instanceId: string; secondaries: string[] }) {
  const ns = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
  return (req: SeenRequest, res: http.ServerResponse) => {
    const p = new URLSearchParams(req.body);
    const action = p.get("Action");
    res.setHeader("Content-Type", "text/xml");
    const item = (ip: string, primary: boolean) => `<item><privateIpAddress>${ip}</privateIpAddress><primary>${primary}</primary></item>`;
    if (action === "DescribeNetworkInterfaces") {
      res.end(
        `<DescribeNetworkInterfacesResponse ${ns}><requestId>r1</requestId><networkInterfaceSet><item>` +
          `<networkInterfaceId>eni-0a1</networkInterfaceId><subnetId>subnet-0a1</subnetId><privateIpAddress>10.0.16.10</privateIpAddress><macAddress>${FAKE_ENI_MAC}</macAddress>` +
          `<attachment><deviceIndex>1</deviceIndex><instanceId>${opts.instanceId}</instanceId><status>attached</status></attachment>` +
          `<privateIpAddressesSet>${item("10.0.16.10", true)}${opts.secondaries.map((ip) => item(ip, false)).join("")}</privateIpAddressesSet>` +
          `</item></networkInterfaceSet></DescribeNetworkInterfacesResponse>`,
      );
    } else if (action === "DescribeSubnets") {
      res.end(`<DescribeSubnetsResponse ${ns}><requestId>r2</requestId><subnetSet><item><subnetId>subnet-0a1</subnetId><cidrBlock>10.0.16.0/24</cidrBlock></item></subnetSet></DescribeSubnetsResponse>`);
    } else if (action === "AssignPrivateIpAddresses") {
      const ips = [...p.entries()].filter(([k]) => k.startsWith("PrivateIpAddress.")).map(([, v]) => v);
      res.end(
        `<AssignPrivateIpAddressesResponse ${ns}><requestId>r3</requestId><networkInterfaceId>eni-0a1</networkInterfaceId><assignedPrivateIpAddressesSet>` +
          ips.map((ip) => `<item><privateIpAddress>${ip}</privateIpAddress></item>`).join("") +
          `</assignedPrivateIpAddressesSet></AssignPrivateIpAddressesResponse>`,
      );
    } else if (action === "UnassignPrivateIpAddresses") {
      res.end(`<UnassignPrivateIpAddressesResponse ${ns}><requestId>r4</requestId><return>true</return></UnassignPrivateIpAddressesResponse>`);
    } else {
      res.statusCode = 400;
      res.end(`<Response><Errors><Error><Code>InvalidAction</Code><Message>${action}</Message></Error></Errors><RequestID>r</RequestID></Response>`);
    }
  };
}
