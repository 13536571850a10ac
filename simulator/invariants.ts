import { contains, intToIp, ipToInt, isAwsReserved, isIpv4 } from "../contract/address";
import { Subnet6, contains6, ip6ToBig, ipv6PodSpace, isAwsReserved6, isIpv6, showRange6 } from "../contract/address6";
import type { NetworkPlan } from "../ipam/plan";
import type { AutoScalingModel } from "./autoscaling/model";
import { podBlock6Of, podBlockOf } from "../ipam/plan";
import type { Ec2Model, LiveAddress } from "./ec2/model";

/** A pod's multus address, as the CNI side reports it. */
export interface PodIp {
  /** IPv4, or IPv6 in EC2's text form (a dual-stack network gives a pod one of each). */
  readonly ip: string;
  /** Instance id of the pod's node. */
  readonly node: string;
  /** Subnet id of the multus network. */
  readonly subnet: string;
  readonly name?: string;
}

export type ViolationKind =
  /** Two live holders share an address (worker-worker, worker-pod, pod-pod, foreign-any). */
  | "duplicate-ip"
  | "outside-subnet"
  | "aws-reserved"
  /** A pod address outside its subnet's planned pod block (its node group's, with several). */
  | "pod-outside-block"
  /**
   * A worker ENI of a node group's instance outside that group's part of the subnet: a static
   * group's worker block, or (reservation) the DHCP space. Checked when the instances' groups are known.
   */
  | "worker-outside-block"
  /** A lifecycle action never completed (its heartbeat timeout took the default result). */
  | "incomplete-action"
  /** A lifecycle action still open at the end. */
  | "open-action"
  /** An ENI the allocator made, not attached to anything: left behind by an ABANDON, a failure or a termination. */
  | "leaked-eni"
  /** An ENI still attached to a terminated instance (the model never does this; checked anyway). While an instance shuts down its ENIs stay attached: not a violation. */
  | "eni-on-dead-node"
  /** An InService node without its ENI in a multus subnet of its availability zone, at the wrong device index, or (dual-stack) without an IPv6 address. */
  | "node-missing-eni"
  /** Delivering an already handled event again changed the live addresses. */
  | "replay-changed-state"
  /** An ENI attached to an instance when it terminated was not deleted with it: it keeps its address (a worker address, for static). */
  | "eni-outlived-instance"
  /** An ENI was detached from an instance that ended InService: its node lost a multus interface. */
  | "touched-live-eni"
  /** A lifecycle action completed later than its hook's timeout minus the required margin. */
  | "late-action"
  /** A multus pod's CNI ADD ran on a node whose multus network was not ready (scenario readiness, simulator/scenario/node-readiness.ts). */
  | "pod-before-network"
  /** An InService node still had the startup taint at the end of the run (scenario readiness). */
  | "taint-not-lifted";

export interface Violation {
  readonly kind: ViolationKind;
  readonly detail: string;
  readonly ip?: string;
  /** Who holds the address or resource, e.g. `worker eni-… on i-…`, `pod p1 on i-…`. */
  readonly holders?: string[];
}

/** The Auto Scaling side the invariants read: one group's model, or a fleet whose instances name their plan group. */
export interface InvariantGroups {
  readonly results: AutoScalingModel["results"];
  pending(): ReturnType<AutoScalingModel["pending"]>;
  instances(): { instanceId: string; availabilityZone: string; state: string; planGroup?: string }[];
  lifecycleState(instanceId: string): string | undefined;
}

export interface InvariantInput {
  readonly ec2: Ec2Model;
  readonly asg?: InvariantGroups;
  /** With a plan: pod blocks and the ENI every node needs are checked. */
  readonly plan?: NetworkPlan;
  readonly pods?: readonly PodIp[];
  /** ENIs made outside the allocator (foreign DHCP interfaces): not counted as leaks. */
  readonly foreignEniIds?: ReadonlySet<string>;
  /** Every completed action must leave this much (ms) of its hook's timeout. @default 0 */
  readonly actionMarginMs?: number;
}

type Holder =
  | { kind: "worker" | "foreign" | "primary"; address: LiveAddress }
  | { kind: "pod"; pod: PodIp };

function describe(h: Holder): string {
  if (h.kind === "pod") return `pod${h.pod.name ? ` ${h.pod.name}` : ""} on ${h.pod.node}`;
  const a = h.address;
  return `${h.kind} ${a.eniId}${a.instanceId ? ` on ${a.instanceId}` : ""}${a.primary ? "" : " (secondary)"}`;
}

/**
 * Checks the simulator's state against the properties every scenario must keep (DESIGN.md,
 * "The properties" 1-3): unique addresses across ENIs and pods, addresses inside their subnet
 * and not AWS-reserved, pods inside their block, every lifecycle action completed, and no ENI
 * left behind by an ABANDON or a termination. Returns every violation found (empty = clean).
 */
export function checkInvariants(input: InvariantInput): Violation[] {
  const { ec2, asg, plan } = input;
  const pods = input.pods ?? [];
  const foreign = input.foreignEniIds ?? new Set<string>();
  const out: Violation[] = [];
  const multusSubnets = new Set(plan?.subnets.map((s) => s.id) ?? ec2.subnetIds());
  // The plan group of each instance, when the scenario says (several node groups).
  const groupOf = new Map<string, string>();
  for (const i of asg?.instances() ?? []) if (i.planGroup !== undefined) groupOf.set(i.instanceId, i.planGroup);

  // 1. Unique addresses.
  const byIp = new Map<string, Holder[]>();
  const add = (ip: string, h: Holder) => {
    const list = byIp.get(ip);
    if (list) list.push(h);
    else byIp.set(ip, [h]);
  };
  const live = ec2.liveAddresses();
  for (const a of live) {
    const kind = foreign.has(a.eniId) ? "foreign" : a.deviceIndex === 0 ? "primary" : "worker";
    add(a.ip, { kind, address: a });
  }
  for (const p of pods) add(p.ip, { kind: "pod", pod: p });
  for (const [ip, holders] of byIp) {
    if (holders.length < 2) continue;
    // A pod's address assigned as a secondary IP on its own node's ENI (the node agent's job)
    // is one holder seen twice, not a collision.
    const podHolders = holders.filter((h): h is Extract<Holder, { kind: "pod" }> => h.kind === "pod");
    const rest = holders.filter((h) => {
      if (h.kind === "pod") return true;
      return !(podHolders.length === 1 && !h.address.primary && h.address.instanceId === podHolders[0]!.pod.node);
    });
    if (rest.length < 2) continue;
    const kinds = rest.map((h) => h.kind).sort().join("-");
    out.push({ kind: "duplicate-ip", ip, holders: rest.map(describe), detail: `${ip} is held ${rest.length} times (${kinds}): ${rest.map(describe).join("; ")}` });
  }

  // 2. Inside the subnet, not AWS-reserved.
  const subnetOf = (id: string) => {
    try {
      return ec2.subnetInfo(id).subnet;
    } catch {
      return undefined;
    }
  };
  const subnet6Of = (id: string): Subnet6 | undefined => {
    try {
      return ec2.subnetInfo(id).ipv6;
    } catch {
      return undefined;
    }
  };
  for (const a of live) {
    if (a.ipv6) {
      const s6 = subnet6Of(a.subnetId);
      const n6 = ip6ToBig(a.ip);
      if (!s6 || !contains6(s6, n6)) out.push({ kind: "outside-subnet", ip: a.ip, detail: `${a.ip} on ${a.eniId} is outside the IPv6 CIDR of ${a.subnetId} (${s6?.cidr ?? "none"})` });
      else if (isAwsReserved6(s6, n6)) out.push({ kind: "aws-reserved", ip: a.ip, detail: `${a.ip} on ${a.eniId} is AWS-reserved in ${s6.cidr}` });
      continue;
    }
    const s = subnetOf(a.subnetId)!;
    const n = ipToInt(a.ip);
    if (n < s.base || n > s.last) out.push({ kind: "outside-subnet", ip: a.ip, detail: `${a.ip} on ${a.eniId} is outside ${a.subnetId} (${s.cidr})` });
    else if (isAwsReserved(s, n)) out.push({ kind: "aws-reserved", ip: a.ip, detail: `${a.ip} on ${a.eniId} is AWS-reserved in ${s.cidr}` });
  }
  for (const p of pods.filter((x) => isIpv6(x.ip))) {
    const s6 = subnet6Of(p.subnet);
    const n6 = ip6ToBig(p.ip);
    if (!s6 || !contains6(s6, n6)) {
      out.push({ kind: "outside-subnet", ip: p.ip, detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is outside the IPv6 CIDR of subnet ${p.subnet} (${s6?.cidr ?? "none"})` });
      continue;
    }
    if (isAwsReserved6(s6, n6)) out.push({ kind: "aws-reserved", ip: p.ip, detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is AWS-reserved in ${s6.cidr}` });
    const planned = plan?.subnets.find((x) => x.id === p.subnet);
    const block6 = planned && podBlock6Of(planned, groupOf.get(p.node));
    if (block6 && !contains6(block6, n6)) out.push({ kind: "pod-outside-block", ip: p.ip, detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is outside the IPv6 pod block ${block6.cidr}` });
  }
  for (const p of pods.filter((x) => !isIpv6(x.ip))) {
    const s = subnetOf(p.subnet);
    const n = isIpv4(p.ip) ? ipToInt(p.ip) : NaN;
    if (!s || !(n >= s.base && n <= s.last)) {
      out.push({ kind: "outside-subnet", ip: p.ip, detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is outside subnet ${p.subnet}${s ? ` (${s.cidr})` : " (unknown subnet)"}` });
      continue;
    }
    if (isAwsReserved(s, n)) out.push({ kind: "aws-reserved", ip: p.ip, detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is AWS-reserved in ${s.cidr}` });
    const planned = plan?.subnets.find((x) => x.id === p.subnet);
    const block = planned && podBlockOf(planned, groupOf.get(p.node));
    if (block && !contains(block, n)) {
      out.push({
        kind: "pod-outside-block",
        ip: p.ip,
        detail: `pod ${p.name ?? ""} on ${p.node}: ${p.ip} is outside the pod block ${intToIp(block.first)}-${intToIp(block.last)}`,
      });
    }
  }

  // 3. Lifecycle actions completed, in time; no ENI left behind, none taken from a live node.
  if (asg) {
    const margin = input.actionMarginMs ?? 0;
    for (const r of asg.results) {
      if (r.by === "timeout") {
        out.push({ kind: "incomplete-action", detail: `${r.transition} of ${r.instanceId} was never completed; the heartbeat timeout took ${r.result}` });
      } else if (r.at - r.startedAt > r.timeoutMs - margin) {
        out.push({ kind: "late-action", detail: `${r.transition} of ${r.instanceId} took ${r.at - r.startedAt} ms of its hook's ${r.timeoutMs} ms (required margin ${margin} ms)` });
      }
    }
    for (const d of ec2.detachLog) {
      if (asg.lifecycleState(d.instanceId) === "InService") {
        out.push({ kind: "touched-live-eni", detail: `${d.eniId} was detached from ${d.instanceId} at t=${d.at} ms; the instance ended InService` });
      }
    }
    for (const p of asg.pending()) out.push({ kind: "open-action", detail: `${p.transition} of ${p.instanceId} is still open` });
  }
  for (const t of ec2.terminationLog) {
    for (const e of t.survivors) {
      if (foreign.has(e.eniId) || !multusSubnets.has(e.subnetId)) continue;
      out.push({ kind: "eni-outlived-instance", ip: e.ip, detail: `${e.eniId} (${e.ip}) was attached to ${t.instanceId} when it terminated at t=${t.at} ms and was not deleted with it` });
    }
  }
  for (const id of ec2.networkInterfaceIds()) {
    const eni = ec2.networkInterface(id)!;
    if (foreign.has(id) || !multusSubnets.has(eni.SubnetId!)) continue;
    if (!eni.Attachment) {
      out.push({ kind: "leaked-eni", ip: eni.PrivateIpAddress, detail: `${id} (${eni.PrivateIpAddress}) in ${eni.SubnetId} is attached to nothing` });
    } else if (ec2.instanceState(eni.Attachment.InstanceId!) === "terminated") {
      out.push({ kind: "eni-on-dead-node", ip: eni.PrivateIpAddress, detail: `${id} is attached to terminated ${eni.Attachment.InstanceId}` });
    }
  }
  // 2b. Every worker ENI of a known group inside that group's part of its subnet.
  if (plan && groupOf.size) {
    for (const a of live) {
      const group = a.instanceId ? groupOf.get(a.instanceId) : undefined;
      if (!group || !a.deviceIndex || foreign.has(a.eniId)) continue;
      const s = plan.subnets.find((x) => x.id === a.subnetId);
      if (!s) continue;
      if (a.ipv6 && s.ipv6) {
        // The worker's own IPv6 address: outside the pod space (the node agent's part).
        const n6 = ip6ToBig(a.ip);
        if (contains6(ipv6PodSpace(s.ipv6.subnet), n6)) continue;
        const block6 = s.ipv6.workerBlocks[group];
        const inside6 = block6 ? contains6(block6, n6) : s.ipv6.dhcp.some((r) => contains6(r, n6));
        const where6 = block6 ? `the IPv6 worker block ${block6.cidr} of group ${group}` : `the IPv6 DHCP space of ${s.ipv6.subnet.cidr} (${s.ipv6.dhcp.map(showRange6).join(", ")})`;
        if (!inside6) out.push({ kind: "worker-outside-block", ip: a.ip, detail: `${a.ip} on ${a.eniId} of ${a.instanceId} (group ${group}) is outside ${where6}` });
        continue;
      }
      if (!a.primary) continue;
      const n = ipToInt(a.ip);
      const block = s.workerBlocks[group];
      const where = block ? `the worker block ${intToIp(block.first)}-${intToIp(block.last)} of group ${group}` : `the DHCP space of ${s.subnet.cidr}`;
      const inside = block ? contains(block, n) : s.dhcp.some((r) => contains(r, n));
      if (!inside) out.push({ kind: "worker-outside-block", ip: a.ip, detail: `${a.ip} on ${a.eniId} of ${a.instanceId} (group ${group}) is outside ${where}` });
    }
  }

  if (asg && plan) {
    const enisByInstance = new Map<string, { subnetId: string; deviceIndex: number }[]>();
    const withIpv6 = new Set(live.filter((a) => a.ipv6).map((a) => a.eniId));
    const eniAt = new Map<string, string>();
    for (const a of live) {
      if (!a.primary || !a.instanceId || a.deviceIndex === undefined) continue;
      const list = enisByInstance.get(a.instanceId) ?? [];
      list.push({ subnetId: a.subnetId, deviceIndex: a.deviceIndex });
      enisByInstance.set(a.instanceId, list);
      eniAt.set(`${a.instanceId}/${a.subnetId}`, a.eniId);
    }
    for (const inst of asg.instances()) {
      if (inst.state !== "InService") continue;
      const have = enisByInstance.get(inst.instanceId) ?? [];
      const group = groupOf.get(inst.instanceId);
      for (const s of plan.subnets.filter((x) => x.availabilityZone === inst.availabilityZone && (group === undefined || x.groups.includes(group)))) {
        const eni = have.find((h) => h.subnetId === s.id);
        if (!eni) out.push({ kind: "node-missing-eni", detail: `InService ${inst.instanceId} has no ENI in ${s.id} (${s.subnet.cidr})` });
        else if (eni.deviceIndex !== s.deviceIndex) {
          out.push({ kind: "node-missing-eni", detail: `${inst.instanceId}'s ENI in ${s.id} is at device index ${eni.deviceIndex}, the plan says ${s.deviceIndex}` });
        } else if (s.ipv6 && !withIpv6.has(eniAt.get(`${inst.instanceId}/${s.id}`)!)) {
          out.push({ kind: "node-missing-eni", detail: `InService ${inst.instanceId}'s ENI in dual-stack ${s.id} has no IPv6 address (${s.ipv6.subnet.cidr})` });
        }
      }
    }
  }
  return out;
}

/** One line per violation kind with its count, e.g. `duplicate-ip: 2, leaked-eni: 1`. */
export function summarizeViolations(violations: readonly Violation[]): string {
  const counts = new Map<string, number>();
  for (const v of violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(", ") || "none";
}
