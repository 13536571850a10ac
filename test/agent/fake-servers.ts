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
      const seen = { method: req.method ?? "", url: req.url ?? "/", body };
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
 * A Kubernetes API with node `n1` (providerID of `instanceId`, type t3.medium), the given pods
 * on it, a watch that sends them as ADDED (plus a bookmark) and stays open, and event creation.
 */
export function kubeHandler(opts: { instanceId: string; pods: object[]; watchEvents?: object[]; keepWatchOpen?: boolean }) {
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
    } else if (url.pathname === "/api/v1/nodes/n1") {
      res.end(JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "n1", labels: { "node.kubernetes.io/instance-type": "t3.medium" } }, spec: { providerID: `aws:///us-west-2a/${opts.instanceId}` } }));
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
          `<networkInterfaceId>eni-0a1</networkInterfaceId><subnetId>subnet-0a1</subnetId><privateIpAddress>10.0.16.10</privateIpAddress>` +
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
