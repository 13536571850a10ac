/**
 * Bring-up under EC2's request rate limits: N launches at once over three AZs (one multus /20
 * each), the `aws` timing profile with its documented token buckets (simulator/timing.ts
 * EC2_REQUEST_BUCKETS), through this project's Lambda and the reference allocator. The figure is
 * the simulated time until the last lifecycle action, against the floor that the buckets, the
 * instances' readiness and the attach latency allow for that many EC2 calls:
 *
 *   floor = max( max over buckets b of max(0, (K_b - C_b) / r_b),
 *                max over k = 1..K_a of max(a_(k), (k - C_a) / r_a) )  +  attach_min
 *
 * K_b = calls that draw on bucket b, C_b its size, r_b its refill per second; a = the bucket
 * AttachNetworkInterface draws on (mutating, 50 at 5/s) and a_(k) the k-th earliest time at
 * which an instance of the run takes an attach (a pending instance refuses attaches for a
 * while: timing rows pendingMs x attachRefusedShare, drawn per instance, so read from the run);
 * the k-th attach can be served neither before k attaches are possible nor before the bucket
 * holds a k-th token. attach_min is the least `attaching` time (the last attach still has to
 * finish). Without readiness times (a_(k) = 0) the second term is the attach bucket's drain.
 * Two floors: for the least calls a launch needs (K_min: per launch DescribeInstances +
 * DescribeNetworkInterfaces, per ENI CreateNetworkInterface + AttachNetworkInterface +
 * ModifyNetworkInterfaceAttribute), and for the calls EC2 served the allocator (throttled calls
 * take no token). Nothing can beat either floor; a gap to the second is time the allocator left
 * unused.
 */
import { parseConfig, planNetwork } from "../ipam";
import { HOOK_MARGIN_MS } from "../lambda/launch";
import { baselineAllocator, lambdaAllocator, runScenario } from "../simulator/scenario";
import type { AllocatorName, ScenarioReport } from "../simulator/scenario";
import { AWS_TIMING, Bucket, EC2_REQUEST_BUCKETS, ec2Bucket } from "../simulator/timing";

export const BRINGUP_NODES = [100, 500, 1000] as const;
/** Target: bring-up within this multiple of the least-calls floor. */
export const BRINGUP_RATIO_TARGET = 1.25;

const ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"];

/** The fleet's plan: one static group of N nodes over three AZs, one multus /20 per AZ. */
export function bringupPlan(nodes: number) {
  const config = parseConfig(
    {
      vpc: { cidr: "10.0.0.0/16" },
      nodeGroup: { maxSize: nodes, minSize: 0, desiredSize: 0 },
      multus: {
        strategy: "static",
        podsPerNode: 2,
        subnets: ZONES.map((z, k) => ({ cidr: `10.0.${16 * k}.0/20`, id: `subnet-0c0ffee0c0ffee0${k + 20}`, availabilityZone: z })),
      },
    },
    "bench bring-up plan",
  );
  return { config, plan: planNetwork(config) };
}

export interface FloorTerm {
  readonly bucket: string;
  readonly calls: number;
  readonly capacity: number;
  readonly refillPerSecond: number;
  /** max(0, (calls - capacity) / refill), seconds. */
  readonly seconds: number;
}

function bucketName(b: Bucket): string {
  return Object.entries(EC2_REQUEST_BUCKETS).find(([, x]) => x === b)?.[0] ?? "unknown";
}

/** The floor for `calls` (per EC2 action), see the module's comment. */
export interface Floor {
  readonly seconds: number;
  /** Per bucket, its drain time, slowest first. */
  readonly terms: FloorTerm[];
  readonly attachMinSeconds: number;
  /** max over k of max(a_(k), (k - C_a) / r_a), seconds: the attach bucket with the instances' readiness (0 without attaches). */
  readonly attachReadySeconds: number;
  /** The term that sets the floor: a bucket's name, or `attach readiness` when the instances' readiness adds to the attach bucket's drain. */
  readonly setBy: string;
}

/**
 * The floor for `calls` (per EC2 action): the slowest bucket's drain, or the attach bucket
 * served no earlier than the instances take attaches (`attachableSeconds`, one per attach,
 * any order), plus the least attach.
 */
export function rateFloor(calls: Record<string, number>, attachableSeconds: readonly number[] = []): Floor {
  const per = new Map<Bucket, number>();
  for (const [op, n] of Object.entries(calls)) {
    // The Lambda's reads filter by subnet or list instance ids: the filtered buckets.
    const b = ec2Bucket(op, false);
    per.set(b, (per.get(b) ?? 0) + n);
  }
  const terms = [...per].map(([b, n]) => ({ bucket: bucketName(b), calls: n, capacity: b.capacity, refillPerSecond: b.refillPerSecond, seconds: Math.max(0, (n - b.capacity) / b.refillPerSecond) }));
  terms.sort((a, b) => b.seconds - a.seconds);
  const attach = ec2Bucket("AttachNetworkInterface", false);
  const attaches = calls.AttachNetworkInterface ?? 0;
  const ready = [...attachableSeconds].sort((a, b) => a - b);
  let attachReadySeconds = 0;
  for (let k = 1; k <= attaches; k++) {
    // Fewer readiness times than attaches: the rest are ready at 0 (the earliest ones).
    const r = ready[k - 1 - Math.max(0, attaches - ready.length)] ?? 0;
    attachReadySeconds = Math.max(attachReadySeconds, r, (k - attach.capacity) / attach.refillPerSecond);
  }
  const attachMinSeconds = AWS_TIMING.attachMs.value.min / 1000;
  const bucketSeconds = terms[0]?.seconds ?? 0;
  const setBy = attachReadySeconds > bucketSeconds ? "attach readiness" : (terms[0]?.bucket ?? "none");
  return { seconds: Math.max(bucketSeconds, attachReadySeconds) + attachMinSeconds, terms, attachMinSeconds, attachReadySeconds, setBy };
}

/** The least calls N launches with one multus ENI each need. */
export function leastCalls(nodes: number, enisPerNode = 1): Record<string, number> {
  return {
    DescribeInstances: nodes,
    DescribeNetworkInterfaces: nodes,
    CreateNetworkInterface: nodes * enisPerNode,
    AttachNetworkInterface: nodes * enisPerNode,
    ModifyNetworkInterfaceAttribute: nodes * enisPerNode,
  };
}

export interface BringupRow {
  readonly nodes: number;
  readonly allocator: AllocatorName;
  readonly continued: number;
  readonly abandoned: number;
  readonly violations: number;
  /** Simulated seconds until the last lifecycle action. */
  readonly seconds: number;
  readonly leastFloor: Floor;
  readonly madeFloor: Floor;
  readonly calls: number;
  readonly throttled: number;
  /** Throttles the SDK's retries did not absorb (the allocator saw RequestLimitExceeded). */
  readonly throttledOut: number;
  readonly wallMs: number;
  /** Why launches were ABANDONed, each distinct reason once with its count. */
  readonly abandonReasons: Record<string, number>;
}

/** Calls EC2 served (a throttled call takes no token): what the buckets drained. */
function served(report: ScenarioReport): Record<string, number> {
  const t = report.ec2Calls.throttledByOperation;
  return Object.fromEntries(Object.entries(report.ec2Calls.byOperation).map(([op, n]) => [op, n - (t[op] ?? 0)]));
}

export async function bringupRow(nodes: number, allocator: AllocatorName, seed = 1): Promise<BringupRow> {
  const { config, plan } = bringupPlan(nodes);
  const started = performance.now();
  const report: ScenarioReport = await runScenario({
    plan,
    nodes,
    concurrency: nodes,
    seed,
    timing: "aws",
    actionMarginMs: HOOK_MARGIN_MS,
    allocator: allocator === "project" ? lambdaAllocator(plan, config) : baselineAllocator(plan),
    // The reference system's Option 1: no reservations.
    ...(allocator === "baseline" ? { reservations: "none" as const } : {}),
  });
  const enisPerNode = 1;
  // When each launch's instance took attaches, one entry per ENI it needs.
  const attachable = report.attachableAtMs.flatMap((ms) => Array<number>(enisPerNode).fill(ms / 1000));
  return {
    nodes,
    allocator,
    continued: report.launches.continued,
    abandoned: report.launches.abandoned,
    violations: report.violations.length,
    seconds: report.lastActionMs / 1000,
    leastFloor: rateFloor(leastCalls(nodes, enisPerNode), attachable),
    madeFloor: rateFloor(served(report), attachable),
    calls: report.ec2Calls.reads + report.ec2Calls.writes,
    throttled: report.ec2Calls.throttled,
    throttledOut: report.ec2Calls.throttledOut,
    wallMs: performance.now() - started,
    abandonReasons: report.abandonReasons.reduce<Record<string, number>>((m, r) => {
      // The reason without the launch's own label (L12: ...), so equal reasons count together.
      const k = r.replace(/^L\d+(\.\d+)?: /, "").replace(/i-[0-9a-f]+|eni-[0-9a-f]+/g, "<id>").slice(0, 160);
      m[k] = (m[k] ?? 0) + 1;
      return m;
    }, {}),
  };
}

export async function runBringup(nodes: readonly number[] = BRINGUP_NODES, onRow: (r: BringupRow) => void = () => undefined): Promise<BringupRow[]> {
  const rows: BringupRow[] = [];
  for (const n of nodes) {
    for (const a of ["project", "baseline"] as const) {
      const r = await bringupRow(n, a);
      onRow(r);
      rows.push(r);
    }
  }
  return rows;
}

if (require.main === module) {
  const nodes = (process.argv[2] ?? BRINGUP_NODES.join(",")).split(",").map(Number);
  void runBringup(nodes, (r) => process.stdout.write(`${JSON.stringify({ ...r, leastFloor: r.leastFloor.seconds, madeFloor: r.madeFloor.seconds, floorSetBy: r.leastFloor.setBy, attachReadySeconds: r.leastFloor.attachReadySeconds, terms: r.leastFloor.terms })}\n`));
}

/** Bring-up verdict: every launch CONTINUEd within the target of the floor, no throttle past the retries. */
export function bringupVerdict(rows: readonly BringupRow[]): { met: boolean; text: string } {
  const ours = rows.filter((r) => r.allocator === "project");
  const parts = ours.map((r) => {
    const x = r.seconds / r.leastFloor.seconds;
    const issues = [r.abandoned ? `${r.abandoned} ABANDONed` : "", r.throttledOut ? `${r.throttledOut} throttles past the SDK's retries` : "", x > BRINGUP_RATIO_TARGET ? `${x.toFixed(2)}x the floor` : ""].filter(Boolean);
    return { ok: issues.length === 0, text: `N = ${r.nodes}: ${r.seconds.toFixed(1)} s vs floor ${r.leastFloor.seconds.toFixed(1)} s (${x.toFixed(2)}x)${issues.length ? `, ${issues.join(", ")}` : ""}` };
  });
  return { met: parts.every((p) => p.ok), text: `${parts.map((p) => p.text).join("; ")} (target <= ${BRINGUP_RATIO_TARGET}x, every launch CONTINUEd, no throttle past the retries)` };
}
