import { AutoScalingClient, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeNetworkInterfacesCommand, EC2Client, NetworkInterface } from "@aws-sdk/client-ec2";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildAgent, buildLambda } from "../../../build";
import { contains, ipToInt } from "../../../contract/address";
import { parseConfig } from "../../../ipam/config";
import { asShorthand } from "../../../ipam/cluster-config";
import { lambdaEnvironment } from "../../../ipam/lambda-env";
import { nadIpamRange } from "../../../ipam/layout";
import { planNetwork } from "../../../ipam/plan";
import { apiPod, fakeServer, kubeHandler, writeKubeconfig } from "../../agent/fake-servers";
import { FAKE_CREDENTIALS, ServeProcess, eventually, startServe } from "./serve-process";

/**
 * The shipped bundles (esbuild output, nothing from node_modules) against `multus-sim serve`,
 * reached only through the standard endpoint variables, as they would reach AWS.
 */
describe("the Lambda and agent bundles against multus-sim serve", () => {
  const config = asShorthand(parseConfig({ nodeGroup: { minSize: 0, desiredSize: 0, maxSize: 3 } }));
  const plan = planNetwork(config);
  let dir: string;
  let lambdaFile: string;
  let agentFile: string;
  let serve: ServeProcess;
  let eventsFile: string;
  let ec2: EC2Client;
  let asg: AutoScalingClient;
  const group = "eks-multus-cluster-ng1";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-serve-"));
    const configFile = path.join(dir, "multus.config.json");
    fs.writeFileSync(configFile, JSON.stringify({ nodeGroup: { minSize: 0, desiredSize: 0, maxSize: 3 } }));
    eventsFile = path.join(dir, "events.jsonl");
    const [l, a, s] = await Promise.all([buildLambda(path.join(dir, "lambda")), buildAgent(path.join(dir, "agent")), startServe(["--config", configFile, "--timing", "instant", "--events", eventsFile])]);
    [lambdaFile, agentFile, serve] = [l.file, a.file, s];
    const clientConfig = { region: "us-west-2", endpoint: serve.url, credentials: { accessKeyId: "AKIDSIMULATOR", secretAccessKey: "simulator" } };
    ec2 = new EC2Client(clientConfig);
    asg = new AutoScalingClient(clientConfig);
  });

  afterAll(async () => {
    ec2?.destroy();
    asg?.destroy();
    const code = await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    // SIGTERM stops the server cleanly.
    expect(code).toBe(0);
  });

  const events = () =>
    fs.existsSync(eventsFile)
      ? fs
          .readFileSync(eventsFile, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { "detail-type": string; detail: { EC2InstanceId: string } })
      : [];

  /** Runs the Lambda bundle's `handler` on `batch` in a fresh node, with only the stack's environment and AWS_ENDPOINT_URL. */
  function invokeLambda(batch: unknown[]): { action: string; result: string; enis: { ip: string }[] }[] {
    const script = `const { handler } = require(${JSON.stringify(lambdaFile)});
      (async () => { const out = []; for (const e of JSON.parse(process.argv[1])) out.push(await handler(e)); process.stdout.write("RESULT " + JSON.stringify(out) + "\\n"); })();`;
    const r = spawnSync(process.execPath, ["-e", script, JSON.stringify(batch)], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? "", ...FAKE_CREDENTIALS, AWS_ENDPOINT_URL: serve.url, ...lambdaEnvironment(config, plan) },
      encoding: "utf8",
      timeout: 30_000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`the Lambda bundle failed (${r.status}): ${r.stderr}`);
    return JSON.parse(line.slice("RESULT ".length)) as { action: string; result: string; enis: { ip: string }[] }[];
  }

  async function enisOf(instanceId: string): Promise<NetworkInterface[]> {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-id", Values: [instanceId] }] }));
    return (out.NetworkInterfaces ?? []).sort((a, b) => a.Attachment!.DeviceIndex! - b.Attachment!.DeviceIndex!);
  }

  async function members() {
    const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }));
    return out.AutoScalingGroups![0]!.Instances ?? [];
  }

  test("GIVEN SetDesiredCapacity 3 WHEN the Lambda bundle handles the launch events serve wrote THEN every instance is InService with one ENI per multus subnet in its worker block", async () => {
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: 3 }));
    const launches = await eventually(() => (events().length >= 3 ? events() : undefined), 10_000, "three launch events");
    expect(launches.map((e) => e["detail-type"])).toEqual(Array(3).fill("EC2 Instance-launch Lifecycle Action"));
    expect((await members()).map((m) => m.LifecycleState)).toEqual(["Pending:Wait", "Pending:Wait", "Pending:Wait"]);

    const outcomes = invokeLambda(launches);
    expect(outcomes.map((o) => `${o.action}:${o.result}`)).toEqual(Array(3).fill("launch:CONTINUE"));

    const now = await members();
    expect(now.map((m) => m.LifecycleState)).toEqual(["InService", "InService", "InService"]);
    const seen = new Set<string>();
    for (const m of now) {
      const enis = await enisOf(m.InstanceId!);
      // Device 0 is the instance's own; 1 and 2 the multus ENIs, in plan order.
      expect(enis.map((e) => [e.Attachment!.DeviceIndex, e.SubnetId])).toEqual([[0, config.nodeGroup.subnetIds[0]], ...plan.subnets.map((s) => [s.deviceIndex, s.id])]);
      for (const [k, s] of plan.subnets.entries()) {
        const ip = enis[k + 1]!.PrivateIpAddress!;
        expect(contains(s.workers, ipToInt(ip))).toBe(true);
        expect(seen.has(ip)).toBe(false);
        seen.add(ip);
      }
    }
  });

  test("GIVEN the group InService WHEN the agent bundle runs on one node with a multus pod THEN the pod's address ends up on the node's ENI in that subnet, through serve's API", async () => {
    const [node] = await members();
    const instanceId = node!.InstanceId!;
    const podIp = nadIpamRange(plan.subnets[0]!).range_start;
    const api = await fakeServer(kubeHandler({ instanceId, pods: [apiPod("a", "n1", podIp)], keepWatchOpen: true }));
    const child = spawn(process.execPath, [agentFile], {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH ?? "",
        ...FAKE_CREDENTIALS,
        NODE_NAME: "n1",
        MULTUS_NODE_GROUP_TAG: lambdaEnvironment(config, plan).MULTUS_NODE_GROUP_TAG!,
        KUBECONFIG: writeKubeconfig(dir, api.url),
        AWS_ENDPOINT_URL_EC2: serve.url,
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    let stdout = "";
    child.stdout.on("data", (c) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const eni = await eventually(
        async () => (await enisOf(instanceId)).find((e) => e.SubnetId === plan.subnets[0]!.id && e.PrivateIpAddresses!.some((p) => !p.Primary && p.PrivateIpAddress === podIp)),
        15_000,
        `${podIp} on ${instanceId}'s ENI (agent log: ${stdout})`,
      );
      expect(eni.Attachment!.DeviceIndex).toBe(plan.subnets[0]!.deviceIndex);
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      await api.close();
    }
  });

  test("GIVEN SetDesiredCapacity 2 WHEN the Lambda bundle handles the terminate event THEN the instance goes and takes its multus ENIs and worker addresses with it", async () => {
    const before = events().length;
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: 2 }));
    const [terminate] = await eventually(() => (events().length > before ? events().slice(before) : undefined), 10_000, "a terminate event");
    expect(terminate!["detail-type"]).toBe("EC2 Instance-terminate Lifecycle Action");
    const instanceId = terminate!.detail.EC2InstanceId;
    const ips = (await enisOf(instanceId)).slice(1).map((e) => e.PrivateIpAddress!);
    expect(ips).toHaveLength(plan.subnets.length);

    expect(invokeLambda([terminate]).map((o) => `${o.action}:${o.result}`)).toEqual(["terminate:CONTINUE"]);
    expect((await members()).map((m) => m.InstanceId)).not.toContain(instanceId);
    const everything = await ec2.send(new DescribeNetworkInterfacesCommand({}));
    const live = new Set((everything.NetworkInterfaces ?? []).map((e) => e.PrivateIpAddress));
    for (const ip of ips) expect(live.has(ip)).toBe(false);
  });
});
