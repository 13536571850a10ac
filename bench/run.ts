import { execSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { PLAN_WIDTH, wrap } from "../cli/plan";
import { fitTable } from "../cli/table";
import * as os from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { AGENT_MEMORY } from "../modules/kubernetes/objects/agent";
import { AGENT_MEMORY_FILE, AGENT_PODS, AGENT_SYNC_SECONDS, AgentMemoryFigures, agentMemoryRecord, agentMemoryVerdict, measureAgentMemory } from "./agent-memory";
import { BURST_SUBNET, BurstRow, runBurst, runCallVariants } from "./burst";
import { LambdaFigures, measureLambdaVariants } from "./lambda";
import { BRINGUP_NODES, BringupRow, bringupVerdict, runBringup } from "./bringup";
import { soak } from "../cli/soak";
import { ScaleRow, measureScaleInChild } from "./scale";
import { SERVE_TARGET_MS, ServeFigures, measureServe } from "./serve";
import { Section, Verdict, burstVerdict, markdownSection, mb, ms, num, ratio, replaceBetween, scaleVerdict } from "./stats";
import { SynthFigures, TestSuiteFigures, measureSynth, measureTestSuite } from "./synth";

/** Burst target (issue): no ABANDON and at most this many EC2 calls per ENI at N = 100. */
export const CALLS_PER_ENI_TARGET = 4.5;
export const TARGET_NODES = 100;
/** Scale target: /16 per-allocation time at most this multiple of /24's. */
export const SCALE_RATIO_TARGET = 4;

export interface BenchSettings {
  readonly quick: boolean;
  readonly burstNodes: readonly number[];
  readonly burstRuns: number;
  readonly scaleRepeats: number;
  readonly synthRepeats: number;
  readonly lambdaRepeats: number;
  readonly serveRepeats: number;
  readonly runTests: boolean;
  /** Seconds the node agent runs per scenario. */
  readonly agentSeconds: number;
  readonly bringupNodes: readonly number[];
  /** Soak scenarios timed for the throughput figure. */
  readonly soakScenarios: number;
}

export function settings(quick: boolean): BenchSettings {
  return quick
    ? { quick, burstNodes: [10, 50, 100], burstRuns: 2, scaleRepeats: 1, synthRepeats: 1, lambdaRepeats: 3, serveRepeats: 3, runTests: false, agentSeconds: 15, bringupNodes: [100, 500], soakScenarios: 200 }
    : { quick, burstNodes: [10, 50, 100, 200], burstRuns: 5, scaleRepeats: 3, synthRepeats: 3, lambdaRepeats: 5, serveRepeats: 7, runTests: true, agentSeconds: 60, bringupNodes: BRINGUP_NODES, soakScenarios: 1000 };
}

interface Machine {
  readonly date: string;
  /** 1-minute load average when the run started. */
  readonly load: number;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  readonly commit: string;
}

function machine(): Machine {
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: path.resolve(__dirname, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    load: os.loadavg()[0]!,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    commit,
  };
}

/** Names where a calls-per-ENI gap comes from, with the variants of table 1b. */
function explainCalls(v: Verdict, variants: readonly BurstRow[]): Verdict {
  if (v.met || !/calls per ENI/.test(v.text)) return v;
  const one = variants.find((r) => r.subnets === 1 && r.sourceDestCheck);
  const two = variants.find((r) => r.subnets === 2 && r.sourceDestCheck);
  if (!one || !two) return v;
  return {
    met: false,
    text: `${v.text}. The gap is the launch's two reads (${num(one.readsPerEni)} per ENI with one multus subnet), which a node's ENIs share: with the default two multus subnets it is ${num(two.callsPerEni)} calls per ENI (${num(two.readsPerEni)} + ${num(two.writesPerEni)}), see 1b`,
  };
}

/**
 * The plan each N ran against, a line per N (the same for both allocators; a sentence
 * when both strategies share it): in the notes, so the table keeps to its figures.
 */
function burstPlans(rows: readonly BurstRow[]): string[] {
  const plans = new Map<number, Map<string, string>>();
  for (const r of rows) {
    const byStrategy = plans.get(r.nodes) ?? new Map<string, string>();
    byStrategy.set(r.strategy, r.infeasible ? `no plan: ${r.infeasible}` : (r.plan ?? ""));
    plans.set(r.nodes, byStrategy);
  }
  return [...plans].map(([n, byStrategy]) => {
    const texts = new Set(byStrategy.values());
    const body = texts.size === 1 ? [...texts][0]! : [...byStrategy].map(([strategy, text]) => `${strategy}: ${text}`).join("; ");
    return `Plan at N = ${n}: ${body}`;
  });
}

export function burstSection(rows: readonly BurstRow[], verdict: Verdict, runs: number): Section {
  return {
    title: `1. Burst: N concurrent launches into one ${BURST_SUBNET}`,
    head: ["N", "strategy", "allocator", "ABANDONs", "collisions", "other violations", "EC2 calls/ENI (reads + writes)", "lifecycle latency p50 / p95"],
    rows: rows.map((r) =>
      r.infeasible
        ? [String(r.nodes), r.strategy, r.allocator, "infeasible (no plan)", "", "", "", ""]
        : [
            String(r.nodes),
            r.strategy,
            r.allocator,
            `${r.abandoned} of ${r.launches}`,
            String(r.collisions),
            Object.entries(r.otherViolations).map(([k, n]) => `${k} ${n}`).join(", ") || "0",
            `${num(r.callsPerEni)} (${num(r.readsPerEni)} + ${num(r.writesPerEni)})`,
            `${ms(r.latencyP50Ms)} / ${ms(r.latencyP95Ms)}`,
          ],
    ),
    notes: [
      `Each cell: ${runs} seeded runs (seeds 1..${runs}) of the simulator's scenario runner, all N launches in flight at once, one multus pod per node from the pod block, ceil(N/10) foreign DHCP ENIs appearing during the burst, simulated SDK latency 20-200 ms per call.`,
      "project = this project's lifecycle Lambda (lambda/handler.ts) configured from the environment the stack writes, the plan's CIDR reservations in place. baseline = the reference allocator (simulator/baseline): no reservation for static (its Option 1), the pod-block reservation for reservation (its Option 2).",
      "ABANDONs and collisions summed over the runs; EC2 calls per ENI = all EC2 calls (reads and writes, retries included) ÷ ENIs created; latency = simulated time from event to completed action, worst run's percentile.",
      "Plan: maxNodes = N, podsPerNode 1, worker headroom = N when it fits, else what the /24 leaves. N = 200 needs 200 worker and 200 pod addresses: more than a /24's 251 usable, so no plan exists.",
      ...burstPlans(rows),
      `Target (N = ${TARGET_NODES}): 0 ABANDONs and at most ${CALLS_PER_ENI_TARGET} EC2 calls per ENI. ${verdict.met ? "MET" : "NOT MET"}: ${verdict.text}`,
    ],
  };
}

function callsSection(rows: readonly BurstRow[]): Section {
  return {
    title: `1b. Where the EC2 calls per ENI go (static, this project's Lambda, N = ${TARGET_NODES})`,
    head: ["multus subnets", "source/dest check", "ABANDONs", "EC2 calls/ENI", "reads/ENI", "writes/ENI"],
    rows: rows.map((r) => [String(r.subnets), r.sourceDestCheck ? "on (stack default: no call)" : "off (one modify call)", `${r.abandoned} of ${r.launches}`, num(r.callsPerEni), num(r.readsPerEni), num(r.writesPerEni)]),
    notes: [
      "A launch reads twice however many ENIs it makes (DescribeInstances of the group, DescribeNetworkInterfaces of the zone's multus subnets), then per ENI: CreateNetworkInterface, AttachNetworkInterface, ModifyNetworkInterfaceAttribute (DeleteOnTermination), and a second modify only when the source/destination check is turned off.",
    ],
  };
}

export function scaleSection(rows: readonly ScaleRow[], verdict: Verdict): Section {
  // How the fills ended: a column only when they differ, else a line under the table.
  const endings = new Set(rows.map((r) => r.endedWith));
  const oneEnding = endings.size === 1 ? [...endings][0] : undefined;
  return {
    title: "2. Simulator scale: DHCP ENIs until the subnet is full (EC2 model)",
    head: ["subnet", "DHCP policy", "allocations", "fill time", "per second", "µs each", "vs /24", "last ÷ first eighth", "heap", "bytes each", ...(oneEnding ? [] : ["ended with"])],
    rows: rows.map((r) => {
      const base = rows.find((x) => x.dhcp === r.dhcp && x.cidr.endsWith("/24"));
      return [
        r.cidr.split("/")[1] ? `/${r.cidr.split("/")[1]}` : r.cidr,
        r.dhcp,
        String(r.allocations),
        ms(r.ms),
        Math.round(r.allocationsPerSecond).toLocaleString("en-US"),
        num(r.usPerAllocation, 1),
        base ? ratio(r.usPerAllocation, base.usPerAllocation) : "",
        ratio(r.lateOverEarly, 1),
        `${(r.heapBytes / 2 ** 20).toFixed(1)} MB`,
        Math.round(r.bytesPerAllocation).toString(),
        ...(oneEnding ? [] : [r.endedWith]),
      ];
    }),
    notes: [
      ...(oneEnding ? [`Every fill ended with ${oneEnding}.`] : []),
      "Each fill: a fresh Ec2Model and subnet, CreateNetworkInterface without an address until EC2 answers InsufficientFreeAddressesInSubnet. Median of the repeats (the /24 8x as often, the /20 4x), after a warm-up fill, in a child node with --expose-gc: heap = heapUsed growth after a full GC, the whole model held.",
      "last ÷ first eighth: per-allocation time of the fill's last eighth (subnet almost full) over its first eighth (almost empty), within one fill. Every ENI stays alive, so garbage collection of the growing model dominates the per-allocation time and varies with heap size from run to run; the pick itself is O(log n).",
      `Target: near-linear, no per-allocation scan (/16 per-allocation time at most ${SCALE_RATIO_TARGET}x the /24's; the free-address index is a Fenwick tree, O(log n) per pick). ${verdict.met ? "MET" : "NOT MET"}: ${verdict.text}`,
    ],
  };
}

function synthSection(s: SynthFigures, tests: TestSuiteFigures | undefined): Section {
  const rows: string[][] = [
    [`default synth (main.ts --synth-only, ${s.defaultSynth.stacks} stacks)`, ms(s.defaultSynth.wallMs), mb(s.defaultSynth.maxRssKb), ratio(s.defaultSynth.wallMs, s.bareStack.wallMs), ratio(s.defaultSynth.maxRssKb, s.bareStack.maxRssKb)],
    ["bare cdktf stack (AWS provider + one S3 bucket)", ms(s.bareStack.wallMs), mb(s.bareStack.maxRssKb), "1.00x", "1.00x"],
  ];
  rows.push(
    tests
      ? [`test suite (npx jest: ${tests.suites} suites, ${tests.tests} tests, ${tests.failed} failed)`, ms(tests.wallMs), mb(tests.maxRssKb), "", ""]
      : ["test suite (npx jest)", "skipped in --quick", "", "", ""],
  );
  return {
    title: "3. Synth and tests",
    head: ["what", "wall time", "peak RSS", "time vs bare", "memory vs bare"],
    rows,
    notes: [
      `Fresh node processes with tsx (node --import tsx), median of ${s.repeats} by wall time; peak RSS from GNU time (%M). The Lambda bundle is built once beforehand and passed with --bundle: this is the synth alone.`,
      `Test suite: one run of the whole jest suite as npm test runs it after tsc (tsc not included), peak RSS of the largest process (jest workers included). Budget: npm test under 2 minutes on 2 cores.${tests ? ` 1-minute load average just before jest: ${tests.loadBefore.toFixed(1)} (other work on the machine slows it).` : ""}`,
    ],
  };
}

function lambdaSection(v: { bundled: LambdaFigures; runtimeSdk: LambdaFigures }): Section {
  const row = (what: string, l: LambdaFigures) => [what, `${(l.bytes / 1024).toFixed(1)} KB`, ms(l.buildMs), ms(l.loadProcessMs), ms(l.bareNodeMs), ratio(l.loadProcessMs, l.bareNodeMs), ms(l.requireMs), l.exportsHandler ? "yes" : "NO"];
  return {
    title: "4. Lambda bundle: SDK bundled (shipped) or the runtime's SDK",
    head: ["bundle", "size", "build time", "node -e require(bundle)", "node -e 0", "ratio", "require() alone", "exports handler"],
    rows: [row("SDK bundled (default)", v.bundled), row("runtime's SDK (external @aws-sdk/*)", v.runtimeSdk)],
    notes: [
      `build.ts buildLambda (esbuild, minified CJS, node20) into a temporary directory; load = wall time of a fresh node requiring it, median of ${v.bundled.repeats}, interleaved with bare node starts; "require() alone" is measured inside the child.`,
      "Runtime's SDK: the same build with external @aws-sdk/*, its SDK resolved from this project's node_modules (NODE_PATH), standing in for the runtime's unbundled copy in /var/runtime/node_modules (its version is whatever AWS ships).",
    ],
  };
}

/** What sets a floor: the attach bucket with the instances' readiness, or the slowest bucket's drain. */
function floorSetBy(f: BringupRow["leastFloor"]): string {
  const t = f.terms[0];
  if (f.setBy === "attach readiness") return `attach readiness: ${f.attachReadySeconds.toFixed(1)} s`;
  return t ? `${t.bucket}: (${t.calls} - ${t.capacity}) / ${t.refillPerSecond}/s` : "";
}

function bringupSection(rows: readonly BringupRow[], verdict: Verdict): Section {
  const floor = rows[0]?.leastFloor;
  return {
    title: "7. Bring-up under EC2's token buckets: N launches over 3 AZs (multus /20 each), aws profile",
    head: ["N", "allocator", "CONTINUEd", "ABANDONs", "violations", "last action", "floor (least calls)", "vs floor", "floor (calls served)", "EC2 calls", "throttled", "throttled past retries", "what sets the floor"],
    rows: rows.map((r) => [
      String(r.nodes),
      r.allocator,
      `${r.continued} of ${r.nodes}`,
      String(r.abandoned),
      String(r.violations),
      `${r.seconds.toFixed(1)} s`,
      `${r.leastFloor.seconds.toFixed(1)} s`,
      ratio(r.seconds, r.leastFloor.seconds),
      `${r.madeFloor.seconds.toFixed(1)} s`,
      String(r.calls),
      String(r.throttled),
      String(r.throttledOut),
      floorSetBy(r.leastFloor),
    ]),
    notes: [
      "floor = max(max over buckets b of max(0, (K_b - C_b) / r_b), max over k of max(a_(k), (k - C_a) / r_a)) + attach_min: K_b calls drawing on bucket b, C_b its size, r_b its refill per second (simulator/timing.ts EC2_REQUEST_BUCKETS, from the EC2 developer guide's \"Request throttling\" tables); a = AttachNetworkInterface's bucket (mutating) and a_(k) the k-th earliest time an instance of the run takes an attach (pending instances refuse attaches for a drawn while: pendingMs x attachRefusedShare, from the run's EC2 model); attach_min the least attaching time" +
        (floor ? ` (${floor.attachMinSeconds} s)` : "") +
        ". Least calls: per launch DescribeInstances + DescribeNetworkInterfaces (non-mutating, 100, 20/s), per ENI CreateNetworkInterface (100, 5/s), AttachNetworkInterface (mutating, 50, 5/s), ModifyNetworkInterfaceAttribute (100, 5/s). Calls served: the calls EC2 answered (a throttled call takes no token), so a gap to it is time left unused.",
      "One seeded run per cell (seed 1): runScenario with every launch in flight at once, the aws profile as documented and its assumed rows at their defaults (pending 5-40 s, attach 0.5-3 s, reads lagging), the Lambda's SDK retries; baseline = the reference allocator without reservations (its Option 1). Last action = simulated time of the last lifecycle action (CONTINUE or ABANDON).",
      `Target: within 1.25x of the least-calls floor, every launch CONTINUEd, no throttle past the SDK's retries. ${verdict.met ? "MET" : "NOT MET"}: ${verdict.text}`,
    ],
  };
}

interface ThroughputFigures {
  readonly scenarios: number;
  readonly jobs: number;
  readonly ms: number;
  readonly failed: number;
  readonly cpuMs: number;
}

function throughputSection(t: ThroughputFigures): Section {
  const perS = t.scenarios / (t.ms / 1000);
  return {
    title: "8. Soak throughput (npm run soak)",
    head: ["scenarios", "jobs", "wall", "scenarios/s", "CPU per scenario (children)", "failed", "10,000 at this rate"],
    rows: [[String(t.scenarios), String(t.jobs), ms(t.ms), perS.toFixed(1), ms(t.cpuMs / t.scenarios), String(t.failed), ms((10_000 / perS) * 1000)]],
    notes: [
      `cli/soak.ts soak() with seeds 1..${t.scenarios} over ${t.jobs} child processes (their start-up included); CPU = the children's user + system time (process.cpuUsage, reported by each child as it stops). CI runs 10,000 within --minutes 10; other load on the machine slows the rate.`,
    ],
  };
}

function agentSection(a: AgentMemoryFigures, verdict: Verdict): Section {
  const mib = (x: number) => `${x.toFixed(1)} MiB`;
  return {
    title: "5. Node agent memory (bundle against fake Kubernetes and EC2 servers)",
    head: ["scenario", "seconds", "steady RSS", "peak RSS", "peak vs bare node", "events posted", "EC2 calls"],
    rows: [
      ...a.rows.map((r) => [r.scenario, String(r.seconds), mib(r.steadyMiB), mib(r.peakMiB), ratio(r.peakMiB, a.bareNode.peakMiB), String(r.events), String(r.ec2Calls)]),
      ["bare node (a timer only)", "", mib(a.bareNode.steadyMiB), mib(a.bareNode.peakMiB), "1.00x", "", ""],
    ],
    notes: [
      `build.ts agent bundle in a fresh node (${process.version}), SYNC_PERIOD_SECONDS=${a.syncPeriodSeconds} (the shortest; the default is 30), against test/agent/fake-servers.ts: node n1 (t3.medium), one multus ENI holding its 5-address limit, every pod with one multus address; pods past the limit get one event each. RSS from /proc/<pid>/status every 250 ms: steady = median of the second half, peak = VmHWM.`,
      `The DaemonSet asks for ${AGENT_MEMORY.request} and is limited to ${AGENT_MEMORY.limit} (modules/kubernetes/objects/agent.ts AGENT_MEMORY). ${verdict.met ? "MET" : "NOT MET"}: ${verdict.text}. Full runs record the figures in bench/agent-memory.json; a test holds the manifest to them. The image runs Node 22, measured here: Node 20.`,
    ],
  };
}

function serveVerdict(f: ServeFigures): Verdict {
  const met = f.answerMs <= SERVE_TARGET_MS;
  return { met, text: `serve answers all ${f.pages} pages of ${f.enis.toLocaleString("en-US")} ENIs in ${ms(f.answerMs)} (median of ${f.repeats}; target <= ${ms(SERVE_TARGET_MS)})` };
}

function serveSection(f: ServeFigures, verdict: Verdict): Section {
  return {
    title: `6. serve: DescribeNetworkInterfaces of ${f.enis.toLocaleString("en-US")} ENIs in a /20, every page`,
    head: ["how", "all pages", "worst", "vs serve's answers", "pages", "bytes per page"],
    rows: [
      ["serve's answers (plain HTTP, bodies read whole)", ms(f.answerMs), ms(f.answerMaxMs), "1.00x", String(f.pages), `${(f.pageBytes / 1024).toFixed(0)} KB`],
      ["JS SDK paginator over HTTP (its XML parsing included)", ms(f.sdkOverHttpMs), "", ratio(f.sdkOverHttpMs, f.answerMs), String(f.pages), ""],
      ["JS SDK paginator in process (no HTTP, no XML)", ms(f.inProcessMs), "", ratio(f.inProcessMs, f.answerMs), String(f.pages), ""],
    ],
    notes: [
      `bench/children/serve-enis.ts: the serve endpoint in its own node, one /20 with ${f.enis.toLocaleString("en-US")} DHCP ENIs; DescribeNetworkInterfaces filtered by subnet, MaxResults 1000 (what the Lambda and the agent ask), every page by NextToken. Median of ${f.repeats}, interleaved, after one unmeasured round each.`,
      `Target: every page well under a second (<= ${ms(SERVE_TARGET_MS)}). ${verdict.met ? "MET" : "NOT MET"}: ${verdict.text}`,
    ],
  };
}

export function sectionText(s: Section): string {
  return `\n${wrap(s.title, "  ")}\n${fitTable(s.head, s.rows, PLAN_WIDTH)}\n${s.notes.map((n) => wrap(`  - ${n}`)).join("\n")}\n`;
}

function printSection(s: Section): void {
  process.stdout.write(sectionText(s));
}

export function renderResults(m: Machine, set: BenchSettings, sections: readonly Section[], verdicts: readonly [string, Verdict][], totalMs: number): string {
  return [
    "## Benchmark results",
    "",
    `Run: \`npm run bench${set.quick ? " -- --quick" : ""}\` on ${m.date} (commit ${m.commit}), ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, node ${m.node}, ${m.platform}, load average ${m.load.toFixed(1)} at the start; took ${ms(totalMs)}. All figures from this one run: compare ratios, not absolute times, across machines.`,
    "",
    "Targets:",
    ...verdicts.map(([name, v]) => `- ${name}: ${v.met ? "**met**" : "**not met**"}: ${v.text}`),
    "",
    ...sections.flatMap((s) => [markdownSection(s), ""]),
  ].join("\n");
}

/** The bench's flags: tracked files (bench/results.md, bench/README.md) are written only with --write. */
export function benchFlags(argv: readonly string[]): { quick: boolean; write: boolean } {
  const program = new Command()
    .name("bench")
    .description("Benchmarks: allocation under burst, simulator scale, synth and bundle cost, agent memory, serve's answers. Prints the tables; --write also records them in bench/results.md and bench/README.md.")
    .option("--quick", "smaller N set, fewer repeats, no jest run")
    .option("--write", "write bench/results.md and the table in bench/README.md (tracked files)");
  program.parse([...argv], { from: "user" });
  const flags = program.opts<{ quick?: boolean; write?: boolean }>();
  return { quick: !!flags.quick, write: !!flags.write };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const flags = benchFlags(argv);
  const set = settings(!!flags.quick);
  const m = machine();
  const start = performance.now();
  const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - start) / 1000).toFixed(0)}s] ${line}\n`);

  progress(`burst: N = ${set.burstNodes.join(", ")}, ${set.burstRuns} runs each`);
  const burst = await runBurst({ nodes: set.burstNodes, runs: set.burstRuns, onRow: (r) => progress(`  N=${r.nodes} ${r.strategy} ${r.allocator}${r.infeasible ? " infeasible" : ` ABANDON ${r.abandoned}, calls/ENI ${num(r.callsPerEni)}`}`) });
  const calls = await runCallVariants(TARGET_NODES, set.burstRuns);
  const burstV = explainCalls(burstVerdict(burst, TARGET_NODES, CALLS_PER_ENI_TARGET), calls);

  progress("scale: filling /24, /20, /16");
  const scale = measureScaleInChild({ repeats: set.scaleRepeats, policies: set.quick ? ["random"] : ["random", "lowest"] });
  const row = (suffix: string) => scale.find((r) => r.dhcp === "random" && r.cidr.endsWith(suffix));
  const scaleV = scaleVerdict(row("/24")?.usPerAllocation ?? NaN, row("/16")?.usPerAllocation ?? NaN, SCALE_RATIO_TARGET, row("/16")?.lateOverEarly);

  progress("synth: default app vs bare stack");
  const synth = await measureSynth(set.synthRepeats);
  let tests: TestSuiteFigures | undefined;
  if (set.runTests) {
    progress("tests: npx jest (whole suite)");
    tests = measureTestSuite();
  }

  progress("lambda: bundle and load time, SDK bundled and the runtime's");
  const lambda = await measureLambdaVariants(set.lambdaRepeats);

  progress(`bring-up: N = ${set.bringupNodes.join(", ")} over 3 AZs, aws token buckets`);
  const bringup = await runBringup(set.bringupNodes, (r) => progress(`  N=${r.nodes} ${r.allocator}: ${r.continued} CONTINUEd in ${r.seconds.toFixed(1)} s (floor ${r.leastFloor.seconds.toFixed(1)} s)`));
  const bringupV = bringupVerdict(bringup);

  progress(`soak throughput: ${set.soakScenarios} scenarios`);
  const soaked = await soak({ scenarios: set.soakScenarios, seed: 1, jobs: Math.min(2, os.availableParallelism()) });
  const throughput: ThroughputFigures = { scenarios: soaked.ran, jobs: Math.min(2, os.availableParallelism()), ms: soaked.ms, failed: soaked.failed.length, cpuMs: soaked.cpuMs };

  progress(`agent memory: ${AGENT_PODS.join(" and ")} pods, ${set.agentSeconds} s each`);
  const agent = await measureAgentMemory({ pods: AGENT_PODS, seconds: set.agentSeconds, syncPeriodSeconds: AGENT_SYNC_SECONDS });
  const agentV = agentMemoryVerdict(agent);

  progress("serve: DescribeNetworkInterfaces of 4,000 ENIs over HTTP");
  const served = await measureServe(set.serveRepeats);
  const serveV = serveVerdict(served);
  const totalMs = performance.now() - start;

  const sections = [burstSection(burst, burstV, set.burstRuns), callsSection(calls), scaleSection(scale, scaleV), synthSection(synth, tests), lambdaSection(lambda), agentSection(agent, agentV), serveSection(served, serveV), bringupSection(bringup, bringupV), throughputSection(throughput)];
  process.stdout.write(`Benchmarks ${set.quick ? "(--quick) " : ""}${m.date}: ${m.cpus} CPUs, node ${m.node}, commit ${m.commit}\n`);
  for (const s of sections) printSection(s);
  const verdicts: [string, Verdict][] = [
    [`Burst (N = ${TARGET_NODES})`, burstV],
    ["Simulator scale", scaleV],
    ["Node agent memory", agentV],
    ["serve (4,000 ENIs, all pages)", serveV],
    ["Bring-up (3 AZs, aws token buckets)", bringupV],
  ];
  if (tests && !tests.success) verdicts.push(["Test suite", { met: false, text: `${tests.failed} failing test${tests.failed === 1 ? "" : "s"}${tests.failedFiles.length ? ` in ${tests.failedFiles.join(", ")}` : ""}` }]);
  process.stdout.write(`\nTargets:\n${verdicts.map(([n, v]) => wrap(`  ${n}: ${v.met ? "met" : "NOT MET"}: ${v.text}`)).join("\n")}\nTotal ${ms(totalMs)}\n`);

  if (flags.write) {
    const results = renderResults(m, set, sections, verdicts, totalMs);
    writeFileSync(path.join(__dirname, "results.md"), `${results}`);
    const readme = path.join(__dirname, "README.md");
    if (existsSync(readme)) writeFileSync(readme, replaceBetween(readFileSync(readme, "utf8"), README_BEGIN, README_END, results.replace(/^## /m, "### ").replace(/^### (\d)/gm, "#### $1")));
    progress("wrote bench/results.md and the table in bench/README.md");
    // Only full runs: the quick one is too short to stand for the agent's footprint.
    if (!set.quick) {
      writeFileSync(AGENT_MEMORY_FILE, agentMemoryRecord(agent, { date: m.date, commit: m.commit, command: "npm run bench" }));
      progress(`wrote ${path.relative(process.cwd(), AGENT_MEMORY_FILE)}`);
    }
  }
}

export const README_BEGIN = "<!-- bench:results:begin -->";
export const README_END = "<!-- bench:results:end -->";

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  });
}
