import { MultusConfig, NetworkPlan, PlanError, parseConfig, parseSubnet, planNetwork, rangeSize, usableRange } from "../ipam";
import { Strategy } from "../contract/lifecycle";
import type { LambdaEnvironmentExtra } from "../ipam/lambda-env";
import { ALLOCATOR_NAMES, baselineAllocator, lambdaAllocator, poolPods, runScenario } from "../simulator/scenario";
import type { AllocatorName, ScenarioReport } from "../simulator/scenario";

/** The /24 every burst launches into: the reference example's first multus subnet. */
export const BURST_SUBNET = "10.0.4.0/24";
/** The reference example's multus subnets, for the two-subnet variant. */
const SUBNETS = [
  { cidr: BURST_SUBNET, id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" },
  { cidr: "10.0.5.0/24", id: "subnet-0c0ffee0c0ffee005", availabilityZone: "us-west-2a" },
];
/** Multus pods per node in the burst plan: the least a plan allows, so N workers leave room. */
export const BURST_PODS_PER_NODE = 1;

export interface BurstPlanChoice {
  readonly nodes: number;
  readonly strategy: Strategy;
  /** The worker headroom chosen: the default (= nodes) when it fits, else the most that fits. */
  readonly workerHeadroom: number;
  readonly config: MultusConfig;
  readonly plan: NetworkPlan;
}

/**
 * Worker headroom for `nodes` nodes with `podsPerNode` pods each in a subnet of `usable`
 * addresses: the plan's default (one spare address per node) when it fits, else what is left
 * after workers and pods, else undefined (no plan fits: workers plus pods exceed the subnet).
 */
export function fittingHeadroom(usable: number, nodes: number, podsPerNode: number): number | undefined {
  const left = usable - nodes - nodes * podsPerNode;
  if (left < 0) return undefined;
  return Math.min(nodes, left);
}

/**
 * The plan a burst of `nodes` launches runs against: one multus subnet (the /24), `maxNodes`
 * = nodes, one pod per node, and the largest worker headroom that fits. Throws PlanError when
 * no plan fits (the burst row then says so).
 */
export function burstPlan(nodes: number, strategy: Strategy, subnets = 1): BurstPlanChoice {
  const usable = rangeSize(usableRange(parseSubnet(BURST_SUBNET, "subnet")));
  const headroom = fittingHeadroom(usable, nodes, BURST_PODS_PER_NODE);
  if (headroom === undefined) {
    throw new PlanError(
      "maxNodes",
      `${BURST_SUBNET} has ${usable} usable addresses; ${nodes} workers and ${nodes * BURST_PODS_PER_NODE} pods (at least one per node) need ${nodes * (1 + BURST_PODS_PER_NODE)}`,
      "use a /23 or larger subnet for this many nodes",
      "infeasible",
    );
  }
  const config = parseConfig(
    {
      nodeGroup: { maxSize: nodes, minSize: 0, desiredSize: 0 },
      multus: {
        strategy,
        podsPerNode: BURST_PODS_PER_NODE,
        workerHeadroom: headroom,
        subnets: SUBNETS.slice(0, subnets),
      },
    },
    "bench burst plan",
  );
  return { nodes, strategy, workerHeadroom: headroom, config, plan: planNetwork(config) };
}

export interface BurstRow {
  readonly nodes: number;
  readonly strategy: Strategy;
  readonly allocator: AllocatorName;
  /** Set when no plan fits: the row has no figures. */
  readonly infeasible?: string;
  readonly plan?: string;
  /** Multus subnets (ENIs per node). */
  readonly subnets: number;
  readonly sourceDestCheck: boolean;
  readonly runs: number;
  readonly launches: number;
  readonly abandoned: number;
  /** Duplicate-IP violations (any holders: worker, pod, foreign). */
  readonly collisions: number;
  /** Other invariant violations (incomplete actions, leaked ENIs, ...), by kind. */
  readonly otherViolations: Record<string, number>;
  readonly enisCreated: number;
  readonly readsPerEni: number;
  readonly writesPerEni: number;
  readonly callsPerEni: number;
  /** Simulated lifecycle latency, worst run's p50 and p95 (ms). */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly wallMs: number;
}

export interface BurstOptions {
  readonly nodes: readonly number[];
  readonly strategies?: readonly Strategy[];
  /** Seeded runs per cell. */
  readonly runs: number;
  readonly seed?: number;
  /** Foreign DHCP ENIs created during each burst, as a fraction of the nodes. @default 0.1 */
  readonly foreignRatio?: number;
  readonly onRow?: (row: BurstRow) => void;
}

/**
 * Where the calls per ENI go at one N (static, this project's Lambda): one or two multus
 * subnets (the per-launch reads are shared by the node's ENIs), the source/destination check
 * left on (the stack's default: no call) or turned off (one ModifyNetworkInterfaceAttribute).
 */
export async function runCallVariants(nodes: number, runs: number, onRow?: (row: BurstRow) => void): Promise<BurstRow[]> {
  const rows: BurstRow[] = [];
  for (const subnets of [1, 2]) {
    for (const sourceDestCheck of [true, false]) {
      const row = await runCell({ nodes, strategy: "static", allocator: "project", runs, subnets, sourceDestCheck });
      rows.push(row);
      onRow?.(row);
    }
  }
  return rows;
}

/**
 * Aggregates a cell's runs: sums of outcomes, calls per ENI over all runs, the worst run's
 * latency percentiles.
 */
export function aggregate(base: Pick<BurstRow, "nodes" | "strategy" | "allocator" | "plan" | "subnets" | "sourceDestCheck">, reports: readonly ScenarioReport[], wallMs: number): BurstRow {
  const enis = reports.reduce((n, r) => n + r.enisCreated, 0);
  const reads = reports.reduce((n, r) => n + r.ec2Calls.reads, 0);
  const writes = reports.reduce((n, r) => n + r.ec2Calls.writes, 0);
  const per = (n: number) => (enis ? n / enis : 0);
  const otherViolations: Record<string, number> = {};
  let collisions = 0;
  for (const r of reports) {
    for (const v of r.violations) {
      if (v.kind === "duplicate-ip") collisions++;
      else otherViolations[v.kind] = (otherViolations[v.kind] ?? 0) + 1;
    }
  }
  return {
    ...base,
    runs: reports.length,
    launches: reports.reduce((n, r) => n + r.nodes, 0),
    abandoned: reports.reduce((n, r) => n + r.launches.abandoned, 0),
    collisions,
    otherViolations,
    enisCreated: enis,
    readsPerEni: per(reads),
    writesPerEni: per(writes),
    callsPerEni: per(reads + writes),
    latencyP50Ms: Math.max(0, ...reports.map((r) => r.launchLatencyMs.p50)),
    latencyP95Ms: Math.max(0, ...reports.map((r) => r.launchLatencyMs.p95)),
    wallMs,
  };
}

function describePlan(choice: BurstPlanChoice): string {
  const s = choice.plan.subnets[0]!;
  const range = (r: { first: number; last: number }) => `${r.last - r.first + 1}`;
  return `${choice.plan.subnets.length} x /24, maxNodes ${choice.nodes}, podsPerNode ${BURST_PODS_PER_NODE}, headroom ${choice.workerHeadroom}: ${choice.strategy === "static" ? "worker block" : "DHCP space"} ${range(s.workers)}, pod block ${range(s.pods)}`;
}

/**
 * N concurrent launches into the /24, for each strategy, with this project's lifecycle Lambda
 * (the plan's reservations in place, as the AWS stack creates them) and the reference
 * allocator (as the reference system deploys: no reservation for `static`, its Option 1; the
 * pod-block reservation for `reservation`, its Option 2, made by hand there). Pods come from
 * the pod block, cluster-wide unique; a few foreign DHCP ENIs appear meanwhile.
 */
export async function runBurst(opts: BurstOptions): Promise<BurstRow[]> {
  const rows: BurstRow[] = [];
  for (const nodes of opts.nodes) {
    for (const strategy of opts.strategies ?? (["static", "reservation"] as const)) {
      for (const allocator of ALLOCATOR_NAMES) {
        const row = await runCell({ nodes, strategy, allocator, runs: opts.runs, seed: opts.seed, foreignRatio: opts.foreignRatio });
        rows.push(row);
        opts.onRow?.(row);
      }
    }
  }
  return rows;
}

export interface CellOptions {
  readonly nodes: number;
  readonly strategy: Strategy;
  readonly allocator: AllocatorName;
  readonly runs: number;
  readonly seed?: number;
  /** @default 1 */
  readonly subnets?: number;
  /** This project's Lambda only: the source/destination check it leaves on the ENIs. @default true (the stack's default) */
  readonly sourceDestCheck?: boolean;
  /** @default 0.1 */
  readonly foreignRatio?: number;
}

/** One cell of the burst table: `runs` seeded scenarios, aggregated; an infeasible plan gives a row that says so. */
export async function runCell(opts: CellOptions): Promise<BurstRow> {
  const { nodes, strategy, allocator } = opts;
  const subnets = opts.subnets ?? 1;
  const sourceDestCheck = allocator === "baseline" ? false : opts.sourceDestCheck ?? true;
  let choice: BurstPlanChoice;
  try {
    choice = burstPlan(nodes, strategy, subnets);
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    return infeasibleRow({ nodes, strategy, allocator, subnets, sourceDestCheck }, `${err.problem}: ${err.fix}`);
  }
  const extra: LambdaEnvironmentExtra = { sourceDestCheck };
  const reports: ScenarioReport[] = [];
  const start = performance.now();
  for (let i = 0; i < opts.runs; i++) {
    reports.push(
      await runScenario({
        plan: choice.plan,
        allocator: allocator === "project" ? lambdaAllocator(choice.plan, choice.config, extra) : baselineAllocator(choice.plan),
        nodes,
        concurrency: nodes,
        foreignEnis: Math.ceil(nodes * (opts.foreignRatio ?? 0.1)),
        seed: (opts.seed ?? 1) + i,
        reservations: allocator === "project" || strategy === "reservation" ? "plan" : "none",
        pods: poolPods(BURST_PODS_PER_NODE),
      }),
    );
  }
  return aggregate({ nodes, strategy, allocator, plan: describePlan(choice), subnets, sourceDestCheck }, reports, performance.now() - start);
}

function infeasibleRow(base: Pick<BurstRow, "nodes" | "strategy" | "allocator" | "subnets" | "sourceDestCheck">, why: string): BurstRow {
  return {
    ...base,
    infeasible: why,
    runs: 0,
    launches: 0,
    abandoned: 0,
    collisions: 0,
    otherViolations: {},
    enisCreated: 0,
    readsPerEni: 0,
    writesPerEni: 0,
    callsPerEni: 0,
    latencyP50Ms: 0,
    latencyP95Ms: 0,
    wallMs: 0,
  };
}

if (require.main === module) {
  const nodes = (process.argv[2] ?? "10,50,100").split(",").map(Number);
  const log = (r: BurstRow) => console.log(JSON.stringify(r));
  runBurst({ nodes, runs: Number(process.argv[3] ?? 1), onRow: log })
    .then(() => runCallVariants(100, 1, log))
    .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
