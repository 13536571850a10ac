import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../ipam";
import { lambdaConfigs } from "../../ipam/lambda-env";
import { lambdaGroupsEnvironment, parseLambdaGroups } from "../../contract/lambda-env";
import { createHandler } from "../../lambda/handler";
import { Ec2Model } from "../../simulator/ec2/model";
import { AutoScalingModel } from "../../simulator/autoscaling/model";
import { autoScalingClient, ec2Client } from "../../simulator/sdk";

export const MIXED = JSON.parse(readFileSync(join(__dirname, "../../examples/mixed.config.json"), "utf8"));

/**
 * One function for the mixed example's groups (autoscaling, karpenter, managed), its
 * configuration through the environment round trip, against an EC2 model with the plan's
 * subnets and reservations. `now`: the function's clock (epoch ms) @default the handler's own
 */
export async function mixedFunction(opts: { readonly seed: number; readonly now?: () => number }) {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);
  const groups = parseLambdaGroups(lambdaGroupsEnvironment(lambdaConfigs(config, plan)));
  const ec2 = new Ec2Model({ seed: opts.seed });
  for (const s of plan.subnets) ec2.addSubnet({ cidr: s.subnet.cidr, id: s.id, availabilityZone: s.availabilityZone });
  for (const s of plan.subnets) for (const r of s.reservations) await ec2.createSubnetCidrReservation({ SubnetId: s.id, Cidr: r.cidr, ReservationType: "explicit" });
  const primary = ec2.addSubnet({ cidr: "10.0.100.0/24", availabilityZone: "us-west-2a" });
  const lines: Record<string, unknown>[] = [];
  const handler = createHandler({
    ec2: ec2Client(ec2),
    autoscaling: autoScalingClient(new AutoScalingModel(ec2, { groupName: groups[0]!.autoScalingGroupName, subnetIds: [primary.subnetId] })),
    config: groups,
    sleep: async () => undefined,
    random: () => 0.5,
    ...(opts.now ? { now: opts.now } : {}),
    log: (l) => lines.push(l as Record<string, unknown>),
  });
  const launch = (tags: Record<string, string>) => ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: primary.subnetId, tags }).instanceId;
  const multusEnis = (instanceId: string) => plan.subnets.flatMap((s) => ec2.networkInterfaceIds(s.id).map((id) => ec2.networkInterface(id)!)).filter((e) => e.Attachment?.InstanceId === instanceId);
  return { ec2, plan, groups, handler, lines, launch, multusEnis };
}
