import { DiscreteClock } from "../../../simulator/clock";
import { Ec2Model } from "../../../simulator/ec2/model";
import { TimingValues, timingProfile } from "../../../simulator/timing";

/** An EC2 model on a hand-driven clock with the `aws` profile (some rows pinned to exact values). */
function awsModel(overrides: Partial<TimingValues> = {}, instanceType = "c5.2xlarge") {
  const clock = new DiscreteClock(3);
  const ec2 = new Ec2Model({ seed: 3, clock, timing: timingProfile("aws", { readLag: { probability: 0, typicalMs: { min: 0, max: 0 }, tailProbability: 0, tailMs: { min: 0, max: 0 } }, ...overrides }) });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/20", availabilityZone: "us-west-2a" }).subnetId;
  const multus = ec2.addSubnet({ cidr: "10.0.16.0/24", availabilityZone: "us-west-2a" }).subnetId;
  return { clock, ec2, nodes, multus, instanceType };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as Error).name;
  }
}

const fixed = (ms: number) => ({ min: ms, max: ms });

describe("Ec2Model under the aws timing profile", () => {
  test("GIVEN an attach WHEN time passes THEN the attachment is attaching, then attached after the attach time; the ENI cannot be deleted meanwhile", async () => {
    const { clock, ec2, nodes, multus } = awsModel({ pendingMs: fixed(0), attachMs: fixed(2000) });
    const { instanceId } = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodes });
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 });
    expect(ec2.networkInterface(eni)!.Attachment!.Status).toBe("attaching");
    expect(await codeOf(ec2.deleteNetworkInterface({ NetworkInterfaceId: eni }))).toBe("InvalidNetworkInterface.InUse");
    clock.advance(1999);
    expect(ec2.networkInterface(eni)!.Attachment!.Status).toBe("attaching");
    clock.advance(1);
    expect(ec2.networkInterface(eni)!.Attachment!.Status).toBe("attached");
    expect(ec2.networkInterface(eni)!.Status).toBe("in-use");
  });

  test("GIVEN a watcher of attachments WHEN an ENI attaches and detaches THEN it hears `attached` when EC2 has it attached and `detaching` when the detach starts; the instance is running at runningAt", async () => {
    const { clock, ec2, nodes, multus } = awsModel({ pendingMs: fixed(4000), attachRefusedShare: fixed(0), attachMs: fixed(1500), detachMs: fixed(3000) });
    const { instanceId } = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodes });
    expect(ec2.runningAt(instanceId)).toBe(4000);
    const heard: string[] = [];
    ec2.watchAttachments((c) => heard.push(`t=${clock.now()} ${c.status} ${c.eniId} device ${c.deviceIndex}`));
    const created = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!;
    const eni = created.NetworkInterfaceId!;
    const { AttachmentId } = await ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 });
    clock.advance(1499);
    expect(heard).toEqual([]);
    clock.advance(1);
    expect(heard).toEqual([`t=1500 attached ${eni} device 1`]);
    clock.advance(3000);
    expect(ec2.instanceState(instanceId)).toBe("running");
    await ec2.detachNetworkInterface({ AttachmentId });
    expect(heard[1]).toBe(`t=4500 detaching ${eni} device 1`);
  });

  test("GIVEN an attached ENI with DeleteOnTermination WHEN it is detached THEN it is detaching without the protection, cannot be deleted until the detach ends, and outlives its instance", async () => {
    const { clock, ec2, nodes, multus } = awsModel({ pendingMs: fixed(0), attachMs: fixed(0), detachMs: fixed(8000) });
    const { instanceId } = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodes });
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
    const { AttachmentId } = await ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, Attachment: { AttachmentId, DeleteOnTermination: true } });
    await ec2.detachNetworkInterface({ AttachmentId, Force: true });
    expect(ec2.networkInterface(eni)!.Attachment).toMatchObject({ Status: "detaching", DeleteOnTermination: false });
    clock.advance(5000);
    expect(await codeOf(ec2.deleteNetworkInterface({ NetworkInterfaceId: eni }))).toBe("InvalidNetworkInterface.InUse");
    // The instance goes first: the ENI is left available with its address.
    ec2.terminateInstance(instanceId);
    expect(ec2.networkInterface(eni)!.Status).toBe("available");
    expect(ec2.liveAddresses().some((a) => a.eniId === eni)).toBe(true);
  });

  test("GIVEN an ENI attached with DeleteOnTermination WHEN its instance terminates THEN it goes with it, address freed", async () => {
    const { ec2, nodes, multus } = awsModel({ pendingMs: fixed(0), attachMs: fixed(1000) });
    const { instanceId } = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodes });
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
    const { AttachmentId } = await ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 });
    // Still attaching: the attribute can be set already.
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni, Attachment: { AttachmentId, DeleteOnTermination: true } });
    ec2.terminateInstance(instanceId);
    expect(ec2.networkInterface(eni)).toBeUndefined();
  });

  test("GIVEN a new instance THEN it is pending, refuses attaches (IncorrectInstanceState or InvalidInstanceID) for part of it, then takes them; it runs after the pending time", async () => {
    const { clock, ec2, nodes, multus } = awsModel({ pendingMs: fixed(20_000), attachRefusedShare: { min: 0.5, max: 0.5 }, attachMs: fixed(0) });
    const { instanceId } = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodes });
    expect(ec2.instanceState(instanceId)).toBe("pending");
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) codes.add(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 })));
    expect(codes).toEqual(new Set(["IncorrectInstanceState", "InvalidInstanceID"]));
    clock.advance(9_999);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }))).not.toBe("ok");
    clock.advance(1);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }))).toBe("ok");
    expect(ec2.instanceState(instanceId)).toBe("pending");
    clock.advance(10_000);
    expect(ec2.instanceState(instanceId)).toBe("running");
  });

  test("GIVEN the documented token buckets WHEN an action is called in a burst THEN the call past the bucket size is throttled, and the refill rate lets calls through again", async () => {
    const { clock, ec2, multus } = awsModel();
    // CreateNetworkInterface: 100 tokens, 5 per second.
    for (let i = 0; i < 100; i++) expect(await codeOf(ec2.createNetworkInterface({ SubnetId: multus }))).toBe("ok");
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: multus }))).toBe("RequestLimitExceeded");
    clock.advance(199);
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: multus }))).toBe("RequestLimitExceeded");
    clock.advance(1);
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: multus }))).toBe("ok");
    // Another action has its own bucket.
    expect(await codeOf(ec2.describeSubnets({}))).toBe("ok");
  });

  test("GIVEN DescribeInstances without filters or paging THEN it draws from the smaller bucket (50, 10 per second); filtered calls from the non-mutating one (100)", async () => {
    const { ec2 } = awsModel();
    let unfiltered = 0;
    while ((await codeOf(ec2.describeInstances({}))) === "ok") unfiltered++;
    expect(unfiltered).toBe(50);
    let filtered = 0;
    while ((await codeOf(ec2.describeInstances({ Filters: [{ Name: "instance-state-name", Values: ["running"] }] }))) === "ok") filtered++;
    expect(filtered).toBe(100);
  });

  test("GIVEN read lag WHEN an ENI was just created THEN some reads within the lag miss it, and every read after the longest lag sees it", async () => {
    const { clock, ec2, multus } = awsModel({ readLag: { probability: 1, typicalMs: { min: 500, max: 3000 }, tailProbability: 0, tailMs: fixed(0) } });
    clock.advance(10_000);
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
    clock.advance(400);
    const seen = (await ec2.describeNetworkInterfaces({ Filters: [{ Name: "subnet-id", Values: [multus] }] })).NetworkInterfaces!;
    expect(seen.map((e) => e.NetworkInterfaceId)).not.toContain(eni);
    expect(await codeOf(ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [eni] }))).toBe("InvalidNetworkInterfaceID.NotFound");
    clock.advance(3000);
    for (let i = 0; i < 10; i++) {
      const later = (await ec2.describeNetworkInterfaces({ Filters: [{ Name: "subnet-id", Values: [multus] }] })).NetworkInterfaces!;
      expect(later.map((e) => e.NetworkInterfaceId)).toContain(eni);
    }
  });

  test("GIVEN an instance type with two network cards WHEN ENIs fill card 1 THEN card 0 still takes its own limit, and each card refuses past its limit", async () => {
    const { ec2, nodes, multus } = awsModel({ pendingMs: fixed(0), attachMs: fixed(0) });
    // c6in.32xlarge: 8 ENIs on each of 2 cards.
    const interfaces = Array.from({ length: 8 }, (_, k) => ({ subnetId: nodes, deviceIndex: 10 + k, networkCardIndex: 1 }));
    const { instanceId } = ec2.launchInstance({ instanceType: "c6in.32xlarge", subnetId: nodes, interfaces });
    const attach = async (deviceIndex: number, NetworkCardIndex?: number) => {
      const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!.NetworkInterfaceId!;
      return codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: deviceIndex, ...(NetworkCardIndex !== undefined ? { NetworkCardIndex } : {}) }));
    };
    expect(await attach(30, 1)).toBe("AttachmentLimitExceeded");
    for (let d = 1; d <= 7; d++) expect(await attach(d)).toBe("ok");
    expect(await attach(8)).toBe("AttachmentLimitExceeded");
    expect(await attach(9, 2)).toBe("InvalidParameterValue");
    const t = (await ec2.describeInstanceTypes({ InstanceTypes: ["c6in.32xlarge"] })).InstanceTypes![0]!.NetworkInfo!;
    expect(t).toMatchObject({ MaximumNetworkInterfaces: 16, MaximumNetworkCards: 2, NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 8 }, { NetworkCardIndex: 1, MaximumNetworkInterfaces: 8 }] });
  });
});
