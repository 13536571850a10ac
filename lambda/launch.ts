import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstanceTypesCommand,
  Instance,
  InstanceNetworkInterface,
  ModifyNetworkInterfaceAttributeCommand,
  NetworkInterface,
  Tag,
} from "@aws-sdk/client-ec2";
import { intToIp, ipToInt } from "../contract/address";
import { bigToIp6, contains6, ip6ToBig, ipv6WorkerAddress } from "../contract/address6";
import { EC2_ERROR_CODES, errorCode, isTransientFault } from "../contract/aws-errors";
import { LambdaConfig, LambdaSubnet } from "../contract/lambda-env";
import { ENI_TAG_KEYS } from "../contract/tags";
import { Ec2, describeInstances, describeNetworkInterfaces, eniAddresses, tagValue } from "./aws";
import { pendingOrder, pickWorkerAddress } from "./picker";
import { RetryClock, RetryPolicy, fullJitterMs, retry } from "./retry";

/**
 * The EC2 client of one invocation, patient with throttling: a call still throttled (or
 * failing transiently) after the SDK client's own retries (lambda/clients.ts) is sent again
 * after a full-jitter wait, until `deadline()`. EC2 throttles per account and Region, a token
 * bucket per action (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html):
 * concurrent launches share the buckets, and the SDK's few attempts are not the launch's
 * time. Any other error comes back at once.
 */
export function patientEc2(ec2: Ec2, clock: RetryClock & { readonly now: () => number }, deadline: () => number): Ec2 {
  const send = ((command: never) =>
    retry(() => (ec2.send as (c: never) => Promise<unknown>)(command), { retryOn: isTransientFault, budgetMs: Math.max(0, deadline() - clock.now()), baseMs: 1000, capMs: 10_000 }, clock)) as Ec2["send"];
  // Still an EC2Client (its prototype is the client), so the SDK's paginators take it.
  return Object.create(ec2, { send: { value: send } }) as Ec2;
}

/** A launch that cannot go on; its message is the logged reason. */
export class LaunchFailure extends Error {
  override readonly name = "LaunchFailure";
}

export interface LaunchDeps extends RetryClock {
  readonly ec2: Ec2;
  readonly config: LambdaConfig;
  readonly now: () => number;
  /** ENI limit per instance type (of its default network card), shared across invocations of a warm container. */
  readonly maxEnisCache: Map<string, number>;
  /**
   * Epoch ms after which no wait starts (`launchDeadline`): every wait on EC2 is bounded by
   * the time left, not by a count, so slow and lagging answers get all the time there is.
   */
  readonly deadline: number;
}

/**
 * Kept free at the end of an invocation for ABANDON and its cleanup: a completion, a read and
 * a call per ENI, each of which the SDK may retry on throttling (lambda/clients.ts).
 */
export const CLEANUP_RESERVE_MS = 20_000;

/** Every launch action completes at least this long before its hook's heartbeat timeout. */
export const HOOK_MARGIN_MS = 60_000;

/**
 * When a launch stops waiting on EC2: the earlier of the function's own end (its remaining
 * time, less the cleanup reserve) and the hook's timeout (from the action's start, less the
 * margin and the reserve), so the action is completed, not timed out, whichever comes first.
 */
export function launchDeadline(opts: { now: number; remainingMs: number; actionStartedAt?: number; hookTimeoutSeconds: number }): number {
  const own = opts.now + opts.remainingMs - CLEANUP_RESERVE_MS;
  const hook = (opts.actionStartedAt ?? opts.now) + opts.hookTimeoutSeconds * 1000 - HOOK_MARGIN_MS - CLEANUP_RESERVE_MS;
  return Math.min(own, hook);
}

/** The time left until the deadline, for a retry's budget (0: one attempt, no wait). */
function untilDeadline(deps: Pick<LaunchDeps, "deadline" | "now">): number {
  return Math.max(0, deps.deadline - deps.now());
}

/** One multus ENI of a launch, as logged and returned. */
export interface LaunchedEni {
  readonly subnetId: string;
  readonly eniId: string;
  readonly ip: string;
  /** Its IPv6 address (dual-stack subnet). */
  readonly ipv6?: string;
  readonly deviceIndex: number;
  /** CreateNetworkInterface calls for it (0: found from an earlier delivery of the event). */
  readonly attempts: number;
  readonly reused: boolean;
}

/** What a launch did so far: filled in as it goes, so a failure knows what to undo. */
export interface LaunchProgress {
  readonly enis: LaunchedEni[];
  /** ENI ids this invocation created. */
  readonly created: string[];
  availabilityZone?: string;
}

const ALIVE = ["pending", "running"];

/**
 * One instance, read by an `instance-id` filter rather than by id: a filtered read draws from
 * DescribeInstances' larger token bucket (100, 20 per second, not 50 and 10: "It is recommended
 * that you make use of pagination and filtering",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), and an instance no
 * read shows yet comes back as no instance rather than InvalidInstanceID.NotFound.
 */
export async function readInstance(ec2: Ec2, instanceId: string): Promise<Instance | undefined> {
  return (await describeInstances(ec2, { Filters: [{ Name: "instance-id", Values: [instanceId] }] }))[0];
}

/** The tag that names a group's instances, and its value (the Auto Scaling group, NodePool or EKS node group name). */
export interface GroupTag {
  readonly key: string;
  readonly value: string;
}

/** Reads the instance by id until EC2 shows it (INSTANCE_VISIBLE), until the deadline; a LaunchFailure when it never does. */
export async function readInstanceWhenVisible(deps: LaunchDeps, instanceId: string): Promise<Instance> {
  let reads = 0;
  const me = await retry(
    async (attempt) => {
      reads = attempt + 1;
      return readInstance(deps.ec2, instanceId);
    },
    INSTANCE_VISIBLE(deps),
    deps,
  ).catch((err: unknown) => {
    if (errorIs(EC2_ERROR_CODES.instanceNotFound)(err)) return undefined;
    throw err;
  });
  if (!me) throw new LaunchFailure(`instance ${instanceId} not found after ${reads} reads`);
  return me;
}

/** Whether an error has this EC2 error code. */
const errorIs =
  (code: string) =>
  (err: unknown): boolean =>
    errorCode(err) === code;

/**
 * Reads of a just-launched instance by id until EC2 shows it, until the deadline. Describe*
 * calls are eventually consistent: back off "starting with a couple of seconds" up to "a few
 * minutes", and InvalidInstanceID.NotFound after a launch "doesn't mean the instance does not
 * exist" ("Eventual consistency in the Amazon EC2 API",
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 */
const INSTANCE_VISIBLE = (deps: LaunchDeps): RetryPolicy<Instance | undefined> => ({
  again: (instance) => instance === undefined,
  budgetMs: untilDeadline(deps),
  baseMs: 1000,
  capMs: 10_000,
});

/**
 * Attaches, until the deadline, while the instance is still launching: a pending instance
 * refuses the attach, as IncorrectInstanceState ("The instance is not in the correct state for
 * this operation", errors-overview) or as InvalidInstanceID ("The pending instance ... is not in
 * a valid state", observed), and EC2 does not document for how long. A refused attach still
 * spends a token of AttachNetworkInterface's bucket (mutating: 50, refilled 5 per second, per
 * account and Region, https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html),
 * the bucket every launch's attach waits on, while DescribeInstances draws on the non-mutating
 * one (100, 20 per second). So after a refusal the launch reads the instance's state until it
 * is `running` (an instance out of `pending` takes attaches: EC2 user guide, "Amazon EC2
 * instance state changes") and attaches then, probing with an attach only now and then
 * meanwhile (PROBE_GAP_MS, doubling to PROBE_GAP_CAP_MS): an instance may take attaches
 * before it is running.
 */
const REFUSED_ATTACH: readonly string[] = [EC2_ERROR_CODES.incorrectInstanceState, EC2_ERROR_CODES.pendingInstance];

/** AttachNetworkInterface's bucket (mutating), THROTTLING's table "Request token bucket sizes and refill rates". */
export const ATTACH_BUCKET = { capacity: 50, refillPerSecond: 5 } as const;

/** Whether the group has more pending instances than the attach bucket serves while they are typically pending. */
export function attachesScarce(group: readonly Instance[]): boolean {
  const pending = group.filter((i) => i.State?.Name === "pending").length;
  return pending > ATTACH_BUCKET.capacity + (ATTACH_BUCKET.refillPerSecond * PENDING_TYPICAL_MS) / 1000;
}

/** The first wait for `running` before another attach probe of a pending instance, ms; it doubles with each refused probe. */
export const PROBE_GAP_MS = 8000;
/** The longest wait between attach probes of a pending instance, ms. */
export const PROBE_GAP_CAP_MS = 16_000;

/** Reads of a pending instance's state between attach probes: full jitter, doubling from 1 s to 4 s ("Exponential Backoff And Jitter", lambda/retry.ts). */
const UNTIL_RUNNING = (budgetMs: number): RetryPolicy<string | undefined> => ({ again: (state) => state === "pending", budgetMs, baseMs: 1000, capMs: 4000 });

/**
 * How long a new instance is typically pending, ms: assumed (the EC2 user guide, "Amazon EC2
 * instance state changes", gives no duration). Attaches are scarce when more instances are
 * pending than the attach bucket serves meanwhile: its size plus this long's refill.
 */
export const PENDING_TYPICAL_MS = 20_000;

/** Re-reads of the instance after a lost attach race, until the other delivery's attachment shows (reads lag writes by seconds). */
const ATTACHED_AT_READS = (deps: LaunchDeps) => ({ budgetMs: Math.min(30_000, untilDeadline(deps)), baseMs: 500, capMs: 5000 });

function inSubnet(eni: { SubnetId?: string }, subnet: LambdaSubnet): boolean {
  return eni.SubnetId === subnet.id;
}

/** ENIs tagged by this node group for `instanceId` in a subnet: the ones an earlier delivery made. */
function ownEnis(seen: NetworkInterface[], config: LambdaConfig, instanceId: string, subnet: LambdaSubnet): NetworkInterface[] {
  return seen
    .filter((e) => inSubnet(e, subnet) && tagValue(e.TagSet, ENI_TAG_KEYS.instanceId) === instanceId && tagValue(e.TagSet, ENI_TAG_KEYS.nodeGroup) === config.nodeGroupTag)
    .sort((a, b) => {
      // The one attached to the instance first, then by id: every delivery picks the same.
      const aa = a.Attachment?.InstanceId === instanceId ? 0 : 1;
      const bb = b.Attachment?.InstanceId === instanceId ? 0 : 1;
      return aa - bb || ((a.NetworkInterfaceId ?? "") < (b.NetworkInterfaceId ?? "") ? -1 : 1);
    });
}

/**
 * The ENI limit of the type's default network card, the one AttachNetworkInterface uses when
 * no card is named: types with several cards limit ENIs per card, and MaximumNetworkInterfaces
 * is their sum (DescribeInstanceTypes NetworkInfo.NetworkCards[].MaximumNetworkInterfaces).
 */
async function maxEnis(deps: LaunchDeps, instanceType: string): Promise<number> {
  const cached = deps.maxEnisCache.get(instanceType);
  if (cached !== undefined) return cached;
  if (deps.config.instanceLimits?.type === instanceType) return deps.config.instanceLimits.maxEnis;
  const out = await deps.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as never] }));
  const info = out.InstanceTypes?.[0]?.NetworkInfo;
  const card = info?.NetworkCards?.find((c) => (c.NetworkCardIndex ?? 0) === (info.DefaultNetworkCardIndex ?? 0));
  const n = card?.MaximumNetworkInterfaces ?? info?.MaximumNetworkInterfaces;
  if (!n) throw new LaunchFailure(`DescribeInstanceTypes gave no ENI limit for ${instanceType}`);
  deps.maxEnisCache.set(instanceType, n);
  return n;
}

/** The instance's ENIs on its default network card (card 0), where the multus ENIs go. */
function onDefaultCard(attached: readonly InstanceNetworkInterface[]): InstanceNetworkInterface[] {
  return attached.filter((n) => (n.Attachment?.NetworkCardIndex ?? 0) === 0);
}

/** Tags of a new ENI in `subnet`: its network's tags (else the group's), then the Lambda's own. */
function tagsFor(config: LambdaConfig, subnet: LambdaSubnet, instanceId: string, now: number): Tag[] {
  return [
    ...Object.entries(subnet.interfaceTags ?? config.interfaceTags).map(([Key, Value]) => ({ Key, Value })),
    { Key: ENI_TAG_KEYS.nodeGroup, Value: config.nodeGroupTag },
    { Key: ENI_TAG_KEYS.instanceId, Value: instanceId },
    { Key: ENI_TAG_KEYS.noManage, Value: "true" },
    { Key: ENI_TAG_KEYS.createdAt, Value: new Date(now).toISOString() },
  ];
}

/**
 * IPv4 worker addresses whose IPv6 partner (the address at the same offset of the IPv6 worker
 * block, ipv6WorkerAddress) an interface holds: taken as a pair.
 */
function pairedInUse(subnet: LambdaSubnet, ipv6s: readonly { Ipv6Address?: string }[] | undefined, used: Set<number>): void {
  const w4 = subnet.workers;
  const w6 = subnet.ipv6?.workers;
  if (!w4 || !w6) return;
  for (const a of ipv6s ?? []) {
    if (!a.Ipv6Address) continue;
    const n = ip6ToBig(a.Ipv6Address);
    if (contains6(w6, n) && n - w6.first <= BigInt(w4.last - w4.first)) used.add(w4.first + Number(n - w6.first));
  }
}

/** The group's view of one subnet: which instances still need an ENI there, which addresses are taken. */
function subnetView(group: Instance[], seen: NetworkInterface[], config: LambdaConfig, subnet: LambdaSubnet) {
  const used = new Set<number>();
  const has = new Set<string>();
  for (const e of seen) {
    if (!inSubnet(e, subnet)) continue;
    for (const ip of eniAddresses(e)) used.add(ipToInt(ip));
    pairedInUse(subnet, e.Ipv6Addresses, used);
    const owner = tagValue(e.TagSet, ENI_TAG_KEYS.instanceId);
    if (owner && tagValue(e.TagSet, ENI_TAG_KEYS.nodeGroup) === config.nodeGroupTag) has.add(owner);
    if (e.Attachment?.InstanceId) has.add(e.Attachment.InstanceId);
  }
  for (const i of group) {
    for (const n of i.NetworkInterfaces ?? []) {
      if (!inSubnet(n, subnet)) continue;
      for (const ip of eniAddresses(n)) used.add(ipToInt(ip));
      pairedInUse(subnet, n.Ipv6Addresses, used);
      if (i.InstanceId) has.add(i.InstanceId);
    }
  }
  const pending = pendingOrder(
    group
      .filter((i) => i.InstanceId && !has.has(i.InstanceId) && i.Placement?.AvailabilityZone === subnet.availabilityZone && ALIVE.includes(i.State?.Name ?? ""))
      .map((i) => ({ id: i.InstanceId!, launchTime: i.LaunchTime ? new Date(i.LaunchTime).getTime() : 0 })),
  );
  return { used, pending };
}

/**
 * Gives the instance one ENI per multus subnet of its AZ, in device order: reuses what an
 * earlier delivery made (by tag), else creates (static: a worker address; reservation: DHCP),
 * then attaches and sets DeleteOnTermination and the source/destination check. Throws on
 * failure; `progress` says what exists.
 */
export async function launchEnis(deps: LaunchDeps, instanceId: string, group: GroupTag, progress: LaunchProgress): Promise<void> {
  const { ec2, config } = deps;
  // One read of the whole group: this instance (AZ, type, attachments) and its peers (who else
  // still needs an address, which addresses are on attached ENIs), by the tag that names the
  // group's instances (contract/state-change.ts instanceTagKey).
  let peers = await describeInstances(ec2, {
    Filters: [
      { Name: `tag:${group.key}`, Values: [group.value] },
      { Name: "instance-state-name", Values: ALIVE },
    ],
  });
  let me = peers.find((i) => i.InstanceId === instanceId);
  if (!me) {
    // Not (yet) visible through the group tag: ask for it by id.
    me = await readInstanceWhenVisible(deps, instanceId);
    peers = [...peers, me];
  }
  const state = me.State?.Name ?? "unknown";
  if (!ALIVE.includes(state)) throw new LaunchFailure(`instance ${instanceId} is ${state}`);
  const az = me.Placement?.AvailabilityZone ?? "";
  progress.availabilityZone = az;
  const subnets = config.subnets.filter((s) => s.availabilityZone === az).sort((a, b) => a.deviceIndex - b.deviceIndex);
  if (subnets.length === 0) {
    const zones = [...new Set(config.subnets.map((s) => s.availabilityZone))].join(", ");
    throw new LaunchFailure(`instance ${instanceId} is in ${az || "an unknown availability zone"}; the multus subnets are in ${zones}: an ENI attaches only to an instance in its own availability zone`);
  }

  // One read of the AZ's multus subnets: taken addresses and ENIs an earlier delivery made.
  let seen = await describeNetworkInterfaces(ec2, { Filters: [{ Name: "subnet-id", Values: subnets.map((s) => s.id) }] });

  const attached = me.NetworkInterfaces ?? [];
  // Already in place, by either read (each may lag the other): an own ENI attached here, or
  // an ENI of the subnet at its device index.
  const inPlace = (s: LambdaSubnet): NetworkInterface | undefined => {
    const own = ownEnis(seen, config, instanceId, s).find((e) => e.Attachment?.InstanceId === instanceId);
    if (own) return own;
    const there = attached.find((n) => n.SubnetId === s.id && n.Attachment?.DeviceIndex === s.deviceIndex);
    return there && instanceViewEni(there, instanceId, s.deviceIndex);
  };
  const toAttach = subnets.filter((s) => !inPlace(s));
  const limit = await maxEnis(deps, String(me.InstanceType));
  const onCard = onDefaultCard(attached).length;
  if (onCard + toAttach.length > limit) {
    throw new LaunchFailure(
      `${String(me.InstanceType)} takes ${limit} ENIs on its default network card; ${instanceId} has ${onCard} there and needs ${toAttach.length} more for ${subnets.map((s) => s.id).join(", ")}`,
    );
  }
  for (const s of toAttach) {
    const taken = attached.find((n) => n.Attachment?.DeviceIndex === s.deviceIndex);
    if (taken) {
      throw new LaunchFailure(`device index ${s.deviceIndex} of ${instanceId} is taken by ${String(taken.NetworkInterfaceId)} (subnet ${String(taken.SubnetId)}), not a multus ENI of ${s.id}`);
    }
  }

  for (const subnet of subnets) {
    // More than one: deliveries raced. Take the attached one (or the lowest id); the others
    // belong to deliveries that may still be attaching them: each deletes its own spare when
    // it loses the attach, and the terminate action or the sweep takes any a crash left.
    let eni: NetworkInterface | undefined = inPlace(subnet) ?? ownEnis(seen, config, instanceId, subnet)[0];
    let attempts = 0;
    if (!eni) {
      const made = await createEni(deps, instanceId, subnet, peers, seen, progress);
      eni = made.eni;
      attempts = made.attempts;
      seen = made.seen;
    }
    let eniId = eni.NetworkInterfaceId!;
    let attachment = eni.Attachment?.InstanceId === instanceId ? eni.Attachment : undefined;
    if (eni.Attachment && !attachment) {
      throw new LaunchFailure(`${eniId} is tagged for ${instanceId} but attached to ${String(eni.Attachment.InstanceId)}`);
    }
    if (!attachment) {
      try {
        const out = await attachWhenReady(deps, eniId, instanceId, subnet.deviceIndex, { pending: state === "pending", scarce: attachesScarce(peers) });
        attachment = { AttachmentId: out.AttachmentId, DeleteOnTermination: false, InstanceId: instanceId, DeviceIndex: subnet.deviceIndex };
      } catch (err) {
        // A concurrent delivery of the same event may have attached this ENI, or its own, first.
        const winner = await attachedAt(deps, instanceId, subnet, err);
        if (winner.NetworkInterfaceId !== eniId && progress.created.includes(eniId)) {
          await deleteQuietly(ec2, eniId);
          progress.created.splice(progress.created.indexOf(eniId), 1);
        }
        attachment = winner.Attachment!;
        eni = winner;
        if (winner.NetworkInterfaceId !== eniId) attempts = 0; // the other delivery's ENI
        eniId = winner.NetworkInterfaceId!;
      }
    }
    // ENIs attached through the API are not deleted with the instance unless told so
    // (EC2 user guide, "Elastic network interfaces": delete on termination).
    if (attachment.DeleteOnTermination !== true) {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Attachment: { AttachmentId: attachment.AttachmentId, DeleteOnTermination: true } }));
    }
    // New ENIs have the check on (EC2 user guide, "Source/destination checks"): a call only to
    // turn it off. Each network says what it wants.
    const sourceDestCheck = subnet.sourceDestCheck ?? config.sourceDestCheck;
    if ((eni.SourceDestCheck ?? true) !== sourceDestCheck) {
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, SourceDestCheck: { Value: sourceDestCheck } }));
    }
    const ipv6 = eni.Ipv6Addresses?.[0]?.Ipv6Address;
    progress.enis.push({ subnetId: subnet.id, eniId, ip: eni.PrivateIpAddress ?? "", ...(ipv6 ? { ipv6 } : {}), deviceIndex: subnet.deviceIndex, attempts, reused: attempts === 0 });
  }
}

/** An ENI as DescribeInstances shows it on the instance, in DescribeNetworkInterfaces' shape. */
function instanceViewEni(n: InstanceNetworkInterface, instanceId: string, deviceIndex: number): NetworkInterface {
  return {
    NetworkInterfaceId: n.NetworkInterfaceId,
    SubnetId: n.SubnetId,
    PrivateIpAddress: n.PrivateIpAddress,
    Ipv6Addresses: n.Ipv6Addresses?.map((a) => ({ Ipv6Address: a.Ipv6Address })),
    SourceDestCheck: n.SourceDestCheck,
    Attachment: { AttachmentId: n.Attachment?.AttachmentId, DeleteOnTermination: n.Attachment?.DeleteOnTermination, DeviceIndex: deviceIndex, InstanceId: instanceId },
  };
}

/**
 * `scarce` (attachesScarce): more of the group's instances are pending than the attach bucket
 * serves meanwhile, so probes of pending instances would take tokens the running ones' attaches need:
 * a pending instance is not probed at all, its first attach waits for `running`.
 */
async function attachWhenReady(deps: LaunchDeps, eniId: string, instanceId: string, deviceIndex: number, opts: { readonly pending: boolean; readonly scarce: boolean }) {
  const attach = () => deps.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: deviceIndex }));
  const untilRunning = async (gap: number) => {
    const state = await retry(
      async () => {
        const me = await readInstance(deps.ec2, instanceId);
        // Another ENI at this device index: a concurrent delivery of this event attached its
        // own. Stop waiting; the attach's conflict hands over to attachedAt, which frees this
        // delivery's spare address now rather than when the instance is running.
        if (me?.NetworkInterfaces?.some((n) => n.Attachment?.DeviceIndex === deviceIndex && n.NetworkInterfaceId !== eniId)) return "taken";
        return me?.State?.Name;
      },
      UNTIL_RUNNING(gap),
      deps,
    );
    if (state === "taken") return state;
    // An instance on its way out refuses attaches for good (IncorrectInstanceState too): no
    // point in waiting for it until the deadline. Unread (undefined) is not gone.
    if (state !== undefined && !ALIVE.includes(state)) throw new LaunchFailure(`instance ${instanceId} is ${state}`);
    return state;
  };
  if (opts.pending && opts.scarce) await untilRunning(untilDeadline(deps));
  for (let refused = 0; ; refused++) {
    try {
      return await attach();
    } catch (err) {
      if (!REFUSED_ATTACH.includes(errorCode(err)) || untilDeadline(deps) <= 0) throw err;
    }
    // Refused: read the state until `running` (attach at once then) or until the next probe.
    const gap = opts.scarce ? untilDeadline(deps) : Math.min(PROBE_GAP_CAP_MS, PROBE_GAP_MS * 2 ** refused, untilDeadline(deps));
    const state = await untilRunning(gap);
    // Running, or unread: the attach answers for itself, after a short full-jitter pause so
    // that a refusal of a running instance is not retried at once.
    if (state !== "pending") await deps.sleep(fullJitterMs(refused, 1000, 10_000, deps.random));
  }
}

/**
 * Attach errors a concurrent delivery of the same event causes: the ENI attached by it, the
 * device index taken by its ENI, or its ENI deleted after it lost the race.
 */
const ATTACH_CONFLICTS: readonly string[] = [EC2_ERROR_CODES.networkInterfaceInUse, EC2_ERROR_CODES.invalidParameterValue, EC2_ERROR_CODES.networkInterfaceNotFound];

/**
 * After a failed attach: the ENI in `subnet` attached to the instance at the subnet's device
 * index, if another delivery put one there (re-read a few times: reads lag writes). Else
 * rethrows the attach error.
 */
async function attachedAt(deps: LaunchDeps, instanceId: string, subnet: LambdaSubnet, attachError: unknown): Promise<NetworkInterface> {
  if (!ATTACH_CONFLICTS.includes(errorCode(attachError))) throw attachError;
  const read = async (): Promise<NetworkInterface | "conflict" | undefined> => {
    // A read that does not show the instance yet is no answer: read again.
    const me = await readInstance(deps.ec2, instanceId);
    const there = (me?.NetworkInterfaces ?? []).find((n) => n.Attachment?.DeviceIndex === subnet.deviceIndex);
    if (!there) return undefined;
    // Another subnet's ENI at the index is a real conflict.
    return there.SubnetId === subnet.id ? instanceViewEni(there, instanceId, subnet.deviceIndex) : "conflict";
  };
  const winner = await retry(read, { ...ATTACHED_AT_READS(deps), again: (r) => r === undefined }, deps);
  if (winner === undefined || winner === "conflict") throw attachError;
  return winner;
}

async function createEni(
  deps: LaunchDeps,
  instanceId: string,
  subnet: LambdaSubnet,
  group: Instance[],
  seenIn: NetworkInterface[],
  progress: LaunchProgress,
  round = 0,
): Promise<{ eni: NetworkInterface; attempts: number; seen: NetworkInterface[] }> {
  const { ec2, config } = deps;
  const base = {
    SubnetId: subnet.id,
    // The network's security groups: each multus network can have its own.
    Groups: subnet.securityGroupIds ?? config.securityGroupIds,
    Description: `multus ${config.nodeGroupTag} ${instanceId} device ${subnet.deviceIndex}`,
    TagSpecifications: [{ ResourceType: "network-interface" as const, Tags: tagsFor(config, subnet, instanceId, deps.now()) }],
  };
  if (config.strategy === "reservation" || !subnet.workers) {
    // AWS DHCP never hands out explicitly reserved addresses (the pod block, the IPv6 pod
    // space): no collision to retry. A dual-stack subnet's ENI asks for one IPv6 address too.
    const create = async () => {
      const out = await ec2.send(new CreateNetworkInterfaceCommand({ ...base, ...(subnet.ipv6 ? { Ipv6AddressCount: 1 } : {}) }));
      progress.created.push(out.NetworkInterface!.NetworkInterfaceId!);
      return out.NetworkInterface!;
    };
    const full = errorIs(EC2_ERROR_CODES.insufficientFreeAddresses);
    try {
      return { eni: await create(), attempts: 1, seen: seenIn };
    } catch (err) {
      if (!full(err)) throw err;
      // The subnet's last free address may be held for a moment: by the ENI a concurrent
      // delivery of this event just made for this instance (adopt it rather than ABANDON a
      // launch it completes), or by the spare of a delivery that lost its attach race and is
      // deleting it (create again once it is gone). Re-read for the twin as long as reads lag
      // writes, and while another instance's multus ENI is unattached (a spare lives as long as
      // its delivery waits on its instance; at most until the deadline), creating again.
      let attempts = 1;
      const window = ATTACHED_AT_READS(deps).budgetMs;
      // Reads keep going until `window` after the start, or after a spare was last seen (its
      // address may go to a twin delivery of this event, whose ENI the reads then show).
      let until = deps.now() + window;
      let spareSeen = false;
      const settled = await retry(
        async () => {
          const seen = await rereadSubnet(ec2, seenIn, subnet);
          const twin = ownEnis(seen, config, instanceId, subnet)[0];
          if (twin) return { eni: twin, attempts: 0, seen };
          // Only an unattached multus ENI of another instance may be about to free an address.
          const spare = seen.some((e) => inSubnet(e, subnet) && e.Status === "available" && ![undefined, instanceId].includes(tagValue(e.TagSet, ENI_TAG_KEYS.instanceId)));
          if (spare) until = deps.now() + window;
          spareSeen ||= spare;
          if (spareSeen) {
            try {
              attempts++;
              return { eni: await create(), attempts, seen };
            } catch (again) {
              if (!full(again)) throw again;
            }
          }
          if (deps.now() >= until) throw err;
          return undefined;
        },
        { budgetMs: untilDeadline(deps), baseMs: 500, capMs: 5000, again: (r) => r === undefined },
        deps,
      );
      if (!settled) throw err;
      return settled;
    }
  }
  const workers = subnet.workers;
  let seen = seenIn;
  const tried = new Set<number>();
  const inUse = errorIs(EC2_ERROR_CODES.ipAddressInUse);
  const attempt = async (n: number) => {
    // After a taken address: re-read the subnet, it changed.
    if (n > 0) seen = await rereadSubnet(ec2, seen, subnet);
    const { used, pending } = subnetView(group, seen, config, subnet);
    if (!pending.includes(instanceId)) {
      // A concurrent delivery of this event created it meanwhile.
      const mine = ownEnis(seen, config, instanceId, subnet)[0];
      if (mine) return { eni: mine, attempts: n, seen };
    }
    const pick = pickWorkerAddress({ block: workers, used, tried, pending, self: instanceId, attempt: n, random: deps.random });
    if (pick.ip === undefined) {
      throw new LaunchFailure(
        `the worker block ${intToIp(workers.first)}-${intToIp(workers.last)} of ${subnet.id} has no free address (${workers.last - workers.first + 1} address${workers.last === workers.first ? "" : "es"}, all in use${tried.size ? ` or taken while trying` : ""}); raise nodeGroup.maxSize or multus.workerHeadroom, or let the sweep delete orphaned ENIs`,
      );
    }
    // Dual-stack: the IPv6 address at the same offset of the IPv6 worker block, in the same
    // call, so the ENI never exists with one family only; either address taken fails the pair.
    const w6 = subnet.ipv6?.workers;
    const ipv6 = w6 ? { Ipv6Addresses: [{ Ipv6Address: bigToIp6(ipv6WorkerAddress(workers, w6, pick.ip)) }] } : subnet.ipv6 ? { Ipv6AddressCount: 1 } : {};
    try {
      const out = await ec2.send(new CreateNetworkInterfaceCommand({ ...base, PrivateIpAddress: intToIp(pick.ip), ...ipv6 }));
      progress.created.push(out.NetworkInterface!.NetworkInterfaceId!);
      return { eni: out.NetworkInterface!, attempts: n + 1, seen };
    } catch (err) {
      if (inUse(err)) tried.add(pick.ip);
      throw err;
    }
  };
  try {
    // A concurrent launch took the address: back off, re-read, pick again (ipAttempts in all).
    return await retry(attempt, { retryOn: inUse, attempts: config.ipAttempts, budgetMs: untilDeadline(deps), baseMs: 50 }, deps);
  } catch (err) {
    if (err instanceof LaunchFailure && tried.size > 0) {
      // The block is used up, and an address this delivery lost may be on the ENI a concurrent
      // delivery of this event made for this instance, which its reads did not show yet: adopt
      // that one rather than ABANDON a launch the other delivery completes.
      const twin = await twinEni(deps, instanceId, subnet, seen);
      if (twin) return { ...twin, attempts: 0 };
      // Meanwhile an address may have come free (a losing delivery deletes its spare): one
      // more round of picks on a fresh read.
      if (round === 0) return createEni(deps, instanceId, subnet, group, await rereadSubnet(ec2, seen, subnet), progress, 1);
    }
    if (!inUse(err)) throw err;
    const last = [...tried].pop()!;
    throw new LaunchFailure(`${config.ipAttempts} addresses of the worker block of ${subnet.id} were taken by concurrent launches (last ${intToIp(last)}); giving up`);
  }
}

/**
 * The AZ's view with one subnet read again. The rest stays: the next subnet's pick and its
 * search for an earlier delivery's ENI need it.
 */
async function rereadSubnet(ec2: Ec2, seen: NetworkInterface[], subnet: LambdaSubnet): Promise<NetworkInterface[]> {
  const fresh = await describeNetworkInterfaces(ec2, { Filters: [{ Name: "subnet-id", Values: [subnet.id] }] });
  return [...seen.filter((e) => !inSubnet(e, subnet)), ...fresh];
}

/**
 * The ENI another delivery made for the instance in `subnet`, re-reading the subnet a few
 * times (reads lag writes); `seen` comes back with this subnet's part replaced.
 */
async function twinEni(deps: LaunchDeps, instanceId: string, subnet: LambdaSubnet, seenIn: NetworkInterface[]): Promise<{ eni: NetworkInterface; seen: NetworkInterface[] } | undefined> {
  return retry(
    async () => {
      const seen = await rereadSubnet(deps.ec2, seenIn, subnet);
      const eni = ownEnis(seen, deps.config, instanceId, subnet)[0];
      return eni ? { eni, seen } : undefined;
    },
    { ...ATTACHED_AT_READS(deps), again: (r) => r === undefined },
    deps,
  );
}

/** Deletes an ENI; gone already is fine. */
export async function deleteQuietly(ec2: Ec2, eniId: string): Promise<boolean> {
  try {
    await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    return true;
  } catch (err) {
    if (errorCode(err) === EC2_ERROR_CODES.networkInterfaceNotFound) return false;
    throw err;
  }
}

/**
 * Takes an ENI of a launch that did not go on out of the way without ever detaching it (a
 * detach takes seconds and drops DeleteOnTermination, so a detached ENI would outlive its
 * instance with its address): an `available` one is deleted; an attached one gets
 * DeleteOnTermination, and EC2 deletes it with the instance (EC2 user guide, "Elastic network
 * interfaces"). A read that has not caught up with an attach is found out by the delete
 * (InvalidNetworkInterface.InUse), and the ENI is read again until its attachment shows.
 * Resolves to what was done.
 */
export async function retireEni(deps: Pick<LaunchDeps, "ec2" | "sleep" | "random" | "now" | "deadline">, eni: NetworkInterface, instanceId: string): Promise<"deleted" | "protected" | "gone" | "left"> {
  const id = eni.NetworkInterfaceId!;
  const attachment = eni.Attachment;
  if (attachment?.InstanceId && attachment.InstanceId !== instanceId) return "left"; // another instance's: not ours to touch
  if (!attachment || eni.Status === "available") {
    try {
      return (await deleteQuietly(deps.ec2, id)) ? "deleted" : "gone";
    } catch (err) {
      if (errorCode(err) !== EC2_ERROR_CODES.networkInterfaceInUse) throw err;
    }
  }
  const current =
    attachment?.AttachmentId
      ? eni
      : await retry(
          async () => (await describeNetworkInterfaces(deps.ec2, { NetworkInterfaceIds: [id] }))[0],
          { retryOn: errorIs(EC2_ERROR_CODES.networkInterfaceNotFound), again: (e) => !e?.Attachment?.AttachmentId, budgetMs: Math.min(30_000, untilDeadline(deps)), baseMs: 500, capMs: 5000 },
          deps,
        );
  const att = current?.Attachment;
  if (!att?.AttachmentId || att.InstanceId !== instanceId) return "left";
  if (att.DeleteOnTermination === true) return "protected";
  try {
    await deps.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: id, Attachment: { AttachmentId: att.AttachmentId, DeleteOnTermination: true } }));
  } catch (err) {
    // Deleted meanwhile: EC2 takes an instance's ENIs with it as it terminates.
    if (errorCode(err) === EC2_ERROR_CODES.networkInterfaceNotFound) return "gone";
    throw err;
  }
  return "protected";
}
