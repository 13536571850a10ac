import { ipToInt as ipInt, parseConfig, planNetwork } from "../../ipam";
import { lambdaConfigs } from "../../ipam/lambda-env";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { createHandler } from "../../lambda/handler";
import { Ec2Model } from "../../simulator/ec2/model";
import { autoScalingClient, ec2Client } from "../../simulator/sdk";
import { AutoScalingFleet } from "../../simulator/autoscaling/fleet";
import { AutoScalingModel } from "../../simulator/autoscaling/model";
import { EXAMPLE } from "../ipam/cluster-helpers";

/** One function configured for the example's three groups, over an EC2 model with the example's subnets. */
function setup() {
  const config = parseConfig(EXAMPLE);
  const plan = planNetwork(config);
  const groups = lambdaConfigs(config, plan);
  const ec2 = new Ec2Model({ seed: 4 });
  for (const s of plan.subnets) ec2.addSubnet({ cidr: s.subnet.cidr, id: s.id, availabilityZone: s.availabilityZone });
  const primary = ec2.addSubnet({ cidr: "10.0.100.0/24", availabilityZone: "us-west-2a" });
  const fleet = new AutoScalingFleet(groups.map((g) => ({ model: new AutoScalingModel(ec2, { groupName: g.autoScalingGroupName, subnetIds: [primary.subnetId] }), planGroup: g.name! })));
  const lines: object[] = [];
  const handler = createHandler({ ec2: ec2Client(ec2), autoscaling: autoScalingClient(fleet), config: groups, sleep: async () => undefined, random: () => 0.5, log: (l) => lines.push(l) });
  return { ec2, fleet, groups, plan, handler, lines };
}

describe("one lifecycle Lambda serving several node groups", () => {
  test("GIVEN a launch in each group THEN each instance gets its own group's networks and worker addresses, with each network's security groups and check", async () => {
    const { ec2, fleet, groups, plan, handler } = setup();
    for (let k = 0; k < groups.length; k++) {
      const { instanceId, events } = fleet.launch(k);
      const out = await handler(events[0]);
      expect(out).toMatchObject({ action: "launch", result: "CONTINUE" });
      const g = groups[k]!;
      expect(out.enis.map((e) => plan.subnets.find((s) => s.id === e.subnetId)!.network)).toEqual(g.name === "edge" ? ["data"] : ["data", "storage"]);
      for (const e of out.enis) {
        const eni = ec2.networkInterface(e.eniId)!;
        const s = plan.subnets.find((x) => x.id === e.subnetId)!;
        const block = s.workerBlocks[g.name!];
        if (block) expect(block.first <= ipInt(e.ip) && ipInt(e.ip) <= block.last).toBe(true);
        else expect(s.dhcp.some((r) => r.first <= ipInt(e.ip) && ipInt(e.ip) <= r.last)).toBe(true);
        expect(eni.Groups!.map((x) => x.GroupId)).toEqual(s.network === "data" ? ["sg-0c0ffee0c0ffee002"] : ["sg-0c0ffee0c0ffee003"]);
        expect(eni.SourceDestCheck).toBe(s.network === "data");
        expect(eni.TagSet!.find((t) => t.Key === ENI_TAG_KEYS.nodeGroup)!.Value).toBe(g.nodeGroupTag);
        expect(eni.TagSet!.some((t) => t.Key === "network" && t.Value === "storage")).toBe(s.network === "storage");
        expect(eni.Attachment!.InstanceId).toBe(instanceId);
      }
    }
  });

  test("GIVEN an event of a group the function does not serve THEN it is ignored, naming the groups it serves, without an EC2 call", async () => {
    const { handler } = setup();
    const out = await handler({
      "detail-type": "EC2 Instance-launch Lifecycle Action",
      source: "aws.autoscaling",
      detail: { AutoScalingGroupName: "someone-else", LifecycleHookName: "multus-launch", EC2InstanceId: "i-0123456789abcdef0", LifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING" },
    });
    expect(out).toMatchObject({ action: "ignored", ec2Calls: 0 });
    expect(out.reason).toBe("event of Auto Scaling group someone-else; this function serves eks-multus-cluster-cnf-a, eks-multus-cluster-cnf-b, eks-multus-cluster-edge");
  });

  test("GIVEN orphaned ENIs of two groups and one of no group WHEN the sweep runs THEN both groups' go and the other stays", async () => {
    const { ec2, groups, plan, handler } = setup();
    const orphan = async (tag: string | undefined) => {
      const tags = [...(tag ? [{ Key: ENI_TAG_KEYS.nodeGroup, Value: tag }] : []), { Key: ENI_TAG_KEYS.instanceId, Value: "i-0000000000000dead" }];
      return (await ec2.createNetworkInterface({ SubnetId: plan.subnets[0]!.id, TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }] })).NetworkInterface!.NetworkInterfaceId!;
    };
    const a = await orphan(groups[0]!.nodeGroupTag);
    const e = await orphan(groups[2]!.nodeGroupTag);
    const other = await orphan("another-cluster-ng");
    const out = await handler({ source: "multus.sweep", action: "sweep" });
    expect(out.action).toBe("sweep");
    expect(out.enis.map((x) => x.eniId).sort()).toEqual([a, e].sort());
    expect(ec2.networkInterface(other)).toBeDefined();
    expect(ec2.networkInterface(a)).toBeUndefined();
  });
});

