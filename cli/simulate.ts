import { Command, Option } from "commander";
import { SingleBar } from "cli-progress";
import { MultusConfig, NetworkPlan, PlanError, asShorthand, ipToInt, isIpv4, nadIpam, nadIpamRange, plural, podBlockOf } from "../ipam";
import type { LambdaEnvironmentExtra } from "../ipam/lambda-env";
import { HostLocalModel, hostLocalConfig } from "../simulator/cni/host-local";
import { WhereaboutsModel, whereaboutsConfig } from "../simulator/cni/whereabouts";
import { DHCP_POLICIES, DhcpPolicy, LiveAddress } from "../simulator/ec2/model";
import type { PodIp } from "../simulator/invariants";
import type { NodeView, PodSource, ScenarioGroup, ScenarioReport } from "../simulator/scenario";
import { ALLOCATOR_NAMES, Allocator, AllocatorContext, AllocatorName } from "../simulator/scenario/types";
import type { TimingName } from "../simulator/timing";

/**
 * The scenario runner pulls in the Lambda and the SDK clients (~0.7 s to load): load it only
 * when a simulation runs, so the other commands start fast.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenario = (): typeof import("../simulator/scenario") => require("../simulator/scenario");
import { EXIT, parseIntFlag, reportError, timingOption } from "./common";
import { PlanFlags, planFromFlags, withPlanOptions } from "./plan";
import { loadConfig } from "./config-file";
import { LiveAddresses, writePlanSvg } from "./svg";

export type PodIpam = "whereabouts" | "host-local";

export interface SimulateFlags extends PlanFlags {
  nodes?: number;
  concurrency?: number;
  runs: number;
  seed: number;
  dhcp: DhcpPolicy;
  foreignEnis: number;
  allocator: AllocatorName;
  ipam: PodIpam;
  reservations?: "plan" | "none";
  /** Multus pods created while the nodes launch and boot (ScenarioOptions readiness). @default 0 */
  bootPods?: number;
  /** @default "aws" */
  timing?: TimingName;
  json?: boolean;
  svg?: string;
}

/** The addresses a run's pods got and the nodes' worker ENIs, for the picture. */
interface Capture {
  workers: Map<string, number[]>;
  pods: Map<string, number[]>;
  launches: LaunchTries;
}

/** What the launches asked EC2 for: each instance's addresses, and which launches ended in ABANDON. */
interface LaunchTries {
  /** Per instance id, every address it asked CreateNetworkInterface for or was given. */
  readonly tried: Map<string, string[]>;
  /** Instances whose lifecycle action the allocator completed with ABANDON. */
  readonly abandoned: Set<string>;
}

/**
 * The allocator, watched: the addresses each launch's CreateNetworkInterface calls ask for or
 * get, and the ABANDONs it completes, so the picture can mark where ABANDONed launches lost
 * (they leave no address behind). Calls and their results pass through unchanged.
 */
function watchLaunches(allocator: Allocator, seen: LaunchTries): Allocator {
  // Loaded with the scenario runner, which loads the SDK anyway.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CreateNetworkInterfaceCommand } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CompleteLifecycleActionCommand } = require("@aws-sdk/client-auto-scaling") as typeof import("@aws-sdk/client-auto-scaling");
  type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  const watchSend = <T extends object>(client: T, after: (command: unknown, output: unknown) => void): T =>
    new Proxy(client, {
      get: (target, key, receiver) => {
        if (key !== "send") return Reflect.get(target, key, receiver);
        const send = (Reflect.get(target, key, receiver) as Send).bind(target);
        return async (command: unknown, ...rest: unknown[]) => {
          try {
            const output = await send(command, ...rest);
            after(command, output);
            return output;
          } catch (err) {
            after(command, undefined);
            throw err;
          }
        };
      },
    });
  const watched = async (event: unknown, ctx: AllocatorContext) => {
    const detail = (event as { detail?: Record<string, unknown> } | undefined)?.detail ?? {};
    const instanceId = String(detail.EC2InstanceId ?? detail["instance-id"] ?? "");
    const note = (ip: string | undefined) => {
      if (ip) seen.tried.set(instanceId, [...(seen.tried.get(instanceId) ?? []), ip]);
    };
    const ec2 = watchSend(ctx.ec2, (command, output) => {
      if (!(command instanceof CreateNetworkInterfaceCommand)) return;
      const asked = command.input.PrivateIpAddress;
      const got = (output as { NetworkInterface?: { PrivateIpAddress?: string } } | undefined)?.NetworkInterface?.PrivateIpAddress;
      note(asked);
      if (got !== asked) note(got);
    });
    const autoscaling = watchSend(ctx.autoscaling, (command, output) => {
      if (output && command instanceof CompleteLifecycleActionCommand && command.input.LifecycleActionResult === "ABANDON" && command.input.InstanceId) seen.abandoned.add(command.input.InstanceId);
    });
    return allocator(event, { ...ctx, ec2, autoscaling });
  };
  return Object.assign(watched, allocator.sdkMaxAttempts !== undefined ? { sdkMaxAttempts: allocator.sdkMaxAttempts } : {});
}

/**
 * Pods from a CNI IPAM model: `whereabouts` over each subnet's pod block (one cluster-wide
 * pool; concurrent ADDs contend on it), or `host-local` over the same block on every node
 * (each node's own store, the reference example's NAD).
 */
export function podSource(ipam: PodIpam, podsPerNode: number | ((node: NodeView) => number), capture?: Capture): PodSource {
  return async (nodes: NodeView[], { plan }) => {
    const wb = new WhereaboutsModel();
    const hl = new HostLocalModel();
    const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const jobs: Promise<PodIp[]>[] = [];
    for (const n of nodes) {
      for (const eni of n.enis) {
        const s = plan.subnets.find((x) => x.id === eni.subnetId);
        if (!s) continue;
        if (capture) capture.workers.set(s.subnet.cidr, [...(capture.workers.get(s.subnet.cidr) ?? []), ipToInt(eni.ip)]);
        // The pod block of the node's group (the network's shared one, or the group's own); a
        // dual-stack subnet's NAD gives each pod an IPv6 address too (whereabouts only: the
        // host-local comparison stays IPv4).
        const block = podBlockOf(s, n.group);
        const range = nadIpamRange(s, block);
        const ipamConfig = whereaboutsConfig({ type: "whereabouts", ...nadIpam(s, block, n.group) });
        const count = typeof podsPerNode === "number" ? podsPerNode : podsPerNode(n);
        for (let k = 0; k < count; k++) {
          const name = `net${s.deviceIndex}-p${k}`;
          const podRef = `default/${n.instanceId}-${name}`;
          const job = async (): Promise<PodIp[]> => {
            try {
              const ips =
                ipam === "whereabouts"
                  ? await wb.allocate(ipamConfig, { node: n.instanceId, containerId: podRef, podRef }, { betweenReadAndUpdate: yieldTurn })
                  : hl.add(n.instanceId, hostLocalConfig({ type: "host-local", subnet: s.subnet.cidr, rangeStart: range.range_start, rangeEnd: range.range_end, gateway: range.gateway }, `multus-${s.id}`), podRef).slice(0, 1);
              return ips.map((ip) => ({ ip, node: n.instanceId, subnet: s.id, name }));
            } catch {
              return []; // pool exhausted: the pod does not start
            }
          };
          jobs.push(job());
        }
      }
    }
    const pods = (await Promise.all(jobs)).flat();
    if (capture) {
      // The picture's grid is the IPv4 subnet.
      for (const p of pods.filter((x) => isIpv4(x.ip))) {
        const cidr = plan.subnets.find((s) => s.id === p.subnet)!.subnet.cidr;
        capture.pods.set(cidr, [...(capture.pods.get(cidr) ?? []), ipToInt(p.ip)]);
      }
    }
    return pods;
  };
}

export interface SimulateSummary {
  readonly allocator: AllocatorName;
  readonly runs: number;
  readonly failedRuns: number[];
  readonly violations: Record<string, number>;
  readonly collisions: number;
  readonly abandoned: number;
  readonly incompleteActions: number;
  readonly enisCreated: number;
  readonly ec2CallsPerEni: { reads: number; writes: number };
  /** Dual-stack subnets: worker ENIs' and pods' IPv6 addresses checked, over all runs. */
  readonly ipv6: { workers: number; pods: number };
  /** With --boot-pods: pods whose CNI ADD ran, those that found their node's multus network not ready, and those no node took. */
  readonly bootPods?: { started: number; early: number; unbound: number };
  readonly simulatedMs: { total: number; max: number };
  /** Simulated ms from a run's start to its last completed lifecycle action, longest run. */
  readonly lastActionMs: number;
  /** The slowest lifecycle action (start to completion) and the smallest margin left to its hook's timeout, ms. */
  readonly actionMs: { max: number; minMarginMs: number | null };
  readonly timing: TimingName;
  readonly wallMs: number;
}

/**
 * A run fails on any invariant violation, and on any ABANDONed launch: the plan was laid out
 * for --nodes nodes, so every launch has an address waiting and an ABANDON is lost capacity
 * (the instance is terminated and the group tries again).
 */
export function runOk(r: ScenarioReport): boolean {
  return r.ok && r.launches.abandoned === 0;
}

export function summarise(allocator: AllocatorName, reports: readonly ScenarioReport[], wallMs: number, timing: TimingName = reports[0]?.timing ?? "aws"): SimulateSummary {
  const violations: Record<string, number> = {};
  for (const r of reports) for (const v of r.violations) violations[v.kind] = (violations[v.kind] ?? 0) + 1;
  const enis = reports.reduce((n, r) => n + r.enisCreated, 0);
  const reads = reports.reduce((n, r) => n + r.ec2Calls.reads, 0);
  const writes = reports.reduce((n, r) => n + r.ec2Calls.writes, 0);
  const per = (n: number) => (enis ? Math.round((n / enis) * 100) / 100 : 0);
  return {
    allocator,
    runs: reports.length,
    failedRuns: reports.filter((r) => !runOk(r)).map((r) => r.seed),
    violations,
    collisions: violations["duplicate-ip"] ?? 0,
    abandoned: reports.reduce((n, r) => n + r.launches.abandoned, 0),
    incompleteActions: reports.reduce((n, r) => n + r.incompleteActions, 0),
    enisCreated: enis,
    ipv6: { workers: reports.reduce((n, r) => n + r.ipv6.workers, 0), pods: reports.reduce((n, r) => n + r.ipv6.pods, 0) },
    ec2CallsPerEni: { reads: per(reads), writes: per(writes) },
    ...(reports.some((r) => r.readiness)
      ? { bootPods: { started: reports.reduce((n, r) => n + (r.readiness?.started ?? 0), 0), early: reports.reduce((n, r) => n + (r.readiness?.early ?? 0), 0), unbound: reports.reduce((n, r) => n + (r.readiness?.unbound ?? 0), 0) } }
      : {}),
    simulatedMs: { total: reports.reduce((n, r) => n + r.simulatedMs, 0), max: Math.max(0, ...reports.map((r) => r.simulatedMs)) },
    lastActionMs: Math.max(0, ...reports.map((r) => r.lastActionMs)),
    actionMs: {
      max: Math.max(0, ...reports.map((r) => r.actionMs.max)),
      minMarginMs: reports.some((r) => r.minActionMarginMs !== null) ? Math.min(...reports.map((r) => r.minActionMarginMs ?? Infinity)) : null,
    },
    timing,
    wallMs,
  };
}

export function renderSummary(s: SimulateSummary, reports: readonly ScenarioReport[], foreignRequested?: number): string {
  const lines: string[] = [];
  const r0 = reports[0];
  lines.push(`${s.runs} run${s.runs === 1 ? "" : "s"} of ${r0?.nodes ?? 0} launches (${r0?.concurrency ?? 0} at once) with the ${s.allocator} allocator`);
  lines.push(`  collisions (duplicate IPs): ${s.collisions}`);
  const others = Object.entries(s.violations).filter(([k]) => k !== "duplicate-ip");
  lines.push(`  other violations: ${others.length ? others.map(([k, n]) => `${k} ${n}`).join(", ") : "none"}`);
  lines.push(`  ABANDONed launches: ${s.abandoned}`);
  lines.push(`  lifecycle actions never completed (timed out): ${s.incompleteActions}`);
  const foreignAsked = reports.length * (foreignRequested ?? 0);
  const foreignMade = reports.reduce((n, r) => n + r.foreignEnis, 0);
  if (foreignAsked > 0) {
    lines.push(`  foreign DHCP ENIs: ${foreignMade} of ${foreignAsked} created${foreignMade < foreignAsked ? " (the rest found no free DHCP address)" : ""}`);
  }
  lines.push(`  ENIs created: ${s.enisCreated}; EC2 calls per ENI: ${s.ec2CallsPerEni.reads} reads, ${s.ec2CallsPerEni.writes} writes`);
  if (s.bootPods) {
    const { started, early, unbound } = s.bootPods;
    lines.push(`  pods during the boots: ${started} started, ${early} before their node's multus network was ready${unbound ? `; ${unbound} never found a ready node` : ""}`);
  }
  if (s.ipv6.workers + s.ipv6.pods > 0) lines.push(`  dual-stack: ${s.ipv6.workers} worker IPv6 addresses and ${s.ipv6.pods} pod IPv6 addresses checked`);
  lines.push(
    `  simulated time (${s.timing} timing): last lifecycle action completed at ${(s.lastActionMs / 1000).toFixed(1)} s; slowest action ${(s.actionMs.max / 1000).toFixed(1)} s` +
      `${s.actionMs.minMarginMs === null ? "" : `, ${(s.actionMs.minMarginMs / 1000).toFixed(1)} s before its hook's timeout`}; wall time ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  for (const r of reports.filter((x) => !runOk(x)).slice(0, 5)) {
    lines.push(`seed ${r.seed}: ${r.violations.length} violation${r.violations.length === 1 ? "" : "s"}, ${r.launches.abandoned} of ${r.nodes} launches ABANDONed`);
    const cut = (t: string) => (t.length > 220 ? `${t.slice(0, 219)}…` : t);
    for (const v of r.violations.slice(0, 5)) lines.push(cut(`  ${v.kind}${v.ip ? ` ${v.ip}` : ""}: ${v.detail}`));
    if (r.violations.length > 5) lines.push(`  ... ${r.violations.length - 5} more`);
  }
  if (s.failedRuns.length > 5) lines.push(`... ${s.failedRuns.length - 5} more failing seeds: ${s.failedRuns.slice(5, 25).join(", ")}`);
  lines.push(
    s.failedRuns.length === 0
      ? "No violations."
      : `${s.failedRuns.length} of ${s.runs} runs broke an invariant or ABANDONed a launch (replay the first with the same flags and --seed ${s.failedRuns[0]} --runs 1).`,
  );
  return lines.join("\n");
}

/**
 * What the picture says in words: an ABANDONed launch leaves no address behind (its ENIs
 * are deleted, its instance terminated); the picture marks the addresses it tried.
 */
export function runNotes(r: ScenarioReport, triedAddresses = 0): string[] {
  const collisions = r.violations.filter((v) => v.kind === "duplicate-ip").length;
  const others = r.violations.length - collisions;
  const abandoned = `instance terminated, its ENIs deleted; ${triedAddresses ? `the ${plural(triedAddresses, "address", "addresses")} they tried are marked` : "they tried no address"}`;
  return [
    `${r.launches.abandoned} of ${r.nodes} launches ABANDONed${r.launches.abandoned ? ` (${abandoned})` : ""}; ` +
      `${collisions} collision${collisions === 1 ? "" : "s"}${others ? `, ${others} other violation${others === 1 ? "" : "s"}` : ""}`,
  ];
}

/** What the ABANDONed launches tried inside one subnet: every try's address, and how many launches tried there. */
function abandonedTries(seen: LaunchTries, inside: (ip: string) => boolean): { tries: number[]; launches: number } {
  const per = [...seen.abandoned].map((id) => (seen.tried.get(id) ?? []).filter(inside));
  return { tries: per.flat().map(ipToInt), launches: per.filter((t) => t.length > 0).length };
}

/** The live picture of one run: workers and pods captured, collisions from the violations. */
function liveOf(report: ScenarioReport, capture: Capture, plan: NetworkPlan): Map<string, LiveAddresses> {
  const out = new Map<string, LiveAddresses>();
  for (const s of plan.subnets) {
    // The grid is the IPv4 subnet: IPv6 addresses are not drawn.
    const inside = (ip: string) => {
      if (!isIpv4(ip)) return false;
      const n = ipToInt(ip);
      return n >= s.subnet.base && n <= s.subnet.last;
    };
    const dup = report.violations.filter((v) => v.kind === "duplicate-ip" && v.ip && inside(v.ip));
    // The final ENI addresses when the runner reports them; else what the pod source saw
    // (worker ENIs) and the foreign ENIs named in collisions.
    const final = (report as { live?: readonly LiveAddress[] }).live;
    const foreignIds = (report as { foreignEniIds?: readonly string[] }).foreignEniIds;
    const enis = final?.filter((a) => inside(a.ip));
    out.set(s.subnet.cidr, {
      workers: enis ? enis.filter((a) => a.instanceId && (a.deviceIndex ?? 0) > 0).map((a) => ipToInt(a.ip)) : capture.workers.get(s.subnet.cidr) ?? [],
      pods: capture.pods.get(s.subnet.cidr) ?? [],
      foreign: enis && foreignIds ? enis.filter((a) => foreignIds.includes(a.eniId)).map((a) => ipToInt(a.ip)) : dup.filter((v) => v.holders?.some((h) => h.startsWith("foreign"))).map((v) => ipToInt(v.ip!)),
      collisions: dup.map((v) => ipToInt(v.ip!)),
      foreignPartial: !(enis && foreignIds),
      abandoned: abandonedTries(capture.launches, inside),
    });
  }
  return out;
}

/** What a simulation runs: the plan, its groups (a config with nodeGroups), launches and pods per node. */
interface SimulationSetup {
  readonly config: MultusConfig;
  readonly plan: NetworkPlan;
  readonly nodes: number;
  readonly podsPerNode: number | ((node: NodeView) => number);
  readonly groups?: ScenarioGroup[];
  /** The Auto Scaling group names the Lambda is configured with. */
  readonly names?: LambdaEnvironmentExtra;
}

/**
 * A config with nodeGroups: every group at once, each launching `--nodes` (default: its
 * maxSize) into its own Auto Scaling group, the Lambda serving them all.
 */
function clusterSetup(opts: SimulateFlags, config: MultusConfig): SimulationSetup {
  if (opts.allocator === "baseline") throw new PlanError("--allocator", "baseline is the reference system's allocator, which serves one node group; the config has nodeGroups", "use --allocator project, or a single-group config");
  const { plan } = planFromFlags(opts);
  // Karpenter's and managed groups' instances come without a hook, tagged with their NodePool or node group.
  const { clusterLambdaNames, scenarioGroups } = scenario();
  const groups = scenarioGroups(config, plan, (g) => {
    if (opts.nodes !== undefined && opts.nodes > g.maxSize) {
      throw new PlanError("--nodes", `${opts.nodes} launches per group, but group "${g.name}" has maxSize ${g.maxSize}, which its blocks are sized for`, `give --nodes at most ${g.maxSize}, or raise the group's maxSize in the config`);
    }
    return opts.nodes ?? g.maxSize;
  });
  // As many pods as the plan sized each group's pod blocks for: what a node can route.
  const perNode = new Map(plan.groups.map((g) => [g.name, Math.min(g.podsPerNode, g.multusPodsPerEni)]));
  return {
    config,
    plan,
    nodes: groups.reduce((n, g) => n + g.nodes, 0),
    podsPerNode: opts.podsPerNode ?? ((node: NodeView) => perNode.get(node.group ?? "") ?? 1),
    groups,
    names: clusterLambdaNames(config),
  };
}

function simulationSetup(opts: SimulateFlags): SimulationSetup {
  const loaded = loadConfig(opts.config).config;
  if (loaded.form === "cluster") return clusterSetup(opts, loaded);
  const nodes = opts.nodes;
  const { config, plan } = planFromFlags({ ...opts, maxNodes: opts.maxNodes ?? nodes });
  const single = asShorthand(config, "simulate");
  const n = nodes ?? single.nodeGroup.maxSize;
  return { config, plan, nodes: n, podsPerNode: opts.podsPerNode ?? single.multus.podsPerNode };
}

export async function simulate(opts: SimulateFlags, onRun?: (done: number) => void) {
  const { config, plan, nodes: n, podsPerNode, groups, names } = simulationSetup(opts);
  const reports: ScenarioReport[] = [];
  let pictured: { report: ScenarioReport; capture: Capture } | undefined;
  const start = Date.now();
  for (let i = 0; i < opts.runs; i++) {
    const capture: Capture = { workers: new Map(), pods: new Map(), launches: { tried: new Map(), abandoned: new Set() } };
    // project: the lifecycle Lambda's own code, configured from the environment the stack writes.
    const { baselineAllocator, lambdaAllocator, runScenario } = scenario();
    const allocator = watchLaunches(opts.allocator === "project" ? lambdaAllocator(plan, config, names) : baselineAllocator(plan), capture.launches);
    const report = await runScenario({
      plan,
      allocator,
      nodes: n,
      ...(groups ? { groups } : {}),
      concurrency: opts.concurrency ?? n,
      foreignEnis: opts.foreignEnis,
      dhcp: opts.dhcp,
      seed: opts.seed + i,
      reservations: opts.reservations ?? (opts.allocator === "baseline" ? "none" : "plan"),
      pods: podSource(opts.ipam, podsPerNode, capture),
      timing: opts.timing ?? "aws",
      // The reference system's nodes have no startup taint: its pods start when the kubelet lets them.
      ...(opts.bootPods ? { readiness: { pods: opts.bootPods, startupTaint: opts.allocator === "project" } } : {}),
    });
    reports.push(report);
    // Picture the first run that broke something, else the last one.
    if (!pictured || runOk(pictured.report)) pictured = { report, capture };
    onRun?.(i + 1);
  }
  const summary = summarise(opts.allocator, reports, Date.now() - start, opts.timing ?? "aws");
  if (opts.svg && pictured) {
    const reservations = opts.reservations ?? (opts.allocator === "baseline" ? "none" : "plan");
    const live = liveOf(pictured.report, pictured.capture, plan);
    const tried = new Set([...live.values()].flatMap((l) => l.abandoned?.tries ?? [])).size;
    writePlanSvg(opts.svg, plan, live, `Simulation: ${opts.allocator} allocator, seed ${pictured.report.seed}`, reservations === "plan", {
      podIpam: opts.ipam,
      notes: runNotes(pictured.report, tried),
    });
  }
  return { summary, reports, plan };
}

export function simulateCommand(): Command {
  return withPlanOptions(
    new Command("simulate").description(
      "Launch nodes concurrently through the simulated EC2 and Auto Scaling, run the lifecycle allocator and pod IPAM, and check for collisions",
    ),
    "the plan's max nodes (default: --nodes)",
  )
    .option("--nodes <n>", "instances to launch per run (default: the config's max size)", parseIntFlag("--nodes", 1))
    .option("--concurrency <k>", "launches in flight at once (default: all)", parseIntFlag("--concurrency", 1))
    .option("--runs <r>", "seeded runs", parseIntFlag("--runs", 1), 1)
    .option("--seed <s>", "seed of the first run (run i uses seed + i)", parseIntFlag("--seed", 0), 1)
    .addOption(new Option("--dhcp <policy>", "how the simulated DHCP picks addresses").choices(DHCP_POLICIES).default("random"))
    .option("--foreign-enis <n>", "ENIs created by DHCP in the multus subnets during the launches by someone else", parseIntFlag("--foreign-enis", 0), 0)
    .addOption(new Option("--allocator <name>", "project: this project's lifecycle Lambda; baseline: the reference system's allocator").choices(ALLOCATOR_NAMES).default("project"))
    .addOption(new Option("--ipam <name>", "pod IPAM: whereabouts over the pod block, or host-local over it on every node").choices(["whereabouts", "host-local"]).default("whereabouts"))
    .addOption(new Option("--reservations <mode>", "plan: the plan's CIDR reservations exist; none: no reservations (default: plan for project, none for baseline, as the reference system had)").choices(["plan", "none"]))
    .option(
      "--boot-pods <n>",
      "multus pods created while the nodes launch: every node boots (user data, kubelet, Multus, the node agent; the project's nodes register with the startup taint the agent lifts, the reference system's with none) and a pod that starts before its node's ENIs are ready is a violation",
      parseIntFlag("--boot-pods", 0),
      0,
    )
    .addOption(timingOption("simulated latencies, lags and throttling: aws (as slow and as lazy as AWS documents) or instant (none)"))
    .option("--json", "print one JSON object (summary and per-run reports)")
    .option("--svg <file>", "draw the first failing run (else the last) with its live addresses")
    .addHelpText(
      "after",
      "\nExample:\n  multus-sim simulate --subnet 10.0.4.0/24 --nodes 50 --concurrency 50 --pods-per-node 1 --allocator baseline --runs 5 --seed 7\n\n" +
        "Exit: 0 no violation, 1 any violation (collision, ABANDONed launch, incomplete lifecycle action, leaked ENI, ...), 2 bad input.",
    )
    .action(async (opts: SimulateFlags) => {
      let bar: SingleBar | undefined;
      try {
        if (!opts.json && process.stdout.isTTY && opts.runs > 1) {
          bar = new SingleBar({ format: "simulating [{bar}] {value}/{total} runs", clearOnComplete: true, hideCursor: true });
          bar.start(opts.runs, 0);
        }
        const { summary, reports } = await simulate(opts, (done) => bar?.update(done));
        bar?.stop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ summary, runs: reports.map(({ trace: _trace, ...r }) => r) }, null, 2)}\n`);
        } else {
          process.stdout.write(`${renderSummary(summary, reports, opts.foreignEnis)}\n`);
          if (opts.svg) process.stdout.write(`wrote ${opts.svg}\n`);
        }
        process.exitCode = summary.failedRuns.length > 0 ? EXIT.finding : EXIT.ok;
      } catch (err) {
        bar?.stop();
        if (err instanceof PlanError && err.field === "--max-nodes" && opts.maxNodes === undefined) {
          process.exitCode = reportError(new PlanError("--nodes", err.problem, err.fix.replace(/--max-nodes/g, "--nodes"), err.kind));
        } else {
          process.exitCode = reportError(err);
        }
      }
    });
}
