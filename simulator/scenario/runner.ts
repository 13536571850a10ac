import { AsyncLocalStorage } from "node:async_hooks";
import type { NetworkPlan } from "../../ipam/plan";
import { ipToInt } from "../../contract/address";
import { AutoScalingModel, DEFAULT_GROUP_NAME, GroupEvent, eventInstanceId, isLaunchEvent } from "../autoscaling/model";
import { AutoScalingFleet } from "../autoscaling/fleet";
import { DEFAULT_HOOKS, DEFAULT_LAMBDA_TIMEOUT, EVENT_DELIVERY, TRANSITIONS, maximumEventAgeSeconds } from "../../contract/lifecycle";
import { DhcpPolicy, Ec2Model } from "../ec2/model";
import { Rng, randomInt, seededRandom } from "../rng";
import { PodIp, Violation, checkInvariants } from "../invariants";
import { SdkHook, autoScalingClient, ec2Client } from "../sdk";
import { ScenarioScheduler, VirtualScheduler } from "./scheduler";
import { TimingName, TimingProfile, draw, timingProfile } from "../timing";
import { RECONCILE } from "../../contract/state-change";
import { RECONCILE_AFTER_MS } from "../../lambda/handler";
import type { Allocator, AllocatorContext } from "./types";
import { NodeReadiness, ReadinessReport, ScenarioReadiness } from "./node-readiness";

export interface ScenarioFaults {
  /** Probability that an EC2 call is throttled (RequestLimitExceeded), as `Ec2Faults.throttle`. @default 0 */
  readonly throttle?: number;
  /** DescribeNetworkInterfaces may lag writes by up to this many model steps. @default 0 */
  readonly consistencyLag?: number;
  /** DescribeInstances may lag by up to this many model steps (a new instance may be NotFound). @default 0 */
  readonly instanceLag?: number;
  /** AttachNetworkInterface refuses each new instance this many times (IncorrectInstanceState). @default 0 */
  readonly attachRefusals?: number;
  /** Probability that EventBridge delivers an event twice. @default 0 */
  readonly duplicateRate?: number;
  /** Probability that an event is lost (best-effort delivery). @default 0 */
  readonly dropRate?: number;
}

/** A node as the pod source sees it after the launches. */
export interface NodeView {
  readonly instanceId: string;
  readonly availabilityZone: string;
  /** The plan's node group of the node (scenarios with `groups`). */
  readonly group?: string;
  /** The node's secondary ENIs. */
  readonly enis: { subnetId: string; eniId: string; ip: string; deviceIndex: number }[];
}

/** Gives the scenario's pods their multus addresses (a CNI IPAM model, say). */
export type PodSource = (nodes: NodeView[], ctx: { plan: NetworkPlan; seed: number }) => PodIp[] | Promise<PodIp[]>;

/** One Auto Scaling group of a scenario with several. */
export interface ScenarioGroup {
  /** Its Auto Scaling group name (the allocator must serve it). */
  readonly autoScalingGroupName: string;
  /** The plan's node group it runs: its worker and pod blocks are checked. */
  readonly planGroup: string;
  /** Instances to launch in it. */
  readonly nodes: number;
  /** @default the plan group's instance type */
  readonly instanceType?: string;
  /** Zones of its instances. @default the plan group's */
  readonly availabilityZones?: readonly string[];
  /** A hookless group (Karpenter, EKS managed): the tag its instances carry (AutoScalingModel instanceTag). @default an Auto Scaling group with hooks */
  readonly instanceTag?: { readonly key: string; readonly value: string };
}

/**
 * Hookless groups' nodes coming and going while the launches run, each at a random moment of
 * the launch window:
 * - `terminations`: a running node of a hookless group terminated without a hook (Karpenter's
 *   consolidation, a Spot interruption: EC2 terminates the instance two minutes after the
 *   warning, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html;
 *   the warning itself changes nothing the function sees);
 * - `replacements`: a managed group's rolling update, one node at a time: a new node launched,
 *   then, once it has had time to become Ready (30-120 s: assumed), an old one terminated
 *   (Amazon EKS user guide, "Understand each phase of node updates": the scale-up phase
 *   launches new nodes, the upgrade phase drains and terminates old ones,
 *   https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html).
 */
export interface ScenarioChurn {
  /** @default 0 */
  readonly terminations?: number;
  /** @default 0 */
  readonly replacements?: number;
  /** The hookless group (its autoScalingGroupName) rolled by `replacements`. @default the first hookless group */
  readonly replaceGroup?: string;
}

export interface ScenarioOptions {
  readonly plan: NetworkPlan;
  readonly allocator: Allocator;
  /** Instances to launch (with `groups`: their total). */
  readonly nodes: number;
  /**
   * Several Auto Scaling groups at once, their launches interleaved, each instance checked
   * against its own group's blocks. @default one group (DEFAULT_GROUP_NAME) of `nodes`
   */
  readonly groups?: readonly ScenarioGroup[];
  /** Launches in flight at once. @default nodes */
  readonly concurrency?: number;
  /** DHCP ENIs created in the multus subnets during the launches by someone else. @default 0 */
  readonly foreignEnis?: number;
  /** @default "random" */
  readonly dhcp?: DhcpPolicy;
  readonly faults?: ScenarioFaults;
  readonly seed: number;
  /**
   * `plan`: the plan's subnet CIDR reservations exist before the first launch (as the AWS
   * stack creates them); `none`: no reservations (the reference system's Option 1).
   * @default "plan"
   */
  readonly reservations?: "plan" | "none";
  readonly pods?: PodSource;
  /** InService nodes to terminate after the launches. @default 0 */
  readonly terminations?: number;
  /** Hookless churn while the launches run (ScenarioChurn). @default none */
  readonly churn?: ScenarioChurn;
  /**
   * Nodes boot and multus pods wait for them while the launches run, the real agent lifting
   * the startup taint (ScenarioReadiness): violations `pod-before-network`, `taint-not-lifted`.
   * @default none (pods only from `pods`, after the launches)
   */
  readonly readiness?: ScenarioReadiness;
  /** Deliver every launch event once more at the end; the live addresses must not change. @default false */
  readonly replay?: boolean;
  /** @default 300 */
  readonly heartbeatTimeoutSeconds?: number;
  /**
   * Every latency, lag and bucket of the models (simulator/timing.ts): `aws` as slow and as
   * lazy as AWS documents, `instant` without asynchronous states, read lag or buckets.
   * @default "instant"
   */
  readonly timing?: TimingName | TimingProfile;
  /** Simulated latency of one SDK call, uniform in [min, max] ms. @default the timing profile's callLatencyMs */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  /**
   * Retries of a failed or timed-out invocation (the function's asynchronous invocation config).
   * @default EVENT_DELIVERY.lambdaMaximumRetryAttempts (2, Lambda's own default too)
   */
  readonly invocationRetries?: number;
  /** The function's timeout: an invocation still running then is cut off and counts as failed. @default DEFAULT_LAMBDA_TIMEOUT (270 s) */
  readonly lambdaTimeoutSeconds?: number;
  /** Lifecycle actions must complete this long before their hook's timeout (violation `late-action`). @default 0 */
  readonly actionMarginMs?: number;
  /**
   * With a hookless group: the reconcile pass's schedule (the module's reconcileSchedule),
   * simulated ms between passes, each delivered as EventBridge delivers a scheduled rule's
   * event (the profile's delivery latency; assumed never lost: the next pass covers a lost
   * one anyway). Passes run while the launches do and until every instance has had one after
   * it became old enough for it (RECONCILE_AFTER_MS); `null`: no pass (the function without
   * the schedule). @default RECONCILE.everyMs (the module's default rate), none without a hookless group
   */
  readonly reconcileEveryMs?: number | null;
  /** @default a VirtualScheduler seeded from `seed` */
  readonly scheduler?: ScenarioScheduler;
  readonly log?: (line: object) => void;
}

export interface ScenarioReport {
  readonly seed: number;
  readonly nodes: number;
  readonly concurrency: number;
  readonly ok: boolean;
  readonly violations: Violation[];
  readonly launches: { readonly continued: number; readonly abandoned: number; readonly timedOut: number };
  readonly terminations: { readonly requested: number; readonly completed: number; readonly timedOut: number };
  /** Lifecycle actions that ended by heartbeat timeout (never completed). */
  readonly incompleteActions: number;
  readonly invocations: number;
  /** Invocations that threw (each retry counts). */
  readonly invocationErrors: number;
  readonly ec2Calls: {
    readonly reads: number;
    readonly writes: number;
    /** Attempts that were throttled. */
    readonly throttled: number;
    /** Throttled attempts by operation. */
    readonly throttledByOperation: Record<string, number>;
    /** Calls still throttled after the client's retries: the allocator saw RequestLimitExceeded. */
    readonly throttledOut: number;
    readonly byOperation: Record<string, number>;
  };
  readonly autoscalingCalls: number;
  /** ENIs the allocator created (successful CreateNetworkInterface calls). */
  readonly enisCreated: number;
  /** EC2 calls per ENI created. */
  readonly callsPerEni: { readonly reads: number; readonly writes: number };
  /** Simulated ms from a launch event's delivery to its handling's end. */
  readonly launchLatencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** Simulated ms from a lifecycle action's start to its completion (CompleteLifecycleAction). */
  readonly actionMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** The smallest margin (ms) between an action's completion and its hook's timeout; null when none completed. */
  readonly minActionMarginMs: number | null;
  /** Simulated time (ms) of the last completed lifecycle action. */
  readonly lastActionMs: number;
  /**
   * Per launch of the launch phase (replacements after an ABANDON not included), the
   * simulated ms from which its instance took AttachNetworkInterface (Ec2Model attachableAt):
   * no allocator attaches earlier, whatever its calls.
   */
  readonly attachableAtMs: number[];
  /** Invocations the function's timeout cut off. */
  readonly invocationTimeouts: number;
  /** Addresses of the plan's worker blocks held by an interface at the end (static subnets). */
  readonly workerAddressesHeld: number;
  /** Why launches were ABANDONed, as the allocator said (first 20). */
  readonly abandonReasons: string[];
  readonly timing: TimingName;
  readonly simulatedMs: number;
  readonly pods: number;
  readonly foreignEnis: number;
  /** Dual-stack subnets: IPv6 addresses on worker ENIs and pods' IPv6 addresses at the end (both checked by the invariants). */
  readonly ipv6: { readonly workers: number; readonly pods: number };
  /**
   * Most launches whose handler invocations were running at the same moment during the
   * launch phase (two deliveries of one launch count once; the end-of-run replays not at all).
   */
  readonly maxLaunchesInFlight: number;
  /** EventBridge deliveries: events lost (never delivered) and events delivered twice, launch and terminate alike. */
  readonly deliveries: { readonly lost: readonly LostEvent[]; readonly duplicated: number };
  /** Scheduled reconcile passes delivered (hookless groups). */
  readonly reconcilePasses: number;
  /** Hookless nodes the churn terminated (consolidation, interruptions, the rolling update's old nodes) and the rolling update's new nodes. */
  readonly churned: { readonly terminated: number; readonly launched: number };
  /** With `readiness`: the boots, the agents' rounds and EC2 calls, the pods bound during the launches. */
  readonly readiness?: ReadinessReport & { readonly agentEc2Calls: number };
  /** Released steps in order (`t=<ms> <task>:<operation>`), for replaying a failure by eye. */
  readonly trace: string[];
}

/** A lifecycle event EventBridge never delivered: its action can only time out. */
export interface LostEvent {
  readonly instanceId: string;
  readonly transition: string;
}

/**
 * Counts the keys (instance ids, say) with work running, and the most at one moment: two
 * runs for one key at once count once.
 */
export class InFlight {
  private readonly running = new Map<string, number>();
  /** The most keys running at one moment so far. */
  max = 0;

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    this.max = Math.max(this.max, this.running.size);
    try {
      return await work();
    } finally {
      const left = this.running.get(key)! - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
    }
  }
}

/** The Auto Scaling group name scenarios use. */
export { DEFAULT_GROUP_NAME };

/** Simulated time 0 as a wall-clock time (epoch ms). */
export const SIMULATION_EPOCH = Date.parse("2026-01-01T00:00:00Z");

const isRead = (op: string) => op.startsWith("Describe") || op.startsWith("Get");

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Adds primary (VPC CNI) subnets, one per AZ, that overlap no multus subnet: /20s in 100.64.0.0/10. */
function primaryCidrs(count: number, ec2: Ec2Model, azs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count && i < 1024; i++) {
    const cidr = `100.${64 + Math.floor(i / 16)}.${(i % 16) * 16}.0/20`;
    const id = `subnet-${(0xa0000 + out.length).toString(16).padStart(17, "0")}`;
    try {
      ec2.addSubnet({ cidr, availabilityZone: azs[out.length]!, id });
      out.push(id);
    } catch {
      // overlaps a multus subnet: try the next
    }
  }
  return out;
}

/** What a run counts as it goes, for the report. */
interface Tally {
  readonly byOperation: Record<string, number>;
  readonly throttledByOperation: Record<string, number>;
  reads: number;
  writes: number;
  throttled: number;
  throttledOut: number;
  asgCalls: number;
  enisCreated: number;
  invocations: number;
  invocationErrors: number;
  invocationTimeouts: number;
  attachableAtMs: number[];
  readonly abandonReasons: string[];
  /** Simulated ms per launch event from delivery to the end of its handling. */
  readonly latencies: number[];
  /** Launch invocations of the launch phase, per instance. */
  readonly launchesInFlight: InFlight;
  /** Events EventBridge lost, and how many it delivered twice. */
  readonly lost: LostEvent[];
  duplicated: number;
  /** Reconcile passes delivered. */
  reconcilePasses: number;
  /** Hookless nodes the churn terminated, and the rolling update's new nodes. */
  readonly churned: { terminated: number; launched: number };
  /** EC2 calls of the node agents (readiness), throttled attempts included. */
  agentEc2Calls: number;
}

/** One run's world: the models, the scheduler, the seeded random numbers, and its tally. */
interface World {
  readonly opts: ScenarioOptions;
  readonly timing: TimingProfile;
  /** The SDK clients every invocation shares; each call knows its invocation by `TASK`. */
  readonly clients: Pick<AllocatorContext, "ec2" | "autoscaling">;
  readonly ec2: Ec2Model;
  readonly asg: AutoScalingFleet;
  /** Which fleet member each launch goes to, in launch order. */
  readonly launchOrder: readonly number[];
  readonly scheduler: ScenarioScheduler;
  readonly rng: Rng;
  readonly concurrency: number;
  readonly tally: Tally;
  /** The nodes' boots and the pods waiting for them (`readiness`). */
  readonly readiness?: NodeReadiness;
}

/**
 * Builds the world from the plan: the multus subnets, a primary subnet per AZ, the plan's
 * CIDR reservations (unless `reservations: "none"`), the faults, the Auto Scaling group with
 * its hooks, and one clock for both models.
 */
async function buildWorld(opts: ScenarioOptions): Promise<World> {
  const { plan, seed } = opts;
  const faults = opts.faults ?? {};
  const timing = typeof opts.timing === "object" ? opts.timing : timingProfile(opts.timing ?? "instant");
  const scheduler = opts.scheduler ?? new VirtualScheduler(seed);
  // Set up without buckets (the stack creates its reservations at leisure); the run goes by `timing`.
  const ec2 = new Ec2Model({ seed: seed + 1, dhcp: opts.dhcp ?? "random", clock: scheduler, epochMs: SIMULATION_EPOCH });
  for (const s of plan.subnets) ec2.addSubnet({ cidr: s.subnet.cidr, id: s.id, availabilityZone: s.availabilityZone, ...(s.ipv6 ? { ipv6Cidr: s.ipv6.subnet.cidr } : {}) });
  const azs = [...new Set(plan.subnets.map((s) => s.availabilityZone))];
  const primaries = primaryCidrs(azs.length, ec2, azs);
  if ((opts.reservations ?? "plan") === "plan") {
    for (const s of plan.subnets) {
      for (const r of [...s.reservations, ...(s.ipv6?.reservations ?? [])]) await ec2.createSubnetCidrReservation({ SubnetId: s.id, Cidr: r.cidr, ReservationType: "explicit", Description: `multus ${r.purpose}` });
    }
  }
  ec2.setTiming(timing);
  ec2.setFaults({ throttle: faults.throttle ?? 0, consistencyLag: faults.consistencyLag ?? 0, instanceLag: faults.instanceLag ?? 0, attachRefusals: faults.attachRefusals ?? 0 });
  const hook = { ...DEFAULT_HOOKS.launch, heartbeatTimeout: opts.heartbeatTimeoutSeconds ?? DEFAULT_HOOKS.launch.heartbeatTimeout };
  const groups: readonly (Pick<ScenarioGroup, "autoScalingGroupName" | "nodes"> & Partial<ScenarioGroup>)[] = opts.groups ?? [{ autoScalingGroupName: DEFAULT_GROUP_NAME, nodes: opts.nodes }];
  const total = groups.reduce((n, g) => n + g.nodes, 0);
  if (total !== opts.nodes) throw new Error(`runScenario: nodes is ${opts.nodes}, the groups launch ${total}`);
  const members = groups.map((g, k) => {
    const planned = g.planGroup !== undefined ? plan.groups.find((p) => p.name === g.planGroup) : undefined;
    if (g.planGroup !== undefined && !planned) throw new Error(`runScenario: ${g.planGroup} is not a node group of the plan`);
    const zones = g.availabilityZones ?? planned?.availabilityZones ?? azs;
    const model = new AutoScalingModel(ec2, {
      groupName: g.autoScalingGroupName,
      subnetIds: primaries.filter((_, i) => zones.includes(azs[i]!)),
      instanceType: g.instanceType ?? planned?.instance.instanceType ?? plan.instance.instanceType,
      launchHook: g.instanceTag ? null : hook,
      terminateHook: g.instanceTag ? null : { ...DEFAULT_HOOKS.terminate, heartbeatTimeout: hook.heartbeatTimeout },
      ...(g.instanceTag ? { instanceTag: g.instanceTag } : {}),
      duplicateRate: faults.duplicateRate ?? 0,
      dropRate: faults.dropRate ?? 0,
      seed: seed + 2 + 1000 * k,
      epochMs: SIMULATION_EPOCH,
    });
    return { model, ...(planned ? { planGroup: planned.name } : {}) };
  });
  const asg = new AutoScalingFleet(members);
  // The groups' launches interleaved: one of each group in turn while it has some left.
  const launchOrder: number[] = [];
  for (let round = 0; launchOrder.length < total; round++) groups.forEach((g, k) => round < g.nodes && launchOrder.push(k));

  const tally: Tally = {
    byOperation: {},
    throttledByOperation: {},
    reads: 0,
    writes: 0,
    throttled: 0,
    throttledOut: 0,
    asgCalls: 0,
    enisCreated: 0,
    invocations: 0,
    invocationErrors: 0,
    invocationTimeouts: 0,
    attachableAtMs: [],
    abandonReasons: [],
    latencies: [],
    launchesInFlight: new InFlight(),
    lost: [],
    duplicated: 0,
    reconcilePasses: 0,
    churned: { terminated: 0, launched: 0 },
    agentEc2Calls: 0,
  };
  const rng = seededRandom(seed);
  const { agentEc2, ...clients } = sdkClients(opts, timing, ec2, asg, scheduler, rng, tally);
  return {
    opts,
    timing,
    ec2,
    asg,
    launchOrder,
    scheduler,
    rng,
    concurrency: Math.max(1, opts.concurrency ?? opts.nodes),
    tally,
    clients,
    ...(opts.readiness ? { readiness: new NodeReadiness(opts.readiness, { ec2Model: ec2, ec2: agentEc2, plan, scheduler, rng }) } : {}),
  };
}

/** An invocation cut off by the function's timeout: its sandbox is frozen, it calls nothing more. */
class InvocationTimedOut extends Error {
  override readonly name = "InvocationTimedOut";
}

/** A scheduled rule's constant input (the reconcile pass). */
type ScheduledInput = typeof RECONCILE.event;

/** The invocation a call or a wait belongs to, carried along its awaits: its label in the trace and its deadline. */
interface Invocation {
  readonly name: string;
  /** The function's timeout, simulated ms: past it, calls and sleeps fail. */
  readonly deadlineMs: number;
}

const TASK = new AsyncLocalStorage<Invocation>();

function task(): string {
  return TASK.getStore()?.name ?? "runner";
}

/** Throws once the current invocation has run past its deadline. */
function alive(scheduler: ScenarioScheduler): void {
  const inv = TASK.getStore();
  if (inv && scheduler.now() >= inv.deadlineMs) throw new InvocationTimedOut(`${inv.name} ran past the function's timeout`);
}

/**
 * The run's SDK clients, built once (a client costs more to build than most calls): every call
 * waits a seeded latency on the scheduler, labelled with its invocation, and is counted; past
 * the invocation's deadline it fails.
 */
function sdkClients(opts: ScenarioOptions, timing: TimingProfile, ec2: Ec2Model, asg: AutoScalingFleet, scheduler: ScenarioScheduler, rng: Rng, tally: Tally): World["clients"] & { agentEc2: AllocatorContext["ec2"] } {
  const latency = opts.latencyMs ?? timing.callLatencyMs;
  const latencyMs = () => Math.round(latency.min + rng() * (latency.max - latency.min));
  const sdkHook: SdkHook = async (call, next) => {
    alive(scheduler);
    await scheduler.sleep(latencyMs(), `${task()}:${call.operation}`);
    if (call.service === "autoscaling") {
      tally.asgCalls++;
      return next();
    }
    tally.byOperation[call.operation] = (tally.byOperation[call.operation] ?? 0) + 1;
    if (isRead(call.operation)) tally.reads++;
    else tally.writes++;
    try {
      const out = await next();
      if (call.operation === "CreateNetworkInterface") tally.enisCreated++;
      return out;
    } catch (err) {
      if ((err as Error).name === "RequestLimitExceeded") {
        tally.throttled++;
        tally.throttledByOperation[call.operation] = (tally.throttledByOperation[call.operation] ?? 0) + 1;
      }
      throw err;
    }
  };
  const retry = {
    maxAttempts: opts.allocator.sdkMaxAttempts ?? 1,
    // A timed-out invocation's client stops retrying (the model's InternalError for it is retryable).
    sleep: (ms: number) => (alive(scheduler), scheduler.sleep(ms, `${task()}:sdk-backoff(${ms})`)),
    random: rng,
  };
  // Throttles the client's retry gave up on: what the allocator itself sees.
  const onError = (err: unknown) => {
    if ((err as Error).name === "RequestLimitExceeded") tally.throttledOut++;
  };
  // The node agents' client: the same account's request buckets and latencies, its own count,
  // and the agent's retries (agent/main.ts: maxAttempts 5).
  const agentHook: SdkHook = async (call, next) => {
    await scheduler.sleep(latencyMs(), `agent:${call.operation}`);
    tally.agentEc2Calls++;
    return next();
  };
  const agentRetry = { maxAttempts: 5, sleep: (ms: number) => scheduler.sleep(ms, `agent:sdk-backoff(${ms})`), random: rng };
  return {
    ec2: ec2Client(ec2, { hook: sdkHook, retry, onError }),
    autoscaling: autoScalingClient(asg, { hook: sdkHook, retry }),
    agentEc2: ec2Client(ec2, { hook: agentHook, retry: agentRetry }),
  };
}

/**
 * What one invocation gets: the run's SDK clients, sleeps on the scheduler (failing past its
 * deadline), the run's random numbers and clock, and its deadline.
 */
function allocatorContext(world: World, inv: Invocation): AllocatorContext {
  const { opts, scheduler, rng } = world;
  return {
    ...world.clients,
    sleep: async (ms: number) => {
      alive(scheduler);
      await scheduler.sleep(ms, `${inv.name}:sleep(${ms})`);
    },
    random: rng,
    now: () => SIMULATION_EPOCH + scheduler.now(),
    deadline: SIMULATION_EPOCH + inv.deadlineMs,
    log: opts.log,
  };
}

/** Notes how EventBridge delivered a lifecycle event: lost (no events), once, or twice. */
function noteDelivery(world: World, instanceId: string, transition: string, events: readonly GroupEvent[]): void {
  if (events.length === 0) world.tally.lost.push({ instanceId, transition });
  else if (events.length > 1) world.tally.duplicated++;
}

/**
 * Delivers one lifecycle event as EventBridge and Lambda's asynchronous invocation do (timing
 * profile rows eventDeliveryMs, lambdaRetryDelaysMs, duplicateDelivery): after the delivery
 * latency, an invocation with the function's timeout; a failed or timed-out one is retried
 * after the profile's waits, up to `invocationRetries`, while the event is younger than its
 * maximum age (the launch hook's timeout, EVENT_DELIVERY); and now and then the event arrives
 * once more although nothing failed. `countInFlight`: a launch of the launch phase, counted
 * while an invocation runs.
 */
async function invokeAllocator(world: World, event: GroupEvent | ScheduledInput, task: string, countInFlight = false): Promise<void> {
  const { scheduler, tally, timing, rng } = world;
  const deliveries = [deliverOnce(world, event, task, draw(timing.eventDeliveryMs, rng), countInFlight)];
  if (timing.duplicateDelivery.probability > 0 && rng() < timing.duplicateDelivery.probability) {
    tally.duplicated++;
    deliveries.push(deliverOnce(world, event, `${task}+dup`, draw(timing.eventDeliveryMs, rng) + draw(timing.duplicateDelivery.delayMs, rng), countInFlight));
  }
  const start = scheduler.now();
  await Promise.all(deliveries);
  if ("detail" in event && isLaunchEvent(event)) tally.latencies.push(scheduler.now() - start);
}

/** How long Lambda keeps retrying an event of this run (EVENT_DELIVERY: the launch hook's timeout), ms. */
function maxEventAgeMs(opts: ScenarioOptions): number {
  return maximumEventAgeSeconds(opts.heartbeatTimeoutSeconds ?? DEFAULT_HOOKS.launch.heartbeatTimeout) * 1000;
}

async function deliverOnce(world: World, event: GroupEvent | ScheduledInput, task: string, delayMs: number, countInFlight: boolean): Promise<void> {
  const { opts, scheduler, tally, timing } = world;
  const retries = opts.invocationRetries ?? EVENT_DELIVERY.lambdaMaximumRetryAttempts;
  const timeoutMs = (opts.lambdaTimeoutSeconds ?? DEFAULT_LAMBDA_TIMEOUT) * 1000;
  const maxAgeMs = maxEventAgeMs(opts);
  const born = scheduler.now();
  if (delayMs > 0) await scheduler.sleep(delayMs, `${task}:delivery`);
  for (let attempt = 0; attempt <= retries; attempt++) {
    tally.invocations++;
    const name = attempt ? `${task}#${attempt}` : task;
    const inv: Invocation = { name, deadlineMs: scheduler.now() + timeoutMs };
    let timer: { cancel(): void } | undefined;
    const cutOff = new Promise<"timeout">((resolve) => {
      timer = scheduler.setTimer(timeoutMs, () => resolve("timeout"), `${name}:lambda-timeout`);
    });
    const call = () => TASK.run(inv, () => opts.allocator(event, allocatorContext(world, inv)));
    const run = (countInFlight && "detail" in event ? tally.launchesInFlight.run(eventInstanceId(event), call) : call()).then(
      (out) => ({ out }),
      (error: unknown) => ({ error }),
    );
    const ended = await Promise.race([run, cutOff]);
    timer?.cancel();
    if (ended !== "timeout" && !("error" in ended)) {
      const out = ended.out as { result?: string; reason?: string } | undefined;
      if (out?.result === "ABANDON" && tally.abandonReasons.length < 20) tally.abandonReasons.push(`${name}: ${out.reason ?? "no reason given"}`);
      return;
    }
    if (ended === "timeout") {
      tally.invocationTimeouts++;
      // The frozen invocation's calls fail from now on; let it wind down out of the run's way.
      void run;
    }
    tally.invocationErrors++;
    const error = ended === "timeout" ? new InvocationTimedOut("timed out") : (ended.error as Error);
    opts.log?.({ runner: "invocation failed", task: name, attempt, error: error.name, message: error.message });
    const wait = timing.lambdaRetryDelaysMs[attempt] ?? timing.lambdaRetryDelaysMs[timing.lambdaRetryDelaysMs.length - 1] ?? 60_000;
    if (attempt >= retries || scheduler.now() + wait - born > maxAgeMs) return;
    await scheduler.sleep(wait, `${name}:lambda-retry`);
  }
}

/**
 * Launches `nodes` instances, `concurrency` at a time, handing each launch's events to the
 * allocator, while foreign DHCP interfaces appear in the multus subnets. Returns the launch
 * events (for the replay) and the foreign ENIs made.
 */
async function launchNodes(world: World): Promise<{ launchEvents: GroupEvent[]; foreignIds: Set<string> }> {
  const { opts, ec2, asg, scheduler, rng, concurrency } = world;
  const { plan } = opts;
  const launchEvents: GroupEvent[] = [];
  let next = 0;
  const launcher = async (w: number) => {
    while (next < opts.nodes) {
      const i = next++;
      await scheduler.sleep(randomInt(rng, 50), `L${i}:launch`);
      // A hookless group's instance: its pending state change instead of a lifecycle action.
      const launched = asg.launch(world.launchOrder[i]);
      const { instanceId } = launched;
      bootNode(world, launched);
      const attachable = ec2.attachableAt(instanceId);
      if (attachable !== undefined) world.tally.attachableAtMs.push(attachable);
      const events: GroupEvent[] = [...launched.events, ...launched.stateEvents];
      noteDelivery(world, instanceId, TRANSITIONS.launching, events);
      launchEvents.push(...events);
      await Promise.all(events.map((e, k) => invokeAllocator(world, e, `L${i}${events.length > 1 ? `.${k}` : ""}`, true)));
    }
    return w;
  };
  const window = Math.ceil(opts.nodes / concurrency) * (2500 + 1500 * plan.subnets.length);
  const foreignIds = new Set<string>();
  const foreign = async (k: number) => {
    await scheduler.sleep(randomInt(rng, window), `F${k}:foreign-eni`);
    const s = plan.subnets[randomInt(rng, plan.subnets.length)]!;
    try {
      foreignIds.add(ec2.addForeignInterface(s.id, { owner: "foreign" }).eniId);
    } catch (err) {
      opts.log?.({ runner: "foreign ENI failed", subnet: s.id, error: (err as Error).name });
    }
  };
  const launches = Promise.all([...Array.from({ length: Math.min(concurrency, opts.nodes) }, (_, w) => launcher(w)), churn(world, window)]);
  await scheduler.run(Promise.all([launches, ...Array.from({ length: opts.foreignEnis ?? 0 }, (_, k) => foreign(k)), reconciler(world, launches), readinessDone(world, launches, window)]));
  return { launchEvents, foreignIds };
}

/** With `readiness`: the launched instance boots its node. */
function bootNode(world: World, launched: { instanceId: string; availabilityZone: string }): void {
  world.readiness?.boot(launched.instanceId, launched.availabilityZone, world.asg.memberOf(launched.instanceId)?.planGroup);
}

/**
 * With `readiness`: the pods over the launch window, and the boots until every node is ready or
 * gone. Once the launches end, boots get the time the slowest path to readiness may take: the
 * last reconcile pass, an event's retries within its maximum age, a boot's longest chain.
 */
async function readinessDone(world: World, launches: Promise<unknown>, window: number): Promise<void> {
  const { readiness, opts } = world;
  if (!readiness) return;
  // Pods come before, during and after the boots: over the launch window and a boot's longest chain.
  readiness.startPods(window + 180_000);
  await launches;
  const every = reconcileInterval(world);
  readiness.launchesEnded((every === undefined ? 0 : RECONCILE_AFTER_MS + every) + maxEventAgeMs(opts) + 300_000);
  await readiness.done();
}

/** Delivers a hookless node's termination (its shutting-down state change) as EventBridge does. */
async function terminateHookless(world: World, instanceId: string, task: string): Promise<void> {
  const events = world.asg.terminateWithEvents(instanceId);
  world.tally.churned.terminated++;
  noteDelivery(world, instanceId, TRANSITIONS.terminating, events);
  await Promise.all([...events.map((e, k) => invokeAllocator(world, e, `${task}${events.length > 1 ? `.${k}` : ""}`)), deliverTerminated(world, instanceId, task)]);
}

/**
 * A hookless instance's `terminated` state change, once its shutdown ends (AutoScalingModel
 * terminatedEvents): delivered like the others, lost or twice now and then. Nothing for an
 * instance of an Auto Scaling group with hooks.
 */
async function deliverTerminated(world: World, instanceId: string, task: string): Promise<void> {
  const { asg, scheduler } = world;
  const model = asg.memberOf(instanceId)?.model;
  const at = model?.shutdownEndsAt(instanceId);
  if (!model || at === undefined) return;
  // Just after the shutdown's end: the instance is terminated and its event emitted.
  if (at >= scheduler.now()) await scheduler.sleep(at - scheduler.now() + 1, `${task}:shutdown`);
  const events = model.terminatedEvents(instanceId);
  noteDelivery(world, instanceId, "terminated", events);
  await Promise.all(events.map((e, k) => invokeAllocator(world, e, `${task}:terminated${events.length > 1 ? `.${k}` : ""}`)));
}

/** The scenario's churn (ScenarioChurn) over `window` simulated ms. */
async function churn(world: World, window: number): Promise<void> {
  const { opts, asg, scheduler, rng } = world;
  const c = opts.churn;
  if (!c) return;
  const groups = opts.groups ?? [];
  const hookless = new Set(groups.filter((g) => g.instanceTag).map((g) => g.autoScalingGroupName));
  const running = (group?: string) => asg.instances().filter((i) => i.state === "InService" && hookless.has(i.groupName) && (group === undefined || i.groupName === group));
  const rolled = c.replaceGroup ?? groups.find((g) => g.instanceTag)?.autoScalingGroupName;
  const member = groups.findIndex((g) => g.autoScalingGroupName === rolled);
  if ((c.replacements ?? 0) > 0 && (member < 0 || !groups[member]!.instanceTag)) throw new Error(`runScenario: churn.replaceGroup ${String(rolled)} is not a hookless group of the scenario`);
  const kill = async (k: number) => {
    await scheduler.sleep(randomInt(rng, window), `C${k}:churn`);
    const live = running();
    if (live.length) await terminateHookless(world, live[randomInt(rng, live.length)]!.instanceId, `C${k}`);
  };
  const replace = async (k: number) => {
    await scheduler.sleep(randomInt(rng, window), `U${k}:update`);
    const old = running(rolled);
    const launched = asg.launch(member);
    bootNode(world, launched);
    world.tally.churned.launched++;
    noteDelivery(world, launched.instanceId, TRANSITIONS.launching, launched.stateEvents);
    await Promise.all([
      ...launched.stateEvents.map((e, j) => invokeAllocator(world, e, `U${k}${launched.stateEvents.length > 1 ? `.${j}` : ""}`)),
      (async () => {
        await scheduler.sleep(30_000 + randomInt(rng, 90_000), `U${k}:ready`);
        const still = old.filter((o) => running(rolled).some((r) => r.instanceId === o.instanceId));
        if (still.length) await terminateHookless(world, still[randomInt(rng, still.length)]!.instanceId, `U${k}:old`);
      })(),
    ]);
  };
  await Promise.all([...Array.from({ length: c.terminations ?? 0 }, (_, k) => kill(k)), ...Array.from({ length: c.replacements ?? 0 }, (_, k) => replace(k))]);
}

/** The reconcile pass's interval in this run, or undefined when no pass runs. */
function reconcileInterval(world: World): number | undefined {
  const { opts } = world;
  if (!(opts.groups ?? []).some((g) => g.instanceTag)) return undefined;
  const every = opts.reconcileEveryMs === undefined ? RECONCILE.everyMs : opts.reconcileEveryMs;
  return every === null ? undefined : every;
}

/**
 * The reconcile schedule on the run's clock (an EventBridge scheduled rule: every interval,
 * its event delivered to the function like any other): passes while `launches` run, and after
 * they end until a pass has started at least RECONCILE_AFTER_MS after the last launch, so every
 * instance was old enough for one. The first pass comes one interval after the start (assumed:
 * the rule's phase is arbitrary).
 */
async function reconciler(world: World, launches: Promise<unknown>): Promise<void> {
  const every = reconcileInterval(world);
  if (every === undefined) return;
  const { scheduler, tally } = world;
  let doneAt: number | undefined;
  void launches.then(() => (doneAt = scheduler.now()));
  // The rule fires on its rate whether the last pass has ended or not.
  const passes: Promise<void>[] = [];
  for (let k = 0; ; k++) {
    await scheduler.sleep(every, `S${k}:schedule`);
    const startedAt = scheduler.now();
    tally.reconcilePasses++;
    passes.push(invokeAllocator(world, RECONCILE.event, `S${k}`));
    if (doneAt !== undefined && startedAt >= doneAt + RECONCILE_AFTER_MS) break;
  }
  await Promise.all(passes);
}

/** The InService nodes with their secondary ENIs, as the pod source sees them. */
function nodeViews(world: World): NodeView[] {
  const live = world.ec2.liveAddresses();
  return world.asg
    .instances()
    .filter((i) => i.state === "InService")
    .map((i) => ({
      instanceId: i.instanceId,
      availabilityZone: i.availabilityZone,
      ...(i.planGroup !== undefined ? { group: i.planGroup } : {}),
      enis: live
        .filter((a) => a.instanceId === i.instanceId && a.primary && a.deviceIndex !== undefined && a.deviceIndex > 0)
        .map((a) => ({ subnetId: a.subnetId, eniId: a.eniId, ip: a.ip, deviceIndex: a.deviceIndex! })),
    }));
}

/** Pods on the nodes that made it, from the scenario's pod source (none without one). */
async function addPods(world: World): Promise<PodIp[]> {
  const { opts } = world;
  return opts.pods ? [...(await opts.pods(nodeViews(world), { plan: opts.plan, seed: opts.seed }))] : [];
}

/** Terminates `terminations` InService nodes picked at random; returns their ids. */
async function terminateNodes(world: World): Promise<string[]> {
  const { opts, asg, scheduler, rng, concurrency } = world;
  const inService = asg.instances().filter((i) => i.state === "InService").map((i) => i.instanceId);
  const victims: string[] = [];
  for (let k = 0; k < Math.min(opts.terminations ?? 0, inService.length); k++) victims.push(inService.splice(randomInt(rng, inService.length), 1)[0]!);
  const termEvents = victims.map((id) => {
    const events = asg.terminateWithEvents(id);
    noteDelivery(world, id, TRANSITIONS.terminating, events);
    return { id, events };
  });
  let tnext = 0;
  const terminator = async () => {
    while (tnext < termEvents.length) {
      const { id, events } = termEvents[tnext++]!;
      await Promise.all([...events.map((e) => invokeAllocator(world, e, `T:${id}`)), deliverTerminated(world, id, `T:${id}`)]);
    }
  };
  await scheduler.run(Promise.all(Array.from({ length: Math.min(concurrency, termEvents.length) }, () => terminator())));
  return victims;
}

/** Delivers every launch event once more: the live addresses must not change. */
async function replayLaunches(world: World, launchEvents: GroupEvent[]): Promise<Violation[]> {
  const { ec2, asg, scheduler } = world;
  // The actions still open are those whose event was lost: their hooks time out (and their
  // instances go) first, as they would, so that only the replay can change the addresses.
  const lastDeadline = Math.max(-Infinity, ...asg.pending().map((p) => p.deadline));
  if (lastDeadline >= scheduler.now()) await scheduler.run(scheduler.sleep(lastDeadline - scheduler.now() + 1, "replay:open-hooks-time-out"));
  // Shutdowns ending during the replay would change the addresses on their own.
  asg.finishShutdowns();
  const before = ec2.liveAddresses().map((a) => `${a.ip}@${a.eniId}`).sort().join();
  const seen = new Set<string>();
  const unique = launchEvents.filter((e) => !seen.has(e.id) && seen.add(e.id));
  await scheduler.run(Promise.all(unique.map((e, i) => invokeAllocator(world, e, `R${i}`))));
  const after = ec2.liveAddresses().map((a) => `${a.ip}@${a.eniId}`).sort().join();
  return before === after ? [] : [{ kind: "replay-changed-state", detail: `replaying ${unique.length} launch events changed the live addresses` }];
}

/** The report of a finished run: its violations, lifecycle outcomes, calls and timings. */
function collectReport(world: World, run: { violations: Violation[]; terminated: number; pods: number; foreignEnis: number; ipv6: ScenarioReport["ipv6"]; readiness?: ReadinessReport }): ScenarioReport {
  const { opts, asg, scheduler, concurrency, tally, timing } = world;
  const { violations } = run;
  const launchResults = asg.results.filter((r) => r.transition === TRANSITIONS.launching);
  const termResults = asg.results.filter((r) => r.transition === TRANSITIONS.terminating);
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const completed = asg.results.filter((r) => r.by === "api");
  const actionMs = completed.map((r) => r.at - r.startedAt).sort((a, b) => a - b);
  const perEni = (n: number) => (tally.enisCreated ? Math.round((n / tally.enisCreated) * 100) / 100 : 0);
  return {
    seed: opts.seed,
    nodes: opts.nodes,
    concurrency,
    ok: violations.length === 0,
    violations,
    launches: {
      continued: launchResults.filter((r) => r.result === "CONTINUE").length,
      abandoned: launchResults.filter((r) => r.result === "ABANDON").length,
      timedOut: launchResults.filter((r) => r.by === "timeout").length,
    },
    terminations: { requested: run.terminated, completed: termResults.filter((r) => r.by === "api").length, timedOut: termResults.filter((r) => r.by === "timeout").length },
    incompleteActions: asg.results.filter((r) => r.by === "timeout").length,
    invocations: tally.invocations,
    invocationErrors: tally.invocationErrors,
    ec2Calls: { reads: tally.reads, writes: tally.writes, throttled: tally.throttled, throttledByOperation: tally.throttledByOperation, throttledOut: tally.throttledOut, byOperation: tally.byOperation },
    autoscalingCalls: tally.asgCalls,
    enisCreated: tally.enisCreated,
    callsPerEni: { reads: perEni(tally.reads), writes: perEni(tally.writes) },
    launchLatencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] ?? 0 },
    actionMs: { p50: percentile(actionMs, 50), p95: percentile(actionMs, 95), max: actionMs[actionMs.length - 1] ?? 0 },
    minActionMarginMs: completed.length ? Math.min(...completed.map((r) => r.timeoutMs - (r.at - r.startedAt))) : null,
    lastActionMs: Math.max(0, ...completed.map((r) => r.at)),
    invocationTimeouts: tally.invocationTimeouts,
    attachableAtMs: tally.attachableAtMs,
    workerAddressesHeld: world.ec2.liveAddresses().filter((a) => {
      const s = opts.plan.subnets.find((p) => p.id === a.subnetId);
      return !a.ipv6 && s?.strategy === "static" && ipToInt(a.ip) >= s.workers.first && ipToInt(a.ip) <= s.workers.last;
    }).length,
    abandonReasons: tally.abandonReasons,
    timing: timing.name,
    simulatedMs: scheduler.now(),
    pods: run.pods,
    foreignEnis: run.foreignEnis,
    ipv6: run.ipv6,
    maxLaunchesInFlight: tally.launchesInFlight.max,
    deliveries: { lost: tally.lost, duplicated: tally.duplicated },
    reconcilePasses: tally.reconcilePasses,
    churned: { ...tally.churned },
    ...(run.readiness ? { readiness: { ...run.readiness, agentEc2Calls: tally.agentEc2Calls } } : {}),
    trace: scheduler.trace,
  };
}

/**
 * Runs one scenario: builds the EC2 model from the plan, launches `nodes` instances through
 * the Auto Scaling model with `concurrency` launches in flight, delivers each lifecycle event
 * to the allocator (every SDK call and sleep interleaved by the scheduler), adds foreign DHCP
 * ENIs meanwhile, then pods, terminations and replays, times out what is left open, and checks
 * the invariants. Deterministic for a given seed and scheduler.
 */
export async function runScenario(opts: ScenarioOptions): Promise<ScenarioReport> {
  const world = await buildWorld(opts);
  const { launchEvents, foreignIds } = await launchNodes(world);
  const allPods = await addPods(world);
  const victims = await terminateNodes(world);
  const dead = new Set(victims);
  const pods = allPods.filter((p) => !dead.has(p.node));
  const replayViolations = opts.replay && launchEvents.length ? await replayLaunches(world, launchEvents) : [];
  // Whatever is still open times out.
  world.asg.expireAll();
  const inService = new Set(world.asg.instances().filter((i) => i.state === "InService").map((i) => i.instanceId));
  const readiness = world.readiness?.result(inService);
  const violations = [...checkInvariants({ ec2: world.ec2, asg: world.asg, plan: opts.plan, pods, foreignEniIds: foreignIds, actionMarginMs: opts.actionMarginMs }), ...replayViolations, ...(readiness?.violations ?? [])];
  const ipv6 = {
    workers: world.ec2.liveAddresses().filter((a) => a.ipv6 && a.deviceIndex !== undefined && a.deviceIndex > 0 && !foreignIds.has(a.eniId)).length,
    pods: pods.filter((p) => p.ip.includes(":")).length,
  };
  return collectReport(world, { violations, terminated: victims.length, pods: pods.length, foreignEnis: foreignIds.size, ipv6, ...(readiness ? { readiness: readiness.report } : {}) });
}

/** A failed scenario for humans: seed, what broke, and the tail of the interleaving. */
export function formatFailure(report: ScenarioReport, traceLines = 40): string {
  const lines = [
    `scenario seed ${report.seed}: ${report.nodes} nodes, concurrency ${report.concurrency}; launches ${JSON.stringify(report.launches)}`,
    ...report.violations.slice(0, 20).map((v) => `  ${v.kind}: ${v.detail}`),
    ...(report.violations.length > 20 ? [`  ... ${report.violations.length - 20} more`] : []),
    ...report.abandonReasons.map((r) => `  ABANDON ${r}`),
    `last ${Math.min(traceLines, report.trace.length)} of ${report.trace.length} steps:`,
    ...report.trace.slice(-traceLines).map((t) => `  ${t}`),
  ];
  return lines.join("\n");
}

/** One flat row per report, for tables (CLI `simulate`, benchmarks). */
export function reportRow(report: ScenarioReport) {
  const kinds = new Map<string, number>();
  for (const v of report.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
  return {
    seed: report.seed,
    nodes: report.nodes,
    concurrency: report.concurrency,
    continued: report.launches.continued,
    abandoned: report.launches.abandoned,
    timedOut: report.launches.timedOut,
    violations: report.violations.length,
    violationKinds: [...kinds].map(([k, n]) => `${k}:${n}`).join(" ") || "-",
    ec2Reads: report.ec2Calls.reads,
    ec2Writes: report.ec2Calls.writes,
    throttled: report.ec2Calls.throttled,
    readsPerEni: report.callsPerEni.reads,
    writesPerEni: report.callsPerEni.writes,
    launchP50Ms: report.launchLatencyMs.p50,
    launchP95Ms: report.launchLatencyMs.p95,
    simulatedMs: report.simulatedMs,
  };
}
