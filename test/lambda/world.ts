import * as Ec2Sdk from "@aws-sdk/client-ec2";
import * as AsgSdk from "@aws-sdk/client-auto-scaling";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client, NetworkInterface } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { contains, ipToInt } from "../../contract/address";
import { parseConfig } from "../../ipam/config";
import { asShorthand } from "../../ipam/cluster-config";
import { LambdaEnvironmentExtra, lambdaConfig } from "../../ipam/lambda-env";
import { LambdaConfig } from "../../contract/lambda-env";
import { NetworkPlan, planNetwork } from "../../ipam/plan";
import { createHandler } from "../../lambda/handler";
import { AutoScalingModel, LifecycleEvent } from "../../simulator/autoscaling/model";
import { Ec2Model } from "../../simulator/ec2/model";
import { seededRandom } from "../../simulator/rng";
import { AUTOSCALING_OPERATIONS, EC2_OPERATIONS } from "../../simulator/sdk";
import type { TimingProfile } from "../../simulator/timing";

/** Simulated time 0 as a wall-clock time: the handler's clock reads this plus the model's clock. */
export const EPOCH = Date.parse("2026-01-01T00:00:00Z");

export const GROUP = "eks-multus-cluster-ng1";
export const NODE_SUBNET = "subnet-0c0ffee0c0ffee002";
export const MULTUS_SUBNETS = ["subnet-0c0ffee0c0ffee004", "subnet-0c0ffee0c0ffee005"];

type Method = (input: unknown) => Promise<unknown>;

/**
 * Routes every modelled command of an SDK client, through aws-sdk-client-mock, to a simulator
 * model method of the same name: the handler under test talks to the model, not to canned
 * answers.
 */
export function routeToModel(client: EC2Client | AutoScalingClient, sdk: Record<string, unknown>, operations: readonly string[], model: object) {
  const mock = mockClient(client as EC2Client);
  for (const op of operations) {
    const Command = sdk[`${op}Command`] as new (input: never) => never;
    const method = (model as Record<string, Method>)[op.charAt(0).toLowerCase() + op.slice(1)]!;
    mock.on(Command).callsFake((input: unknown) => method.call(model, input));
  }
  return mock;
}

export interface WorldOptions {
  readonly strategy?: "static" | "reservation";
  /** Instance type the group launches. @default the config's */
  readonly instanceType?: string;
  /** The config's (planned) instance type. @default c5.2xlarge */
  readonly plannedInstanceType?: string;
  /** Interfaces every launched instance comes with besides its primary (a launch template's). */
  readonly launchInterfaces?: readonly { subnet: "node"; deviceIndex: number; networkCardIndex?: number }[];
  /** The models' timing profile. @default instant */
  readonly timing?: TimingProfile;
  readonly nodeAz?: string;
  readonly multusAz?: string;
  /** Multus subnets (1 or 2). @default 2 */
  readonly subnets?: number;
  readonly maxSize?: number;
  readonly workerHeadroom?: number;
  readonly podsPerNode?: number;
  readonly multusCidrs?: string[];
  readonly extra?: LambdaEnvironmentExtra;
  readonly seed?: number;
  /** Create the plan's subnet CIDR reservations in the model. @default true */
  readonly reservations?: boolean;
  /** Dual-stack multus subnets (2001:db8:1234:1a04::/64, ...1a05::/64). @default false */
  readonly ipv6?: boolean;
  /** The handler's clock. @default the models' simulated clock (EPOCH + simulated ms): its sleeps pass simulated time */
  readonly now?: () => number;
}

/** An EC2 and Auto Scaling model set up from a config's plan, and the handler wired to them. */
export async function world(opts: WorldOptions = {}) {
  const seed = opts.seed ?? 7;
  // Set up without throttling buckets; the timing profile applies from the first launch.
  const model = new Ec2Model({ seed, epochMs: EPOCH });
  const nodeAz = opts.nodeAz ?? "us-west-2a";
  const multusAz = opts.multusAz ?? "us-west-2a";
  model.addSubnet({ cidr: "10.0.1.0/24", id: NODE_SUBNET, availabilityZone: nodeAz });
  const cidrs = opts.multusCidrs ?? ["10.0.4.0/24", "10.0.5.0/24"];
  const subnets = cidrs.slice(0, opts.subnets ?? 2).map((cidr, i) => ({ cidr, id: MULTUS_SUBNETS[i]!, availabilityZone: multusAz, ...(opts.ipv6 ? { ipv6Cidr: `2001:db8:1234:1a0${4 + i}::/64` } : {}) }));
  const maxSize = opts.maxSize ?? 3;
  const config = asShorthand(parseConfig({
    nodeGroup: { maxSize, minSize: 0, desiredSize: 0, ...(opts.plannedInstanceType ? { instanceType: opts.plannedInstanceType } : {}) },
    multus: {
      strategy: opts.strategy ?? "static",
      subnets,
      interfaceTags: { team: "net" },
      ...(opts.workerHeadroom !== undefined ? { workerHeadroom: opts.workerHeadroom } : {}),
      ...(opts.podsPerNode !== undefined ? { podsPerNode: opts.podsPerNode } : {}),
    },
  }));
  const plan: NetworkPlan = planNetwork(config);
  for (const s of plan.subnets) model.addSubnet({ cidr: s.subnet.cidr, id: s.id, availabilityZone: s.availabilityZone, ...(s.ipv6 ? { ipv6Cidr: s.ipv6.subnet.cidr } : {}) });
  if (opts.reservations ?? true) {
    for (const s of plan.subnets) {
      for (const r of [...s.reservations, ...(s.ipv6?.reservations ?? [])]) await model.createSubnetCidrReservation({ SubnetId: s.id, Cidr: r.cidr, ReservationType: "explicit" });
    }
  }
  if (opts.timing) model.setTiming(opts.timing);
  const asg = new AutoScalingModel(model, {
    subnetIds: [NODE_SUBNET],
    groupName: GROUP,
    instanceType: opts.instanceType ?? config.nodeGroup.instanceType,
    seed,
    epochMs: EPOCH,
    ...(opts.launchInterfaces ? { launchInterfaces: opts.launchInterfaces.map((n) => ({ subnetId: NODE_SUBNET, deviceIndex: n.deviceIndex, networkCardIndex: n.networkCardIndex })) } : {}),
  });
  const lambda: LambdaConfig = lambdaConfig(config, plan, { autoScalingGroupName: GROUP, ...opts.extra });

  const ec2 = new EC2Client({ region: "us-west-2" });
  const autoscaling = new AutoScalingClient({ region: "us-west-2" });
  const ec2Mock = routeToModel(ec2, Ec2Sdk as unknown as Record<string, unknown>, EC2_OPERATIONS, model);
  const asMock = routeToModel(autoscaling, AsgSdk as unknown as Record<string, unknown>, AUTOSCALING_OPERATIONS, asg);
  const logs: Record<string, unknown>[] = [];
  const sleeps: number[] = [];
  const handler = createHandler({
    ec2,
    autoscaling,
    config: lambda,
    log: (line) => logs.push(line as Record<string, unknown>),
    // Waits pass simulated time on the models' clock, at no wall-clock cost.
    sleep: async (ms) => {
      sleeps.push(ms);
      await model.clock.sleep(ms);
    },
    random: seededRandom(seed),
    now: opts.now ?? (() => EPOCH + model.clock.now()),
  });

  /** Launches one instance; returns its id and its (single) launch event. */
  function launch(): { instanceId: string; event: LifecycleEvent } {
    const { instanceId, events } = asg.launch();
    return { instanceId, event: events[0]! };
  }

  /** The instance's ENIs by device index, as the model holds them now. */
  function enisOf(instanceId: string): NetworkInterface[] {
    return model
      .networkInterfaceIds()
      .map((id) => model.networkInterface(id)!)
      .filter((e) => e.Attachment?.InstanceId === instanceId)
      .sort((a, b) => a.Attachment!.DeviceIndex! - b.Attachment!.DeviceIndex!);
  }

  /** Every ENI in the multus subnets (attached or not). */
  function multusEnis(): NetworkInterface[] {
    return subnets.flatMap((s) => model.networkInterfaceIds(s.id).map((id) => model.networkInterface(id)!));
  }

  function inWorkerBlock(eni: NetworkInterface): boolean {
    const s = plan.subnets.find((p) => p.id === eni.SubnetId)!;
    return contains(s.workers, ipToInt(eni.PrivateIpAddress!));
  }

  return { model, clock: model.clock, asg, config, plan, lambda, ec2, autoscaling, ec2Mock, asMock, handler, logs, sleeps, launch, enisOf, multusEnis, inWorkerBlock };
}

export type World = Awaited<ReturnType<typeof world>>;
