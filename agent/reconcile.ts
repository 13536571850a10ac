import {
  AssignIpv6AddressesCommand,
  AssignPrivateIpAddressesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  Filter,
  NetworkInterface,
  UnassignIpv6AddressesCommand,
  UnassignPrivateIpAddressesCommand,
  paginateDescribeNetworkInterfaces,
} from "@aws-sdk/client-ec2";
import { EC2_ERROR_CODES, errorCode, errorText, isTransientFault } from "../contract/aws-errors";
import { Subnet, ipToInt, parseCidr } from "../contract/address";
import { Subnet6, canonicalIp6, contains6, ip6ToBig, ipv6PodSpace, parseCidr6 } from "../contract/address6";
import { EC2_MAX_RESULTS } from "../contract/paging";
import { ENI_TAG_KEYS } from "../contract/tags";
import { NetworkStatusError, multusIps, multusIps6, networkStatusText, parseNetworkStatus } from "./annotation";
import { AgentPod, KubeApi, PodRef, holdsAddresses } from "./kube";

/** The real SDK client (against AWS, aws-sdk-client-mock, or the simulator): the SDK's paginators take nothing else. */
export type Ec2 = EC2Client;

/** Event reasons the agent posts on pods. */
export const EVENT_REASONS = {
  /** The ENI of the pod's subnet holds as many addresses as the instance type allows. */
  limit: "MultusIpLimitExceeded",
  /** EC2 refused the address (e.g. it is some interface's primary address: an IPAM collision). */
  refused: "MultusIpAssignFailed",
  /** The network-status annotation cannot be read. */
  unreadable: "MultusNetworkStatusUnreadable",
} as const;

/** A multus subnet as the agent needs it: its IPv4 CIDR and, when dual-stack, its IPv6 CIDR. */
export type AgentSubnet = Subnet & { readonly ipv6?: Subnet6 };

/** A multus ENI of this node as the agent sees it. */
export interface NodeEni {
  readonly eniId: string;
  readonly subnetId: string;
  readonly deviceIndex?: number;
  readonly primaryIp: string;
  readonly secondaryIps: readonly string[];
  /** Its IPv6 addresses (canonical text): the worker's own and, in the pod space, pods'. */
  readonly ipv6s: readonly string[];
  /** The MAC address EC2 gave it (the host finds its interface by it). */
  readonly macAddress?: string;
  /** attaching, attached, detaching or detached (EC2 NetworkInterfaceAttachment.Status). */
  readonly attachmentStatus?: string;
}

export interface PodAddress {
  readonly pod: PodRef;
  readonly ip: string;
}

/** What to change on one ENI. */
export interface EniPlan {
  readonly eniId: string;
  readonly subnetId: string;
  /** Secondary addresses the ENI should hold, in priority order. */
  readonly desired: readonly string[];
  readonly assign: readonly string[];
  readonly unassign: readonly string[];
  /** The same for IPv6 pod addresses: those of the subnet's pod space only (ipv6PodSpace). */
  readonly desired6: readonly string[];
  readonly assign6: readonly string[];
  readonly unassign6: readonly string[];
}

export interface NodePlan {
  readonly enis: readonly EniPlan[];
  /** Addresses past the ENI's limit: the pod gets an event, the address is not assigned. */
  readonly overLimit: readonly (PodAddress & { readonly eniId: string; readonly limit?: number })[];
  /** Addresses in none of the node's multus subnets (another network): left alone. */
  readonly outside: readonly PodAddress[];
  /** IPv6 addresses of a multus subnet outside its pod space (a NAD's pool where workers' addresses are): left alone. */
  readonly outsidePodSpace: readonly PodAddress[];
  /** Addresses equal to the ENI's own primary address: an IPAM collision, never assignable. */
  readonly primaryCollisions: readonly (PodAddress & { readonly eniId: string })[];
  /** One address claimed by several live pods of this node: an IPAM collision. */
  readonly duplicates: readonly { readonly ip: string; readonly pods: readonly PodRef[] }[];
  /** Pods whose network-status cannot be read. While there are any, nothing is unassigned. */
  readonly unreadable: readonly { readonly pod: PodRef; readonly error: string }[];
  /** Entries the annotation parser skipped (unspecified, link-local, not an address). */
  readonly skipped: readonly { readonly pod: PodRef; readonly reason: string }[];
}

export interface PlanOptions {
  /**
   * Secondary addresses one ENI may hold: the instance type's IPv4 addresses per ENI minus
   * the primary (ipam `multusPodsPerEni`). Pod IPv6 addresses take the same limit: an ENI takes
   * as many IPv6 addresses as IPv4 ones (EC2 API reference, AssignIpv6Addresses), one being the
   * worker's. Undefined: unknown, EC2 enforces it.
   */
  readonly podsPerEni?: number;
}

/**
 * The pure half of a reconcile: from the node's pods and its multus ENIs, the secondary
 * addresses each ENI should hold and the changes that get it there.
 *
 * - A pod counts while it may hold its addresses (any phase but Succeeded/Failed, terminating
 *   included); its addresses come from its network-status annotation, default network left out.
 * - An address belongs to the ENI whose subnet contains it; other addresses are not ours.
 * - The ENI's primary address is never assigned nor unassigned.
 * - Past the per-ENI limit, addresses already assigned stay (no pod loses routing to a
 *   newcomer), then older pods first; the rest are reported.
 * - A pod with an unreadable annotation might hold any address: nothing is unassigned on the
 *   node until it is readable (a stale assignment is harmless: another node's agent moves it
 *   with AllowReassignment; a wrongly released one cuts a live pod off).
 * - IPv6 (dual-stack subnets): the agent's are the addresses in the subnet's pod space
 *   (ipv6PodSpace, which the plan reserves whole); the ENI's other IPv6 address is the
 *   worker's and is never touched, as the primary IPv4 address.
 */
export function planNode(pods: readonly AgentPod[], enis: readonly NodeEni[], subnets: ReadonlyMap<string, AgentSubnet>, opts: PlanOptions = {}): NodePlan {
  const outside: PodAddress[] = [];
  const outsidePodSpace: PodAddress[] = [];
  const primaryCollisions: (PodAddress & { eniId: string })[] = [];
  const unreadable: { pod: PodRef; error: string }[] = [];
  const skipped: { pod: PodRef; reason: string }[] = [];
  const claims = new Map<string, { pod: AgentPod; eni: NodeEni }[]>();
  const claims6 = new Map<string, { pod: AgentPod; eni: NodeEni }[]>();

  const live = pods.filter(holdsAddresses).sort(podOrder);
  for (const pod of live) {
    let ips: string[];
    let ips6: string[];
    try {
      const status = parseNetworkStatus(networkStatusText(pod.annotations));
      for (const reason of status.skipped) skipped.push({ pod: ref(pod), reason });
      ips = multusIps(status);
      ips6 = multusIps6(status);
    } catch (err) {
      if (!(err instanceof NetworkStatusError)) throw err;
      unreadable.push({ pod: ref(pod), error: err.message });
      continue;
    }
    for (const ip of ips) {
      const eni = eniFor(ip, enis, subnets);
      if (!eni) outside.push({ pod: ref(pod), ip });
      else if (eni.primaryIp === ip) primaryCollisions.push({ pod: ref(pod), ip, eniId: eni.eniId });
      else claims.set(ip, [...(claims.get(ip) ?? []), { pod, eni }]);
    }
    for (const ip of ips6) {
      const eni = eni6For(ip, enis, subnets);
      if (!eni) outside.push({ pod: ref(pod), ip });
      else if (!inPodSpace(ip, subnets.get(eni.subnetId)!)) outsidePodSpace.push({ pod: ref(pod), ip });
      else claims6.set(ip, [...(claims6.get(ip) ?? []), { pod, eni }]);
    }
  }

  const duplicates = [...claims.entries(), ...claims6.entries()]
    .filter(([, c]) => new Set(c.map((x) => x.pod.uid)).size > 1)
    .map(([ip, c]) => ({ ip, pods: c.map((x) => ref(x.pod)) }));

  const overLimit: (PodAddress & { eniId: string; limit: number })[] = [];
  // Claims on one ENI, one per address, in pod order (oldest first); those it holds first, up to the limit.
  const keep = (eni: NodeEni, from: Map<string, { pod: AgentPod; eni: NodeEni }[]>, current: ReadonlySet<string>): string[] => {
    const wanted = [...from.entries()].filter(([, c]) => c[0]!.eni.eniId === eni.eniId).map(([ip, c]) => ({ ip, pod: c[0]!.pod }));
    const ordered = [...wanted.filter((w) => current.has(w.ip)), ...wanted.filter((w) => !current.has(w.ip))];
    const limit = opts.podsPerEni;
    const kept = limit === undefined ? ordered : ordered.slice(0, Math.max(0, limit));
    if (limit !== undefined) for (const w of ordered.slice(kept.length)) overLimit.push({ pod: ref(w.pod), ip: w.ip, eniId: eni.eniId, limit });
    return kept.map((w) => w.ip);
  };
  const plans: EniPlan[] = [];
  for (const eni of enis) {
    const current = new Set(eni.secondaryIps);
    const desired = keep(eni, claims, current);
    const desiredSet = new Set(desired);
    const subnet = subnets.get(eni.subnetId);
    const current6 = new Set(eni.ipv6s);
    const desired6 = keep(eni, claims6, current6);
    const desired6Set = new Set(desired6);
    plans.push({
      eniId: eni.eniId,
      subnetId: eni.subnetId,
      desired,
      assign: desired.filter((ip) => !current.has(ip)),
      unassign: unreadable.length ? [] : eni.secondaryIps.filter((ip) => !desiredSet.has(ip) && ip !== eni.primaryIp),
      desired6,
      assign6: desired6.filter((ip) => !current6.has(ip)),
      unassign6: unreadable.length || !subnet ? [] : eni.ipv6s.filter((ip) => !desired6Set.has(ip) && inPodSpace(ip, subnet)),
    });
  }
  return { enis: plans, overLimit, outside, outsidePodSpace, primaryCollisions, duplicates, unreadable, skipped };
}

/** True when an IPv6 address lies in the pod space of a dual-stack subnet. */
function inPodSpace(ip: string, subnet: AgentSubnet): boolean {
  return subnet.ipv6 !== undefined && contains6(ipv6PodSpace(subnet.ipv6), ip6ToBig(ip));
}

/** The node's ENI for an IPv6 address: the one whose subnet's IPv6 CIDR contains it (the lowest device index if several). */
function eni6For(ip: string, enis: readonly NodeEni[], subnets: ReadonlyMap<string, AgentSubnet>): NodeEni | undefined {
  const n = ip6ToBig(ip);
  const inSubnet = enis.filter((e) => {
    const s = subnets.get(e.subnetId)?.ipv6;
    return s !== undefined && contains6(s, n);
  });
  return inSubnet.find((e) => e.ipv6s.includes(ip)) ?? [...inSubnet].sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0))[0];
}

/** The node's ENI for an address: the one whose subnet contains it (the lowest device index if several). */
function eniFor(ip: string, enis: readonly NodeEni[], subnets: ReadonlyMap<string, AgentSubnet>): NodeEni | undefined {
  const n = ipToInt(ip);
  const inSubnet = enis.filter((e) => {
    const s = subnets.get(e.subnetId);
    return s !== undefined && n >= s.base && n <= s.last;
  });
  return inSubnet.find((e) => e.secondaryIps.includes(ip)) ?? [...inSubnet].sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0))[0];
}

function podOrder(a: AgentPod, b: AgentPod): number {
  return cmp(a.createdAt, b.createdAt) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.uid, b.uid);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ref(p: PodRef): PodRef {
  return { namespace: p.namespace, name: p.name, uid: p.uid };
}

// ------------------------------------------------------------------------------ EC2 side

/** Which ENIs are ours: attached to this instance and tagged by the node group. */
export interface EniSelector {
  readonly instanceId: string;
  /** @default ENI_TAG_KEYS.nodeGroup ("multus.eks.amazonaws.com/node-group") */
  readonly tagKey?: string;
  /** Only ENIs whose tag has this value. @default any value */
  readonly tagValue?: string;
}

/**
 * The node's multus ENIs: DescribeNetworkInterfaces filtered by attachment and tag, every
 * page. The primary ENI (device 0) is left out even if tagged: its addresses belong to the
 * VPC CNI.
 */
export async function describeNodeEnis(ec2: Ec2, sel: EniSelector): Promise<NodeEni[]> {
  const key = sel.tagKey ?? ENI_TAG_KEYS.nodeGroup;
  const Filters: Filter[] = [
    { Name: "attachment.instance-id", Values: [sel.instanceId] },
    sel.tagValue !== undefined ? { Name: `tag:${key}`, Values: [sel.tagValue] } : { Name: "tag-key", Values: [key] },
  ];
  const out: NodeEni[] = [];
  for await (const page of paginateDescribeNetworkInterfaces({ client: ec2, pageSize: EC2_MAX_RESULTS }, { Filters })) {
    for (const n of page.NetworkInterfaces ?? []) {
      const eni = toNodeEni(n);
      if (eni && eni.deviceIndex !== 0) out.push(eni);
    }
  }
  return out.sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0) || cmp(a.eniId, b.eniId));
}

export function toNodeEni(n: NetworkInterface): NodeEni | undefined {
  if (!n.NetworkInterfaceId || !n.SubnetId || !n.PrivateIpAddress) return undefined;
  const secondaries = (n.PrivateIpAddresses ?? []).filter((p) => !p.Primary && p.PrivateIpAddress && p.PrivateIpAddress !== n.PrivateIpAddress).map((p) => p.PrivateIpAddress!);
  return {
    eniId: n.NetworkInterfaceId,
    subnetId: n.SubnetId,
    ...(n.Attachment?.DeviceIndex !== undefined ? { deviceIndex: n.Attachment.DeviceIndex } : {}),
    primaryIp: n.PrivateIpAddress,
    secondaryIps: [...new Set(secondaries)],
    ipv6s: [...new Set((n.Ipv6Addresses ?? []).flatMap((a) => (a.Ipv6Address ? [canonicalIp6(a.Ipv6Address)] : [])))],
    ...(n.MacAddress ? { macAddress: n.MacAddress.toLowerCase() } : {}),
    ...(n.Attachment?.Status ? { attachmentStatus: n.Attachment.Status } : {}),
  };
}

/**
 * CIDRs of the given subnets, from the cache or one DescribeSubnets call: the IPv4 CIDR and
 * the associated IPv6 CIDR, if any (a subnet's CIDRs never change; the plan names them).
 */
export async function subnetCidrs(ec2: Ec2, subnetIds: readonly string[], cache: Map<string, AgentSubnet>): Promise<Map<string, AgentSubnet>> {
  const missing = [...new Set(subnetIds)].filter((id) => !cache.has(id));
  if (missing.length) {
    const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: missing }));
    for (const s of out.Subnets ?? []) {
      if (!s.SubnetId || !s.CidrBlock) continue;
      const v6 = s.Ipv6CidrBlockAssociationSet?.find((a) => a.Ipv6CidrBlock && a.Ipv6CidrBlockState?.State === "associated")?.Ipv6CidrBlock;
      cache.set(s.SubnetId, { ...parseCidr(s.CidrBlock, `subnet ${s.SubnetId} CidrBlock`), ...(v6 ? { ipv6: parseCidr6(v6, `subnet ${s.SubnetId} Ipv6CidrBlock`) } : {}) });
    }
  }
  return new Map(subnetIds.filter((id) => cache.has(id)).map((id) => [id, cache.get(id)!]));
}

export type LogLine = Record<string, unknown> & { msg: string; level?: "info" | "warn" | "error" };

/** State an agent keeps between reconciles. Losing it (a restart) is safe: it is only a cache. */
export interface AgentMemory {
  readonly subnets: Map<string, AgentSubnet>;
  /** Events posted and steady conditions logged (keyed by pod uid first), so each happens once per agent run. */
  readonly events: Set<string>;
}

export function newAgentMemory(): AgentMemory {
  return { subnets: new Map(), events: new Set() };
}

export interface ReconcileDeps extends EniSelector {
  readonly ec2: Ec2;
  readonly kube: KubeApi;
  readonly nodeName: string;
  readonly podsPerEni?: number;
  readonly memory: AgentMemory;
  readonly log?: (line: LogLine) => void;
}

export interface ReconcileResult {
  readonly plan: NodePlan;
  /** The node's multus ENIs as this round read them (for the readiness check). */
  readonly enis: readonly NodeEni[];
  /** Addresses (of either family) assigned and unassigned by this round. */
  readonly assigned: readonly { eniId: string; ip: string }[];
  readonly unassigned: readonly { eniId: string; ip: string }[];
  /**
   * IPv6 addresses EC2 refused because another ENI still holds them: a pod's address moving
   * from another node, whose agent has yet to unassign it (IPv6 has no AllowReassignment).
   * The round asks to run again soon (IPV6_MOVE_RETRY_MS).
   */
  readonly waiting: readonly { eniId: string; ip: string }[];
  /** Failures of single ENIs or addresses; the next round retries them. */
  readonly errors: readonly string[];
}

/**
 * One level-triggered round for a node: read the node's pods and multus ENIs, plan, then
 * per ENI unassign what no live pod holds (freeing slots first) and assign what live pods
 * hold, with AllowReassignment so an address that moved with its pod leaves the old node's
 * ENI (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssignPrivateIpAddresses.html).
 * The same page says moving an address is asynchronous and Describe* results are eventually
 * consistent: a round may act on a stale view, so every call is safe to repeat or to have
 * refused, and the next round starts again from a fresh read.
 * Reading the pods or ENIs failing throws (nothing was changed); a failure on one ENI is
 * reported and the others proceed. Pods past the limit and refused addresses get an event.
 */
export async function reconcileNode(deps: ReconcileDeps): Promise<ReconcileResult> {
  const log = deps.log ?? (() => undefined);
  const { pods, enis, plan } = await readNode(deps);
  const applied = await applyPlan(deps.ec2, plan, ownerIndex(pods));
  logRound(deps.memory, log, plan, applied);
  await postEvents(deps, log, podEvents(plan, applied));
  return { plan, enis, assigned: applied.assigned, unassigned: applied.unassigned, waiting: applied.waiting.map(({ eniId, ip }) => ({ eniId, ip })), errors: applied.errors };
}

/**
 * How soon a round that found a pod's IPv6 address still on another ENI runs again: the old
 * node's agent unassigns it within its debounce of the old pod's deletion, so the address is
 * unrouted for about that plus this (instead of a whole sync period).
 */
export const IPV6_MOVE_RETRY_MS = 2000;

/** Reads the node's pods and multus ENIs (and their subnets' CIDRs) and plans; forgets events of pods that are gone. */
async function readNode(deps: ReconcileDeps): Promise<{ pods: AgentPod[]; enis: NodeEni[]; plan: NodePlan }> {
  const pods = await deps.kube.listPods(deps.nodeName);
  // Forget events of pods that are gone, so the memory stays as small as the node's pod list.
  const uids = new Set(pods.map((p) => p.uid));
  for (const key of deps.memory.events) if (!uids.has(key.slice(0, key.indexOf("/")))) deps.memory.events.delete(key);
  const enis = await describeNodeEnis(deps.ec2, deps);
  const subnets = await subnetCidrs(
    deps.ec2,
    enis.map((e) => e.subnetId),
    deps.memory.subnets,
  );
  return { pods, enis, plan: planNode(pods, enis, subnets, { podsPerEni: deps.podsPerEni }) };
}

/** What applying a plan did. */
interface Applied {
  readonly assigned: { eniId: string; ip: string }[];
  readonly unassigned: { eniId: string; ip: string }[];
  readonly errors: string[];
  /** Addresses EC2 refused, with the pod claiming each. */
  readonly refused: (PodAddress & { eniId: string; error: string })[];
  /** EC2 said PrivateIpAddressLimitExceeded (the limit was not known, or something else holds slots). */
  readonly lateOverLimit: (PodAddress & { eniId: string; limit?: number })[];
  /** IPv6 addresses another ENI still holds (a move not finished): assigned by a later round. */
  readonly waiting: (PodAddress & { eniId: string })[];
}

/** The calls that change one family's addresses on an ENI. IPv6 has no AllowReassignment (EC2 API reference, AssignIpv6Addresses). */
interface FamilyCalls {
  readonly assign: (ec2: Ec2, eniId: string, ips: string[]) => Promise<unknown>;
  readonly unassign: (ec2: Ec2, eniId: string, ips: string[]) => Promise<unknown>;
  /** Refusals that mean "another ENI holds it": wait for its agent instead of reporting. */
  readonly heldElsewhere: readonly string[];
}

const IPV4_CALLS: FamilyCalls = {
  assign: (ec2, eniId, ips) => ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: ips, AllowReassignment: true })),
  unassign: (ec2, eniId, ips) => ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: ips })),
  // With AllowReassignment a secondary address moves; what is still refused (another ENI's primary) is a real collision.
  heldElsewhere: [],
};

const IPV6_CALLS: FamilyCalls = {
  assign: (ec2, eniId, ips) => ec2.send(new AssignIpv6AddressesCommand({ NetworkInterfaceId: eniId, Ipv6Addresses: ips })),
  unassign: (ec2, eniId, ips) => ec2.send(new UnassignIpv6AddressesCommand({ NetworkInterfaceId: eniId, Ipv6Addresses: ips })),
  // EC2 documents no code for an IPv6 address on another ENI; both it uses for addresses taken are read so.
  heldElsewhere: [EC2_ERROR_CODES.resourceAlreadyAssigned, EC2_ERROR_CODES.ipAddressInUse],
};

/**
 * Per ENI and family (IPv4, then IPv6): unassigns first (freeing slots), then assigns; a
 * failure on one ENI is recorded and the others proceed.
 */
async function applyPlan(ec2: Ec2, plan: NodePlan, owner: ReadonlyMap<string, PodRef>): Promise<Applied> {
  const out: Applied = { assigned: [], unassigned: [], errors: [], refused: [], lateOverLimit: [], waiting: [] };
  for (const e of plan.enis) {
    try {
      for (const [calls, drop, add] of [[IPV4_CALLS, e.unassign, e.assign], [IPV6_CALLS, e.unassign6, e.assign6]] as const) {
        if (drop.length) {
          const done = await unassign(ec2, calls, e.eniId, drop, out.errors);
          out.unassigned.push(...done.map((ip) => ({ eniId: e.eniId, ip })));
        }
        if (!add.length) continue;
        const result = await assign(ec2, calls, e.eniId, add, out.errors);
        out.assigned.push(...result.done.map((ip) => ({ eniId: e.eniId, ip })));
        const claimed = (ip: string, then: (pod: PodRef) => void) => {
          const pod = owner.get(ip);
          if (pod) then(pod);
        };
        for (const ip of result.overLimit) claimed(ip, (pod) => out.lateOverLimit.push({ pod, ip, eniId: e.eniId }));
        for (const ip of result.waiting) claimed(ip, (pod) => out.waiting.push({ pod, ip, eniId: e.eniId }));
        for (const r of result.refused) claimed(r.ip, (pod) => out.refused.push({ pod, ip: r.ip, eniId: e.eniId, error: r.error }));
      }
    } catch (err) {
      out.errors.push(`${e.eniId}: ${errorText(err)}`);
    }
  }
  return out;
}

/** Logs the round's changes and failures; steady conditions once per pod and agent run, not every round. */
function logRound(memory: AgentMemory, log: (line: LogLine) => void, plan: NodePlan, applied: Applied): void {
  for (const a of applied.assigned) log({ msg: "assigned", eni: a.eniId, ip: a.ip });
  for (const u of applied.unassigned) log({ msg: "unassigned", eni: u.eniId, ip: u.ip });
  const once = (pod: PodRef, what: string) => {
    const key = `${pod.uid}/log:${what}`;
    if (memory.events.has(key)) return false;
    memory.events.add(key);
    return true;
  };
  for (const o of plan.outside) if (once(o.pod, `outside:${o.ip}`)) log({ msg: "address outside the node's multus subnets: ignored", pod: name(o.pod), ip: o.ip });
  for (const o of plan.outsidePodSpace) {
    if (once(o.pod, `outside-pod-space:${o.ip}`)) log({ level: "warn", msg: "IPv6 address outside its subnet's pod space (where the plan's NADs hand them out): not assigned", pod: name(o.pod), ip: o.ip });
  }
  for (const w of applied.waiting) if (once(w.pod, `waiting:${w.ip}`)) log({ msg: "IPv6 address still on another ENI (moving from another node): assigning it once that node's agent has released it", pod: name(w.pod), ip: w.ip });
  for (const s of plan.skipped) if (once(s.pod, `skipped:${s.reason}`)) log({ msg: "network-status entry skipped", pod: name(s.pod), reason: s.reason });
  for (const d of plan.duplicates) if (once(d.pods[0]!, `duplicate:${d.ip}`)) log({ level: "warn", msg: "address claimed by several pods (IPAM collision)", ip: d.ip, pods: d.pods.map(name) });
  for (const err of applied.errors) log({ level: "warn", msg: "EC2 change failed; retried next round", error: err });
}

/** A Warning event for a pod; `key` tells apart events of one reason. */
interface PodEvent {
  readonly pod: PodRef;
  readonly reason: string;
  readonly key: string;
  readonly message: string;
}

/** The events the round owes pods: past the limit, refused or colliding addresses, unreadable annotations. */
function podEvents(plan: NodePlan, applied: Applied): PodEvent[] {
  const events: PodEvent[] = [];
  for (const o of [...plan.overLimit, ...applied.lateOverLimit]) {
    events.push({
      pod: o.pod,
      reason: EVENT_REASONS.limit,
      key: o.ip,
      message: `Multus address ${o.ip} is not routable: ENI ${o.eniId} already holds ${o.limit === undefined ? "all the" : `the ${o.limit}`} secondary addresses its instance type allows. Schedule the pod on another node or use an instance type with more IPv4 addresses per ENI (see the plan's multus pods per ENI).`,
    });
  }
  for (const c of plan.primaryCollisions) {
    events.push({ pod: c.pod, reason: EVENT_REASONS.refused, key: c.ip, message: `Multus address ${c.ip} is the primary address of ENI ${c.eniId}: the pod IPAM range overlaps worker addresses.` });
  }
  for (const r of applied.refused) {
    events.push({ pod: r.pod, reason: EVENT_REASONS.refused, key: r.ip, message: `EC2 refused to assign multus address ${r.ip} to ENI ${r.eniId}: ${r.error}` });
  }
  for (const u of plan.unreadable) {
    events.push({ pod: u.pod, reason: EVENT_REASONS.unreadable, key: "", message: `${u.error}; the node agent cannot route this pod's multus addresses and releases none on this node until it is fixed.` });
  }
  return events;
}

/** Logs and posts each event once per agent run; a failed post is tried again next round. */
async function postEvents(deps: ReconcileDeps, log: (line: LogLine) => void, events: readonly PodEvent[]): Promise<void> {
  for (const ev of events) {
    const key = `${ev.pod.uid}/${ev.reason}/${ev.key}`;
    if (deps.memory.events.has(key)) continue;
    log({ level: "warn", msg: ev.message, pod: name(ev.pod), reason: ev.reason });
    try {
      await deps.kube.createEvent(ev.pod, ev.reason, ev.message, "Warning");
      deps.memory.events.add(key);
    } catch (err) {
      log({ level: "warn", msg: "posting an event failed", pod: name(ev.pod), error: errorText(err) });
    }
  }
}

/** The pod of each multus address (the oldest, if several claim it). */
function ownerIndex(pods: readonly AgentPod[]): Map<string, PodRef> {
  const out = new Map<string, PodRef>();
  for (const pod of pods.filter(holdsAddresses).sort(podOrder)) {
    try {
      const status = parseNetworkStatus(networkStatusText(pod.annotations));
      for (const ip of [...multusIps(status), ...multusIps6(status)]) if (!out.has(ip)) out.set(ip, ref(pod));
    } catch {
      // Unreadable: reported by the plan.
    }
  }
  return out;
}

function name(p: PodRef): string {
  return `${p.namespace}/${p.name}`;
}

/**
 * Unassigns addresses of one family from an ENI: one call, or address by address when the
 * batch is refused (a stale read may list an address that already moved away). Returns those
 * unassigned. A throttle or server fault fails the whole ENI, for the next round, rather than
 * address by address.
 */
async function unassign(ec2: Ec2, calls: FamilyCalls, eniId: string, ips: readonly string[], errors: string[]): Promise<string[]> {
  try {
    await calls.unassign(ec2, eniId, [...ips]);
    return [...ips];
  } catch (err) {
    if (isTransientFault(err)) throw err;
    if (ips.length === 1) {
      errors.push(`${eniId} unassign ${ips[0]}: ${errorText(err)}`);
      return [];
    }
  }
  const done: string[] = [];
  for (const ip of ips) {
    try {
      await calls.unassign(ec2, eniId, [ip]);
      done.push(ip);
    } catch (err) {
      if (isTransientFault(err)) throw err;
      errors.push(`${eniId} unassign ${ip}: ${errorText(err)}`);
    }
  }
  return done;
}

/**
 * Assigns addresses of one family in priority order (IPv4 with AllowReassignment): one call,
 * or address by address when the batch is refused, so one bad address (another ENI's primary,
 * the limit reached, an IPv6 address another ENI still holds) does not hold back the others. A
 * throttle or server fault fails the whole ENI, as in `unassign`.
 */
async function assign(
  ec2: Ec2,
  calls: FamilyCalls,
  eniId: string,
  ips: readonly string[],
  errors: string[],
): Promise<{ done: string[]; overLimit: string[]; waiting: string[]; refused: { ip: string; error: string }[] }> {
  try {
    await calls.assign(ec2, eniId, [...ips]);
    return { done: [...ips], overLimit: [], waiting: [], refused: [] };
  } catch (err) {
    if (isTransientFault(err)) throw err;
  }
  const out = { done: [] as string[], overLimit: [] as string[], waiting: [] as string[], refused: [] as { ip: string; error: string }[] };
  for (const ip of ips) {
    try {
      await calls.assign(ec2, eniId, [ip]);
      out.done.push(ip);
    } catch (err) {
      if (isTransientFault(err)) throw err;
      const code = errorCode(err);
      if (code === EC2_ERROR_CODES.privateIpAddressLimitExceeded) out.overLimit.push(ip);
      else if (calls.heldElsewhere.includes(code)) out.waiting.push(ip);
      else {
        out.refused.push({ ip, error: errorText(err) });
        errors.push(`${eniId} assign ${ip}: ${errorText(err)}`);
      }
    }
  }
  return out;
}
