import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, ModifyNetworkInterfaceAttributeCommand, NetworkInterface } from "@aws-sdk/client-ec2";
import { EC2_ERROR_CODES, errorCode, errorText } from "../contract/aws-errors";
import { LambdaConfig, parseLambdaGroups } from "../contract/lambda-env";
import type { LifecycleResult } from "../contract/lifecycle";
import { ENI_TAG_KEYS } from "../contract/tags";
import { AutoScaling, Ec2, describeInstances, describeNetworkInterfaces, tagValue } from "./aws";
import { createAwsClients } from "./clients";
import { LifecycleActionRef, parseEvent } from "./events";
import { LaunchFailure, LaunchProgress, deleteQuietly, launchEnis, removeEni } from "./launch";

export type { LambdaConfig } from "../contract/lambda-env";

/** What one invocation did. */
export interface LifecycleOutcome {
  readonly action: "launch" | "terminate" | "sweep" | "ignored";
  /** The lifecycle action result sent; NONE for the sweep and ignored events. */
  readonly result: LifecycleResult | "NONE";
  /** launch: the instance's multus ENIs (none after ABANDON); terminate and sweep: the ENIs deleted. */
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
  /** Clock in ms, for the created-at tag and the sweep's grace period. @default Date.now */
  readonly now?: () => number;
}

/**
 * The sweep spares an `available` ENI whose instance it cannot see until it is this old: a
 * brand-new instance may not be visible to every read yet (Describe* is eventually
 * consistent, https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html),
 * and no launch runs longer than Lambda's 15-minute maximum timeout.
 */
export const SWEEP_GRACE_MS = 15 * 60 * 1000;

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
  readonly ec2: Ec2;
  /** The event's group (the sweep: each group in turn). */
  readonly config: LambdaConfig;
  /** EC2 calls so far. */
  readonly calls: () => number;
  /** ENI limit per instance type, shared across invocations of a warm container. */
  readonly maxEnisCache: Map<string, number>;
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

async function instanceAlive(ec2: Ec2, instanceId: string): Promise<boolean> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const state = out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
    return state === "pending" || state === "running";
  } catch (err) {
    if (errorCode(err) === EC2_ERROR_CODES.instanceNotFound) return false;
    return true; // unknown: assume alive, touch nothing attached
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
  let failure: unknown;
  try {
    await launchEnis(run, action.instanceId, action.autoScalingGroupName, progress);
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
  const { deleted, cleanupError } = await undoLaunch(run, action, progress, completeError);
  const reason = [why, completeFailure(completeError), cleanupError ? `cleanup failed: ${cleanupError}` : ""].filter(Boolean).join("; ");
  run.log({ ...line, result: "ABANDON", reason, enis: progress.enis, created: progress.created, deleted, ec2Calls: run.calls() });
  return { action: "launch", result: "ABANDON", enis: [], ec2Calls: run.calls(), reason };
}

/** After an ABANDON: deletes the instance's ENIs, or only this invocation's spares when another delivery decided the action. */
async function undoLaunch(run: Invocation, action: LifecycleActionRef, progress: LaunchProgress, completeError: unknown): Promise<{ deleted: string[]; cleanupError?: string }> {
  const deleted: string[] = [];
  try {
    const decidedHere = completeError === undefined || !noActiveAction(completeError) || !(await instanceAlive(run.ec2, action.instanceId));
    for (const eni of await ownEnisOf(run, action.instanceId)) {
      if (!decidedHere && !(progress.created.includes(eni.NetworkInterfaceId!) && eni.Status === "available")) continue;
      await removeEni(run, eni);
      deleted.push(eni.NetworkInterfaceId!);
    }
    // Created but not visible to the read yet (eventual consistency): delete by id.
    if (decidedHere) {
      for (const id of progress.created) if (!deleted.includes(id) && (await deleteQuietly(run.ec2, id))) deleted.push(id);
    }
    return { deleted };
  } catch (err) {
    return { deleted, cleanupError: errorText(err) };
  }
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

/** Deletes the instance's detached multus ENIs, marks attached ones DeleteOnTermination, then CONTINUEs. */
async function terminate(run: Invocation, action: LifecycleActionRef): Promise<LifecycleOutcome> {
  const deleted: DeletedEni[] = [];
  const problems: string[] = [];
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
  // The instance terminates whatever the result; CONTINUE lets it go now. ENIs left behind
  // are `available` once it is gone, and the sweep deletes them.
  problems.push(completeFailure(await complete(run, action, "CONTINUE")));
  return cleanupOutcome(run, { action: "terminate", result: "CONTINUE", subject: { instanceId: action.instanceId, autoScalingGroup: action.autoScalingGroupName }, deleted, problems });
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
async function sweepAll(base: Omit<Invocation, "config">, groups: readonly LambdaConfig[]): Promise<LifecycleOutcome> {
  const outcomes: LifecycleOutcome[] = [];
  for (const config of groups) outcomes.push(await sweep({ ...base, config }));
  if (outcomes.length === 1) return outcomes[0]!;
  const reasons = outcomes.map((o) => o.reason).filter(Boolean);
  return { action: "sweep", result: "NONE", enis: outcomes.flatMap((o) => o.enis), ec2Calls: base.calls(), ...(reasons.length ? { reason: reasons.join("; ") } : {}) };
}

function ignored(run: Pick<Invocation, "log">, reason: string, instanceId?: string): LifecycleOutcome {
  run.log({ action: "ignored", result: "NONE", ...(instanceId ? { instanceId } : {}), reason });
  return { action: "ignored", result: "NONE", enis: [], ec2Calls: 0, reason };
}

/**
 * The lifecycle handler over injected clients. Launch and terminate actions are always
 * completed (whatever throws); the returned promise never rejects for a lifecycle event.
 */
export function createHandler(deps: HandlerDeps): (event: unknown) => Promise<LifecycleOutcome> {
  const groups: readonly LambdaConfig[] = Array.isArray(deps.config) ? deps.config : [deps.config as LambdaConfig];
  const resolved = {
    autoscaling: deps.autoscaling,
    log: deps.log ?? ((line: object) => console.log(JSON.stringify(line))),
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    random: deps.random ?? Math.random,
    now: deps.now ?? Date.now,
    maxEnisCache: new Map<string, number>(),
  };
  return async (event: unknown): Promise<LifecycleOutcome> => {
    const base = { ...resolved, ...counting(deps.ec2) };
    const parsed = parseEvent(event);
    if (parsed.kind === "ignored") return ignored(base, parsed.reason);
    if (parsed.kind === "sweep") return sweepAll(base, groups);
    // The event's group picks the configuration: its subnets, worker blocks and ENI tag.
    const config = groups.find((g) => g.autoScalingGroupName === parsed.action.autoScalingGroupName);
    if (!config) {
      return ignored(base, `event of Auto Scaling group ${parsed.action.autoScalingGroupName}; this function serves ${groups.map((g) => g.autoScalingGroupName).join(", ")}`, parsed.action.instanceId);
    }
    const run: Invocation = { ...base, config };
    return parsed.kind === "launch" ? launch(run, parsed.action) : terminate(run, parsed.action);
  };
}

let cold: ((event: unknown) => Promise<LifecycleOutcome>) | undefined;

/**
 * The AWS entry point. Cold start reads and validates the environment (a bad one fails every
 * invocation with a PlanError naming the variable) and builds SDK clients with adaptive retry.
 */
export async function handler(event: unknown): Promise<LifecycleOutcome> {
  if (!cold) {
    const config = parseLambdaGroups(process.env);
    const { ec2, autoscaling } = createAwsClients({ region: process.env.AWS_REGION });
    cold = createHandler({ ec2, autoscaling, config });
  }
  return cold(event);
}
