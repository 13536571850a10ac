/**
 * Scenarios drawn with fast-check, and what each must satisfy: shared by the property tests
 * (test/properties: a few hundred scenarios in `npm test`) and the soak (bench/soak.ts: tens of
 * thousands in CI, one seed each). Not exported from ./index: fast-check is a development
 * dependency, and the multus-sim CLI does not need it.
 */
import fc from "fast-check";
import { MultusConfig, NetworkPlan, PlanError, parseConfig, planNetwork, rangeSize } from "../../ipam";
import { groupNames } from "../../ipam/lambda-env";
import type { Strategy } from "../../contract/lifecycle";
import { HOOK_MARGIN_MS } from "../../lambda/launch";
import { STARTUP_ROUND_MS } from "../../agent/agent";
import { DHCP_POLICIES, DhcpPolicy } from "../ec2/model";
import { AWS_BOOT_TIMING, BootDraws, QUICK_BOOT_TIMING, Span, bootPlan, runReadiness } from "../node-boot";
import { AWS_TIMING, TimingName, TimingProfile, TimingValues, timingProfile } from "../timing";
import { ScenarioOptions, ScenarioReport, formatFailure, runScenario } from "./runner";
import { whereaboutsPods } from "./pod-sources";
import { lambdaAllocator } from "./lambda-allocator";
import { clusterAllocator, scenarioGroups } from "./cluster";

/**
 * The `aws` profile with its undocumented rows swept (simulator/timing.ts SWEPT): read lag
 * with and without a long tail, attach refusals for none, half or all of the pending time,
 * short and long attaches, detaches and shutdowns, slow deliveries, rare and frequent
 * duplicate deliveries.
 */
export const awsSweepArb: fc.Arbitrary<TimingProfile> = fc
  .record({
    readLag: fc.record({
      probability: fc.constantFrom(0.2, 0.5, 1),
      typicalMs: fc.constantFrom(1000, 3000, 8000).map((max) => ({ min: 0, max })),
      tailProbability: fc.constantFrom(0, 0.05, 0.3),
      tailMs: fc.constantFrom(10_000, 60_000).map((max) => ({ min: 3000, max })),
    }),
    attachRefusedShare: fc.constantFrom(0, 0.5, 1).map((x) => ({ min: x, max: x })),
    pendingMs: fc.constantFrom(10_000, 40_000).map((max) => ({ min: 5000, max })),
    attachMs: fc.constantFrom(1000, 3000, 6000).map((max) => ({ min: 500, max })),
    detachMs: fc.constantFrom(3000, 10_000, 30_000).map((max) => ({ min: 1000, max })),
    shutdownMs: fc.constantFrom(1000, 5000, 60_000).map((x) => ({ min: x, max: x })),
    eventDeliveryMs: fc.constantFrom(500, 2000, 10_000).map((max) => ({ min: 100, max })),
    duplicateDelivery: fc.record({ probability: fc.constantFrom(0, 0.02, 0.3), delayMs: fc.constantFrom(5000, 60_000).map((max) => ({ min: 0, max })) }),
  })
  .map((o: Partial<TimingValues>) => timingProfile("aws", o));

/** Either profile: instant, or aws with its undocumented numbers swept. */
export const timingArb: fc.Arbitrary<TimingProfile> = fc.oneof(fc.constant(timingProfile("instant")), awsSweepArb);

/** The largest node group a generated single-group scenario launches (the runs stay quick). */
export const MAX_NODES = 40;

/** One node group on one or two multus subnets. */
export interface World {
  readonly prefix: number;
  readonly subnets: number;
  readonly twoAzs: boolean;
  readonly strategy: Strategy;
  /** Wished-for max size, cut to what the subnet holds. */
  readonly maxSize: number;
  readonly podsPerNode: number;
}

/** A config whose plan may fit: max size cut to what the subnet holds (and to MAX_NODES). */
export function configOf(w: World): { config: MultusConfig; maxSize: number } | undefined {
  const usable = 2 ** (32 - w.prefix) - 5;
  const cap = Math.min(MAX_NODES, Math.floor(usable / (2 + w.podsPerNode)));
  if (cap < 1) return undefined;
  const maxSize = Math.min(cap, w.maxSize);
  const subnets = Array.from({ length: w.subnets }, (_, k) => ({
    cidr: `10.${k + 1}.0.0/${w.prefix}`,
    id: `subnet-0c0ffee0c0ffee0${k + 10}`,
    availabilityZone: w.twoAzs && k === 1 ? "us-west-2b" : "us-west-2a",
  }));
  const config = parseConfig({
    vpc: { cidr: "10.0.0.0/8" },
    nodeGroup: { maxSize, desiredSize: 1, minSize: 0 },
    multus: { strategy: w.strategy, podsPerNode: w.podsPerNode, subnets },
  });
  return { config, maxSize };
}

// Sizes, counts and concurrency are integers, each cut to what the one before allows
// (max size to the subnet, nodes to max size, concurrency to nodes): a fraction from
// fc.double would sit near 0 (fast-check biases doubles towards small values) and make
// nearly every scenario one node launched alone.
export const worldArb: fc.Arbitrary<World> = fc.record({
  // Every multus subnet size: /28 (11 usable addresses) to /16.
  prefix: fc.integer({ min: 16, max: 28 }),
  subnets: fc.integer({ min: 1, max: 2 }),
  twoAzs: fc.boolean(),
  strategy: fc.constantFrom<Strategy>("static", "reservation"),
  maxSize: fc.integer({ min: 1, max: MAX_NODES }),
  podsPerNode: fc.integer({ min: 1, max: 3 }),
});

/** A run of one group: load, foreign ENIs, DHCP order, fault rates, timing. */
export function runArbOf(timing: fc.Arbitrary<TimingProfile>) {
  return fc.record({
    nodes: fc.integer({ min: 1, max: MAX_NODES }),
    concurrency: fc.integer({ min: 1, max: MAX_NODES }),
    foreignEnis: fc.integer({ min: 0, max: 3 }),
    dhcp: fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES),
    throttle: fc.constantFrom<number>(0, 0, 0.05, 0.2),
    consistencyLag: fc.integer({ min: 0, max: 3 }),
    instanceLag: fc.constantFrom(0, 0, 0, 2),
    attachRefusals: fc.constantFrom(0, 0, 0, 2),
    duplicateRate: fc.constantFrom<number>(0, 0, 0.3),
    dropRate: fc.constantFrom<number>(0, 0, 0, 0.2),
    terminations: fc.integer({ min: 0, max: 2 }),
    replay: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    timing,
  });
}

export const runArb = runArbOf(timingArb);
export type RunParams = typeof runArb extends fc.Arbitrary<infer T> ? T : never;
export type DrawnScenario = Omit<ScenarioOptions, "allocator"> & { config: MultusConfig };

/** The scenario of a drawn world and run, or undefined when its plan does not fit. */
export function scenarioOf(w: World, r: RunParams): DrawnScenario | undefined {
  const made = configOf(w);
  if (!made) return undefined;
  let plan;
  try {
    plan = planNetwork(made.config);
  } catch (err) {
    if (err instanceof PlanError) return undefined;
    throw err;
  }
  const nodes = Math.min(r.nodes, made.maxSize);
  return {
    config: made.config,
    plan,
    nodes,
    concurrency: Math.min(r.concurrency, nodes),
    foreignEnis: r.foreignEnis,
    dhcp: r.dhcp,
    faults: {
      throttle: r.throttle,
      consistencyLag: r.consistencyLag,
      instanceLag: r.instanceLag,
      attachRefusals: r.attachRefusals,
      duplicateRate: r.duplicateRate,
      dropRate: r.dropRate,
    },
    pods: whereaboutsPods(w.podsPerNode),
    terminations: r.terminations,
    replay: r.replay,
    seed: r.seed,
    timing: r.timing,
    // Every action completes with the Lambda's stated margin to its hook's timeout (late-action).
    actionMarginMs: HOOK_MARGIN_MS,
  };
}

/**
 * What is wrong with a run, or undefined. A lost event is the one excuse: nobody can complete
 * its action, so its heartbeat timeout takes the hook's default (DESIGN.md property 3 holds for
 * every event delivered): exactly the lost events' actions may end incomplete.
 */
export function cleanProblem(report: ScenarioReport): string | undefined {
  const incomplete = report.violations.filter((v) => v.kind === "incomplete-action").length;
  const others = report.violations.filter((v) => v.kind !== "incomplete-action");
  if (others.length || incomplete !== report.deliveries.lost.length) {
    return `${report.deliveries.lost.length} event(s) lost, ${incomplete} action(s) incomplete\n${formatFailure(report)}`;
  }
  return undefined;
}

/**
 * Whether every launch must succeed: static worker blocks always hold the group (the plan
 * sizes them), DHCP space must hold the nodes and the foreign interfaces. Duplicate
 * deliveries included: the delivery that loses the race for the device index must not
 * ABANDON a launch the other delivery completes.
 */
export function mustContinue(s: Omit<ScenarioOptions, "allocator">): boolean {
  // DescribeInstances lagging is no excuse: the Lambda re-reads its own instance with backoff.
  return s.plan.subnets.every((p) => {
    if (p.strategy === "static") return true;
    const dhcp = p.dhcp.reduce((n, r) => n + r.last - r.first + 1, 0);
    return dhcp >= s.nodes + (s.foreignEnis ?? 0);
  });
}

/**
 * The safety invariants, and no ABANDON by the Lambda where the addresses suffice: not for a
 * lagging read, a pending instance or throttling (the Lambda waits those out until its
 * deadline, lambda/launch.ts patientEc2). A lost launch event's timeout ABANDONs by default:
 * not the Lambda's doing.
 */
export function healthProblem(report: ScenarioReport, s: Omit<ScenarioOptions, "allocator">): string | undefined {
  const dirty = cleanProblem(report);
  if (dirty) return dirty;
  const byLambda = report.launches.abandoned - report.launches.timedOut;
  if (mustContinue(s) && byLambda > 0) return `${byLambda} launch(es) ABANDONed although the addresses suffice\n${formatFailure(report)}`;
  return undefined;
}

// --- Several node groups on shared multus subnets -------------------------------------------

const ZONES = ["us-west-2a", "us-west-2b"];

const groupArb = fc.record({
  strategy: fc.constantFrom("static" as const, "reservation" as const),
  maxSize: fc.integer({ min: 1, max: 5 }),
  podsPerNode: fc.integer({ min: 1, max: 3 }),
  headroom: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  /** Attaches the first network only, or both (in one order: a network keeps its device index on every group). */
  both: fc.boolean(),
  /** Its zones: the first, the second, or both (of the networks' zones). */
  zones: fc.constantFrom([0], [1], [0, 1]),
  launchFrac: fc.double({ min: 0, max: 1, noNaN: true }),
});

export const clusterArb = fc.record({
  prefix: fc.integer({ min: 25, max: 27 }),
  networks: fc.constantFrom(1, 2),
  twoZones: fc.boolean(),
  podBlocks: fc.tuple(fc.constantFrom("network" as const, "group" as const), fc.constantFrom("network" as const, "group" as const)),
  groups: fc.array(groupArb, { minLength: 2, maxLength: 3 }),
  /** Dual-stack subnets: workers and pods get an IPv6 address too, checked by the same invariants. */
  dualStack: fc.boolean(),
});

export function clusterRunArbOf(timing: fc.Arbitrary<TimingName>) {
  return fc.record({
    foreignEnis: fc.integer({ min: 0, max: 4 }),
    dhcp: fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES),
    throttle: fc.constantFrom(0, 0, 0.05),
    consistencyLag: fc.integer({ min: 0, max: 2 }),
    duplicateRate: fc.constantFrom(0, 0, 0.3),
    concurrencyFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    timing,
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
}

export const clusterRunArb = clusterRunArbOf(fc.constantFrom<TimingName>("instant", "aws"));
export type Cluster = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;
export type ClusterRun = typeof clusterRunArb extends fc.Arbitrary<infer T> ? T : never;

/** The cluster config of a generated shape, or undefined when its plan does not fit. */
export function clusterOf(c: Cluster): { user: object; config: MultusConfig; plan: NetworkPlan } | undefined {
  const zones = c.twoZones ? ZONES : ZONES.slice(0, 1);
  const networks = Array.from({ length: c.networks }, (_, n) => ({
    name: `net${n}`,
    subnets: zones.map((z, k) => ({ cidr: `10.${n + 1}.${k}.0/${c.prefix}`, id: `subnet-0c0ffee0c0ffee${n}${k}`, availabilityZone: z, ...(c.dualStack ? { ipv6Cidr: `2001:db8:${n + 1}:${k}::/64` } : {}) })),
    securityGroupIds: [`sg-0c0ffee0c0ffee00${n}`],
    podBlock: c.podBlocks[n],
    ...(n === 1 ? { sourceDestCheck: false } : {}),
  }));
  const nodeGroups = c.groups.map((g, i) => ({
    name: `g${i}`,
    minSize: 0,
    desiredSize: 0,
    maxSize: g.maxSize,
    subnetIds: ["subnet-0c0ffee0c0ffee0ff"],
    availabilityZones: [...new Set(g.zones.map((k) => zones[Math.min(k, zones.length - 1)]!))],
    strategy: g.strategy,
    podsPerNode: g.podsPerNode,
    ...(g.headroom !== undefined ? { workerHeadroom: g.headroom } : {}),
    networks: g.both && c.networks === 2 ? ["net0", "net1"] : ["net0"],
  }));
  const user = { vpc: { cidr: "10.0.0.0/8" }, networks, nodeGroups };
  try {
    const config = parseConfig(user);
    return { user, config, plan: planNetwork(config) };
  } catch (err) {
    if (err instanceof PlanError && err.kind === "infeasible") return undefined;
    throw err;
  }
}

/**
 * Every group's launches at once through one Lambda: no collision across groups, every worker
 * in its own group's part, every action complete, and no ABANDON unless the reservation
 * groups' DHCP space is short (foreign ENIs and the other reservation groups' workers).
 */
export async function runCluster(made: NonNullable<ReturnType<typeof clusterOf>>, c: Cluster, r: ClusterRun): Promise<{ report: ScenarioReport; nodes: number; problem?: string }> {
  const { user, config, plan } = made;
  const groups = scenarioGroups(config, plan, (g, i) => 1 + Math.floor(c.groups[i]!.launchFrac * (g.maxSize - 1)));
  const nodes = groups.reduce((n, g) => n + g.nodes, 0);
  const perNode = new Map(plan.groups.map((g) => [g.name, g.podsPerNode]));
  const report = await runScenario({
    plan,
    allocator: clusterAllocator(plan, config),
    nodes,
    groups,
    concurrency: 1 + Math.floor(r.concurrencyFrac * (nodes - 1)),
    foreignEnis: r.foreignEnis,
    dhcp: r.dhcp,
    faults: { throttle: r.throttle, consistencyLag: r.consistencyLag, duplicateRate: r.duplicateRate },
    pods: whereaboutsPods((node) => perNode.get(node.group!)!),
    timing: r.timing,
    ...(r.timing === "aws" ? { actionMarginMs: HOOK_MARGIN_MS } : {}),
    seed: r.seed,
  });
  const dhcpShort = plan.subnets.some((s) => {
    const users = plan.groups.filter((g) => g.strategy === "reservation" && s.groups.includes(g.name));
    if (!users.length) return false;
    const launched = users.reduce((n, g) => n + groups.find((x) => x.planGroup === g.name)!.nodes, 0);
    return s.dhcp.reduce((n, x) => n + rangeSize(x), 0) < launched + r.foreignEnis;
  });
  const broken = report.violations.length > 0 || report.incompleteActions > 0 || (!dhcpShort && report.launches.abandoned > 0);
  const uncounted = report.launches.continued + report.launches.abandoned !== nodes;
  const problem = broken || uncounted ? `${JSON.stringify(user)}\n${uncounted ? `${report.launches.continued + report.launches.abandoned} of ${nodes} launches completed\n` : ""}${formatFailure(report)}` : undefined;
  return { report, nodes, ...(problem ? { problem } : {}) };
}

// --- Hookless churn: Karpenter and a managed group coming and going ---------------------------

/**
 * A Karpenter NodePool (static worker block) and an EKS managed node group (DHCP outside the
 * blocks) on one network of two /20s, `nodes` launches between them, while nodes are
 * terminated (consolidation, Spot interruptions) and the managed group rolls (launch new,
 * terminate old), their state changes late, twice or lost, throttled, aws timing swept.
 */
export function churnArbOf(opts: { nodes: fc.Arbitrary<number>; timing: fc.Arbitrary<TimingProfile> }) {
  return fc.record({
    nodes: opts.nodes,
    karpenterShare: fc.double({ min: 0.3, max: 0.8, noNaN: true }),
    /** Terminations as a share of the launches. */
    terminationShare: fc.constantFrom(0.1, 0.25, 0.5),
    replacements: fc.integer({ min: 0, max: 20 }),
    concurrency: fc.integer({ min: 5, max: 60 }),
    duplicateRate: fc.constantFrom(0, 0.1, 0.3),
    dropRate: fc.constantFrom(0, 0.05, 0.2),
    throttle: fc.constantFrom(0, 0.02, 0.1),
    timing: opts.timing,
    /** The nodes' boots: over the aws ranges, or each step at its quickest (the ENIs are then what a node waits for). */
    boot: fc.constantFrom("aws" as const, "quick" as const),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
}

export type ChurnRun = ReturnType<typeof churnArbOf> extends fc.Arbitrary<infer T> ? T : never;

/** The churn cluster's config for a number of Karpenter and managed nodes. */
export function churnConfig(karpenter: number, managed: number): MultusConfig {
  const subnetIds = ["subnet-0c0ffee0c0ffee002", "subnet-0c0ffee0c0ffee012"];
  const azs = ["us-west-2a", "us-west-2b"];
  return parseConfig({
    region: "us-west-2",
    cluster: { name: "churn" },
    vpc: { cidr: "10.0.0.0/16" },
    networks: [
      {
        name: "data",
        subnets: [
          { cidr: "10.0.16.0/20", id: "subnet-0c0ffee0c0ffee004", availabilityZone: azs[0] },
          { cidr: "10.0.32.0/20", id: "subnet-0c0ffee0c0ffee014", availabilityZone: azs[1] },
        ],
        securityGroupIds: ["sg-0c0ffee0c0ffee002"],
      },
    ],
    nodeGroups: [
      { name: "burst", kind: "karpenter", instanceTypes: ["c5.2xlarge", "m5.2xlarge"], maxSize: karpenter, subnetIds, availabilityZones: azs, podsPerNode: 2, networks: ["data"] },
      { name: "steady", kind: "managed", instanceType: "m5.xlarge", minSize: 0, desiredSize: 0, maxSize: managed, subnetIds, availabilityZones: azs, strategy: "reservation", podsPerNode: 2, networks: ["data"] },
    ],
  });
}

/**
 * One churn run: no collision, every node still running has its ENIs (a lost `pending` is the
 * reconcile pass's), pods only on nodes with their ENIs, no ENI outlives its instance; and, with
 * the nodes booting meanwhile, no multus pod starts on a node before its ENIs are ready and every
 * running node's startup taint is lifted (node-readiness.ts); no excuse (no lifecycle action to
 * time out).
 */
export async function runChurn(r: ChurnRun): Promise<{ report: ScenarioReport; problem?: string }> {
  const karpenter = Math.max(1, Math.round(r.nodes * r.karpenterShare));
  const managed = Math.max(1, r.nodes - karpenter);
  const config = churnConfig(karpenter, managed);
  const plan = planNetwork(config);
  const names = groupNames(config);
  const groups = scenarioGroups(config, plan, (g) => g.maxSize);
  const report = await runScenario({
    plan,
    allocator: clusterAllocator(plan, config),
    nodes: karpenter + managed,
    groups,
    concurrency: Math.min(r.concurrency, karpenter + managed),
    faults: { duplicateRate: r.duplicateRate, dropRate: r.dropRate, throttle: r.throttle },
    pods: whereaboutsPods(() => 2),
    timing: r.timing,
    seed: r.seed,
    churn: { terminations: Math.round(r.terminationShare * (karpenter + managed)), replacements: r.replacements, replaceGroup: names[1]!.autoScalingGroupName },
    // Pods come while the nodes churn: none may start on a node before its ENIs are ready.
    readiness: { pods: karpenter + managed, boot: r.boot === "quick" ? QUICK_BOOT_TIMING : AWS_BOOT_TIMING },
  });
  const problem = report.violations.length ? `${JSON.stringify({ ...r, timing: r.timing.name })}\n${formatFailure(report)}` : undefined;
  return { report, ...(problem ? { problem } : {}) };
}

// --- Readiness: the real agent lifting the startup taint ------------------------------------

const span = (s: Span) => fc.integer({ min: s.min, max: s.max });
const T = AWS_BOOT_TIMING;

const draws = (devices: number): fc.Arbitrary<BootDraws> =>
  fc.record({
    attachCall: fc.array(span(T.attachCallMs), { minLength: devices, maxLength: devices }),
    attach: fc.array(span(T.attachMs), { minLength: devices, maxLength: devices }),
    hotplug: fc.array(span(T.hotplugMs), { minLength: devices, maxLength: devices }),
    name: fc.array(span(T.nameMs), { minLength: devices, maxLength: devices }),
    userData: span(T.userDataMs),
    register: span(T.registerMs),
    multus: span(T.multusMs),
    agent: span(T.agentMs),
  });

export function readinessArbOf(ec2: fc.Arbitrary<TimingName>) {
  return fc.integer({ min: 1, max: 2 }).chain((devices) =>
    fc.record({
      boots: fc.array(draws(devices), { minLength: 1, maxLength: 3 }),
      podsAt: fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 6 }),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      ec2,
    }),
  );
}

export const readinessArb = readinessArbOf(fc.constantFrom<TimingName>("instant", "aws"));
export type ReadinessRun = typeof readinessArb extends fc.Arbitrary<infer T> ? T : never;

/** How stale an aws read may be: after this, every read shows the attachment. */
export const LONGEST_LAG_MS = AWS_TIMING.readLag.value.tailMs.max;

/**
 * With the startup taint: no multus pod starts before its node's ENIs are ready, every taint is
 * lifted after readiness and within a round of the later of readiness (plus the longest read
 * lag under aws) and the agent's start, and every pod starts.
 */
export async function readinessProblem({ boots, podsAt, seed, ec2 }: ReadinessRun): Promise<string | undefined> {
  const plans = boots.map(bootPlan);
  const tainted = await runReadiness({ boots: plans, podsAt, startupTaint: true, seed, ec2Timing: timingProfile(ec2) });
  const problems: string[] = [];
  if (tainted.early.length) problems.push(`pods started early: ${JSON.stringify(tainted.early)}`);
  tainted.liftedAt.forEach((lifted, i) => {
    const ready = tainted.readyAt[i]!;
    const bound = Math.max(ready + (ec2 === "aws" ? LONGEST_LAG_MS : 0), plans[i]!.agentAt) + STARTUP_ROUND_MS;
    if (lifted === undefined) problems.push(`node ${i}: taint never lifted`);
    else if (lifted < ready || lifted > bound) problems.push(`node ${i}: taint lifted at ${lifted} ms, ready at ${ready} ms, due by ${bound} ms`);
  });
  if (!tainted.startedAt.every((t) => t !== undefined)) problems.push("a pod never started");
  return problems.length ? `${problems.join("\n")}\nboots ${JSON.stringify(boots)}, pods at ${JSON.stringify(podsAt)}, seed ${seed}, ec2 ${ec2}` : undefined;
}

// --- The soak: one drawn scenario per seed --------------------------------------------------

/** The kinds of scenario the soak draws, all under the aws profile. */
export const SOAK_KINDS = ["launch", "cluster", "readiness", "churn"] as const;

/** The soak's churn: 200 nodes of Karpenter and managed churn (issue 20's scale), aws timing swept. */
export const churnSoakArb = churnArbOf({ nodes: fc.constant(200), timing: awsSweepArb });
export type SoakKind = (typeof SOAK_KINDS)[number];

// Weights: a CI soak (10,000 scenarios in 10 minutes on 2 cores) has about 120 ms of CPU per
// scenario; launch scenarios take about 130 ms, cluster 40, readiness 15 and a 200-node churn
// run 2 to 4 s with its boots and pods, so churn is drawn about 30 times in 10,000.
const soakArb = fc.oneof(
  // One group, either strategy, every subnet size, every fault class, aws timing swept.
  { weight: 300, arbitrary: fc.record({ kind: fc.constant("launch" as const), world: worldArb, run: runArbOf(awsSweepArb) }) },
  // Several groups of mixed strategies on shared subnets, one Lambda.
  { weight: 200, arbitrary: fc.record({ kind: fc.constant("cluster" as const), cluster: clusterArb, run: clusterRunArbOf(fc.constant<TimingName>("aws")) }) },
  // The real agent and the startup taint against EC2 under aws timing.
  { weight: 100, arbitrary: fc.record({ kind: fc.constant("readiness" as const), run: readinessArbOf(fc.constant<TimingName>("aws")) }) },
  // Hookless churn at 200 nodes.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("churn" as const), run: churnSoakArb }) },
);

export type SoakDraw = typeof soakArb extends fc.Arbitrary<infer T> ? T : never;

/** The scenario of one soak seed: the same seed draws the same scenario (fast-check pinned). */
export function soakDraw(seed: number): SoakDraw {
  return fc.sample(soakArb, { seed, numRuns: 1 })[0]!;
}

export interface SoakOutcome {
  readonly seed: number;
  readonly kind: SoakKind;
  /** False when the drawn plan does not fit (nothing to run; counted, not failed). */
  readonly ran: boolean;
  readonly problem?: string;
}

/** Draws and runs one soak scenario; a thrown error is a failure too. */
export async function runSoakSeed(seed: number): Promise<SoakOutcome> {
  const d = soakDraw(seed);
  try {
    if (d.kind === "launch") {
      const s = scenarioOf(d.world, d.run);
      if (!s) return { seed, kind: d.kind, ran: false };
      const report = await runScenario({ ...s, allocator: lambdaAllocator(s.plan, s.config) });
      const problem = healthProblem(report, s);
      return { seed, kind: d.kind, ran: true, ...(problem ? { problem } : {}) };
    }
    if (d.kind === "cluster") {
      const made = clusterOf(d.cluster);
      if (!made) return { seed, kind: d.kind, ran: false };
      const { problem } = await runCluster(made, d.cluster, d.run);
      return { seed, kind: d.kind, ran: true, ...(problem ? { problem } : {}) };
    }
    if (d.kind === "churn") {
      const { problem } = await runChurn(d.run);
      return { seed, kind: d.kind, ran: true, ...(problem ? { problem } : {}) };
    }
    const problem = await readinessProblem(d.run);
    return { seed, kind: d.kind, ran: true, ...(problem ? { problem } : {}) };
  } catch (err) {
    return { seed, kind: d.kind, ran: true, problem: `threw: ${err instanceof Error ? err.stack : String(err)}` };
  }
}
