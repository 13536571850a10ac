/**
 * The no-collision properties (DESIGN.md, "The properties"): this project's lifecycle Lambda,
 * its real code, against the simulated EC2 and Auto Scaling, over subnet sizes, strategies,
 * node and pod counts, concurrency, foreign DHCP interfaces, DHCP orders, injected faults and
 * interleavings; and the reference system's allocator failing under the same load.
 *
 * Replaying a failure: fast-check prints the seed and path (`fc.assert(..., { seed, path })`)
 * and the shrunk scenario; the error message holds the scenario's violations and the tail of
 * its interleaving (runs with fc.scheduler print the scheduler's own report).
 */
import fc from "fast-check";
import { MultusConfig, PlanError, ipToInt, parseConfig, planNetwork } from "../../ipam";
import { Strategy } from "../../contract/lifecycle";
import { AutoScalingModel, LifecycleEvent } from "../../simulator/autoscaling/model";
import { DHCP_POLICIES, DhcpPolicy, Ec2Model } from "../../simulator/ec2/model";
import { seededRandom } from "../../simulator/rng";
import { Violation, checkInvariants } from "../../simulator/invariants";
import { autoScalingClient, ec2Client } from "../../simulator/sdk";
import {
  Allocator,
  AllocatorContext,
  DEFAULT_GROUP_NAME,
  FcScheduler,
  SIMULATION_EPOCH,
  VirtualScheduler,
  ScenarioOptions,
  ScenarioReport,
  baselineAllocator,
  formatFailure,
  lambdaAllocator,
  poolPods,
  runScenario,
  whereaboutsPods,
} from "../../simulator/scenario";

let scenarios = 0;

interface World {
  readonly prefix: number;
  readonly subnets: 1 | 2;
  readonly twoAzs: boolean;
  readonly strategy: Strategy;
  readonly maxSizeFrac: number;
  readonly podsPerNode: number;
}

/** A config whose plan fits: max size scaled to what the subnet holds (capped for speed). */
function configOf(w: World): { config: MultusConfig; maxSize: number } | undefined {
  const usable = 2 ** (32 - w.prefix) - 5;
  const cap = Math.min(40, Math.floor(usable / (2 + w.podsPerNode)));
  if (cap < 1) return undefined;
  const maxSize = 1 + Math.floor(w.maxSizeFrac * (cap - 1));
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

const worldArb: fc.Arbitrary<World> = fc.record({
  // Mostly small subnets, where addresses run short; sometimes a /16.
  prefix: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 24, max: 28 }) }, { weight: 1, arbitrary: fc.constant(16) }),
  subnets: fc.constantFrom<1 | 2>(1, 1, 2),
  twoAzs: fc.boolean(),
  strategy: fc.constantFrom<Strategy>("static", "reservation"),
  maxSizeFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  podsPerNode: fc.integer({ min: 1, max: 3 }),
});

const runArb = fc.record({
  nodesFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  concurrencyFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  foreignEnis: fc.integer({ min: 0, max: 3 }),
  dhcp: fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES),
  throttle: fc.constantFrom<number>(0, 0, 0.05, 0.2),
  consistencyLag: fc.integer({ min: 0, max: 3 }),
  instanceLag: fc.constantFrom(0, 0, 0, 2),
  attachRefusals: fc.constantFrom(0, 0, 0, 2),
  duplicateRate: fc.constantFrom<number>(0, 0, 0.3),
  terminations: fc.integer({ min: 0, max: 2 }),
  replay: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

type RunParams = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(w: World, r: RunParams): (Omit<ScenarioOptions, "allocator"> & { config: MultusConfig }) | undefined {
  const made = configOf(w);
  if (!made) return undefined;
  let plan;
  try {
    plan = planNetwork(made.config);
  } catch (err) {
    if (err instanceof PlanError) return undefined;
    throw err;
  }
  const nodes = 1 + Math.floor(r.nodesFrac * (made.maxSize - 1));
  return {
    config: made.config,
    plan,
    nodes,
    concurrency: 1 + Math.floor(r.concurrencyFrac * (nodes - 1)),
    foreignEnis: r.foreignEnis,
    dhcp: r.dhcp,
    faults: { throttle: r.throttle, consistencyLag: r.consistencyLag, instanceLag: r.instanceLag, attachRefusals: r.attachRefusals, duplicateRate: r.duplicateRate },
    pods: whereaboutsPods(w.podsPerNode),
    terminations: r.terminations,
    replay: r.replay,
    seed: r.seed,
  };
}

function expectClean(report: ScenarioReport): void {
  scenarios++;
  if (report.violations.length) throw new Error(formatFailure(report));
}

/**
 * Whether every launch must succeed: static worker blocks always hold the group (the plan
 * sizes them), DHCP space must hold the nodes and the foreign interfaces. Duplicate
 * deliveries included: the delivery that loses the race for the device index must not
 * ABANDON a launch the other delivery completes.
 */
function mustContinue(s: Omit<ScenarioOptions, "allocator">): boolean {
  // DescribeInstances lagging is no excuse: the Lambda re-reads its own instance with backoff.
  return s.plan.subnets.every((p) => {
    if (p.strategy === "static") return true;
    const dhcp = p.dhcp.reduce((n, r) => n + r.last - r.first + 1, 0);
    return dhcp >= s.nodes + (s.foreignEnis ?? 0);
  });
}

/**
 * The safety invariants, and no ABANDON where the addresses suffice and no call stayed
 * throttled past the SDK's retries (then giving up is the right answer).
 */
function expectHealthy(report: ScenarioReport, s: Omit<ScenarioOptions, "allocator">): void {
  expectClean(report);
  if (mustContinue(s) && report.ec2Calls.throttledOut === 0 && report.launches.abandoned > 0) {
    throw new Error(`${report.launches.abandoned} launch(es) ABANDONed although the addresses suffice\n${formatFailure(report)}`);
  }
}

describe("no-collision properties: the lifecycle Lambda", () => {
  test("GIVEN any subnet size, strategy, node/pod count, concurrency, foreign DHCP ENIs, DHCP order and faults THEN every invariant holds and no launch is needlessly ABANDONed (seeded interleavings)", async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, runArb, async (w, r) => {
        const s = scenarioOf(w, r);
        fc.pre(s !== undefined);
        const report = await runScenario({ ...s!, allocator: lambdaAllocator(s!.plan, s!.config) });
        expectHealthy(report, s!);
      }),
      { numRuns: 200 },
    );
  });

  test("GIVEN fast-check's scheduler choosing every interleaving (shrinkable) THEN every invariant holds and no launch is needlessly ABANDONed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.constantFrom<Strategy>("static", "reservation"),
        fc.integer({ min: 26, max: 28 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(0, 0.5),
        fc.integer({ min: 1, max: 1000 }),
        async (sched, strategy, prefix, nodes, foreignEnis, duplicateRate, seed) => {
          const s = scenarioOf({ prefix, subnets: 1, twoAzs: false, strategy, maxSizeFrac: 1, podsPerNode: 1 }, {
            nodesFrac: 1,
            concurrencyFrac: 1,
            foreignEnis,
            dhcp: "adversarial",
            throttle: 0,
            consistencyLag: 0,
            instanceLag: 0,
            attachRefusals: 0,
            duplicateRate,
            terminations: 1,
            replay: true,
            seed,
          });
          fc.pre(s !== undefined && s.nodes >= nodes);
          const scenario = { ...s!, nodes, concurrency: nodes };
          const report = await runScenario({ ...scenario, allocator: lambdaAllocator(s!.plan, s!.config), scheduler: new FcScheduler(sched) });
          expectHealthy(report, scenario);
        },
      ),
      { numRuns: 50 },
    );
  });
});

/**
 * fc.commands: launches (several at once), terminations, replays of any past event, foreign
 * DHCP interfaces, time passing and throttling bursts, in any order; the invariants are
 * checked after every command.
 */
interface CmdWorld {
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingModel;
  readonly scheduler: VirtualScheduler;
  readonly allocator: Allocator;
  readonly plan: ReturnType<typeof planNetwork>;
  readonly foreign: Set<string>;
  readonly delivered: LifecycleEvent[];
  readonly rng: () => number;
  invocations: number;
  /** Calls the allocator saw throttled after the client's retries. */
  throttledOut: number;
}

async function deliver(w: CmdWorld, events: LifecycleEvent[]): Promise<void> {
  const ctx = (task: string): AllocatorContext => {
    const retry = { maxAttempts: w.allocator.sdkMaxAttempts ?? 1, sleep: (ms: number) => w.scheduler.wait(ms, `${task}:backoff`), random: w.rng };
    const hook = async (call: { operation: string }, next: () => Promise<unknown>) => {
      await w.scheduler.wait(20 + Math.floor(w.rng() * 180), `${task}:${call.operation}`);
      return next();
    };
    const client = ec2Client(w.ec2, { hook, retry });
    const counted = {
      send: (command: never) =>
        client.send(command).catch((err: Error) => {
          if (err.name === "RequestLimitExceeded") w.throttledOut++;
          throw err;
        }),
    } as unknown as typeof client;
    return {
      ec2: counted,
      autoscaling: autoScalingClient(w.asg, { hook, retry }),
      sleep: (ms) => w.scheduler.wait(ms, `${task}:sleep`),
      random: w.rng,
      now: () => SIMULATION_EPOCH + w.scheduler.now,
    };
  };
  await w.scheduler.run(Promise.all(events.map((e, i) => w.allocator(e, ctx(`${w.invocations++}.${i}`)))));
  w.delivered.push(...events);
}

function invariantsNow(w: CmdWorld): Violation[] {
  // Actions still open are the next commands' business; everything else must hold now.
  return checkInvariants({ ec2: w.ec2, asg: w.asg, plan: w.plan, foreignEniIds: w.foreign }).filter((v) => v.kind !== "open-action");
}

type Cmd = fc.AsyncCommand<object, CmdWorld>;
const cmd = (name: string, run: (w: CmdWorld) => Promise<void>, check: (w: CmdWorld) => boolean = () => true): Cmd => ({
  check: () => true,
  async run(_m, w) {
    if (!check(w)) return;
    await run(w);
    const v = invariantsNow(w);
    if (v.length) throw new Error(`after ${name}:\n${v.map((x) => `  ${x.kind}: ${x.detail}`).join("\n")}`);
  },
  toString: () => name,
});

const inService = (w: CmdWorld) => w.asg.instances().filter((i) => i.state === "InService");

const cmdArbs = [
  fc.integer({ min: 1, max: 4 }).map((n) =>
    cmd(
      `Launch(${n})`,
      async (w) => {
        // Room for n more: free worker-block addresses (static) or DHCP addresses (reservation).
        const s = w.plan.subnets[0]!;
        const held = w.ec2.liveAddresses().filter((a) => a.subnetId === s.id && ipToInt(a.ip) >= s.workers.first && ipToInt(a.ip) <= s.workers.last).length;
        const room = s.strategy === "static" ? s.workers.last - s.workers.first + 1 - held : w.ec2.dhcpFreeCount(s.id);
        const throttledBefore = w.throttledOut;
        const launched = Array.from({ length: n }, () => w.asg.launch());
        await deliver(w, launched.flatMap((l) => l.events));
        if (room >= n && w.throttledOut === throttledBefore) {
          const lost = launched.filter((l) => w.asg.lifecycleState(l.instanceId) !== "InService");
          if (lost.length) throw new Error(`Launch(${n}): ${lost.map((l) => l.instanceId).join(", ")} not InService although ${room} addresses were free`);
        }
      },
      (w) => w.asg.instances().filter((i) => i.state !== "Terminated").length + n <= w.plan.subnets[0]!.capacity.maxNodes,
    ),
  ),
  fc.nat().map((k) =>
    cmd(`Terminate(#${k})`, async (w) => {
      const live = inService(w);
      if (live.length) await deliver(w, w.asg.terminate(live[k % live.length]!.instanceId));
    }),
  ),
  fc.nat().map((k) =>
    cmd(`Replay(#${k})`, async (w) => {
      if (w.delivered.length) await deliver(w, [w.delivered[k % w.delivered.length]!]);
    }),
  ),
  fc.constant(
    cmd("ForeignEni", async (w) => {
      const s = w.plan.subnets[0]!;
      if (w.ec2.dhcpFreeCount(s.id) > s.capacity.maxNodes) w.foreign.add(w.ec2.addForeignInterface(s.id).eniId);
    }),
  ),
  fc.integer({ min: 1, max: 400 }).map((sec) =>
    cmd(`Advance(${sec}s)`, async (w) => {
      w.asg.advance(sec * 1000);
    }),
  ),
  fc.constantFrom(0, 0.3).map((rate) =>
    cmd(`Throttle(${rate})`, async (w) => {
      w.ec2.setFaults({ throttle: rate });
    }),
  ),
];

describe("no-collision properties: lifecycle sequences (fc.commands)", () => {
  test("GIVEN any sequence of launches, terminations, replays, foreign ENIs, time and throttling THEN the invariants hold after every step", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(cmdArbs, { maxCommands: 25 }), fc.constantFrom<Strategy>("static", "reservation"), fc.integer({ min: 1, max: 10_000 }), async (cmds, strategy, seed) => {
        const config = parseConfig({
          nodeGroup: { maxSize: 12, desiredSize: 1, minSize: 0 },
          multus: { strategy, podsPerNode: 2, subnets: [{ cidr: "10.0.4.0/26", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
        });
        const plan = planNetwork(config);
        const ec2 = new Ec2Model({ seed, dhcp: "adversarial" });
        const s = plan.subnets[0]!;
        ec2.addSubnet({ cidr: s.subnet.cidr, id: s.id, availabilityZone: s.availabilityZone });
        const primary = ec2.addSubnet({ cidr: "100.64.0.0/20", availabilityZone: s.availabilityZone }).subnetId;
        for (const r of s.reservations) await ec2.createSubnetCidrReservation({ SubnetId: s.id, Cidr: r.cidr, ReservationType: "explicit" });
        const asg = new AutoScalingModel(ec2, { groupName: DEFAULT_GROUP_NAME, subnetIds: [primary], instanceType: plan.instance.instanceType, seed, epochMs: SIMULATION_EPOCH });
        const scheduler = new VirtualScheduler(seed);
        scheduler.onAdvance = (at) => {
          if (at > asg.now) asg.advance(at - asg.now);
        };
        const world: CmdWorld = { ec2, asg, scheduler, allocator: lambdaAllocator(plan, config), plan, foreign: new Set(), delivered: [], rng: seededRandom(seed), invocations: 0, throttledOut: 0 };
        await fc.asyncModelRun(() => ({ model: {}, real: world }), cmds);
        scenarios++;
      }),
      { numRuns: 60 },
    );
  });
});

describe("the reference allocator under the same load", () => {
  // 50 concurrent launches into one /24 (static, the seed's Option 1: no reservations) with a
  // foreign DHCP interface: the baseline ABANDONs launches or collides; the Lambda, given the
  // same subnet, load and interleaving seed (and the plan's reservations), does neither.
  test("GIVEN 50 concurrent launches into a /24 and a foreign ENI THEN the baseline fails (ABANDON or a violation) and the Lambda does not", async () => {
    const config = parseConfig({
      nodeGroup: { maxSize: 50, desiredSize: 1, minSize: 0 },
      multus: { strategy: "static", podsPerNode: 2, subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
    });
    const plan = planNetwork(config);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES), async (seed, dhcp) => {
        const common = { plan, nodes: 50, concurrency: 50, foreignEnis: 1, dhcp, seed, pods: poolPods(2) };
        const baseline = await runScenario({ ...common, allocator: baselineAllocator(plan), reservations: "none" });
        scenarios++;
        expect(baseline.launches.abandoned + baseline.violations.length).toBeGreaterThan(0);
        const ours = await runScenario({ ...common, allocator: lambdaAllocator(plan, config) });
        expectClean(ours);
        expect(ours.launches).toEqual({ continued: 50, abandoned: 0, timedOut: 0 });
      }),
      { numRuns: 5 },
    );
  });

  test("GIVEN the reference system's Option 2 (DHCP workers) without the pod reservation, and pods at the end of the subnet THEN DHCP workers collide with pods", async () => {
    const config = parseConfig({
      nodeGroup: { maxSize: 30, desiredSize: 1, minSize: 0 },
      multus: { strategy: "reservation", podsPerNode: 4, subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] },
    });
    const plan = planNetwork(config);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const baseline = await runScenario({ plan, nodes: 30, concurrency: 10, foreignEnis: 2, dhcp: "adversarial", seed, pods: poolPods(4), allocator: baselineAllocator(plan), reservations: "none" });
        scenarios++;
        expect(baseline.violations.some((v) => v.kind === "duplicate-ip")).toBe(true);
      }),
      { numRuns: 5 },
    );
  });
});

afterAll(() => {
  // The record of how much was checked (also in the final report of the suite's run).
  console.info(`collision properties: ${scenarios} scenarios checked`);
});
