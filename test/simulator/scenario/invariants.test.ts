import { bigToIp6, parseConfig, planNetwork } from "../../../ipam";
import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { Ec2Model } from "../../../simulator/ec2/model";
import { checkInvariants, summarizeViolations } from "../../../simulator/invariants";

const SUBNET = "subnet-0c0ffee0c0ffee004";
const plan = planNetwork(
  parseConfig({ multus: { strategy: "static", subnets: [{ cidr: "10.0.4.0/24", id: SUBNET, availabilityZone: "us-west-2a" }] } }),
);
const pods = plan.subnets[0]!.pods;

function world() {
  const ec2 = new Ec2Model({ seed: 1 });
  ec2.addSubnet({ cidr: "10.0.4.0/24", id: SUBNET, availabilityZone: "us-west-2a" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
  const asg = new AutoScalingModel(ec2, { subnetIds: [nodes.subnetId], terminationDelayMs: 0 });
  return { ec2, asg };
}

/** Launches a node and gives it its multus ENI at `ip`, completing the launch. */
async function node(ec2: Ec2Model, asg: AutoScalingModel, ip: string) {
  const { instanceId, events } = asg.launch();
  const eni = (await ec2.createNetworkInterface({ SubnetId: SUBNET, PrivateIpAddress: ip })).NetworkInterface!;
  await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 1 });
  await asg.completeLifecycleAction({ AutoScalingGroupName: asg.groupName, LifecycleHookName: "multus-launch", LifecycleActionToken: events[0]!.detail.LifecycleActionToken, LifecycleActionResult: "CONTINUE" });
  return { instanceId, eniId: eni.NetworkInterfaceId! };
}

const podIp = (k: number) => `10.0.4.${(pods.first & 0xff) + k}`;

describe("checkInvariants", () => {
  test("GIVEN two nodes with their ENIs and distinct pods in the block THEN no violation", async () => {
    const { ec2, asg } = world();
    const a = await node(ec2, asg, "10.0.4.4");
    const b = await node(ec2, asg, "10.0.4.5");
    const v = checkInvariants({ ec2, asg, plan, pods: [{ ip: podIp(0), node: a.instanceId, subnet: SUBNET }, { ip: podIp(1), node: b.instanceId, subnet: SUBNET }] });
    expect(v).toEqual([]);
    expect(summarizeViolations(v)).toBe("none");
  });

  test("GIVEN two pods on two nodes with one address THEN a pod-pod duplicate naming both", async () => {
    const { ec2, asg } = world();
    const a = await node(ec2, asg, "10.0.4.4");
    const b = await node(ec2, asg, "10.0.4.5");
    const v = checkInvariants({ ec2, asg, plan, pods: [{ ip: podIp(0), node: a.instanceId, subnet: SUBNET, name: "p1" }, { ip: podIp(0), node: b.instanceId, subnet: SUBNET, name: "p2" }] });
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ kind: "duplicate-ip", ip: podIp(0) });
    expect(v[0]!.detail).toMatch(/pod-pod/);
    expect(v[0]!.holders!.join()).toMatch(/p1.*p2/);
  });

  test("GIVEN a pod on a worker's address THEN a pod-worker duplicate; a foreign ENI on a pod's address THEN foreign-pod", async () => {
    const { ec2, asg } = world();
    const a = await node(ec2, asg, "10.0.4.4");
    const foreign = (await ec2.createNetworkInterface({ SubnetId: SUBNET, PrivateIpAddress: podIp(3) })).NetworkInterface!;
    const v = checkInvariants({
      ec2,
      asg,
      plan,
      foreignEniIds: new Set([foreign.NetworkInterfaceId!]),
      pods: [
        { ip: "10.0.4.4", node: a.instanceId, subnet: SUBNET },
        { ip: podIp(3), node: a.instanceId, subnet: SUBNET },
      ],
    });
    const details = v.filter((x) => x.kind === "duplicate-ip").map((x) => x.detail);
    expect(details).toHaveLength(2);
    expect(details.join("\n")).toMatch(/pod-worker/);
    expect(details.join("\n")).toMatch(/foreign-pod/);
  });

  test("GIVEN a pod's address assigned as a secondary IP on its own node's ENI (the node agent) THEN it is not a collision; on another node's ENI it is", async () => {
    const { ec2, asg } = world();
    const a = await node(ec2, asg, "10.0.4.4");
    const b = await node(ec2, asg, "10.0.4.5");
    await ec2.assignPrivateIpAddresses({ NetworkInterfaceId: a.eniId, PrivateIpAddresses: [podIp(0)] });
    expect(checkInvariants({ ec2, asg, plan, pods: [{ ip: podIp(0), node: a.instanceId, subnet: SUBNET }] })).toEqual([]);
    const v = checkInvariants({ ec2, asg, plan, pods: [{ ip: podIp(0), node: b.instanceId, subnet: SUBNET }] });
    expect(v.map((x) => x.kind)).toEqual(["duplicate-ip"]);
  });

  test("GIVEN pods outside the block, on an AWS-reserved address and outside the subnet THEN each is named", async () => {
    const { ec2, asg } = world();
    const a = await node(ec2, asg, "10.0.4.4");
    const v = checkInvariants({
      ec2,
      asg,
      plan,
      pods: [
        { ip: "10.0.4.100", node: a.instanceId, subnet: SUBNET },
        { ip: "10.0.4.255", node: a.instanceId, subnet: SUBNET },
        { ip: "10.0.9.9", node: a.instanceId, subnet: SUBNET },
      ],
    });
    expect(v.map((x) => x.kind).sort()).toEqual(["aws-reserved", "outside-subnet", "pod-outside-block", "pod-outside-block"].sort());
  });

  test("GIVEN a multus ENI attached to nothing THEN leaked-eni, unless it is foreign", async () => {
    const { ec2 } = world();
    const eni = (await ec2.createNetworkInterface({ SubnetId: SUBNET })).NetworkInterface!;
    expect(checkInvariants({ ec2, plan }).map((x) => x.kind)).toEqual(["leaked-eni"]);
    expect(checkInvariants({ ec2, plan, foreignEniIds: new Set([eni.NetworkInterfaceId!]) })).toEqual([]);
  });

  test("GIVEN a launch left open THEN open-action; once it times out THEN incomplete-action (the instance is gone)", () => {
    const { ec2, asg } = world();
    asg.launch();
    expect(checkInvariants({ ec2, asg, plan }).map((x) => x.kind)).toEqual(["open-action"]);
    asg.expireAll();
    const v = checkInvariants({ ec2, asg, plan });
    expect(v.map((x) => x.kind)).toEqual(["incomplete-action"]);
    expect(v[0]!.detail).toMatch(/took ABANDON/);
  });

  test("GIVEN an InService node without its multus ENI, or with it at another device index THEN node-missing-eni", async () => {
    const { ec2, asg } = world();
    const { instanceId, events } = asg.launch();
    await asg.completeLifecycleAction({ AutoScalingGroupName: asg.groupName, LifecycleHookName: "multus-launch", LifecycleActionToken: events[0]!.detail.LifecycleActionToken, LifecycleActionResult: "CONTINUE" });
    expect(checkInvariants({ ec2, asg, plan }).map((x) => x.kind)).toEqual(["node-missing-eni"]);
    const eni = (await ec2.createNetworkInterface({ SubnetId: SUBNET })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 2 });
    expect(checkInvariants({ ec2, asg, plan })[0]!.detail).toMatch(/device index 2, the plan says 1/);
  });
});

describe("checkInvariants on a dual-stack subnet", () => {
  const V6 = "2001:db8:1234:1a04::/64";
  const dual = planNetwork(parseConfig({ multus: { strategy: "static", subnets: [{ cidr: "10.0.4.0/24", ipv6Cidr: V6, id: SUBNET, availabilityZone: "us-west-2a" }] } }));
  const v6 = dual.subnets[0]!.ipv6!;
  const pod6 = (k: number) => bigToIp6(v6.podBlocks.ng1!.first + BigInt(k));
  const worker6 = (k: number) => bigToIp6(v6.workerBlocks.ng1!.first + BigInt(k));

  async function dualWorld() {
    const ec2 = new Ec2Model({ seed: 1 });
    ec2.addSubnet({ cidr: "10.0.4.0/24", ipv6Cidr: V6, id: SUBNET, availabilityZone: "us-west-2a" });
    const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
    const asg = new AutoScalingModel(ec2, { subnetIds: [nodes.subnetId], terminationDelayMs: 0 });
    const launch = async (ip: string, ipv6?: string) => {
      const { instanceId, events } = asg.launch();
      const eni = (await ec2.createNetworkInterface({ SubnetId: SUBNET, PrivateIpAddress: ip, ...(ipv6 ? { Ipv6Addresses: [{ Ipv6Address: ipv6 }] } : {}) })).NetworkInterface!;
      await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 1 });
      await asg.completeLifecycleAction({ AutoScalingGroupName: asg.groupName, LifecycleHookName: "multus-launch", LifecycleActionToken: events[0]!.detail.LifecycleActionToken, LifecycleActionResult: "CONTINUE" });
      return instanceId;
    };
    return { ec2, asg, launch };
  }

  test("GIVEN nodes with their IPv6 worker addresses and pods with an address of each family THEN no violation", async () => {
    const { ec2, asg, launch } = await dualWorld();
    const a = await launch("10.0.4.4", worker6(0));
    const pods = [{ ip: podIp(0), node: a, subnet: SUBNET }, { ip: pod6(0), node: a, subnet: SUBNET }];
    expect(checkInvariants({ ec2, asg, plan: dual, pods })).toEqual([]);
  });

  test("GIVEN a foreign interface on a pod's IPv6 address, a pod outside the IPv6 pod block or on an AWS-reserved one, and a node without an IPv6 address THEN each is a violation", async () => {
    const { ec2, asg, launch } = await dualWorld();
    const a = await launch("10.0.4.4", worker6(0));
    const b = await launch("10.0.4.5");
    const foreign = (await ec2.createNetworkInterface({ SubnetId: SUBNET, Ipv6Addresses: [{ Ipv6Address: pod6(1) }] })).NetworkInterface!.NetworkInterfaceId!;
    const pods = [
      { ip: pod6(1), node: a, subnet: SUBNET },
      { ip: bigToIp6(v6.subnet.first + 1n), node: a, subnet: SUBNET },
      { ip: worker6(5), node: a, subnet: SUBNET },
    ];
    const v = checkInvariants({ ec2, asg, plan: dual, pods, foreignEniIds: new Set([foreign]) });
    expect(v.map((x) => [x.kind, x.ip])).toEqual(
      expect.arrayContaining([
        ["duplicate-ip", pod6(1)],
        ["aws-reserved", bigToIp6(v6.subnet.first + 1n)],
        ["pod-outside-block", worker6(5)],
      ]),
    );
    expect(v.find((x) => x.kind === "node-missing-eni")!.detail).toMatch(new RegExp(`${b}'s ENI in dual-stack ${SUBNET} has no IPv6 address`));
  });
});
