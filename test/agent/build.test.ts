import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildAgent } from "../../build";
import { apiPod, ec2Handler, fakeServer, kubeHandler, writeKubeconfig } from "./fake-servers";

describe("buildAgent", () => {
  let dir: string;
  let built: { file: string; bytes: number };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-agent-"));
    built = await buildAgent(dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the bundle as the image does (`node index.js`), from a directory without node_modules. */
  function runBundle(env: Record<string, string>) {
    const r = spawnSync(process.execPath, [built.file], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? "", NODE_PATH: "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env }, encoding: "utf8", timeout: 20000 });
    return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>) };
  }

  it("GIVEN the agent WHEN bundled THEN a single minified index.js is written", () => {
    expect(built.file).toBe(path.join(dir, "index.js"));
    expect(fs.readdirSync(dir)).toEqual(["index.js"]);
    expect(built.bytes).toBe(fs.statSync(built.file).size);
    expect(fs.readFileSync(built.file, "utf8").split("\n").length).toBeLessThan(100);
  });

  it("GIVEN the bundle without NODE_NAME WHEN started THEN it exits 2 with one JSON log line naming the variable", () => {
    const r = runBundle({ AWS_REGION: "us-west-2" });
    expect(r.status).toBe(2);
    expect(r.lines).toEqual([expect.objectContaining({ level: "error", variable: "NODE_NAME", msg: expect.stringMatching(/^NODE_NAME: is not set/) })]);
  });

  it("GIVEN a valid environment but no reachable cluster configuration WHEN started THEN it exits 1 saying it failed to start", () => {
    const r = runBundle({ NODE_NAME: "n1", AWS_REGION: "us-west-2", INSTANCE_ID: "i-0123456789abcdef0", INSTANCE_TYPE: "t3.medium", KUBECONFIG: path.join(dir, "missing-kubeconfig") });
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toMatchObject({ level: "error", msg: "agent failed to start" });
  });

  it("GIVEN fake Kubernetes and EC2 endpoints WHEN the bundle runs THEN it finds its instance from the node, releases the dead address, assigns the live one with AllowReassignment, and exits 0 on SIGTERM", async () => {
    const instanceId = "i-0123456789abcdef0";
    const api = await fakeServer(kubeHandler({ instanceId, pods: [apiPod("a", "n1", "10.0.16.100")], keepWatchOpen: true }));
    const ec2 = await fakeServer(ec2Handler({ instanceId, secondaries: ["10.0.16.200"] }));
    try {
      const child = spawn(process.execPath, [built.file], {
        cwd: os.tmpdir(),
        env: {
          PATH: process.env.PATH ?? "",
          NODE_NAME: "n1",
          AWS_REGION: "us-west-2",
          MULTUS_NODE_GROUP_TAG: "ng-1",
          KUBECONFIG: writeKubeconfig(dir, api.url),
          AWS_ENDPOINT_URL_EC2: ec2.url,
          AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
          AWS_SECRET_ACCESS_KEY: "secret",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      });
      let stdout = "";
      child.stdout.on("data", (c) => (stdout += c));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const actions = () => ec2.requests.map((r) => new URLSearchParams(r.body).get("Action"));
      for (let i = 0; i < 200 && !actions().includes("AssignPrivateIpAddresses"); i++) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);

      const params = (action: string) => new URLSearchParams(ec2.requests.find((r) => new URLSearchParams(r.body).get("Action") === action)!.body);
      const describe = params("DescribeNetworkInterfaces");
      expect([...describe.entries()].filter(([k]) => k.startsWith("Filter."))).toEqual([
        ["Filter.1.Name", "attachment.instance-id"],
        ["Filter.1.Value.1", instanceId],
        ["Filter.2.Name", "tag:multus.eks.amazonaws.com/node-group"],
        ["Filter.2.Value.1", "ng-1"],
      ]);
      expect(Object.fromEntries(params("UnassignPrivateIpAddresses"))).toMatchObject({ NetworkInterfaceId: "eni-0a1", "PrivateIpAddress.1": "10.0.16.200" });
      expect(Object.fromEntries(params("AssignPrivateIpAddresses"))).toMatchObject({ NetworkInterfaceId: "eni-0a1", "PrivateIpAddress.1": "10.0.16.100", AllowReassignment: "true" });
      // Unassign before assign: free slots first.
      expect(actions().indexOf("UnassignPrivateIpAddresses")).toBeLessThan(actions().indexOf("AssignPrivateIpAddresses"));

      const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ msg: "starting", instanceId, instanceType: "t3.medium", sources: { instanceId: "node providerID", instanceType: "node label" } });
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["assigned", "unassigned", "signal received; stopping", "stopped"]));
    } finally {
      await api.close();
      await ec2.close();
    }
  });
});
