import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { Instance, ModifyNetworkInterfaceAttributeCommand, NetworkInterface } from "@aws-sdk/client-ec2";
import { errorCode, errorText } from "../contract/aws-errors";
import { LambdaConfig, parseLambdaGroups } from "../contract/lambda-env";
import { DEFAULT_LAMBDA_TIMEOUT, LifecycleResult } from "../contract/lifecycle";
import { ENI_TAG_KEYS } from "../contract/tags";
import { AUTOSCALING_GROUP_TAG, instanceTagKey } from "../contract/state-change";
import { AutoScaling, Ec2, describeInstances, describeNetworkInterfaces, tagValue } from "./aws";
import { createAwsClients } from "./clients";
import { LifecycleActionRef, parseEvent } from "./events";
import { CLEANUP_RESERVE_MS, LaunchFailure, LaunchProgress, deleteQuietly, launchDeadline, launchEnis, patientEc2, readInstance, readInstanceWhenVisible, retireEni } from "./launch";

export type { LambdaConfig } from "../contract/lambda-env";

/** What one invocation did. */
export interface LifecycleOutcome {
  readonly action: "launch" | "terminate" | "sweep" | "reconcile" | "ignored";
  /** The lifecycle action result sent; NONE for the sweep and ignored events. */
  readonly result: LifecycleResult | "NONE";
  /** launch: the instance's multus ENIs (none after ABANDON); terminate and sweep: the ENIs deleted; reconcile: the ENIs it attached. */
  readonly enis: { subnetId: string; eniId: string; ip: string }[];
  /** EC2 calls this invocation made (reads included, failed calls included). */
  readonly ec2Calls: number;
  /** Why a launch was abandoned, an event ignored, or a completion failed. */
  readonly reason?: string;
}

export interface HandlerDeps {
  readonly ec2: Ec2;
  readonly autoscaling: AutoScaling;
  /** One Auto Scaling group's configuration, or one per group the function serves. */
  readonly config: LambdaConfig | readonly LambdaConfig[];
  /** One JSON object per action. @default console.log of the JSON */
  readonly log?: (line: object) => void;
  /** Backoff waits. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Address and jitter choices. @default Math.random */
  readonly random?: () => number;
  /** Clock in ms, for the created-at tag, the sweep's grace period and the launch's deadline. @default Date.now */
  readonly now?: () => number;
}

/** The part of Lambda's invocation context the handler reads. */
export interface InvocationContext {
  /** Milliseconds left before the function's timeout ends the invocation. */
  getRemainingTimeInMillis(): number;
}

/**
 * The sweep spares an `available` ENI whose instance it cannot see until it is this old: a
 * brand-new instance may not be visible to every read yet (Describe* is eventually
 * consistent, https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html),
 * and no launch runs longer than Lambda's 15-minute maximum timeout.
 */
export const SWEEP_GRACE_MS = 15 * 60 * 1000;

/** The cleanup's waits end this long before the function's timeout: its last calls still fit. */
const CLEANUP_END_MS = 5000;

/** Auto Scaling's answer to completing an action that is no longer open (timed out, or completed by another delivery). */
function noActiveAction(err: unknown): boolean {
  return errorCode(err) === "ValidationError" && /No active Lifecycle Action/i.test(err instanceof Error ? err.message : String(err));
}

/**
 * Counts EC2 calls (failed ones too) of one invocation: a view of the shared client whose
 * `send` counts. It is still an EC2Client (its prototype is the client), so the SDK's
 * paginators, which check `instanceof EC2Client`, take it.
 */
function counting(ec2: Ec2): { ec2: Ec2; calls: () => number } {
  let n = 0;
  const send = (...args: Parameters<Ec2["send"]>) => {
    n++;
    return (ec2.send as (...a: unknown[]) => Promise<unknown>).apply(ec2, args);
  };
  const view = Object.create(ec2, { send: { value: send } }) as Ec2;
  return { ec2: view, calls: () => n };
}

/**
 * What the phases of one invocation work with: the handler's dependencies, defaults filled in,
 * this invocation's counted EC2 client, and the configuration of the group the event is of.
 */
interface Invocation extends Required<Omit<HandlerDeps, "ec2" | "config">> {
  ec2: Ec2;
  /** The event's group (the sweep: each group in turn). */
  readonly config: LambdaConfig;
  /** EC2 calls so far. */
  readonly calls: () => number;
  /** ENI limit per instance type, shared across invocations of a warm container. */
  readonly maxEnisCache: Map<string, number>;
  /** When the function's timeout ends this invocation, epoch ms. */
  readonly endsAt: number;
  /** No wait on EC2 starts after this (launchDeadline); set per action. */
  deadline: number;
}

type DeletedEni = LifecycleOutcome["enis"][number];

/** Completes the action; resolves to the error when that failed (never rejects). */
async function complete(run: Invocation, action: LifecycleActionRef, result: LifecycleResult): Promise<unknown> {
  try {
    await run.autoscaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: action.autoScalingGroupName,
        LifecycleHookName: action.hookName,
        InstanceId: action.instanceId,
        LifecycleActionResult: result,
        ...(action.token ? { LifecycleActionToken: action.token } : {}),
      }),
    );
    return undefined;
  } catch (err) {
    return err ?? new Error("CompleteLifecycleAction failed");
  }
}

/** The reason part of a failed CompleteLifecycleAction ("" when it succeeded). */
function completeFailure(completeError: unknown): string {
  return completeError === undefined ? "" : `CompleteLifecycleAction failed: ${errorText(completeError)}`;
}

/**
 * Whether a read shows the instance on its way out. Not found is not gone: a read may not show
 * a just-launched instance yet ("InvalidInstanceID.NotFound ... doesn't mean the instance does
 * not exist", https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html), and
 * an unknown state is treated as alive.
 */
async function instanceGone(ec2: Ec2, instanceId: string): Promise<boolean> {
  try {
    const state = (await readInstance(ec2, instanceId))?.State?.Name;
    return state === "shutting-down" || state === "terminated";
  } catch {
    return false; // unknown: maybe alive
  }
}

/** The node group's ENIs made for the instance (by tag). */
async function ownEnisOf(run: Invocation, instanceId: string): Promise<NetworkInterface[]> {
  return describeNetworkInterfaces(run.ec2, {
    Filters: [
      { Name: `tag:${ENI_TAG_KEYS.instanceId}`, Values: [instanceId] },
      { Name: `tag:${ENI_TAG_KEYS.nodeGroup}`, Values: [run.config.nodeGroupTag] },
    ],
  });
}

function deletedEni(eni: NetworkInterface): DeletedEni {
  return { subnetId: eni.SubnetId ?? "", eniId: eni.NetworkInterfaceId!, ip: eni.PrivateIpAddress ?? "" };
}

/** Gives the instance its multus ENIs, then CONTINUEs; on failure ABANDONs and undoes. */
async function launch(run: Invocation, action: LifecycleActionRef): Promise<LifecycleOutcome> {
  const progress: LaunchProgress = { enis: [], created: [] };
  run.deadline = launchDeadline({ now: run.now(), remainingMs: run.endsAt - run.now(), actionStartedAt: action.startedAt, hookTimeoutSeconds: run.config.launchHookTimeoutSeconds });
  let failure: unknown;
  try {
    await launchEnis(run, action.instanceId, { key: AUTOSCALING_GROUP_TAG, value: action.autoScalingGroupName }, progress);
  } catch (err) {
    failure = err;
  }
  const line = { action: "launch", instanceId: action.instanceId, autoScalingGroup: action.autoScalingGroupName, availabilityZone: progress.availabilityZone, strategy: run.config.strategy };
  if (failure === undefined) {
    const reason = completeFailure(await complete(run, action, "CONTINUE")) || undefined;
    const enis = progress.enis.map(({ subnetId, eniId, ip }) => ({ subnetId, eniId, ip }));
    run.log({ ...line, result: "CONTINUE", enis: progress.enis, ec2Calls: run.calls(), ...(reason ? { reason } : {}) });
    return { action: "launch", result: "CONTINUE", enis, ec2Calls: run.calls(), ...(reason ? { reason } : {}) };
  }

  const why = failure instanceof LaunchFailure ? failure.message : errorText(failure);
  // Complete first: when the action is still ours, ABANDON decides the instance's fate and
  // every ENI of it goes. When it is no longer open, another delivery of this event may have
  // completed it with CONTINUE: then only spare ENIs this invocation made go.
  const completeError = await complete(run, action, "ABANDON");
  // The cleanup may use the reserve the launch left it, up to the hook's margin.
  run.deadline = Math.min(run.endsAt - CLEANUP_END_MS, launchDeadline({ now: run.now(), remainingMs: Infinity, actionStartedAt: action.startedAt, hookTimeoutSeconds: run.config.launchHookTimeoutSeconds }) + CLEANUP_RESERVE_MS);
  const decided = async () => completeError === undefined || !noActiveAction(completeError) || (await instanceGone(run.ec2, action.instanceId));
  const { deleted, protected: kept, cleanupError } = await undoLaunch(run, action.instanceId, progress, decided);
  const reason = [why, completeFailure(completeError), cleanupError ? `cleanup failed: ${cleanupError}` : ""].filter(Boolean).join("; ");
  run.log({ ...line, result: "ABANDON", reason, enis: progress.enis, created: progress.created, deleted, deleteOnTermination: kept, ec2Calls: run.calls() });
  return { action: "launch", result: "ABANDON", enis: [], ec2Calls: run.calls(), reason };
}

/**
 * After an ABANDON: the instance's multus ENIs go, none detached (retireEni): `available` ones
 * are deleted, attached ones get DeleteOnTermination and go with the instance. When the action
 * was already closed (another delivery completed it, maybe with CONTINUE) and no read shows the
 * instance on its way out, only the ENIs this invocation made are deleted; attached ones still
 * get DeleteOnTermination, harmless on a live node.
 */
async function undoLaunch(run: Invocation, instanceId: string, progress: LaunchProgress, decided: () => Promise<boolean>): Promise<{ deleted: string[]; protected: string[]; cleanupError?: string }> {
  const action = { instanceId };
  const deleted: string[] = [];
  const kept: string[] = [];
  const note = (id: string, done: Awaited<ReturnType<typeof retireEni>>) => {
    if (done === "deleted") deleted.push(id);
    if (done === "protected") kept.push(id);
  };
  // One ENI's failure does not keep the others: each is retired on its own, and the ones this
  // invocation created (the ones nothing else would take) are never skipped.
  const problems: string[] = [];
  const retire = async (eni: NetworkInterface) => {
    try {
      note(eni.NetworkInterfaceId!, await retireEni(run, eni, action.instanceId));
    } catch (err) {
      problems.push(`${String(eni.NetworkInterfaceId)}: ${errorText(err)}`);
    }
  };
  let seen: NetworkInterface[] = [];
  try {
    const decidedHere = await decided();
    seen = await ownEnisOf(run, action.instanceId);
    for (const eni of seen) {
      const attachedHere = eni.Attachment?.InstanceId === action.instanceId;
      if (!decidedHere && !attachedHere && !progress.created.includes(eni.NetworkInterfaceId!)) continue;
      await retire(eni);
    }
  } catch (err) {
    problems.push(errorText(err));
  }
  // Created but not visible to the read yet (eventual consistency), or the read failed: by id.
  for (const id of progress.created) {
    if (!seen.some((e) => e.NetworkInterfaceId === id)) await retire({ NetworkInterfaceId: id });
  }
  return { deleted, protected: kept, ...(problems.length ? { cleanupError: problems.join("; ") } : {}) };
}

/** The log line and outcome of a cleanup (terminate, sweep): the ENIs it deleted and what went wrong. */
function cleanupOutcome(
  run: Invocation,
  c: { action: "terminate" | "sweep"; result: "CONTINUE" | "NONE"; subject: object; deleted: DeletedEni[]; extra?: object; problems: string[] },
): LifecycleOutcome {
  const reason = c.problems.filter(Boolean).join("; ") || undefined;
  run.log({ action: c.action, ...c.subject, result: c.result, deleted: c.deleted, ...c.extra, ec2Calls: run.calls(), ...(reason ? { reason } : {}) });
  return { action: c.action, result: c.result, enis: c.deleted, ec2Calls: run.calls(), ...(reason ? { reason } : {}) };
}

/** Deletes the instance's detached multus ENIs and marks attached ones DeleteOnTermination, into `deleted` and `problems`. */
async function retireInstanceEnis(run: Invocation, instanceId: string, deleted: DeletedEni[], problems: string[]): Promise<void> {
  const action = { instanceId };
  try {
    for (const eni of await ownEnisOf(run, action.instanceId)) {
      try {
        if (eni.Status === "available") {
          if (await deleteQuietly(run.ec2, eni.NetworkInterfaceId!)) deleted.push(deletedEni(eni));
        } else if (eni.Attachment?.InstanceId === action.instanceId && eni.Attachment.DeleteOnTermination !== true) {
          // Still attached: let EC2 delete it with the instance.
          await run.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attachment: { AttachmentId: eni.Attachment.AttachmentId, DeleteOnTermination: true } }));
        }
      } catch (err) {
        problems.push(`${String(eni.NetworkInterfaceId)}: ${errorText(err)}`);
      }
    }
  } catch (err) {
    problems.push(errorText(err));
  }
}

/** Deletes the instance's detached multus ENIs, marks attached ones DeleteOnTermination, then CONTINUEs. */
async function terminate(run: Invocation, action: LifecycleActionRef): Promise<LifecycleOutcome> {
  const deleted: DeletedEni[] = [];
  const problems: string[] = [];
  await retireInstanceEnis(run, action.instanceId, deleted, problems);
  // The instance terminates whatever the result; CONTINUE lets it go now. ENIs left behind
  // are `available` once it is gone, and the sweep deletes them.
  problems.push(completeFailure(await complete(run, action, "CONTINUE")));
  return cleanupOutcome(run, { action: "terminate", result: "CONTINUE", subject: { instanceId: action.instanceId, autoScalingGroup: action.autoScalingGroupName }, deleted, problems });
}

/** What one attempt at a hookless instance's multus ENIs did: its progress and, on failure, why and what it undid. */
interface HooklessAttach {
  readonly progress: LaunchProgress;
  readonly reason?: string;
  readonly deleted?: string[];
}

/**
 * The instance's multus ENIs by launchEnis (the same plan, picker, idempotency and tags as a
 * launch action). On failure the ENIs this attempt made go (others may be a concurrent
 * delivery's), and the reason says why. Logs nothing: the caller does.
 */
async function attachOrUndo(run: Invocation, instanceId: string, tag: { key: string; value: string }): Promise<HooklessAttach> {
  const progress: LaunchProgress = { enis: [], created: [] };
  run.deadline = run.endsAt - CLEANUP_RESERVE_MS;
  try {
    await launchEnis(run, instanceId, tag, progress);
    return { progress };
  } catch (failure) {
    const why = failure instanceof LaunchFailure ? failure.message : errorText(failure);
    run.deadline = run.endsAt - CLEANUP_END_MS;
    const { deleted, cleanupError } = await undoLaunch(run, instanceId, progress, () => instanceGone(run.ec2, instanceId));
    return { progress, deleted, reason: [why, cleanupError ? `cleanup failed: ${cleanupError}` : ""].filter(Boolean).join("; ") };
  }
}

/**
 * A hookless group's instance is pending: its multus ENIs, by the same plan, picker and
 * idempotency as a launch action, but with no action to complete: the node's startup taint
 * keeps multus pods off it until the node agent sees the ENIs. On failure the ENIs this
 * invocation made go (others may be a concurrent delivery's) and the invocation fails, so
 * Lambda's asynchronous retries try again; the sweep takes what is left once the instance goes,
 * and the reconcile pass tries again while it runs.
 */
async function attachHookless(run: Invocation, instanceId: string, tag: { key: string; value: string }): Promise<LifecycleOutcome> {
  const { progress, reason, deleted } = await attachOrUndo(run, instanceId, tag);
  const line = { action: "launch", instanceId, [tag.key]: tag.value, availabilityZone: progress.availabilityZone, strategy: run.config.strategy };
  if (reason !== undefined) {
    run.log({ ...line, result: "NONE", reason, enis: progress.enis, created: progress.created, deleted, ec2Calls: run.calls() });
    throw new LaunchFailure(`multus ENIs of ${instanceId} (${tag.key}=${tag.value}): ${reason}`);
  }
  const enis = progress.enis.map(({ subnetId, eniId, ip }) => ({ subnetId, eniId, ip }));
  run.log({ ...line, result: "NONE", enis: progress.enis, ec2Calls: run.calls() });
  return { action: "launch", result: "NONE", enis, ec2Calls: run.calls() };
}

/** The hookless group an instance belongs to, by its tags (the event carries none). */
function hooklessGroupOf(groups: readonly LambdaConfig[], tags: { Key?: string; Value?: string }[] | undefined): LambdaConfig | undefined {
  return groups.find((g) => g.kind !== undefined && g.kind !== "autoscaling" && tagValue(tags, instanceTagKey(g.kind)) === g.autoScalingGroupName);
}

/** Deletes the node group's `available` ENIs whose instance is gone (or unseen past the grace period). */
async function sweep(run: Invocation): Promise<LifecycleOutcome> {
  const deleted: DeletedEni[] = [];
  const spared: string[] = [];
  const problems: string[] = [];
  try {
    const available = await describeNetworkInterfaces(run.ec2, {
      Filters: [
        { Name: `tag:${ENI_TAG_KEYS.nodeGroup}`, Values: [run.config.nodeGroupTag] },
        { Name: "status", Values: ["available"] },
      ],
    });
    const states = await instanceStates(run, available);
    for (const eni of available) {
      const owner = tagValue(eni.TagSet, ENI_TAG_KEYS.instanceId);
      const state = owner ? states.get(owner) : "none";
      const created = Date.parse(tagValue(eni.TagSet, ENI_TAG_KEYS.createdAt) ?? "");
      const old = Number.isNaN(created) || run.now() - created >= SWEEP_GRACE_MS;
      const gone = state === "terminated" || state === "shutting-down" || state === "none" || (state === undefined && old);
      if (!gone) {
        spared.push(eni.NetworkInterfaceId!);
        continue;
      }
      try {
        if (await deleteQuietly(run.ec2, eni.NetworkInterfaceId!)) deleted.push(deletedEni(eni));
      } catch (err) {
        // Attached again meanwhile, say: the next sweep looks again.
        problems.push(`${String(eni.NetworkInterfaceId)}: ${errorText(err)}`);
      }
    }
  } catch (err) {
    problems.push(errorText(err));
  }
  return cleanupOutcome(run, { action: "sweep", result: "NONE", subject: { nodeGroup: run.config.nodeGroupTag }, deleted, extra: { spared }, problems });
}

/** The states of the instances the ENIs are tagged for; an instance EC2 does not show is absent. */
async function instanceStates(run: Invocation, enis: NetworkInterface[]): Promise<Map<string, string>> {
  const ids = [...new Set(enis.map((e) => tagValue(e.TagSet, ENI_TAG_KEYS.instanceId)).filter((x): x is string => !!x))];
  const states = new Map<string, string>();
  // By filter, not InstanceIds: an id that no longer exists must not fail the whole read.
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    for (const inst of await describeInstances(run.ec2, { Filters: [{ Name: "instance-id", Values: chunk }] })) {
      if (inst.InstanceId) states.set(inst.InstanceId, inst.State?.Name ?? "");
    }
  }
  return states;
}

/** Every group's sweep, one after another, as one outcome (one group: its own). */
async function sweepAll(runs: readonly Invocation[]): Promise<LifecycleOutcome> {
  const outcomes: LifecycleOutcome[] = [];
  for (const run of runs) outcomes.push(await sweep(run));
  if (outcomes.length === 1) return outcomes[0]!;
  const reasons = outcomes.map((o) => o.reason).filter(Boolean);
  return { action: "sweep", result: "NONE", enis: outcomes.flatMap((o) => o.enis), ec2Calls: runs[0]?.calls() ?? 0, ...(reasons.length ? { reason: reasons.join("; ") } : {}) };
}

/**
 * A reconcile run starts no instance's attach with less than this left before the function's
 * timeout: one attach waits out a pending instance and throttling (lambda/launch.ts); the
 * instances it leaves are the next run's.
 */
export const RECONCILE_MIN_LEFT_MS = 45_000;

/**
 * The reconcile pass leaves an instance alone until it has run this long: its `pending`
 * event's delivery (and Lambda's retries of it) usually attach its ENIs first, and a
 * concurrent attach, though safe (the same idempotency as a duplicate delivery), costs calls.
 * Assumed: EventBridge documents no delivery latency for EC2 state changes.
 */
export const RECONCILE_AFTER_MS = 60_000;

/**
 * Whether a running instance lacks one of its multus ENIs: a subnet of its AZ with no ENI of
 * it attached at the subnet's device index. DescribeInstances may lag a fresh attach; the
 * attach path then finds the ENI in place (launchEnis reads the subnets too) and does nothing.
 */
export function lacksMultusEnis(instance: Instance, config: LambdaConfig): boolean {
  const az = instance.Placement?.AvailabilityZone;
  const subnets = config.subnets.filter((s) => s.availabilityZone === az);
  return subnets.some((s) => !(instance.NetworkInterfaces ?? []).some((n) => n.SubnetId === s.id && n.Attachment?.DeviceIndex === s.deviceIndex));
}

/**
 * The scheduled pass over hookless groups: an AWS service's events reach EventBridge on a best
 * effort basis unless listed as durable ("in some rare cases an event might not be delivered";
 * EventBridge user guide, "Event delivery from AWS services",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html;
 * EC2 is not listed there as durable: assumed best effort), and a node whose `pending` event
 * is lost keeps its startup taint with no multus ENI. Each
 * group's running instances (by the tag that names them, instance-state-name running, every
 * page) that lack their ENIs get them by the same path as the event. Auto Scaling groups need
 * none: their launch hook times out into ABANDON. One JSON line says what it did.
 */
async function reconcile(runs: readonly Invocation[]): Promise<LifecycleOutcome> {
  const groups: { group: string; running: number; lacking: number }[] = [];
  const attached: { instanceId: string; enis: DeletedEni[] }[] = [];
  const failed: { instanceId: string; reason: string }[] = [];
  const deferred: string[] = [];
  const problems: string[] = [];
  let last: Invocation | undefined;
  for (const run of runs) {
    last = run;
    const kind = run.config.kind;
    if (kind === undefined || kind === "autoscaling") continue;
    const tag = { key: instanceTagKey(kind), value: run.config.autoScalingGroupName };
    let running: Instance[];
    try {
      running = await describeInstances(run.ec2, {
        Filters: [
          { Name: `tag:${tag.key}`, Values: [tag.value] },
          { Name: "instance-state-name", Values: ["running"] },
        ],
      });
    } catch (err) {
      problems.push(`${tag.key}=${tag.value}: ${errorText(err)}`);
      continue;
    }
    const settled = (i: Instance) => i.LaunchTime === undefined || run.now() - new Date(i.LaunchTime).getTime() >= RECONCILE_AFTER_MS;
    const lacking = running.filter((i) => i.InstanceId && settled(i) && lacksMultusEnis(i, run.config));
    groups.push({ group: tag.value, running: running.length, lacking: lacking.length });
    for (const inst of lacking) {
      const id = inst.InstanceId!;
      if (run.endsAt - run.now() < RECONCILE_MIN_LEFT_MS) {
        deferred.push(id);
        continue;
      }
      const { progress, reason } = await attachOrUndo(run, id, tag);
      if (reason !== undefined) failed.push({ instanceId: id, reason });
      else attached.push({ instanceId: id, enis: progress.enis.map(({ subnetId, eniId, ip }) => ({ subnetId, eniId, ip })) });
    }
  }
  const ec2Calls = last?.calls() ?? 0;
  const reason = [...problems, ...failed.map((f) => `${f.instanceId}: ${f.reason}`)].join("; ") || undefined;
  (last?.log ?? (() => undefined))({ action: "reconcile", result: "NONE", groups, attached, failed, deferred, ec2Calls, ...(reason ? { reason } : {}) });
  return { action: "reconcile", result: "NONE", enis: attached.flatMap((a) => a.enis), ec2Calls, ...(reason ? { reason } : {}) };
}

function ignored(run: Pick<Invocation, "log">, reason: string, instanceId?: string): LifecycleOutcome {
  run.log({ action: "ignored", result: "NONE", ...(instanceId ? { instanceId } : {}), reason });
  return { action: "ignored", result: "NONE", enis: [], ec2Calls: 0, reason };
}

/**
 * The lifecycle handler over injected clients. Launch and terminate actions are always
 * completed (whatever throws); the returned promise never rejects for a lifecycle event.
 */
export function createHandler(deps: HandlerDeps): (event: unknown, context?: InvocationContext) => Promise<LifecycleOutcome> {
  const groups: readonly LambdaConfig[] = Array.isArray(deps.config) ? deps.config : [deps.config as LambdaConfig];
  const resolved = {
    autoscaling: deps.autoscaling,
    log: deps.log ?? ((line: object) => console.log(JSON.stringify(line))),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: deps.random ?? Math.random,
    now: deps.now ?? Date.now,
    maxEnisCache: new Map<string, number>(),
  };
  const hookless = groups.filter((g) => g.kind === "karpenter" || g.kind === "managed");
  /**
   * An EC2 state change (every instance of the account and Region: the rule cannot match tags).
   * Pending: the instance's tags name its group, if it is one of ours. Going: its ENIs are found
   * by their own tags (instance id and group), which outlive the instance's.
   */
  const stateChange = async (e: Extract<ReturnType<typeof parseEvent>, { kind: "state" }>, begin: (c: LambdaConfig) => Invocation): Promise<LifecycleOutcome> => {
    if (hookless.length === 0) return ignored(resolved, "no Karpenter or managed node group is served by this function", e.instanceId);
    if (e.step === "cleanup") {
      const deleted: DeletedEni[] = [];
      const problems: string[] = [];
      let run: Invocation | undefined;
      for (const g of hookless) {
        run = begin(g);
        await retireInstanceEnis(run, e.instanceId, deleted, problems);
      }
      return cleanupOutcome(run!, { action: "terminate", result: "NONE", subject: { instanceId: e.instanceId, state: e.state }, deleted, problems });
    }
    const probe = begin(hookless[0]!);
    const instance = await readInstanceWhenVisible(probe, e.instanceId);
    const config = hooklessGroupOf(hookless, instance.Tags);
    if (!config) return ignored(resolved, `instance ${e.instanceId} is not tagged as a node of ${hookless.map((g) => `${instanceTagKey(g.kind!)}=${g.autoScalingGroupName}`).join(", ")}`, e.instanceId);
    const run = begin(config);
    return attachHookless(run, e.instanceId, { key: instanceTagKey(config.kind!), value: config.autoScalingGroupName });
  };
  return async (event: unknown, context?: InvocationContext): Promise<LifecycleOutcome> => {
    // Without Lambda's context (a test, a script): the stack's timeout from now.
    const remaining = context?.getRemainingTimeInMillis() ?? DEFAULT_LAMBDA_TIMEOUT * 1000;
    const endsAt = resolved.now() + remaining;
    const counted = counting(deps.ec2);
    // The invocation's work for one group: its calls wait out throttling until the phase's
    // deadline (set per action), and every resend is counted.
    const begin = (config: LambdaConfig): Invocation => {
      const run: Invocation = { ...resolved, ...counted, config, endsAt, deadline: endsAt - CLEANUP_RESERVE_MS };
      run.ec2 = patientEc2(counted.ec2, run, () => run.deadline);
      return run;
    };
    const parsed = parseEvent(event);
    if (parsed.kind === "ignored") return ignored(resolved, parsed.reason);
    if (parsed.kind === "sweep") return sweepAll(groups.map(begin));
    if (parsed.kind === "reconcile") {
      if (hookless.length === 0) return ignored(resolved, "reconcile: no Karpenter or managed node group is served by this function");
      return reconcile(hookless.map(begin));
    }
    if (parsed.kind === "state") return stateChange(parsed, begin);
    // The event's group picks the configuration: its subnets, worker blocks and ENI tag.
    const config = groups.find((g) => g.autoScalingGroupName === parsed.action.autoScalingGroupName);
    if (!config) {
      return ignored(resolved, `event of Auto Scaling group ${parsed.action.autoScalingGroupName}; this function serves ${groups.map((g) => g.autoScalingGroupName).join(", ")}`, parsed.action.instanceId);
    }
    const run = begin(config);
    return parsed.kind === "launch" ? launch(run, parsed.action) : terminate(run, parsed.action);
  };
}

let cold: ((event: unknown, context?: InvocationContext) => Promise<LifecycleOutcome>) | undefined;

/**
 * The AWS entry point. Cold start reads and validates the environment (a bad one fails every
 * invocation with a PlanError naming the variable) and builds SDK clients with adaptive retry.
 */
export async function handler(event: unknown, context?: InvocationContext): Promise<LifecycleOutcome> {
  if (!cold) {
    const config = parseLambdaGroups(process.env);
    const { ec2, autoscaling } = createAwsClients({ region: process.env.AWS_REGION });
    cold = createHandler({ ec2, autoscaling, config });
  }
  return cold(event, context);
}
