import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, ModifyNetworkInterfaceAttributeCommand, NetworkInterface } from "@aws-sdk/client-ec2";
import { EC2_ERROR_CODES, errorCode, errorText } from "../contract/aws-errors";
import { LambdaConfig, parseLambdaEnvironment } from "../contract/lambda-env";
import { ENI_TAG_KEYS } from "../contract/tags";
import { AutoScaling, Ec2, describeInstances, describeNetworkInterfaces, tagValue } from "./aws";
import { createAwsClients } from "./clients";
import { LifecycleActionRef, parseEvent } from "./events";
import { LaunchFailure, LaunchProgress, deleteQuietly, launchEnis, removeEni } from "./launch";
import type { LifecycleResult } from "../contract/lifecycle";

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
  readonly config: LambdaConfig;
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

/** Counts EC2 calls (failed ones too) of one invocation. */
function counting(ec2: Ec2): { ec2: Ec2; calls: () => number } {
  let n = 0;
  const send = ((command: never, ...rest: never[]) => {
    n++;
    return (ec2.send as (...a: unknown[]) => Promise<unknown>).apply(ec2, [command, ...rest]);
  }) as Ec2["send"];
  return { ec2: { send }, calls: () => n };
}

/**
 * The lifecycle handler over injected clients. Launch and terminate actions are always
 * completed (whatever throws); the returned promise never rejects for a lifecycle event.
 */
export function createHandler(deps: HandlerDeps): (event: unknown) => Promise<LifecycleOutcome> {
  const log = deps.log ?? ((line: object) => console.log(JSON.stringify(line)));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const maxEnisCache = new Map<string, number>();

  /** Completes the action; resolves to the error when that failed (never rejects). */
  async function complete(action: LifecycleActionRef, result: LifecycleResult): Promise<unknown> {
    try {
      await deps.autoscaling.send(
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

  async function ownEnisOf(ec2: Ec2, instanceId: string): Promise<NetworkInterface[]> {
    return describeNetworkInterfaces(ec2, {
      Filters: [
        { Name: `tag:${ENI_TAG_KEYS.instanceId}`, Values: [instanceId] },
        { Name: `tag:${ENI_TAG_KEYS.nodeGroup}`, Values: [config.nodeGroupTag] },
      ],
    });
  }

  async function launch(action: LifecycleActionRef, ec2: Ec2, calls: () => number): Promise<LifecycleOutcome> {
    const progress: LaunchProgress = { enis: [], created: [] };
    let failure: unknown;
    try {
      await launchEnis({ ec2, config, sleep, random, now, maxEnisCache }, action.instanceId, action.autoScalingGroupName, progress);
    } catch (err) {
      failure = err;
    }
    const line = { action: "launch", instanceId: action.instanceId, autoScalingGroup: action.autoScalingGroupName, availabilityZone: progress.availabilityZone, strategy: config.strategy };
    if (failure === undefined) {
      const completeError = await complete(action, "CONTINUE");
      const enis = progress.enis.map(({ subnetId, eniId, ip }) => ({ subnetId, eniId, ip }));
      const reason = completeError === undefined ? undefined : `CompleteLifecycleAction failed: ${errorText(completeError)}`;
      log({ ...line, result: "CONTINUE", enis: progress.enis, ec2Calls: calls(), ...(reason ? { reason } : {}) });
      return { action: "launch", result: "CONTINUE", enis, ec2Calls: calls(), ...(reason ? { reason } : {}) };
    }

    const why = failure instanceof LaunchFailure ? failure.message : errorText(failure);
    // Complete first: when the action is still ours, ABANDON decides the instance's fate and
    // every ENI of it goes. When it is no longer open, another delivery of this event may have
    // completed it with CONTINUE: then only spare ENIs this invocation made go.
    const completeError = await complete(action, "ABANDON");
    const deleted: string[] = [];
    let cleanupError: string | undefined;
    try {
      const decidedHere = completeError === undefined || !noActiveAction(completeError) || !(await instanceAlive(ec2, action.instanceId));
      const enis = await ownEnisOf(ec2, action.instanceId);
      for (const eni of enis) {
        if (!decidedHere && !(progress.created.includes(eni.NetworkInterfaceId!) && eni.Status === "available")) continue;
        await removeEni({ ec2, sleep, random }, eni);
        deleted.push(eni.NetworkInterfaceId!);
      }
      // Created but not visible to the read yet (eventual consistency): delete by id.
      if (decidedHere) {
        for (const id of progress.created) if (!deleted.includes(id) && (await deleteQuietly(ec2, id))) deleted.push(id);
      }
    } catch (err) {
      cleanupError = errorText(err);
    }
    const reason = [why, completeError === undefined ? "" : `CompleteLifecycleAction failed: ${errorText(completeError)}`, cleanupError ? `cleanup failed: ${cleanupError}` : ""]
      .filter(Boolean)
      .join("; ");
    log({ ...line, result: "ABANDON", reason, enis: progress.enis, created: progress.created, deleted, ec2Calls: calls() });
    return { action: "launch", result: "ABANDON", enis: [], ec2Calls: calls(), reason };
  }

  async function terminate(action: LifecycleActionRef, ec2: Ec2, calls: () => number): Promise<LifecycleOutcome> {
    const deleted: { subnetId: string; eniId: string; ip: string }[] = [];
    let problem: string | undefined;
    const problems: string[] = [];
    try {
      for (const eni of await ownEnisOf(ec2, action.instanceId)) {
        try {
          if (eni.Status === "available") {
            if (await deleteQuietly(ec2, eni.NetworkInterfaceId!)) deleted.push({ subnetId: eni.SubnetId ?? "", eniId: eni.NetworkInterfaceId!, ip: eni.PrivateIpAddress ?? "" });
          } else if (eni.Attachment?.InstanceId === action.instanceId && eni.Attachment.DeleteOnTermination !== true) {
            // Still attached: let EC2 delete it with the instance.
            await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.NetworkInterfaceId, Attachment: { AttachmentId: eni.Attachment.AttachmentId, DeleteOnTermination: true } }));
          }
        } catch (err) {
          problems.push(`${String(eni.NetworkInterfaceId)}: ${errorText(err)}`);
        }
      }
    } catch (err) {
      problems.push(errorText(err));
    }
    if (problems.length) problem = problems.join("; ");
    // The instance terminates whatever the result; CONTINUE lets it go now. ENIs left behind
    // are `available` once it is gone, and the sweep deletes them.
    const completeError = await complete(action, "CONTINUE");
    const reason = [problem ?? "", completeError === undefined ? "" : `CompleteLifecycleAction failed: ${errorText(completeError)}`].filter(Boolean).join("; ") || undefined;
    log({ action: "terminate", instanceId: action.instanceId, autoScalingGroup: action.autoScalingGroupName, result: "CONTINUE", deleted, ec2Calls: calls(), ...(reason ? { reason } : {}) });
    return { action: "terminate", result: "CONTINUE", enis: deleted, ec2Calls: calls(), ...(reason ? { reason } : {}) };
  }

  async function sweep(ec2: Ec2, calls: () => number): Promise<LifecycleOutcome> {
    const deleted: { subnetId: string; eniId: string; ip: string }[] = [];
    const spared: string[] = [];
    const problems: string[] = [];
    let problem: string | undefined;
    try {
      const available = await describeNetworkInterfaces(ec2, {
        Filters: [
          { Name: `tag:${ENI_TAG_KEYS.nodeGroup}`, Values: [config.nodeGroupTag] },
          { Name: "status", Values: ["available"] },
        ],
      });
      const ids = [...new Set(available.map((e) => tagValue(e.TagSet, ENI_TAG_KEYS.instanceId)).filter((x): x is string => !!x))];
      const states = new Map<string, string>();
      // By filter, not InstanceIds: an id that no longer exists must not fail the whole read.
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200);
        for (const inst of await describeInstances(ec2, { Filters: [{ Name: "instance-id", Values: chunk }] })) {
          if (inst.InstanceId) states.set(inst.InstanceId, inst.State?.Name ?? "");
        }
      }
      for (const eni of available) {
        const owner = tagValue(eni.TagSet, ENI_TAG_KEYS.instanceId);
        const state = owner ? states.get(owner) : "none";
        const created = Date.parse(tagValue(eni.TagSet, ENI_TAG_KEYS.createdAt) ?? "");
        const old = Number.isNaN(created) || now() - created >= SWEEP_GRACE_MS;
        const gone = state === "terminated" || state === "shutting-down" || state === "none" || (state === undefined && old);
        if (!gone) {
          spared.push(eni.NetworkInterfaceId!);
          continue;
        }
        try {
          if (await deleteQuietly(ec2, eni.NetworkInterfaceId!)) deleted.push({ subnetId: eni.SubnetId ?? "", eniId: eni.NetworkInterfaceId!, ip: eni.PrivateIpAddress ?? "" });
        } catch (err) {
          // Attached again meanwhile, say: the next sweep looks again.
          problems.push(`${String(eni.NetworkInterfaceId)}: ${errorText(err)}`);
        }
      }
    } catch (err) {
      problems.push(errorText(err));
    }
    if (problems.length) problem = problems.join("; ");
    log({ action: "sweep", nodeGroup: config.nodeGroupTag, result: "NONE", deleted, spared, ec2Calls: calls(), ...(problem ? { reason: problem } : {}) });
    return { action: "sweep", result: "NONE", enis: deleted, ec2Calls: calls(), ...(problem ? { reason: problem } : {}) };
  }

  return async (event: unknown): Promise<LifecycleOutcome> => {
    const { ec2, calls } = counting(deps.ec2);
    const parsed = parseEvent(event);
    if (parsed.kind === "ignored") {
      log({ action: "ignored", result: "NONE", reason: parsed.reason });
      return { action: "ignored", result: "NONE", enis: [], ec2Calls: 0, reason: parsed.reason };
    }
    if (parsed.kind === "sweep") return sweep(ec2, calls);
    if (parsed.action.autoScalingGroupName !== config.autoScalingGroupName) {
      const reason = `event of Auto Scaling group ${parsed.action.autoScalingGroupName}; this function serves ${config.autoScalingGroupName}`;
      log({ action: "ignored", result: "NONE", instanceId: parsed.action.instanceId, reason });
      return { action: "ignored", result: "NONE", enis: [], ec2Calls: 0, reason };
    }
    return parsed.kind === "launch" ? launch(parsed.action, ec2, calls) : terminate(parsed.action, ec2, calls);
  };
}

let cold: ((event: unknown) => Promise<LifecycleOutcome>) | undefined;

/**
 * The AWS entry point. Cold start reads and validates the environment (a bad one fails every
 * invocation with a PlanError naming the variable) and builds SDK clients with adaptive retry.
 */
export async function handler(event: unknown): Promise<LifecycleOutcome> {
  if (!cold) {
    const config = parseLambdaEnvironment(process.env);
    const { ec2, autoscaling } = createAwsClients({ region: process.env.AWS_REGION });
    cold = createHandler({ ec2, autoscaling, config });
  }
  return cold(event);
}
