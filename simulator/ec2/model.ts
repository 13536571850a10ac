import type {
  AssignIpv6AddressesCommandInput,
  AssignIpv6AddressesCommandOutput,
  AssignPrivateIpAddressesCommandInput,
  AssignPrivateIpAddressesCommandOutput,
  AttachNetworkInterfaceCommandInput,
  AttachNetworkInterfaceCommandOutput,
  CreateNetworkInterfaceCommandInput,
  CreateNetworkInterfaceCommandOutput,
  CreateSubnetCidrReservationCommandInput,
  CreateSubnetCidrReservationCommandOutput,
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DeleteNetworkInterfaceCommandInput,
  DeleteNetworkInterfaceCommandOutput,
  DeleteSubnetCidrReservationCommandInput,
  DeleteSubnetCidrReservationCommandOutput,
  DescribeInstanceTypesCommandInput,
  DescribeInstanceTypesCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribeSubnetsCommandInput,
  DescribeSubnetsCommandOutput,
  DetachNetworkInterfaceCommandInput,
  DetachNetworkInterfaceCommandOutput,
  GetSubnetCidrReservationsCommandInput,
  GetSubnetCidrReservationsCommandOutput,
  Instance,
  ModifyNetworkInterfaceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandOutput,
  NetworkInterface,
  UnassignIpv6AddressesCommandInput,
  UnassignIpv6AddressesCommandOutput,
  UnassignPrivateIpAddressesCommandInput,
  UnassignPrivateIpAddressesCommandOutput,
} from "@aws-sdk/client-ec2";
import { Subnet, intToIp, isAwsReserved, isIpv4, ipToInt, parseCidr, parseSubnet } from "../../contract/address";
import { Subnet6, bigToIp6, ip6ToBig, isIpv6, overlaps6, parseCidr6, parseSubnet6, rangeInside6 } from "../../contract/address6";
import { instanceLimits } from "../../ipam/capacity";
import { PlanError } from "../../contract/errors";
import { Ec2Error } from "./errors";
import { decodeToken, encodeToken, eniFilter, instanceFilter, matchFilters, reservationFilter, subnetFilter } from "./filters";
import { LaggedStore, Stamp } from "./lagged-store";
import type { AttachmentRecord, EniRecord, InstanceRecord } from "./records";
import { EXPLICIT, NOT_RESERVED, PREFIX, ReservationRecord, SubnetState } from "./subnet-state";
import { Reservation6Record, Subnet6State } from "./subnet6-state";
import { eniView, instanceView, metadata, reservationView, subnetView, tagList, tagsFromSpecs } from "./views";
import { Rng, randomInt, seededRandom } from "../rng";
import { DiscreteClock, SimClock } from "../clock";
import { Bucket, TimingProfile, draw, timingProfile } from "../timing";

export { Ec2Error } from "./errors";

/**
 * How DHCP picks a free address. AWS does not document the order, so nothing may depend on
 * it: `random` (seeded, the default), `lowest`, or `adversarial` (the free address most likely
 * to collide with someone assigning fixed addresses: the lowest or the highest free one,
 * where static worker blocks and end-of-subnet pod blocks sit).
 */
export type DhcpPolicy = "random" | "lowest" | "adversarial";
export const DHCP_POLICIES: readonly DhcpPolicy[] = ["random", "lowest", "adversarial"];

/** One SDK-shaped call as the model saw it (for fault decisions). */
export interface Ec2CallInfo {
  readonly op: string;
  /** 0-based index of this call among all SDK calls the model has served. */
  readonly index: number;
}

export interface Ec2Faults {
  /**
   * Throttling: a probability (0..1) per SDK call, or a function deciding per call. A
   * throttled call throws `RequestLimitExceeded` and changes nothing.
   * @default 0
   */
  readonly throttle?: number | ((call: Ec2CallInfo) => boolean);
  /**
   * Eventual consistency: DescribeNetworkInterfaces may answer from the state up to this many
   * model steps (SDK calls) ago, each read picking its lag at random. EC2 documents that
   * Describe* results are eventually consistent
   * (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
   * @default 0
   */
  readonly consistencyLag?: number;
  /**
   * The same for DescribeInstances: a just-launched instance may be missing from reads
   * ("InvalidInstanceID.NotFound" right after launch is the documented example). Separate
   * from `consistencyLag` so ENI lag can be tested alone.
   * @default 0
   */
  readonly instanceLag?: number;
  /**
   * AttachNetworkInterface to an instance refuses this many times per instance with
   * `IncorrectInstanceState`, as EC2 answers for an instance not yet in a state that takes the
   * operation (errors-overview: "The instance is not in the correct state for this
   * operation"). EC2 does not document when a launching instance first takes an ENI.
   * @default 0
   */
  readonly attachRefusals?: number;
}

export interface Ec2ModelOptions extends Ec2Faults {
  /** Seed for DHCP picks, throttling and lag. @default 1 */
  readonly seed?: number;
  /** The run's clock, shared with the other models. @default a DiscreteClock of its own (time moves by `advance`) */
  readonly clock?: SimClock;
  /** Latencies, lags and token buckets. @default the `instant` profile */
  readonly timing?: TimingProfile;
  /** Wall-clock time (epoch ms) of simulated time 0, for launch and attach times. @default 0 */
  readonly epochMs?: number;
  /** @default "random" */
  readonly dhcp?: DhcpPolicy;
  /** @default "us-west-2" */
  readonly region?: string;
  /** @default "123456789012" */
  readonly accountId?: string;
  /** @default "vpc-0c0ffee0c0ffee001" */
  readonly vpcId?: string;
}

/**
 * An attachment's change as the instance's guest sees it: the ENI appears once `attached`, and
 * goes when its detach starts or the instance ends. Not an AWS API: what the simulator's host
 * models (kernel hot-plug) follow.
 */
export interface AttachmentChange {
  readonly status: "attached" | "detaching";
  readonly eniId: string;
  readonly instanceId: string;
  readonly deviceIndex: number;
  readonly subnetId: string;
  readonly mac: string;
}

/** An address held by a live interface, with who holds it. */
export interface LiveAddress {
  /** Dotted quad, or an IPv6 address in EC2's text form (`ipv6`). */
  readonly ip: string;
  readonly subnetId: string;
  readonly eniId: string;
  /** The ENI's primary IPv4 address (IPv6 addresses are never primary here). */
  readonly primary: boolean;
  /** An IPv6 address of a dual-stack subnet. */
  readonly ipv6?: true;
  /** Instance the ENI is attached to, if any. */
  readonly instanceId?: string;
  readonly deviceIndex?: number;
  readonly tags: Record<string, string>;
}

function hexId(prefix: string, n: number): string {
  return `${prefix}-${n.toString(16).padStart(17, "0")}`;
}

/**
 * An in-memory EC2: subnets with their AWS-reserved addresses and CIDR reservations,
 * instances, ENIs and their addresses. Methods named after the SDK v3 commands take the
 * command's input and resolve to its output; errors are `Ec2Error`s carrying AWS's codes.
 *
 * Documented AWS behaviour it follows:
 * - Every subnet reserves its first four addresses and the last
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 * - Subnet CIDR reservations: `explicit` addresses are never auto-assigned but may be assigned
 *   by hand; `prefix` ones are for prefix delegation. Creating one does not unassign addresses
 *   already in use; reservations in a VPC may not overlap
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html). The
 *   overlap message is as observed in hashicorp/terraform-provider-aws#45304.
 * - Error codes and messages: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 * - ENI limit and IPv4 per ENI per instance type: ipam/eni-limits.json (DescribeInstanceTypes data).
 *
 * - Describe* results are eventually consistent
 *   (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html): DescribeInstances
 *   and DescribeNetworkInterfaces answer from an older state, by the timing profile's read lag
 *   (simulated ms) and by the `consistencyLag` / `instanceLag` faults (model steps).
 * - Time (simulated, from the timing profile; sources in simulator/timing.ts): an instance is
 *   `pending` for a while after launch and refuses AttachNetworkInterface for part of it
 *   (IncorrectInstanceState or InvalidInstanceID, both observed); attachments go `attaching` →
 *   `attached` and `detaching` → gone; a detach request drops DeleteOnTermination (the ENI
 *   outlives the instance); a token bucket per API action throttles with RequestLimitExceeded
 *   (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html).
 * - Instance types with several network cards limit ENIs per card
 *   (DescribeInstanceTypes NetworkInfo.NetworkCards[].MaximumNetworkInterfaces).
 * - An AWS-reserved address requested by hand: InvalidParameterValue "Address X is in
 *   subnet's reserved address range" (observed wording; AWS's error table has no code for it).
 *
 * - Dual-stack subnets (an IPv6 /64 beside the IPv4 CIDR): AWS reserves the first four and
 *   the last IPv6 address too (same page); CreateNetworkInterface takes `Ipv6Addresses` or
 *   `Ipv6AddressCount`, not both (EC2 API reference, CreateNetworkInterface);
 *   AssignIpv6Addresses has no AllowReassignment and an ENI takes as many IPv6 addresses as
 *   IPv4 ones (AssignIpv6Addresses); CIDR reservations take IPv6 CIDRs
 *   (CreateSubnetCidrReservation). The /64 is held sparsely (subnet6-state.ts).
 *
 * Modelling choices where AWS documents nothing: assigning an address inside a `prefix`
 * reservation by hand is refused (InvalidParameterValue); DHCP order is a policy;
 * AvailableIpAddressCount ignores reservations; terminated instances stay describable;
 * `terminateInstance` removes DeleteOnTermination ENIs at once (the Auto Scaling model puts a
 * shutdown delay before it). IPv6 (assumed): the errors for an address given by hand are the
 * IPv4 ones (InvalidIPAddress.InUse when another interface holds it, InvalidParameterValue for
 * an AWS-reserved one or one outside the /64); assigning one that another ENI holds is
 * Resource.AlreadyAssigned (IPv4's answer without AllowReassignment); too many on an attached
 * ENI is PrivateIpAddressLimitExceeded; DHCP picks follow the IPv4 policy (random, lowest, or
 * the free addresses beside reservations); a foreign interface in a dual-stack subnet gets one
 * IPv6 address, as a subnet that assigns IPv6 on creation gives it.
 */
export class Ec2Model {
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  private dhcp: DhcpPolicy;
  private faults: Required<Ec2Faults>;
  private readonly rng: Rng;
  private readonly subnets = new Map<string, SubnetState>();
  private readonly enis = new Map<string, EniRecord>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly attachments = new Map<string, string>(); // attachment id → ENI id
  private readonly reservations = new Map<string, ReservationRecord>();
  private readonly reservations6 = new Map<string, Reservation6Record>();
  private ids = 0;
  private callIndex = 0;
  /** The run's simulated clock. */
  readonly clock: SimClock;
  private timingProfile: TimingProfile;
  /** Wall-clock time (epoch ms) of simulated time 0. */
  readonly epochMs: number;
  /** Token buckets by action (and `:unfiltered`), with their level and when it was last refilled. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Model step: advances on every SDK call (the unit of the faults' consistency lag). */
  private step = 0;
  /** ENI and instance views after each write, for lagged reads (kept only with lag > 0). */
  private readonly eniHistory = new LaggedStore<NetworkInterface>();
  private readonly instanceHistory = new LaggedStore<Instance>();
  /** Attach refusals served per instance (fault `attachRefusals`). */
  private readonly attachRefused = new Map<string, number>();
  /** SDK calls served, by operation (throttled calls included). */
  readonly calls = new Map<string, number>();
  /** Every DetachNetworkInterface the model accepted: which ENI, from which instance, when (simulated ms). */
  readonly detachLog: { readonly eniId: string; readonly instanceId: string; readonly at: number }[] = [];
  /** Every termination: when, and the ENIs attached at that moment that outlived it (not deleted with it). */
  readonly terminationLog: { readonly instanceId: string; readonly at: number; readonly survivors: { readonly eniId: string; readonly subnetId: string; readonly ip: string }[] }[] = [];

  private readonly attachmentWatchers = new Set<(c: AttachmentChange) => void>();

  constructor(opts: Ec2ModelOptions = {}) {
    this.region = opts.region ?? "us-west-2";
    this.accountId = opts.accountId ?? "123456789012";
    this.vpcId = opts.vpcId ?? "vpc-0c0ffee0c0ffee001";
    this.dhcp = opts.dhcp ?? "random";
    this.rng = seededRandom(opts.seed ?? 1);
    this.clock = opts.clock ?? new DiscreteClock(opts.seed ?? 1);
    this.timingProfile = opts.timing ?? timingProfile("instant");
    this.epochMs = opts.epochMs ?? 0;
    this.faults = { throttle: opts.throttle ?? 0, consistencyLag: opts.consistencyLag ?? 0, instanceLag: opts.instanceLag ?? 0, attachRefusals: opts.attachRefusals ?? 0 };
  }

  // ---------------------------------------------------------------- simulator helpers

  /** Changes fault injection from now on (e.g. a fault schedule). */
  setFaults(faults: Ec2Faults): void {
    const before = this.faults;
    this.faults = { ...this.faults, ...faults };
    // History from an earlier lag setting would be stale: start afresh.
    if (this.faults.consistencyLag !== before.consistencyLag) this.eniHistory.clear();
    if (this.faults.instanceLag !== before.instanceLag) this.instanceHistory.clear();
  }

  /** Calls `fn` on every attachment change from now on (AttachmentChange); returns the unsubscribe. */
  watchAttachments(fn: (c: AttachmentChange) => void): () => void {
    this.attachmentWatchers.add(fn);
    return () => this.attachmentWatchers.delete(fn);
  }

  private notifyAttachment(status: AttachmentChange["status"], eni: EniRecord, att: AttachmentRecord): void {
    for (const fn of this.attachmentWatchers) fn({ status, eniId: eni.id, instanceId: att.instanceId, deviceIndex: att.deviceIndex, subnetId: eni.subnetId, mac: eni.mac });
  }

  /** Now, as a wall-clock time (launch and attach times). */
  wallTime(): Date {
    return new Date(this.epochMs + this.clock.now());
  }

  /** The timing profile in force. */
  get timing(): TimingProfile {
    return this.timingProfile;
  }

  /** Changes the timing profile from now on (a world set up at leisure, then run under `aws`, say). */
  setTiming(timing: TimingProfile): void {
    this.timingProfile = timing;
  }

  setDhcpPolicy(policy: DhcpPolicy): void {
    this.dhcp = policy;
  }

  get dhcpPolicy(): DhcpPolicy {
    return this.dhcp;
  }

  /**
   * Adds a subnet (IPv4 /16../28, canonical; with `ipv6Cidr`, a dual-stack one with that /64)
   * to `vpcId` (default the model's VPC). Subnets of a VPC may not overlap.
   */
  addSubnet(input: { cidr: string; id?: string; availabilityZone: string; vpcId?: string; ipv6Cidr?: string }): { subnetId: string; cidr: string } {
    const subnet = parseSubnet(input.cidr, "cidr");
    const vpcId = input.vpcId ?? this.vpcId;
    let id = input.id;
    while (id === undefined || (input.id === undefined && this.subnets.has(id))) id = hexId("subnet", ++this.ids);
    if (this.subnets.has(id)) throw new PlanError("id", `subnet ${id} already exists`, "give each subnet its own id");
    for (const other of this.subnets.values()) {
      if (other.vpcId === vpcId && other.subnet.base <= subnet.last && subnet.base <= other.subnet.last) {
        throw new PlanError("cidr", `${subnet.cidr} overlaps ${other.id} (${other.subnet.cidr})`, "subnets of a VPC may not overlap");
      }
    }
    const state = new SubnetState(id, subnet, input.availabilityZone, vpcId);
    if (input.ipv6Cidr !== undefined) {
      const v6 = parseSubnet6(input.ipv6Cidr, "ipv6Cidr");
      for (const other of this.subnets.values()) {
        if (other.vpcId === vpcId && other.v6 && overlaps6(other.v6.subnet, v6)) throw new PlanError("ipv6Cidr", `${v6.cidr} overlaps ${other.id} (${other.v6.subnet.cidr})`, "subnets of a VPC may not overlap");
      }
      state.v6 = new Subnet6State(v6);
    }
    this.subnets.set(id, state);
    return { subnetId: id, cidr: subnet.cidr };
  }

  /**
   * Launches an instance with its primary ENI (device 0, DeleteOnTermination) in `subnetId`,
   * addressed by DHCP unless `privateIpAddress` is given. Not an SDK call: no faults.
   */
  launchInstance(input: {
    instanceType: string;
    subnetId: string;
    privateIpAddress?: string;
    tags?: Record<string, string>;
    securityGroupIds?: string[];
    /** More ENIs the launch itself attaches (a launch template's interfaces, say), DHCP-addressed. */
    interfaces?: readonly { subnetId: string; deviceIndex: number; networkCardIndex?: number }[];
  }): {
    instanceId: string;
    primaryEniId: string;
    privateIpAddress: string;
  } {
    const limits = instanceLimits(input.instanceType, "instanceType");
    const subnet = this.subnet(input.subnetId);
    const id = hexId("i", ++this.ids);
    const eni = this.newEni(subnet, input.privateIpAddress, undefined, "Primary network interface", input.securityGroupIds ?? [], new Map());
    const pendingMs = draw(this.timing.pendingMs, this.rng);
    const now = this.clock.now();
    const inst: InstanceRecord = {
      id,
      instanceType: input.instanceType,
      limits,
      availabilityZone: subnet.availabilityZone,
      subnetId: subnet.id,
      state: pendingMs > 0 ? "pending" : "running",
      launchTime: this.wallTime(),
      tags: new Map(Object.entries(input.tags ?? {})),
      primaryEniId: eni.id,
      refuseAttachUntil: pendingMs > 0 ? now + Math.round(pendingMs * drawShare(this.timing.attachRefusedShare, this.rng)) : now,
      runningAt: now + pendingMs,
    };
    this.instances.set(id, inst);
    this.attach(eni, inst, 0, 0, true, "attached");
    for (const n of input.interfaces ?? []) {
      const extra = this.newEni(this.subnet(n.subnetId), undefined, undefined, "launch interface", [], new Map());
      this.attach(extra, inst, n.deviceIndex, n.networkCardIndex ?? 0, true, "attached");
    }
    if (pendingMs > 0) {
      this.clock.setTimer(
        pendingMs,
        () => {
          if (inst.state !== "pending") return;
          inst.state = "running";
          this.recordInstance(id);
        },
        `${id}:running`,
      );
    }
    this.recordInstance(id);
    return { instanceId: id, primaryEniId: eni.id, privateIpAddress: intToIp(eni.primaryIp) };
  }

  /**
   * Simulated ms from which the instance takes AttachNetworkInterface (the end of its refusing
   * share of `pending`, timing profile rows pendingMs and attachRefusedShare); undefined for an
   * unknown id. Not an SDK call: what a benchmark's floor needs to know about the run.
   */
  attachableAt(instanceId: string): number | undefined {
    return this.instances.get(instanceId)?.refuseAttachUntil;
  }

  /** Simulated ms at which the instance is (or was) `running`: its boot starts then. Not an SDK call. */
  runningAt(instanceId: string): number | undefined {
    return this.instances.get(instanceId)?.runningAt;
  }

  /** Puts an instance in `shutting-down`: its ENIs stay attached until `terminateInstance`. */
  beginTermination(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
    if (inst.state !== "terminated") inst.state = "shutting-down";
    this.recordInstance(instanceId);
  }

  /**
   * Terminates an instance: ENIs with DeleteOnTermination are deleted (addresses freed), the
   * others detached and left `available`. Not an SDK call: no faults. Idempotent.
   */
  terminateInstance(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${instanceId}' does not exist`);
    if (inst.state === "terminated") return;
    inst.state = "terminated";
    const survivors: { eniId: string; subnetId: string; ip: string }[] = [];
    for (const eni of [...this.enis.values()]) {
      if (eni.attachment?.instanceId !== instanceId) continue;
      // A detach already asked for ends here, DeleteOnTermination gone with the request: the
      // ENI is left available (assumed: the detach completes with the instance).
      const att = eni.attachment;
      att.timer?.cancel();
      this.attachments.delete(att.id);
      eni.attachment = undefined;
      if (att.deleteOnTermination && att.status !== "detaching") this.removeEni(eni);
      else {
        this.record(eni);
        survivors.push({ eniId: eni.id, subnetId: eni.subnetId, ip: intToIp(eni.primaryIp) });
      }
    }
    this.terminationLog.push({ instanceId, at: this.clock.now(), survivors });
    this.recordInstance(instanceId);
  }

  /** A DHCP-addressed ENI made outside the Lambda (console, another tool). Not an SDK call. */
  addForeignInterface(subnetId: string, tags: Record<string, string> = {}): { eniId: string; ip: string } {
    const subnet = this.subnet(subnetId);
    const eni = this.newEni(subnet, undefined, undefined, "foreign", [], new Map(Object.entries(tags)), subnet.v6 ? [this.dhcpPick6(subnet)] : []);
    return { eniId: eni.id, ip: intToIp(eni.primaryIp) };
  }

  /** Every address on every existing ENI, with its holder. */
  liveAddresses(): LiveAddress[] {
    const out: LiveAddress[] = [];
    for (const eni of this.enis.values()) {
      const base = {
        subnetId: eni.subnetId,
        eniId: eni.id,
        instanceId: eni.attachment?.instanceId,
        deviceIndex: eni.attachment?.deviceIndex,
        tags: Object.fromEntries(eni.tags),
      };
      out.push({ ...base, ip: intToIp(eni.primaryIp), primary: true });
      for (const ip of eni.secondaryIps) out.push({ ...base, ip: intToIp(ip), primary: false });
      for (const ip of eni.ipv6s) out.push({ ...base, ip: bigToIp6(ip), primary: false, ipv6: true });
    }
    return out;
  }

  /** ENI ids (current, not lagged), optionally of one subnet. */
  networkInterfaceIds(subnetId?: string): string[] {
    return [...this.enis.values()].filter((e) => subnetId === undefined || e.subnetId === subnetId).map((e) => e.id);
  }

  /** Current state of one ENI, or undefined when it does not exist. */
  networkInterface(eniId: string): NetworkInterface | undefined {
    const eni = this.enis.get(eniId);
    return eni && this.view(eni);
  }

  /** Current state of one instance as DescribeInstances shows it (not lagged), or undefined. */
  instanceDescription(instanceId: string): Instance | undefined {
    const inst = this.instances.get(instanceId);
    return inst && this.instanceView(inst);
  }

  instanceState(instanceId: string): InstanceRecord["state"] | undefined {
    return this.instances.get(instanceId)?.state;
  }

  instanceIds(): string[] {
    return [...this.instances.keys()];
  }

  subnetIds(): string[] {
    return [...this.subnets.keys()];
  }

  /** Addresses DHCP could still hand out in a subnet. */
  dhcpFreeCount(subnetId: string): number {
    return this.subnet(subnetId).free.total;
  }

  subnetInfo(subnetId: string): { subnet: Subnet; ipv6?: Subnet6; availabilityZone: string; reservations: { cidr: string; type: "explicit" | "prefix" }[] } {
    const s = this.subnet(subnetId);
    return {
      subnet: s.subnet,
      ...(s.v6 ? { ipv6: s.v6.subnet } : {}),
      availabilityZone: s.availabilityZone,
      reservations: [...s.reservations, ...(s.v6?.reservations ?? [])].map((r) => ({ cidr: r.cidr, type: r.type })),
    };
  }

  /** SDK calls served so far. */
  get callCount(): number {
    return this.callIndex;
  }

  // ---------------------------------------------------------------- SDK commands

  async createNetworkInterface(input: CreateNetworkInterfaceCommandInput): Promise<CreateNetworkInterfaceCommandOutput> {
    const requestId = this.enter("CreateNetworkInterface");
    if (!input.SubnetId) throw new Ec2Error("MissingParameter", "The request must contain the parameter subnetId");
    const subnet = this.subnet(input.SubnetId);
    const tags = tagsFromSpecs(input.TagSpecifications, "network-interface");
    let primary = input.PrivateIpAddress;
    const secondaries: string[] = [];
    for (const p of input.PrivateIpAddresses ?? []) {
      if (!p.PrivateIpAddress) continue;
      if (p.Primary) {
        if (primary !== undefined && primary !== p.PrivateIpAddress) {
          throw new Ec2Error("InvalidParameterCombination", "Only one primary private IP address may be given");
        }
        primary = p.PrivateIpAddress;
      } else secondaries.push(p.PrivateIpAddress);
    }
    const count = input.SecondaryPrivateIpAddressCount ?? 0;
    if (count > 0 && secondaries.length > 0) {
      throw new Ec2Error("InvalidParameterCombination", "SecondaryPrivateIpAddressCount cannot be combined with secondary PrivateIpAddresses");
    }
    // Validate every fixed address before taking any, so a failure changes nothing.
    const fixed = [primary, ...secondaries].filter((ip): ip is string => ip !== undefined);
    const parsed = fixed.map((ip) => this.checkFixedAddress(subnet, ip));
    if (new Set(parsed).size !== parsed.length) throw new Ec2Error("InvalidParameterValue", "The same address is given twice");
    if (count > 0 && subnet.free.total < count + (primary === undefined ? 1 : 0)) throw insufficient(subnet);
    const ipv6s = this.requestedIpv6(subnet, input.Ipv6Addresses?.map((a) => a.Ipv6Address ?? ""), input.Ipv6AddressCount);
    const eni = this.newEni(subnet, primary, secondaries, input.Description ?? "", input.Groups ?? [], tags, ipv6s);
    for (let i = 0; i < count; i++) {
      const ip = this.dhcpPick(subnet);
      subnet.take(ip, eni.id);
      eni.secondaryIps.push(ip);
    }
    this.record(eni);
    return { NetworkInterface: this.view(eni), $metadata: metadata(requestId) };
  }

  async attachNetworkInterface(input: AttachNetworkInterfaceCommandInput): Promise<AttachNetworkInterfaceCommandOutput> {
    const requestId = this.enter("AttachNetworkInterface");
    const eni = this.eni(input.NetworkInterfaceId);
    const inst = this.instance(input.InstanceId);
    if (input.DeviceIndex === undefined) throw new Ec2Error("MissingParameter", "The request must contain the parameter deviceIndex");
    const refused = this.attachRefused.get(inst.id) ?? 0;
    if (inst.state !== "running" && inst.state !== "pending") {
      throw new Ec2Error("IncorrectInstanceState", `The instance '${inst.id}' is not in a valid state for this operation.`);
    }
    if (inst.state === "pending" && this.clock.now() < inst.refuseAttachUntil) {
      // Both answers are seen for a pending instance (sources in simulator/timing.ts, attachRefusedShare).
      throw this.rng() < 0.5
        ? new Ec2Error("IncorrectInstanceState", `The instance '${inst.id}' is not in a valid state for this operation (pending-instance-creation).`)
        : new Ec2Error("InvalidInstanceID", `The pending instance '${inst.id}' is not in a valid state for this operation.`);
    }
    if (refused < (this.faults.attachRefusals ?? 0)) {
      this.attachRefused.set(inst.id, refused + 1);
      throw new Ec2Error("IncorrectInstanceState", `The instance '${inst.id}' is not in a valid state for this operation.`);
    }
    const card = this.checkAttach(eni, inst, input.DeviceIndex, input.NetworkCardIndex ?? 0);
    const att = this.attach(eni, inst, input.DeviceIndex, card, false, "attaching");
    return { AttachmentId: att.id, NetworkCardIndex: card, $metadata: metadata(requestId) };
  }

  /**
   * Attaches an ENI as part of its instance's launch (RunInstances' network interfaces):
   * `attached` at once, with AttachNetworkInterface's checks but no refusal of the pending
   * instance. Not an SDK call: no faults.
   */
  attachAtLaunch(input: { eniId: string; instanceId: string; deviceIndex: number; networkCardIndex: number; deleteOnTermination: boolean }): void {
    const eni = this.eni(input.eniId);
    const inst = this.instance(input.instanceId);
    const card = this.checkAttach(eni, inst, input.deviceIndex, input.networkCardIndex);
    this.attach(eni, inst, input.deviceIndex, card, input.deleteOnTermination, "attached");
  }

  async detachNetworkInterface(input: DetachNetworkInterfaceCommandInput): Promise<DetachNetworkInterfaceCommandOutput> {
    const requestId = this.enter("DetachNetworkInterface");
    const eniId = input.AttachmentId ? this.attachments.get(input.AttachmentId) : undefined;
    const eni = eniId ? this.enis.get(eniId) : undefined;
    if (!eni || !eni.attachment) {
      throw new Ec2Error("InvalidAttachmentID.NotFound", `The attachment ID '${input.AttachmentId ?? ""}' does not exist`);
    }
    if (eni.attachment.deviceIndex === 0) {
      throw new Ec2Error("OperationNotPermitted", `The network interface at device index 0 cannot be detached.`);
    }
    const att = eni.attachment;
    if (att.status === "detaching") return { $metadata: metadata(requestId) };
    this.detachLog.push({ eniId: eni.id, instanceId: att.instanceId, at: this.clock.now() });
    att.timer?.cancel();
    // The attachment, and with it DeleteOnTermination, is on its way out.
    att.status = "detaching";
    att.deleteOnTermination = false;
    this.notifyAttachment("detaching", eni, att);
    const done = () => {
      this.attachments.delete(att.id);
      if (eni.attachment === att) eni.attachment = undefined;
      this.record(eni);
      this.recordInstance(att.instanceId);
    };
    const ms = draw(this.timing.detachMs, this.rng);
    if (ms <= 0) done();
    else {
      this.record(eni);
      att.timer = this.clock.setTimer(ms, done, `${eni.id}:detached`);
    }
    return { $metadata: metadata(requestId) };
  }

  /**
   * One attribute per call: "You can specify only one attribute at a time" (EC2 API reference,
   * ModifyNetworkInterfaceAttribute, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyNetworkInterfaceAttribute.html).
   */
  async modifyNetworkInterfaceAttribute(input: ModifyNetworkInterfaceAttributeCommandInput): Promise<ModifyNetworkInterfaceAttributeCommandOutput> {
    const requestId = this.enter("ModifyNetworkInterfaceAttribute");
    const eni = this.eni(input.NetworkInterfaceId);
    const given = (["SourceDestCheck", "Attachment", "Description", "Groups"] as const).filter((k) => input[k] !== undefined);
    if (given.length !== 1) {
      throw new Ec2Error("InvalidParameterCombination", `Specify exactly one attribute to modify; got ${given.length ? given.join(", ") : "none"}`);
    }
    if (input.SourceDestCheck !== undefined) eni.sourceDestCheck = input.SourceDestCheck.Value ?? eni.sourceDestCheck;
    if (input.Groups !== undefined) eni.groups = [...input.Groups];
    if (input.Attachment !== undefined) {
      if (!eni.attachment || eni.attachment.id !== input.Attachment.AttachmentId) {
        throw new Ec2Error("InvalidAttachmentID.NotFound", `The attachment ID '${input.Attachment.AttachmentId ?? ""}' does not exist`);
      }
      // Assumed: EC2 documents no answer for an attachment on its way out.
      if (eni.attachment.status === "detaching") {
        throw new Ec2Error("IncorrectState", `The attachment '${eni.attachment.id}' is detaching.`);
      }
      if (input.Attachment.DeleteOnTermination !== undefined) eni.attachment.deleteOnTermination = input.Attachment.DeleteOnTermination;
    }
    this.record(eni);
    return { $metadata: metadata(requestId) };
  }

  async deleteNetworkInterface(input: DeleteNetworkInterfaceCommandInput): Promise<DeleteNetworkInterfaceCommandOutput> {
    const requestId = this.enter("DeleteNetworkInterface");
    const eni = this.eni(input.NetworkInterfaceId);
    if (eni.attachment) throw new Ec2Error("InvalidNetworkInterface.InUse", `Network interface '${eni.id}' is currently in use.`);
    this.removeEni(eni);
    return { $metadata: metadata(requestId) };
  }

  async describeNetworkInterfaces(input: DescribeNetworkInterfacesCommandInput = {}): Promise<DescribeNetworkInterfacesCommandOutput> {
    const requestId = this.enter("DescribeNetworkInterfaces", unfiltered(input));
    if (input.MaxResults !== undefined) {
      if (input.NetworkInterfaceIds?.length) {
        throw new Ec2Error("InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults");
      }
      if (input.MaxResults < 5 || input.MaxResults > 1000) {
        throw new Ec2Error("InvalidParameterValue", `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
      }
    }
    let all = this.lagged();
    if (input.NetworkInterfaceIds?.length) {
      const wanted = new Set(input.NetworkInterfaceIds);
      for (const id of wanted) {
        if (!all.some((n) => n.NetworkInterfaceId === id)) {
          throw new Ec2Error("InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${id}' does not exist`);
        }
      }
      all = all.filter((n) => wanted.has(n.NetworkInterfaceId!));
    }
    const matched = all.filter((n) => matchFilters(n, input.Filters, eniFilter));
    const start = input.NextToken ? decodeToken(input.NextToken).offset : 0;
    const size = input.MaxResults ?? matched.length;
    const page = matched.slice(start, start + size);
    const next = start + size < matched.length ? encodeToken({ offset: start + size }) : undefined;
    return { NetworkInterfaces: page, NextToken: next, $metadata: metadata(requestId) };
  }

  async describeSubnets(input: DescribeSubnetsCommandInput = {}): Promise<DescribeSubnetsCommandOutput> {
    const requestId = this.enter("DescribeSubnets");
    const ids = input.SubnetIds?.length ? input.SubnetIds : [...this.subnets.keys()];
    const subnets = ids.map((id) => this.subnet(id));
    const out = subnets.map((s) => subnetView(s, this)).filter((s) => matchFilters(s, input.Filters, subnetFilter));
    return { Subnets: out, $metadata: metadata(requestId) };
  }

  /** Lagged like DescribeNetworkInterfaces: a new instance may not be visible at once ("InvalidInstanceID.NotFound"). */
  async describeInstances(input: DescribeInstancesCommandInput = {}): Promise<DescribeInstancesCommandOutput> {
    const requestId = this.enter("DescribeInstances", unfiltered(input));
    let all = this.laggedInstances();
    if (input.InstanceIds?.length) {
      const byId = new Map(all.map((i) => [i.InstanceId!, i]));
      all = input.InstanceIds.map((id) => {
        const i = byId.get(id);
        if (!i) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
        return i;
      });
    }
    const insts = all.filter((i) => matchFilters(i, input.Filters, instanceFilter));
    return {
      Reservations: insts.map((i) => ({ ReservationId: `r-${i.InstanceId!.slice(2)}`, OwnerId: this.accountId, Instances: [i] })),
      $metadata: metadata(requestId),
    };
  }

  async describeInstanceTypes(input: DescribeInstanceTypesCommandInput = {}): Promise<DescribeInstanceTypesCommandOutput> {
    const requestId = this.enter("DescribeInstanceTypes");
    const types = input.InstanceTypes ?? [];
    const unknown = types.filter((t) => {
      try {
        instanceLimits(t);
        return false;
      } catch {
        return true;
      }
    });
    if (unknown.length) throw new Ec2Error("InvalidInstanceType", `The following supplied instance types do not exist: [${unknown.join(", ")}]`);
    return {
      InstanceTypes: types.map((t) => {
        const l = instanceLimits(t);
        return {
          InstanceType: t as never,
          NetworkInfo: {
            // The instance's total across its cards; each card has its own limit.
            MaximumNetworkInterfaces: l.networkCards.reduce((a, b) => a + b, 0),
            MaximumNetworkCards: l.networkCards.length,
            DefaultNetworkCardIndex: 0,
            NetworkCards: l.networkCards.map((n, i) => ({ NetworkCardIndex: i, MaximumNetworkInterfaces: n })),
            Ipv4AddressesPerInterface: l.ipv4PerEni,
          },
        };
      }),
      $metadata: metadata(requestId),
    };
  }

  async createTags(input: CreateTagsCommandInput): Promise<CreateTagsCommandOutput> {
    const requestId = this.enter("CreateTags");
    const targets = (input.Resources ?? []).map((id) => {
      if (id.startsWith("eni-")) return this.eni(id);
      if (id.startsWith("i-")) return this.instance(id);
      throw new Ec2Error("InvalidID", `The ID '${id}' is not valid`);
    });
    for (const t of targets) {
      for (const tag of input.Tags ?? []) if (tag.Key !== undefined) t.tags.set(tag.Key, tag.Value ?? "");
      if ("primaryIp" in t) this.record(t);
      else this.recordInstance(t.id);
    }
    return { $metadata: metadata(requestId) };
  }

  async createSubnetCidrReservation(input: CreateSubnetCidrReservationCommandInput): Promise<CreateSubnetCidrReservationCommandOutput> {
    const requestId = this.enter("CreateSubnetCidrReservation");
    const subnet = this.subnet(input.SubnetId);
    if (input.ReservationType !== "explicit" && input.ReservationType !== "prefix") {
      throw new Ec2Error("InvalidParameterValue", `Value (${String(input.ReservationType)}) for parameter reservationType is invalid. Valid values: prefix, explicit`);
    }
    if (typeof input.Cidr === "string" && input.Cidr.includes(":")) return this.createSubnetCidrReservation6(input, subnet, requestId);
    let range: Subnet;
    try {
      range = parseCidr(input.Cidr, "Cidr");
    } catch {
      throw new Ec2Error("InvalidParameterValue", `Value (${String(input.Cidr)}) for parameter cidr is invalid.`);
    }
    if (range.base < subnet.subnet.base || range.last > subnet.subnet.last) {
      throw new Ec2Error("InvalidParameterValue", `Reservation CIDR ${range.cidr} is not within subnet CIDR ${subnet.subnet.cidr}`);
    }
    for (const r of this.reservations.values()) {
      if (r.first <= range.last && range.base <= r.last) {
        throw new Ec2Error("InvalidParameterValue", `Reservation CIDR ${range.cidr} has overlap with existing reserved CIDR block`);
      }
    }
    const res: ReservationRecord = {
      id: hexId("scr", ++this.ids),
      subnetId: subnet.id,
      cidr: range.cidr,
      first: range.base,
      last: range.last,
      type: input.ReservationType,
      description: input.Description,
      tags: tagList(tagsFromSpecs(input.TagSpecifications, "subnet-cidr-reservation")),
    };
    this.reservations.set(res.id, res);
    subnet.reservations.push(res);
    // Addresses already in use stay assigned; only DHCP eligibility changes.
    subnet.markReserved(res, res.type === "explicit" ? EXPLICIT : PREFIX);
    return { SubnetCidrReservation: reservationView(res, this), $metadata: metadata(requestId) };
  }

  async deleteSubnetCidrReservation(input: DeleteSubnetCidrReservationCommandInput): Promise<DeleteSubnetCidrReservationCommandOutput> {
    const requestId = this.enter("DeleteSubnetCidrReservation");
    const res6 = input.SubnetCidrReservationId ? this.reservations6.get(input.SubnetCidrReservationId) : undefined;
    if (res6) {
      this.reservations6.delete(res6.id);
      this.subnet(res6.subnetId).v6!.removeReservation(res6);
      return { DeletedSubnetCidrReservation: reservationView(res6, this), $metadata: metadata(requestId) };
    }
    const res = input.SubnetCidrReservationId ? this.reservations.get(input.SubnetCidrReservationId) : undefined;
    if (!res) {
      throw new Ec2Error("InvalidSubnetCidrReservationID.NotFound", `The subnet CIDR reservation ID '${input.SubnetCidrReservationId ?? ""}' does not exist`);
    }
    this.reservations.delete(res.id);
    const subnet = this.subnet(res.subnetId);
    subnet.reservations.splice(subnet.reservations.indexOf(res), 1);
    subnet.markReserved(res, NOT_RESERVED);
    return { DeletedSubnetCidrReservation: reservationView(res, this), $metadata: metadata(requestId) };
  }

  async getSubnetCidrReservations(input: GetSubnetCidrReservationsCommandInput): Promise<GetSubnetCidrReservationsCommandOutput> {
    const requestId = this.enter("GetSubnetCidrReservations");
    const subnet = this.subnet(input.SubnetId);
    const list = subnet.reservations
      .map((r) => reservationView(r, this))
      .filter((r) => matchFilters(r, input.Filters, reservationFilter));
    const list6 = (subnet.v6?.reservations ?? []).map((r) => reservationView(r, this)).filter((r) => matchFilters(r, input.Filters, reservationFilter));
    return { SubnetIpv4CidrReservations: list, SubnetIpv6CidrReservations: list6, $metadata: metadata(requestId) };
  }

  /**
   * Adds IPv6 addresses to an ENI of a dual-stack subnet: given ones (`Ipv6Addresses`) or
   * `Ipv6AddressCount` picked by DHCP, not both. No AllowReassignment: an address another ENI
   * holds is refused until that ENI lets it go. Attached, the ENI holds at most as many IPv6
   * addresses as its type's IPv4 per ENI (EC2 API reference, AssignIpv6Addresses).
   */
  async assignIpv6Addresses(input: AssignIpv6AddressesCommandInput): Promise<AssignIpv6AddressesCommandOutput> {
    const requestId = this.enter("AssignIpv6Addresses");
    const eni = this.eni(input.NetworkInterfaceId);
    const subnet = this.subnet(eni.subnetId);
    const wanted = (input.Ipv6Addresses ?? []).map((ip) => this.checkAddress6Shape(subnet, ip));
    const fresh = [...new Set(wanted)].filter((ip) => !eni.ipv6s.includes(ip));
    for (const ip of fresh) {
      if (subnet.v6!.used.has(ip)) {
        throw new Ec2Error(
          "Resource.AlreadyAssigned",
          "The specified private IP address is already assigned to a resource. Unassign the private IP first, or use a different private IP address.",
        );
      }
    }
    const count = input.Ipv6AddressCount ?? 0;
    if (wanted.length && count) throw new Ec2Error("InvalidParameterCombination", "Ipv6Addresses and Ipv6AddressCount cannot be given together");
    const inst = eni.attachment ? this.instances.get(eni.attachment.instanceId) : undefined;
    if (inst && eni.ipv6s.length + fresh.length + count > inst.limits.ipv4PerEni) throw ipLimit(inst);
    const assigned = [...fresh];
    for (let i = 0; i < count; i++) assigned.push(this.dhcpPick6(subnet, assigned));
    for (const ip of assigned) {
      subnet.v6!.take(ip, eni.id);
      eni.ipv6s.push(ip);
    }
    this.record(eni);
    return { NetworkInterfaceId: eni.id, AssignedIpv6Addresses: assigned.map(bigToIp6), $metadata: metadata(requestId) };
  }

  async unassignIpv6Addresses(input: UnassignIpv6AddressesCommandInput): Promise<UnassignIpv6AddressesCommandOutput> {
    const requestId = this.enter("UnassignIpv6Addresses");
    const eni = this.eni(input.NetworkInterfaceId);
    const subnet = this.subnet(eni.subnetId);
    const ips = (input.Ipv6Addresses ?? []).map((ip) => this.checkAddress6Shape(subnet, ip));
    for (const ip of ips) {
      if (!eni.ipv6s.includes(ip)) throw new Ec2Error("InvalidParameterValue", `Some of the specified addresses are not assigned to interface ${eni.id}`);
    }
    for (const ip of ips) {
      eni.ipv6s = eni.ipv6s.filter((x) => x !== ip);
      subnet.v6!.release(ip);
    }
    this.record(eni);
    return { NetworkInterfaceId: eni.id, UnassignedIpv6Addresses: ips.map(bigToIp6), $metadata: metadata(requestId) };
  }

  /**
   * Adds secondary addresses to an ENI. Attached, the ENI holds at most the instance type's
   * IPv4-per-ENI addresses (PrivateIpAddressLimitExceeded). An address held by another ENI
   * moves only with AllowReassignment (else Resource.AlreadyAssigned); a primary never moves.
   */
  async assignPrivateIpAddresses(input: AssignPrivateIpAddressesCommandInput): Promise<AssignPrivateIpAddressesCommandOutput> {
    const requestId = this.enter("AssignPrivateIpAddresses");
    const eni = this.eni(input.NetworkInterfaceId);
    const subnet = this.subnet(eni.subnetId);
    const wanted = input.PrivateIpAddresses ?? [];
    const count = input.SecondaryPrivateIpAddressCount ?? 0;
    if (wanted.length && count) {
      throw new Ec2Error("InvalidParameterCombination", "PrivateIpAddresses and SecondaryPrivateIpAddressCount cannot be given together");
    }
    const ips = wanted.map((ip) => this.checkAddressShape(subnet, ip));
    const fresh = ips.filter((ip) => ip !== eni.primaryIp && !eni.secondaryIps.includes(ip));
    const inst = eni.attachment ? this.instances.get(eni.attachment.instanceId) : undefined;
    if (inst && 1 + eni.secondaryIps.length + fresh.length + count > inst.limits.ipv4PerEni) throw ipLimit(inst);
    for (const ip of fresh) {
      const holder = subnet.used.get(ip);
      if (holder === undefined) continue;
      const other = this.enis.get(holder)!;
      if (other.primaryIp === ip || !input.AllowReassignment) {
        throw new Ec2Error(
          "Resource.AlreadyAssigned",
          "The specified private IP address is already assigned to a resource. Unassign the private IP first, or use a different private IP address.",
        );
      }
    }
    if (count > subnet.free.total) throw insufficient(subnet);
    const assigned: number[] = [];
    for (const ip of fresh) {
      const holder = subnet.used.get(ip);
      if (holder !== undefined) {
        const other = this.enis.get(holder)!;
        other.secondaryIps = other.secondaryIps.filter((x) => x !== ip);
        this.record(other);
      }
      subnet.take(ip, eni.id);
      eni.secondaryIps.push(ip);
      assigned.push(ip);
    }
    for (let i = 0; i < count; i++) {
      const ip = this.dhcpPick(subnet);
      subnet.take(ip, eni.id);
      eni.secondaryIps.push(ip);
      assigned.push(ip);
    }
    this.record(eni);
    return {
      NetworkInterfaceId: eni.id,
      AssignedPrivateIpAddresses: assigned.map((ip) => ({ PrivateIpAddress: intToIp(ip) })),
      $metadata: metadata(requestId),
    };
  }

  async unassignPrivateIpAddresses(input: UnassignPrivateIpAddressesCommandInput): Promise<UnassignPrivateIpAddressesCommandOutput> {
    const requestId = this.enter("UnassignPrivateIpAddresses");
    const eni = this.eni(input.NetworkInterfaceId);
    const subnet = this.subnet(eni.subnetId);
    const ips = (input.PrivateIpAddresses ?? []).map((ip) => this.checkAddressShape(subnet, ip));
    for (const ip of ips) {
      if (ip === eni.primaryIp) throw new Ec2Error("InvalidParameterValue", `The primary private IP address ${intToIp(ip)} cannot be unassigned`);
      if (!eni.secondaryIps.includes(ip)) {
        throw new Ec2Error("InvalidParameterValue", `Some of the specified addresses are not assigned to interface ${eni.id}`);
      }
    }
    for (const ip of ips) {
      eni.secondaryIps = eni.secondaryIps.filter((x) => x !== ip);
      subnet.release(ip);
    }
    this.record(eni);
    return { $metadata: metadata(requestId) };
  }

  // ---------------------------------------------------------------- internals

  /**
   * Counts the call, advances the step, and applies throttling: the fault, then the action's
   * token bucket (the timing profile's; `unfiltered`: a Describe* without filters or paging
   * draws from the smaller bucket). Returns a request id.
   */
  private enter(op: string, unfiltered = false): string {
    const index = this.callIndex++;
    this.step++;
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const requestId = `sim-${index}`;
    const t = this.faults.throttle;
    const throttled = typeof t === "function" ? t({ op, index }) : t > 0 && this.rng() < t;
    const bucket = this.timing.bucket(op, unfiltered);
    if (throttled || (bucket && !this.takeToken(`${op}${unfiltered ? ":unfiltered" : ""}`, bucket))) {
      throw new Ec2Error("RequestLimitExceeded", "Request limit exceeded.", { status: 503, requestId, throttling: true });
    }
    return requestId;
  }

  /** One token from the action's bucket, refilled since its last use (continuously: AWS adds tokens every second). */
  private takeToken(key: string, bucket: Bucket): boolean {
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: bucket.capacity, at: now };
    b.tokens = Math.min(bucket.capacity, b.tokens + ((now - b.at) / 1000) * bucket.refillPerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private subnet(id: string | undefined): SubnetState {
    const s = id === undefined ? undefined : this.subnets.get(id);
    if (!s) throw new Ec2Error("InvalidSubnetID.NotFound", `The subnet ID '${id ?? ""}' does not exist`);
    return s;
  }

  private eni(id: string | undefined): EniRecord {
    const e = id === undefined ? undefined : this.enis.get(id);
    if (!e) throw new Ec2Error("InvalidNetworkInterfaceID.NotFound", `The networkInterface ID '${id ?? ""}' does not exist`);
    return e;
  }

  private instance(id: string | undefined): InstanceRecord {
    const i = id === undefined ? undefined : this.instances.get(id);
    if (!i) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${id ?? ""}' does not exist`);
    return i;
  }

  /** A well-formed address of the subnet that is not AWS-reserved (nor in a prefix reservation). */
  private checkAddressShape(subnet: SubnetState, ip: string): number {
    if (!isIpv4(ip)) throw new Ec2Error("InvalidParameterValue", `Invalid IPv4 address: ${ip}`);
    const n = ipToInt(ip);
    if (!subnet.contains(n)) {
      throw new Ec2Error("InvalidParameterValue", `Address ${ip} does not fall within the subnet's address range`);
    }
    // AWS's five cannot be assigned (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html);
    // errors-overview has no code for asking for one. EC2 answers InvalidParameterValue with this
    // message (wording users report from RunInstances, e.g. "Address 192.168.0.2 is in subnet's
    // reserved address range"; no AWS page documents it). The same answer for a prefix
    // reservation is assumed.
    if (isAwsReserved(subnet.subnet, n) || subnet.reservedKind[subnet.offset(n)] === PREFIX) {
      throw new Ec2Error("InvalidParameterValue", `Address ${ip} is in subnet's reserved address range`);
    }
    return n;
  }

  /** As checkAddressShape, and free: explicit reservations allow assignment by hand. */
  private checkFixedAddress(subnet: SubnetState, ip: string): number {
    const n = this.checkAddressShape(subnet, ip);
    if (subnet.used.has(n)) throw new Ec2Error("InvalidIPAddress.InUse", "The specified IP address is already in use.");
    return n;
  }

  /** An IPv6 CIDR reservation: inside the subnet's /64, clear of every other reservation of the VPC. */
  private createSubnetCidrReservation6(input: CreateSubnetCidrReservationCommandInput, subnet: SubnetState, requestId: string): CreateSubnetCidrReservationCommandOutput {
    let range: Subnet6;
    try {
      range = parseCidr6(input.Cidr, "Cidr");
    } catch {
      throw new Ec2Error("InvalidParameterValue", `Value (${String(input.Cidr)}) for parameter cidr is invalid.`);
    }
    if (!subnet.v6 || !rangeInside6(range, subnet.v6.subnet)) {
      throw new Ec2Error("InvalidParameterValue", `Reservation CIDR ${range.cidr} is not within subnet CIDR ${subnet.v6?.subnet.cidr ?? "(the subnet has no IPv6 CIDR)"}`);
    }
    for (const r of this.reservations6.values()) {
      if (overlaps6(r, range)) throw new Ec2Error("InvalidParameterValue", `Reservation CIDR ${range.cidr} has overlap with existing reserved CIDR block`);
    }
    const res: Reservation6Record = {
      id: hexId("scr", ++this.ids),
      subnetId: subnet.id,
      cidr: range.cidr,
      first: range.first,
      last: range.last,
      type: input.ReservationType as "explicit" | "prefix",
      description: input.Description,
      tags: tagList(tagsFromSpecs(input.TagSpecifications, "subnet-cidr-reservation")),
    };
    this.reservations6.set(res.id, res);
    // Addresses already in use stay assigned; only DHCP eligibility changes.
    subnet.v6.addReservation(res);
    return { SubnetCidrReservation: reservationView(res, this), $metadata: metadata(requestId) };
  }

  /** A well-formed IPv6 address of the subnet's /64, not AWS-reserved nor in a prefix reservation (as checkAddressShape). */
  private checkAddress6Shape(subnet: SubnetState, ip: string): bigint {
    if (!subnet.v6) throw new Ec2Error("InvalidParameterValue", `The subnet ${subnet.id} has no IPv6 CIDR block`);
    if (!isIpv6(ip)) throw new Ec2Error("InvalidParameterValue", `Invalid IPv6 address: ${ip}`);
    const n = ip6ToBig(ip);
    if (!subnet.v6.contains(n)) throw new Ec2Error("InvalidParameterValue", `Address ${ip} does not fall within the subnet's IPv6 address range`);
    if (subnet.v6.isAwsReserved(n) || subnet.v6.reservationOf(n)?.type === "prefix") {
      throw new Ec2Error("InvalidParameterValue", `Address ${ip} is in subnet's reserved address range`);
    }
    return n;
  }

  /** The IPv6 addresses a create asks for (given or a count), checked and free, none taken yet. */
  private requestedIpv6(subnet: SubnetState, given: string[] | undefined, count: number | undefined): bigint[] {
    if (given?.length && count) throw new Ec2Error("InvalidParameterCombination", "Ipv6Addresses and Ipv6AddressCount cannot be given together");
    if (!given?.length && !count) return [];
    const fixed = (given ?? []).map((ip) => this.checkAddress6Shape(subnet, ip));
    for (const ip of fixed) if (subnet.v6!.used.has(ip)) throw new Ec2Error("InvalidIPAddress.InUse", "The specified IP address is already in use.");
    if (new Set(fixed).size !== fixed.length) throw new Ec2Error("InvalidParameterValue", "The same address is given twice");
    const out = [...fixed];
    for (let i = 0; i < (count ?? 0); i++) out.push(this.dhcpPick6(subnet, out));
    return out;
  }

  /** One IPv6 address by the DHCP policy, not in `besides` (picked in the same call). */
  private dhcpPick6(subnet: SubnetState, besides: readonly bigint[] = []): bigint {
    const v6 = subnet.v6;
    if (!v6) throw new Ec2Error("InvalidParameterValue", `The subnet ${subnet.id} has no IPv6 CIDR block`);
    for (const ip of besides) v6.take(ip, "(picking)");
    try {
      const ip = v6.pick(this.dhcp, this.rng);
      if (ip === undefined) throw insufficient(subnet);
      return ip;
    } finally {
      for (const ip of besides) v6.release(ip);
    }
  }

  private dhcpPick(subnet: SubnetState): number {
    const free = subnet.free;
    if (free.total === 0) throw insufficient(subnet);
    let off: number | undefined;
    if (this.dhcp === "lowest") off = free.lowest();
    else if (this.dhcp === "adversarial") off = this.rng() < 0.5 ? free.lowest() : free.highest();
    else off = free.kth(randomInt(this.rng, free.total));
    return subnet.subnet.base + off!;
  }

  private newEni(subnet: SubnetState, primary: string | undefined, secondaries: string[] | undefined, description: string, groups: string[], tags: Map<string, string>, ipv6s: bigint[] = []): EniRecord {
    const fixed = [primary, ...(secondaries ?? [])].filter((x): x is string => x !== undefined).map((ip) => this.checkFixedAddress(subnet, ip));
    const id = hexId("eni", ++this.ids);
    const primaryIp = primary !== undefined ? fixed[0]! : this.dhcpPick(subnet);
    const secondaryIps = primary !== undefined ? fixed.slice(1) : fixed;
    subnet.take(primaryIp, id);
    for (const ip of secondaryIps) subnet.take(ip, id);
    for (const ip of ipv6s) subnet.v6!.take(ip, id);
    const mac = `02:${[1, 2, 3, 4, 5].map((i) => ((this.ids >> (8 * (i % 4))) & 0xff).toString(16).padStart(2, "0")).join(":")}`;
    const eni: EniRecord = { id, subnetId: subnet.id, description, groups: [...groups], primaryIp, secondaryIps, ipv6s: [...ipv6s], tags, sourceDestCheck: true, mac };
    this.enis.set(id, eni);
    this.record(eni);
    return eni;
  }

  /** AttachNetworkInterface's checks of the ENI, the instance's slots and its card's limit; returns the card. */
  private checkAttach(eni: EniRecord, inst: InstanceRecord, deviceIndex: number, card: number): number {
    if (eni.attachment) throw new Ec2Error("InvalidNetworkInterface.InUse", `Interface: [${eni.id}] in use.`);
    const subnet = this.subnet(eni.subnetId);
    if (subnet.availabilityZone !== inst.availabilityZone) {
      throw new Ec2Error(
        "InvalidParameterValue",
        `The network interface ${eni.id} is in availability zone ${subnet.availabilityZone} but instance ${inst.id} is in ${inst.availabilityZone}; they must be in the same availability zone.`,
      );
    }
    // Attaching, attached and detaching interfaces all hold their device index and card slot.
    const attached = [...this.enis.values()].filter((e) => e.attachment?.instanceId === inst.id);
    if (attached.some((e) => e.attachment!.deviceIndex === deviceIndex)) {
      throw new Ec2Error("InvalidParameterValue", `Instance '${inst.id}' already has an interface attached at device index '${deviceIndex}'.`);
    }
    const cardLimit = inst.limits.networkCards[card];
    if (cardLimit === undefined) {
      throw new Ec2Error("InvalidParameterValue", `Network card index ${card} is not valid for ${inst.instanceType}: it has ${inst.limits.networkCards.length} network card(s).`);
    }
    const onCard = attached.filter((e) => e.attachment!.networkCardIndex === card).length;
    if (onCard >= cardLimit) {
      throw new Ec2Error("AttachmentLimitExceeded", `Interface count ${onCard + 1} exceeds the limit of network card ${card} for ${inst.instanceType} (${cardLimit})`);
    }
    if (1 + eni.secondaryIps.length > inst.limits.ipv4PerEni) throw ipLimit(inst);
    return card;
  }

  /** Attaches at once (`attached`: a launch's own interfaces) or after the profile's attach time. */
  private attach(eni: EniRecord, inst: InstanceRecord, deviceIndex: number, networkCardIndex: number, deleteOnTermination: boolean, status: "attaching" | "attached"): AttachmentRecord {
    const ms = status === "attaching" ? draw(this.timing.attachMs, this.rng) : 0;
    const att: AttachmentRecord = {
      id: hexId("eni-attach", ++this.ids),
      instanceId: inst.id,
      deviceIndex,
      networkCardIndex,
      deleteOnTermination,
      attachTime: this.wallTime(),
      status: ms > 0 ? "attaching" : "attached",
    };
    eni.attachment = att;
    this.attachments.set(att.id, eni.id);
    this.record(eni);
    if (ms <= 0) this.notifyAttachment("attached", eni, att);
    else {
      att.timer = this.clock.setTimer(
        ms,
        () => {
          if (att.status !== "attaching") return;
          att.status = "attached";
          att.timer = undefined;
          this.record(eni);
          this.notifyAttachment("attached", eni, att);
        },
        `${eni.id}:attached`,
      );
    }
    return att;
  }

  private removeEni(eni: EniRecord): void {
    const subnet = this.subnet(eni.subnetId);
    subnet.release(eni.primaryIp);
    for (const ip of eni.secondaryIps) subnet.release(ip);
    for (const ip of eni.ipv6s) subnet.v6?.release(ip);
    this.enis.delete(eni.id);
    if (this.lags(this.faults.consistencyLag)) this.eniHistory.push(eni.id, this.stamp(), undefined, this.horizon(this.faults.consistencyLag));
  }

  /** Notes an ENI write (and so a change of its instance's view) for lagged reads. */
  private record(eni: EniRecord): void {
    if (this.lags(this.faults.consistencyLag)) this.eniHistory.push(eni.id, this.stamp(), this.view(eni), this.horizon(this.faults.consistencyLag));
    if (eni.attachment) this.recordInstance(eni.attachment.instanceId);
  }

  private recordInstance(id: string): void {
    const inst = this.instances.get(id);
    if (this.lags(this.faults.instanceLag) && inst) this.instanceHistory.push(id, this.stamp(), this.instanceView(inst), this.horizon(this.faults.instanceLag));
  }

  /** Reads may lag: by the fault's steps, or by the profile's time. */
  private lags(stepLag: number): boolean {
    return stepLag > 0 || this.timing.readLag.probability > 0;
  }

  private stamp(): Stamp {
    return { step: this.step, time: this.clock.now() };
  }

  /** The oldest stamp a read may go back to. */
  private horizon(stepLag: number): Stamp {
    const lag = this.timing.readLag;
    const maxMs = lag.probability > 0 ? Math.max(lag.typicalMs.max, lag.tailProbability > 0 ? lag.tailMs.max : 0) : 0;
    return { step: this.step - stepLag, time: this.clock.now() - maxMs };
  }

  /** What one read sees: up to `stepLag` steps ago (the fault) and a lag drawn from the profile. */
  private cutoff(stepLag: number): Stamp {
    const lag = this.timing.readLag;
    let ms = 0;
    if (lag.probability > 0 && this.rng() < lag.probability) ms = draw(this.rng() < lag.tailProbability ? lag.tailMs : lag.typicalMs, this.rng);
    return { step: this.step - (stepLag > 0 ? randomInt(this.rng, stepLag + 1) : 0), time: this.clock.now() - ms };
  }

  /** All ENIs as a read sees them. */
  private lagged(): NetworkInterface[] {
    const stepLag = this.faults.consistencyLag;
    if (!this.lags(stepLag)) return [...this.enis.values()].map((e) => this.view(e));
    return this.eniHistory.read(this.cutoff(stepLag), this.horizon(stepLag), new Map([...this.enis.values()].map((e) => [e.id, () => this.view(e)])));
  }

  /** All instances as a read sees them. */
  private laggedInstances(): Instance[] {
    const stepLag = this.faults.instanceLag;
    if (!this.lags(stepLag)) return [...this.instances.values()].map((i) => this.instanceView(i));
    return this.instanceHistory.read(this.cutoff(stepLag), this.horizon(stepLag), new Map([...this.instances.values()].map((i) => [i.id, () => this.instanceView(i)])));
  }

  private view(eni: EniRecord): NetworkInterface {
    return eniView(eni, this.subnet(eni.subnetId), this);
  }

  private instanceView(i: InstanceRecord): Instance {
    const attached = [...this.enis.values()].filter((e) => e.attachment?.instanceId === i.id).map((e) => this.view(e));
    return instanceView(i, attached, this.enis.get(i.primaryEniId), { accountId: this.accountId, vpcId: this.subnet(i.subnetId).vpcId });
  }
}

function drawShare(range: { min: number; max: number }, rng: Rng): number {
  return range.max <= range.min ? range.min : range.min + rng() * (range.max - range.min);
}

/** A Describe* without filters or pagination (THROTTLING: the smaller bucket). */
function unfiltered(input: { Filters?: unknown[]; MaxResults?: number; NextToken?: string }): boolean {
  return !input.Filters?.length && input.MaxResults === undefined && input.NextToken === undefined;
}

function insufficient(subnet: SubnetState): Ec2Error {
  return new Ec2Error(
    "InsufficientFreeAddressesInSubnet",
    `The specified subnet ${subnet.id} does not contain enough free private IP addresses to fulfill your request.`,
  );
}

function ipLimit(inst: InstanceRecord): Ec2Error {
  return new Ec2Error(
    "PrivateIpAddressLimitExceeded",
    `You've reached the limit on the number of private IP addresses that you can assign to the specified network interface for that type of instance (${inst.instanceType}: ${inst.limits.ipv4PerEni}).`,
  );
}
