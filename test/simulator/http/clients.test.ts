import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { contains, ipToInt, parseCidr } from "../../../contract/address";
import { DEFAULT_CONFIG, parseConfig } from "../../../ipam/config";
import { planNetwork } from "../../../ipam/plan";
import { FAKE_CREDENTIALS, ServeProcess, eventually, startServe } from "./serve-process";
import { report } from "../../report";

const run = promisify(execFile);
const SEQUENCE = path.join(__dirname, "clients/sequence.py");
const README = path.resolve(__dirname, "../../../simulator/README.md");
/** Debian's awscli package: the AWS CLI v2. The `aws` first on PATH may be another (pyenv's v1). */
const AWS_CLI = "/usr/bin/aws";

/** What a client saw for one check: a value, or an error code with its HTTP status. */
type Observation = { value?: unknown; error?: string; status?: number; detail?: string };

const reservedHalf = parseCidr("10.9.1.0/25", "r");
const picks = (o: Observation) => (Array.isArray(o.value) ? (o.value as string[]) : undefined);

/**
 * The checks the client sequence (clients/sequence.py) runs, each with what AWS documents.
 * `holds` judges one observation; a missing observation never holds.
 */
const CHECKS: { id: string; observation: string; documented: string; holds: (o: Observation) => boolean }[] = [
  { id: "list-subnets", observation: "list-subnets", documented: "DescribeSubnets lists the VPC's subnets", holds: (o) => JSON.stringify(o.value) === JSON.stringify(["10.9.1.0/24"]) },
  {
    id: "taken-address",
    observation: "taken-address",
    documented: "A fixed address already in use is refused with InvalidIPAddress.InUse (EC2 API reference, error codes)",
    holds: (o) => o.error === "InvalidIPAddress.InUse" && o.status === 400,
  },
  { id: "reserved-router", observation: "reserved-router", documented: "The subnet's +1 address (VPC router) is reserved: it cannot be assigned (VPC user guide, subnet sizing)", holds: (o) => o.status === 400 && !!o.error },
  { id: "reserved-broadcast", observation: "reserved-broadcast", documented: "The subnet's last address is reserved: it cannot be assigned (VPC user guide, subnet sizing)", holds: (o) => o.status === 400 && !!o.error },
  { id: "outside-subnet", observation: "outside-subnet", documented: "A fixed address comes from the subnet's range (CreateNetworkInterface, PrivateIpAddress)", holds: (o) => o.status === 400 && !!o.error },
  {
    id: "dhcp-outside-reservation",
    observation: "dhcp-outside-reservation",
    documented: "Auto-assigned addresses never come from an explicit subnet CIDR reservation (VPC user guide, subnet CIDR reservations)",
    holds: (o) => !!picks(o)?.length && picks(o)!.every((ip) => !contains({ first: reservedHalf.base, last: reservedHalf.last }, ipToInt(ip))),
  },
  {
    id: "launch-hook-pending-wait",
    observation: "launch-hook-pending-wait",
    documented: "With a launch hook, a new instance waits in Pending:Wait until the action completes (Auto Scaling user guide, lifecycle hooks)",
    holds: (o) => JSON.stringify(o.value) === JSON.stringify(["Pending:Wait"]),
  },
  {
    id: "complete-lifecycle-action",
    observation: "complete-lifecycle-action",
    documented: "CompleteLifecycleAction with CONTINUE is accepted and the instance goes InService (API reference, CompleteLifecycleAction)",
    holds: (o) => JSON.stringify(o.value) === JSON.stringify(["InService"]),
  },
];

function judge(observed: Record<string, Observation>): Record<string, boolean> {
  return Object.fromEntries(CHECKS.map((c) => [c.id, observed[c.observation] ? c.holds(observed[c.observation]!) : false]));
}

async function sequence(url: string): Promise<Record<string, Observation>> {
  const { stdout } = await run("python3", [SEQUENCE, url], { timeout: 60_000, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" } });
  return JSON.parse(stdout) as Record<string, Observation>;
}

/** Why the AWS CLI v2 is missing, or undefined when it is there. */
async function missingAwsCli(): Promise<string | undefined> {
  if (!existsSync(AWS_CLI)) return `${AWS_CLI} not found (Debian's awscli package; .ci/run installs it)`;
  try {
    // The package's version, not `aws --version`: the CLI takes a second of CPU to start.
    const { stdout } = await run("dpkg-query", ["-W", "-f=${Version}", "awscli"], { timeout: 30_000 }).catch(() => run(AWS_CLI, ["--version"], { timeout: 30_000 }));
    return /^(aws-cli\/)?2\./.test(stdout) ? undefined : `${AWS_CLI} is not the AWS CLI v2: ${stdout.trim()}`;
  } catch (err) {
    return `${AWS_CLI} unavailable: ${(err as Error).message.split("\n")[0]}`;
  }
}

/** Why boto3 and moto are missing from the machine's python3 (one process asks for both), undefined for each that is there. */
async function missingPython(): Promise<{ boto3?: string; moto?: string }> {
  const probe = "import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None for m in ('boto3', 'moto')}))";
  try {
    const found = JSON.parse((await run("python3", ["-c", probe], { timeout: 30_000 })).stdout) as Record<"boto3" | "moto", boolean>;
    const why = (m: string) => `python3 with ${m} unavailable: no module named ${m}`;
    return { ...(found.boto3 ? {} : { boto3: why("boto3"), moto: why("boto3") }), ...(found.moto ? {} : { moto: why("moto") }) };
  } catch (err) {
    const why = `python3 unavailable: ${(err as Error).message.split("\n")[0]}`;
    return { boto3: why, moto: why };
  }
}

function skipped(what: string, why: string): void {
  // A skipped check says why (house rule).
  report(`SKIPPED ${what}: ${why}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The moto_server of the machine's python, on 127.0.0.1 and a free port; stopped by `stop`. */
async function startMoto(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  // One Amazon-owned image (the sequence launches from whichever describe-images lists first):
  // moto's own list is thousands, parsed on its first EC2 call, seconds of CPU per run.
  const env = { ...process.env, MOTO_AMIS_PATH: path.join(__dirname, "clients", "moto-amis.json") };
  const child = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore", env });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(() => fetch(`${url}/moto-api/`).then((r) => (r.ok ? true : undefined), () => undefined), 30_000, "moto_server to answer");
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The rows of the moto table in simulator/README.md (first column, the check id in backticks). */
function documentedDepartures(): string[] {
  const text = readFileSync(README, "utf8");
  const block = /<!-- moto-departures:start -->([\s\S]*?)<!-- moto-departures:end -->/.exec(text)?.[1] ?? "";
  return [...block.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!).sort();
}

describe("AWS clients nobody here wrote, against multus-sim serve (and moto)", () => {
  let serve: ServeProcess;
  const plan = planNetwork(parseConfig({}));
  const clients: Partial<Record<"aws" | "boto3" | "moto", string | undefined>> = {};

  beforeAll(async () => {
    const [s, aws, python] = await Promise.all([startServe(["--timing", "instant"]), missingAwsCli(), missingPython()]);
    serve = s;
    Object.assign(clients, { aws, ...python });
  });
  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
  });

  /** One AWS CLI v2 call against serve: exit code, parsed JSON stdout, stderr. */
  async function aws(args: string[]): Promise<{ code: number; json?: Record<string, unknown>; stderr: string }> {
    // --endpoint-url, not AWS_ENDPOINT_URL: Debian's CLI (2.9) predates the variable (2.13) and would go to AWS.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...FAKE_CREDENTIALS, AWS_PAGER: "", AWS_MAX_ATTEMPTS: "1", AWS_EC2_METADATA_DISABLED: "true" };
    try {
      const { stdout, stderr } = await run(AWS_CLI, [...args, "--endpoint-url", serve.url, "--output", "json"], { env, timeout: 60_000 });
      return { code: 0, ...(stdout.trim() ? { json: JSON.parse(stdout) as Record<string, unknown> } : {}), stderr };
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? "" };
    }
  }

  test("GIVEN the AWS CLI v2 and serve's config world WHEN it lists subnets, creates ENIs on a taken and on a reserved address, and completes a waiting launch THEN EC2's and Auto Scaling's answers come back as AWS documents them", async () => {
    if (clients.aws) return skipped("AWS CLI v2 test", clients.aws);
    // A taken address: a launched instance's own (found with the SDK; the CLI is what is tested).
    const sdk = new EC2Client({ region: "us-west-2", endpoint: serve.url, credentials: { accessKeyId: "AKID", secretAccessKey: "s" } });
    const inst = (await sdk.send(new DescribeInstancesCommand({}))).Reservations![0]!.Instances![0]!;
    sdk.destroy();
    const multus = plan.subnets[0]!;
    // Each CLI call is a python process: the independent ones at once.
    const [subnets, taken, router, waiting] = await Promise.all([
      aws(["ec2", "describe-subnets"]),
      aws(["ec2", "create-network-interface", "--subnet-id", inst.SubnetId!, "--private-ip-address", inst.PrivateIpAddress!]),
      aws(["ec2", "create-network-interface", "--subnet-id", multus.id, "--private-ip-address", "10.0.4.1"]),
      aws(["autoscaling", "describe-auto-scaling-instances"]),
    ]);
    expect(subnets.code).toBe(0);
    expect((subnets.json!.Subnets as { SubnetId: string }[]).map((s) => s.SubnetId).sort()).toEqual([...DEFAULT_CONFIG.nodeGroup.subnetIds, ...DEFAULT_CONFIG.multus.subnets.map((s) => s.id)].sort());
    expect([taken.code, /\((InvalidIPAddress\.InUse)\)/.exec(taken.stderr)?.[1]]).toEqual([254, "InvalidIPAddress.InUse"]);
    expect([router.code, /\((InvalidParameterValue)\).*reserved address range/.test(router.stderr)]).toEqual([254, true]);

    const members = waiting.json!.AutoScalingInstances as { InstanceId: string; LifecycleState: string; AutoScalingGroupName: string }[];
    expect(members.map((m) => m.LifecycleState)).toEqual(["Pending:Wait", "Pending:Wait"]);
    const first = members[0]!;
    const done = await aws(["autoscaling", "complete-lifecycle-action", "--auto-scaling-group-name", first.AutoScalingGroupName, "--lifecycle-hook-name", "multus-launch", "--instance-id", first.InstanceId, "--lifecycle-action-result", "CONTINUE"]);
    expect([done.code, done.stderr]).toEqual([0, ""]);
  });

  test("GIVEN boto3 WHEN it builds its own VPC, subnet, reservation, launch template and hooked group on serve and runs the sequence THEN every check holds as AWS documents it", async () => {
    if (clients.boto3) return skipped("boto3 test", clients.boto3);
    const observed = await sequence(serve.url);
    expect(judge(observed)).toEqual(Object.fromEntries(CHECKS.map((c) => [c.id, true])));
    // The reserved address is refused with EC2's code.
    expect(observed["reserved-router"]).toEqual({ error: "InvalidParameterValue", status: 400 });
  });

  test("GIVEN moto_server WHEN the same boto3 sequence runs on it THEN it departs from AWS's documentation exactly where simulator/README.md's table says", async () => {
    if (clients.moto) return skipped("moto comparison", clients.moto);
    const moto = await startMoto();
    try {
      const verdicts = judge(await sequence(moto.url));
      const departures = Object.entries(verdicts)
        .filter(([, ok]) => !ok)
        .map(([id]) => id)
        .sort();
      report(`moto departs from AWS's documentation on: ${departures.join(", ") || "nothing"}`);
      expect(departures).toEqual(documentedDepartures());
    } finally {
      await moto.stop();
    }
  });
});
