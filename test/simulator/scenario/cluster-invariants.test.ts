import { intToIp, parseConfig, planNetwork } from "../../../ipam";
import { AutoScalingFleet } from "../../../simulator/autoscaling/fleet";
import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { Ec2Model } from "../../../simulator/ec2/model";
import { checkInvariants } from "../../../simulator/invariants";
import { autoScalingClient } from "../../../simulator/sdk";
import { CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";

const SUBNET = "subnet-0c0ffee0c0ffee004";
const group = (name: string, strategy: string) => ({ name, strategy, subnetIds: ["subnet-0c0ffee0c0ffee002"], availabilityZones: ["us-west-2a"], networks: ["data"], minSize: 0, desiredSize: 0, maxSize: 2 });
const plan = planNetwork(
  parseConfig({
    networks: [{ name: "data", subnets: [{ cidr: "10.0.4.0/24", id: SUBNET, availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"] }],
    nodeGroups: [group("a", "static"), group("b", "static"), group("r", "reservation")],
  }),
);
const s = plan.subnets[0]!;

function world() {
  const ec2 = new Ec2Model({ seed: 1 });
  ec2.addSubnet({ cidr: "10.0.4.0/24", id: SUBNET, availabilityZone: "us-west-2a" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
  const fleet = new AutoScalingFleet(["a", "b", "r"].map((g) => ({ model: new AutoScalingModel(ec2, { groupName: `asg-${g}`, subnetIds: [nodes.subnetId], terminationDelayMs: 0 }), planGroup: g })));
  return { ec2, fleet };
}

/** Launches a node of fleet member `k` and gives it its ENI at `ip`, completing the launch through the fleet's API. */
async function node(ec2: Ec2Model, fleet: AutoScalingFleet, k: number, ip: string) {
  const { instanceId, events } = fleet.launch(k);
  const eni = (await ec2.createNetworkInterface({ SubnetId: SUBNET, PrivateIpAddress: ip })).NetworkInterface!;
  await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 1 });
  const d = events[0]!.detail;
  await autoScalingClient(fleet).send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: d.AutoScalingGroupName, LifecycleHookName: d.LifecycleHookName, LifecycleActionToken: d.LifecycleActionToken, LifecycleActionResult: "CONTINUE" }));
  return instanceId;
}

describe("checkInvariants with several node groups on one subnet", () => {
  test("GIVEN each group's workers in its own part (static: its block; reservation: the DHCP space) THEN no violation", async () => {
    const { ec2, fleet } = world();
    await node(ec2, fleet, 0, intToIp(s.workerBlocks.a!.first));
    await node(ec2, fleet, 1, intToIp(s.workerBlocks.b!.first));
    await node(ec2, fleet, 2, intToIp(s.dhcp[0]!.first));
    expect(checkInvariants({ ec2, asg: fleet, plan })).toEqual([]);
    expect(fleet.results.map((r) => r.result)).toEqual(["CONTINUE", "CONTINUE", "CONTINUE"]);
  });

  test("GIVEN a worker in another group's block, and a reservation group's worker in a worker block THEN worker-outside-block naming each", async () => {
    const { ec2, fleet } = world();
    const stray = await node(ec2, fleet, 0, intToIp(s.workerBlocks.b!.last));
    const dhcpUser = await node(ec2, fleet, 2, intToIp(s.workerBlocks.a!.last));
    const v = checkInvariants({ ec2, asg: fleet, plan });
    expect(v.map((x) => x.kind)).toEqual(["worker-outside-block", "worker-outside-block"]);
    expect(v[0]!.detail).toContain(`of ${stray} (group a) is outside the worker block`);
    expect(v[1]!.detail).toContain(`of ${dhcpUser} (group r) is outside the DHCP space of 10.0.4.0/24`);
  });

  test("GIVEN a lifecycle call naming a group the fleet does not have THEN Auto Scaling's ValidationError", async () => {
    const { fleet } = world();
    await expect(fleet.completeLifecycleAction({ AutoScalingGroupName: "nope", LifecycleHookName: "multus-launch", InstanceId: "i-1", LifecycleActionResult: "CONTINUE" })).rejects.toThrow(/AutoScalingGroup name not found/);
  });
});
