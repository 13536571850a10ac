import { ChildProcess, execSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as http from "node:http";
import * as path from "node:path";
import { buildAgent } from "../build";
import { AGENT_MEMORY } from "../modules/kubernetes/objects/agent";
import { SeenRequest, apiPod, ec2Handler, fakeServer, kubeHandler, writeKubeconfig } from "../test/agent/fake-servers";
import { intToIp, ipToInt } from "../contract/address";
import { Verdict, median } from "./stats";

/** Where a full run records its figures; test/modules/kubernetes holds the manifest to them. */
export const AGENT_MEMORY_FILE = path.join(__dirname, "agent-memory.json");

const INSTANCE_ID = "i-0123456789abcdef0";
/** The fake ENI's subnet, widened from the fake's /24 so 1,000 pods get distinct addresses. */
const SUBNET = { id: "subnet-0a1", cidr: "10.0.16.0/20", firstPodIp: "10.0.16.20" };
/** Secondary addresses per ENI on t3.medium (the fake node's instance type): 6 IPv4 minus the primary. */
const T3_MEDIUM_PODS_PER_ENI = 5;
const SAMPLE_MS = 250;
/** Pods on the node in the runs: idle, and 1,000. */
export const AGENT_PODS = [0, 1000] as const;
/** The agent's shortest sync period, so a run holds many rounds. */
export const AGENT_SYNC_SECONDS = 5;

export interface AgentMemoryRow {
  readonly scenario: string;
  readonly pods: number;
  readonly seconds: number;
  /** Median RSS over the second half of the run (after start-up and the first rounds), MiB. */
  readonly steadyMiB: number;
  /** Peak RSS of the whole run (VmHWM), MiB. */
  readonly peakMiB: number;
  /** Events the agent posted (pods past the ENI's limit). */
  readonly events: number;
  /** EC2 requests (rounds x reads, plus writes). */
  readonly ec2Calls: number;
}

export interface AgentMemoryFigures {
  readonly syncPeriodSeconds: number;
  readonly bareNode: { readonly steadyMiB: number; readonly peakMiB: number };
  readonly rows: readonly AgentMemoryRow[];
}

/** The fake EC2 of test/agent/fake-servers.ts, with SUBNET's CIDR in DescribeSubnets. */
function ec2WithWideSubnet(secondaries: string[]) {
  const inner = ec2Handler({ instanceId: INSTANCE_ID, secondaries });
  return (req: SeenRequest, res: http.ServerResponse) => {
    if (new URLSearchParams(req.body).get("Action") !== "DescribeSubnets") return inner(req, res);
    res.setHeader("Content-Type", "text/xml");
    res.end(
      `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r2</requestId><subnetSet><item>` +
        `<subnetId>${SUBNET.id}</subnetId><cidrBlock>${SUBNET.cidr}</cidrBlock></item></subnetSet></DescribeSubnetsResponse>`,
    );
  };
}

/** VmRSS and VmHWM of a live process, KiB (Linux /proc). */
function procMemory(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) };
  } catch {
    return undefined;
  }
}

/** Samples a child's RSS for `seconds`, then stops it with SIGTERM: steady (median of the second half) and peak, MiB. */
async function sample(child: ChildProcess, seconds: number): Promise<{ steadyMiB: number; peakMiB: number }> {
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const samples: number[] = [];
  let hwmKb = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const m = procMemory(child.pid!);
    if (!m) break;
    samples.push(m.rssKb);
    hwmKb = m.hwmKb;
  }
  if (child.exitCode !== null || !samples.length) throw new Error(`the measured process exited early (${child.exitCode}): ${stderr}`);
  child.kill("SIGTERM");
  await exited;
  return { steadyMiB: median(samples.slice(Math.floor(samples.length / 2))) / 1024, peakMiB: hwmKb / 1024 };
}

/**
 * The shipped agent bundle (build.ts buildAgent) in a fresh `node`, as the image runs it, against
 * the fake Kubernetes API and EC2 of test/agent/fake-servers.ts: node n1 (t3.medium), one
 * multus ENI, `pods` running pods on the node each holding one multus address. The ENI already
 * holds the first 5 (its limit), so every round reads and changes nothing; the other pods get
 * one MultusIpLimitExceeded event each in the first round (the heaviest work the agent does).
 */
async function runAgent(bundle: string, dir: string, pods: number, seconds: number, syncPeriodSeconds: number): Promise<AgentMemoryRow> {
  const first = ipToInt(SUBNET.firstPodIp);
  const ips = Array.from({ length: pods }, (_, i) => intToIp(first + i));
  const api = await fakeServer(kubeHandler({ instanceId: INSTANCE_ID, pods: ips.map((ip, i) => apiPod(`pod-${i}`, "n1", ip)), keepWatchOpen: true }));
  const ec2 = await fakeServer(ec2WithWideSubnet(ips.slice(0, T3_MEDIUM_PODS_PER_ENI)));
  try {
    const child = spawn(process.execPath, [bundle], {
      cwd: tmpdir(),
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        NODE_NAME: "n1",
        AWS_REGION: "us-west-2",
        SYNC_PERIOD_SECONDS: String(syncPeriodSeconds),
        KUBECONFIG: writeKubeconfig(dir, api.url),
        AWS_ENDPOINT_URL_EC2: ec2.url,
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "secret",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    const memory = await sample(child, seconds);
    const events = api.requests.filter((r) => r.method === "POST" && r.url.endsWith("/events")).length;
    return { scenario: pods === 0 ? "idle (no pods on the node)" : `${pods.toLocaleString("en-US")} pods on the node`, pods, seconds, ...memory, events, ec2Calls: ec2.requests.length };
  } finally {
    await api.close();
    await ec2.close();
  }
}

/**
 * The agent's resident memory, idle and with each of `pods` (beyond 0) on its node, against a
 * bare `node` that only keeps a timer (what any Node.js process costs), sampled from /proc
 * every 250 ms. Linux only.
 */
export async function measureAgentMemory(opts: { pods: readonly number[]; seconds: number; syncPeriodSeconds: number }): Promise<AgentMemoryFigures> {
  if (!existsSync("/proc/self/status")) throw new Error("no /proc/<pid>/status on this system: the agent's RSS cannot be sampled");
  const dir = mkdtempSync(path.join(tmpdir(), "bench-agent-"));
  try {
    const { file } = await buildAgent(path.join(dir, "bundle"));
    const bare = await sample(spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }), Math.min(opts.seconds, 10));
    const rows: AgentMemoryRow[] = [];
    for (const pods of opts.pods) rows.push(await runAgent(file, dir, pods, opts.seconds, opts.syncPeriodSeconds));
    return { syncPeriodSeconds: opts.syncPeriodSeconds, bareNode: bare, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "128Mi" -> 128; "1Gi" -> 1024 (the suffixes the manifest uses). */
export function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`${quantity}: not a Mi or Gi quantity`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

/**
 * The manifest's memory against the figures: the request at least the idle peak (the scheduler
 * reserves what the agent always uses), the limit above the peak of the largest pod count.
 */
export function agentMemoryVerdict(f: Pick<AgentMemoryFigures, "rows">, memory: { request: string; limit: string } = AGENT_MEMORY): Verdict {
  const idle = f.rows.find((r) => r.pods === 0);
  const busiest = [...f.rows].sort((a, b) => b.pods - a.pods)[0];
  if (!idle || !busiest || busiest.pods === 0) return { met: false, text: "needs an idle run and one with pods" };
  const [request, limit] = [mebibytes(memory.request), mebibytes(memory.limit)];
  const gaps = [
    ...(request < idle.peakMiB ? [`request ${memory.request} is below the idle peak ${idle.peakMiB.toFixed(0)} MiB`] : []),
    ...(limit <= busiest.peakMiB ? [`limit ${memory.limit} is not above the peak with ${busiest.pods} pods, ${busiest.peakMiB.toFixed(0)} MiB`] : []),
  ];
  const figures = `idle peak ${idle.peakMiB.toFixed(0)} MiB <= request ${memory.request}; peak with ${busiest.pods.toLocaleString("en-US")} pods ${busiest.peakMiB.toFixed(0)} MiB < limit ${memory.limit}`;
  return gaps.length ? { met: false, text: gaps.join("; ") } : { met: true, text: figures };
}

/** The figures as bench/agent-memory.json records them. */
export function agentMemoryRecord(f: AgentMemoryFigures, run: { date: string; commit: string; command: string }): string {
  return `${JSON.stringify({ measured: run.date, commit: run.commit, node: process.version, command: run.command, ...f }, null, 2)}\n`;
}

// `npx tsx bench/agent-memory.ts [seconds] [--write]`: this piece alone, JSON on stdout; with
// --write (and the full run's 60 s) also bench/agent-memory.json.
if (require.main === module) {
  const args = process.argv.slice(2);
  const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
  measureAgentMemory({ pods: AGENT_PODS, seconds, syncPeriodSeconds: AGENT_SYNC_SECONDS })
    .then((f) => {
      process.stdout.write(`${JSON.stringify({ ...f, verdict: agentMemoryVerdict(f) }, null, 2)}\n`);
      if (args.includes("--write")) {
        const commit = execSync("git rev-parse --short HEAD", { cwd: __dirname, encoding: "utf8" }).trim();
        const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        writeFileSync(AGENT_MEMORY_FILE, agentMemoryRecord(f, { date, commit, command: `npx tsx bench/agent-memory.ts ${seconds} --write` }));
      }
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exitCode = 1;
    });
}
