// A whole simulated account: the EC2 model with the world around it (VPCs, security groups,
// launch templates, images) and the Auto Scaling groups, on one simulated clock; and the
// world a multus config describes, as the AWS stack would leave it.
import { intToIp, overlaps, parseCidr } from "../contract/address";
import { DEFAULT_HOOKS, TRANSITIONS, defaultAutoScalingGroupName } from "../contract/lifecycle";
import type { MultusConfig } from "../ipam/config";
import { asShorthand } from "../ipam/cluster-config";
import type { NetworkPlan } from "../ipam/plan";
import { AutoScalingService } from "./autoscaling/service";
import type { LifecycleEvent } from "./autoscaling/model";
import { DhcpPolicy, Ec2Model } from "./ec2/model";
import { Ec2World, PUBLIC_IMAGE } from "./ec2/world";
import type { Operations } from "./operations";
import { DiscreteClock, SimClock } from "./clock";
import { TimingName, TimingProfile, timingProfile, withoutThrottling } from "./timing";

export interface SimWorldOptions {
  /** @default 1 */
  readonly seed?: number;
  /** @default "random" */
  readonly dhcp?: DhcpPolicy;
  /**
   * Every latency, lag and bucket of the models (simulator/timing.ts). Under `instant` a
   * terminated instance is gone at once (fast tests); under `aws` it shuts down for the
   * profile's shutdownMs first. @default "instant"
   */
  readonly timing?: TimingName | TimingProfile;
  /**
   * The world's clock. @default a DiscreteClock (time moves by `advance`, or while someone
   * sleeps on it); `multus-sim serve` gives a WallClock
   */
  readonly clock?: SimClock;
  /** @default "us-west-2" */
  readonly region?: string;
  /** @default "123456789012" */
  readonly accountId?: string;
  /** The account's first VPC. @default vpc-0c0ffee0c0ffee001, 10.0.0.0/16 */
  readonly vpc?: { readonly id: string; readonly cidr: string };
  /** Wall-clock time (epoch ms) of simulated time 0. @default Date.now() */
  readonly epochMs?: number;
  /** Every lifecycle-action event of every group, in order. */
  readonly onEvent?: (event: LifecycleEvent) => void;
}

export class SimWorld {
  readonly ec2: Ec2Model;
  readonly ec2World: Ec2World;
  readonly autoscaling: AutoScalingService;
  readonly ec2Operations: Operations;
  readonly autoScalingOperations: Operations;
  readonly timing: TimingProfile;
  readonly clock: SimClock;
  readonly epochMs: number;

  constructor(opts: SimWorldOptions = {}) {
    this.timing = typeof opts.timing === "object" ? opts.timing : timingProfile(opts.timing ?? "instant");
    this.epochMs = opts.epochMs ?? Date.now();
    const seed = opts.seed ?? 1;
    this.clock = opts.clock ?? new DiscreteClock(seed);
    this.ec2 = new Ec2Model({
      seed,
      dhcp: opts.dhcp ?? "random",
      clock: this.clock,
      timing: this.timing,
      epochMs: this.epochMs,
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.accountId ? { accountId: opts.accountId } : {}),
      ...(opts.vpc ? { vpcId: opts.vpc.id } : {}),
    });
    // `instant`: gone at once; `aws`: the profile's shutdown (drawn per instance).
    const shutdown = this.timing.name === "instant" ? { terminationDelayMs: 0 } : {};
    this.ec2World = new Ec2World(this.ec2, { vpcCidr: opts.vpc?.cidr ?? "10.0.0.0/16", seed: seed + 2, ...shutdown });
    this.ec2World.addImage(PUBLIC_IMAGE);
    this.autoscaling = new AutoScalingService(this.ec2World, { seed: seed + 1, epochMs: this.epochMs, ...shutdown, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    this.ec2Operations = this.ec2World.operations();
    this.autoScalingOperations = this.autoscaling.operations();
  }

  /** Simulated ms since the world began. */
  get now(): number {
    return this.clock.now();
  }

  /** Moves the simulated clock by `ms`: timeouts fire, attachments and shutdowns end, groups refill. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }
}

/** An address block of `prefix` inside `vpc` that overlaps none of `taken`, lowest first. */
function freeBlock(vpc: string, prefix: number, taken: { first: number; last: number }[]): string | undefined {
  const outer = parseCidr(vpc, "vpc.cidr");
  const size = 2 ** (32 - prefix);
  for (let base = outer.base; base + size - 1 <= outer.last; base += size) {
    const block = { first: base, last: base + size - 1 };
    if (!taken.some((t) => overlaps(t, block))) return `${intToIp(base)}/${prefix}`;
  }
  return undefined;
}

/**
 * What the AWS stack of `config` leaves in an account, with the config's ids and names: the
 * VPC; the node group's primary subnets (the config names only their ids: each gets a free
 * /24, or the largest free block down to /28, in the VPC, in the multus subnets' availability
 * zones in turn); the multus subnets; the plan's explicit CIDR reservations; the cluster's and
 * the multus ENIs' security groups; the AMI; the launch template; and the Auto Scaling group
 * with its launch and terminate hooks at the node group module's defaults, at the config's
 * sizes. The Lambda environment the stack writes for the config works against it unchanged.
 */
export async function buildConfigWorld(world: SimWorld, given: MultusConfig, plan: NetworkPlan): Promise<{ autoScalingGroupName: string }> {
  // One Auto Scaling group: a config with several node groups is refused, saying so.
  const config = asShorthand(given, "multus-sim serve --config");
  const { ec2World } = world;
  const taken = config.multus.subnets.map((s) => {
    const c = parseCidr(s.cidr, "cidr");
    return { first: c.base, last: c.last };
  });
  const zones = [...new Set(config.multus.subnets.map((s) => s.availabilityZone))];
  config.nodeGroup.subnetIds.forEach((id, i) => {
    const cidr = [24, 25, 26, 27, 28].map((p) => freeBlock(config.vpc.cidr, p, taken)).find((c) => c !== undefined);
    if (!cidr) throw new Error(`vpc.cidr ${config.vpc.cidr} has no room for node subnet ${id} beside the multus subnets`);
    const c = parseCidr(cidr, "cidr");
    taken.push({ first: c.base, last: c.last });
    ec2World.addSubnet({ id, cidr, availabilityZone: zones[i % zones.length]!, tags: new Map([["Name", `${config.cluster.name}-nodes-${i + 1}`]]) });
  });
  for (const s of config.multus.subnets) {
    ec2World.addSubnet({ id: s.id, cidr: s.cidr, availabilityZone: s.availabilityZone, ...(s.ipv6Cidr !== undefined ? { ipv6Cidr: s.ipv6Cidr } : {}), tags: new Map([["Name", `${config.cluster.name}-multus-${s.cidr}`]]) });
  }
  // The stack creates its reservations at leisure (Terraform waits throttles out): no buckets for them.
  const timing = world.ec2.timing;
  world.ec2.setTiming(withoutThrottling(timing));
  try {
    for (const s of plan.subnets) {
      for (const r of [...s.reservations, ...(s.ipv6?.reservations ?? [])]) {
        await world.ec2.createSubnetCidrReservation({ SubnetId: s.id, Cidr: r.cidr, ReservationType: "explicit", Description: `multus ${r.purpose} (${s.strategy})` });
      }
    }
  } finally {
    world.ec2.setTiming(timing);
  }
  ec2World.addSecurityGroup({ id: config.cluster.securityGroupId, name: `eks-cluster-sg-${config.cluster.name}`, description: "EKS cluster security group" });
  config.multus.securityGroupIds.forEach((id, i) => {
    if (id !== config.cluster.securityGroupId) ec2World.addSecurityGroup({ id, name: `${config.cluster.name}-multus-${i + 1}`, description: "multus ENIs" });
  });
  ec2World.addImage({ id: config.nodeGroup.amiId, name: `amazon-eks-node-${config.nodeGroup.amiFamily}-x86_64-standard-${config.cluster.version}`, description: "EKS-optimized AMI (simulated)" });
  const name = defaultAutoScalingGroupName(config.cluster.name, config.nodeGroup.name);
  const clusterTag = `kubernetes.io/cluster/${config.cluster.name}`;
  const template = ec2World.addLaunchTemplate({
    name: `${config.cluster.name}-${config.nodeGroup.name}`,
    data: {
      ImageId: config.nodeGroup.amiId,
      InstanceType: config.nodeGroup.instanceType as never,
      SecurityGroupIds: [config.cluster.securityGroupId],
      TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: `${config.cluster.name}-${config.nodeGroup.name}-Node` }, { Key: clusterTag, Value: "owned" }] }],
    },
  });
  await world.autoscaling.createAutoScalingGroup({
    AutoScalingGroupName: name,
    MinSize: config.nodeGroup.minSize,
    MaxSize: config.nodeGroup.maxSize,
    DesiredCapacity: config.nodeGroup.desiredSize,
    LaunchTemplate: { LaunchTemplateId: template.id, Version: "$Latest" },
    VPCZoneIdentifier: config.nodeGroup.subnetIds.join(","),
    LifecycleHookSpecificationList: [
      { LifecycleHookName: DEFAULT_HOOKS.launch.name, LifecycleTransition: TRANSITIONS.launching, DefaultResult: DEFAULT_HOOKS.launch.defaultResult, HeartbeatTimeout: DEFAULT_HOOKS.launch.heartbeatTimeout },
      { LifecycleHookName: DEFAULT_HOOKS.terminate.name, LifecycleTransition: TRANSITIONS.terminating, DefaultResult: DEFAULT_HOOKS.terminate.defaultResult, HeartbeatTimeout: DEFAULT_HOOKS.terminate.heartbeatTimeout },
    ],
    Tags: [{ Key: clusterTag, Value: "owned", PropagateAtLaunch: true }],
  });
  return { autoScalingGroupName: name };
}
