import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { NO_MANAGE_TAG, referenceAllocator } from "../../../simulator/baseline/reference-allocator";
import { Ec2Model } from "../../../simulator/ec2/model";
import { seededRandom } from "../../../simulator/rng";
import { AllocatorContext } from "../../../simulator/scenario/types";
import { SdkHook, autoScalingClient, ec2Client } from "../../../simulator/sdk";

const MULTUS = "subnet-0c0ffee0c0ffee004";

function setup(opts: { instanceType?: string; cidr?: string } = {}) {
  const ec2 = new Ec2Model({ seed: 1, dhcp: "lowest" });
  ec2.addSubnet({ cidr: opts.cidr ?? "10.0.4.0/24", id: MULTUS, availabilityZone: "us-west-2a" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
  const asg = new AutoScalingModel(ec2, { subnetIds: [nodes.subnetId], instanceType: opts.instanceType ?? "c5.2xlarge" });
  const ops: string[] = [];
  let before: SdkHook | undefined;
  const hook: SdkHook = async (call, next) => {
    ops.push(call.operation);
    if (before) return before(call, next);
    return next();
  };
  const ctx: AllocatorContext = {
    ec2: ec2Client(ec2, { hook }),
    autoscaling: autoScalingClient(asg, { hook }),
    sleep: async (ms) => {
      ops.push(`sleep ${ms}`);
    },
    random: seededRandom(1),
    now: () => 0,
  };
  return { ec2, asg, ctx, ops, wrap: (h: SdkHook) => (before = h) };
}

const allocator = referenceAllocator({ subnetIds: [MULTUS], securityGroupIds: ["sg-1"], useStaticIPs: true });

describe("reference allocator (the seed's Lambda): static IPs", () => {
  test("GIVEN .4 and .5 in use WHEN a launch is handled THEN the ENI takes the lowest free address .6, in the seed's call order, and the launch continues", async () => {
    const { ec2, asg, ctx, ops } = setup();
    await ec2.createNetworkInterface({ SubnetId: MULTUS, PrivateIpAddress: "10.0.4.4" });
    await ec2.createNetworkInterface({ SubnetId: MULTUS, PrivateIpAddress: "10.0.4.5" });
    const { instanceId, events } = asg.launch();
    ops.length = 0;
    await allocator(events[0], ctx);
    expect(ops).toEqual([
      "DescribeSubnets",
      "DescribeNetworkInterfaces",
      "CreateNetworkInterface",
      "sleep 2000",
      "AttachNetworkInterface",
      "ModifyNetworkInterfaceAttribute",
      "ModifyNetworkInterfaceAttribute",
      "CompleteLifecycleAction",
    ]);
    const eni = ec2.liveAddresses().find((a) => a.instanceId === instanceId && a.deviceIndex === 1)!;
    expect(eni.ip).toBe("10.0.4.6");
    expect(eni.tags).toEqual({ [NO_MANAGE_TAG]: "true" });
    expect(ec2.networkInterface(eni.eniId)).toMatchObject({ SourceDestCheck: false, Attachment: { DeleteOnTermination: true } });
    expect(asg.lifecycleState(instanceId)).toBe("InService");
  });

  test("GIVEN its 15 candidates are taken between its one read and its creates (a concurrent launch) THEN it tries all 15, then ABANDONs and the instance goes", async () => {
    const { ec2, asg, ctx, ops, wrap } = setup();
    wrap(async (call, next) => {
      const out = await next();
      if (call.operation === "DescribeNetworkInterfaces") {
        for (let i = 4; i < 4 + 15; i++) await ec2.createNetworkInterface({ SubnetId: MULTUS, PrivateIpAddress: `10.0.4.${i}` });
      }
      return out;
    });
    const { instanceId, events } = asg.launch();
    await allocator(events[0], ctx);
    expect(ops.filter((o) => o === "CreateNetworkInterface")).toHaveLength(15);
    expect(asg.results).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "api" })]);
    asg.expireAll();
    expect(ec2.instanceState(instanceId)).toBe("terminated");
  });

  test("GIVEN a /28 with 11 usable addresses all in use after the first three skipped WHEN launched THEN no candidate exists and it ABANDONs without creating", async () => {
    const { ec2, asg, ctx, ops } = setup({ cidr: "10.0.4.0/28" });
    for (let i = 4; i <= 14; i++) await ec2.createNetworkInterface({ SubnetId: MULTUS, PrivateIpAddress: `10.0.4.${i}` });
    const { events } = asg.launch();
    ops.length = 0;
    await allocator(events[0], ctx);
    expect(ops).toEqual(["DescribeSubnets", "DescribeNetworkInterfaces", "CompleteLifecycleAction"]);
    expect(asg.results[0]!.result).toBe("ABANDON");
  });

  test("GIVEN the attach fails (ENI limit reached) THEN it ABANDONs, then deletes its ENI: nothing is left", async () => {
    const { ec2, asg, ctx } = setup({ instanceType: "t3.nano" }); // 2 ENIs
    const { instanceId, events } = asg.launch();
    const extra = (await ec2.createNetworkInterface({ SubnetId: MULTUS })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: extra.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 2 });
    await allocator(events[0], ctx);
    expect(asg.results[0]!.result).toBe("ABANDON");
    const left = ec2.networkInterfaceIds(MULTUS).filter((id) => id !== extra.NetworkInterfaceId);
    expect(left).toEqual([]);
  });

  test("GIVEN the DeleteOnTermination modify is throttled after the attach THEN it ABANDONs, its delete fails (in use), and the ENI outlives the instance (a leak)", async () => {
    const { ec2, asg, ctx, wrap } = setup();
    let modifies = 0;
    wrap(async (call, next) => {
      if (call.operation === "ModifyNetworkInterfaceAttribute" && ++modifies === 2) {
        ec2.setFaults({ throttle: 1 });
        try {
          return await next();
        } finally {
          ec2.setFaults({ throttle: 0 });
        }
      }
      return next();
    });
    const { instanceId, events } = asg.launch();
    await allocator(events[0], ctx);
    expect(asg.results[0]!.result).toBe("ABANDON");
    asg.expireAll();
    expect(ec2.instanceState(instanceId)).toBe("terminated");
    const left = ec2.networkInterfaceIds(MULTUS).map((id) => ec2.networkInterface(id)!);
    expect(left).toHaveLength(1);
    expect(left[0]!.Status).toBe("available");
  });

  test("GIVEN a terminate event THEN it continues at once", async () => {
    const { asg, ctx, ops } = setup();
    const { instanceId, events } = asg.launch();
    await allocator(events[0], ctx);
    ops.length = 0;
    const term = asg.terminate(instanceId);
    await allocator(term[0], ctx);
    expect(ops).toEqual(["CompleteLifecycleAction"]);
    expect(asg.lifecycleState(instanceId)).toBe("Terminated");
  });

  test("GIVEN a replayed launch event THEN it makes a second ENI and fails to attach it at a used device index (not idempotent)", async () => {
    const { ec2, asg, ctx } = setup();
    const { instanceId, events } = asg.launch();
    await allocator(events[0], ctx);
    await allocator(events[0], ctx);
    // The second run ABANDONs an action that is no longer open (ValidationError, logged) and deletes its ENI.
    expect(asg.lifecycleState(instanceId)).toBe("InService");
    expect(ec2.networkInterfaceIds(MULTUS)).toHaveLength(1);
  });
});

describe("reference allocator: DHCP (useStaticIPs false)", () => {
  test("GIVEN useStaticIPs false WHEN launched THEN one DHCP create, no read of the subnet's interfaces", async () => {
    const { asg, ctx, ops } = setup();
    const dhcp = referenceAllocator({ subnetIds: [MULTUS], securityGroupIds: ["sg-1"], useStaticIPs: false });
    const { events } = asg.launch();
    await dhcp(events[0], ctx);
    expect(ops).not.toContain("DescribeNetworkInterfaces");
    expect(ops.filter((o) => o === "CreateNetworkInterface")).toHaveLength(1);
    expect(asg.results[0]!.result).toBe("CONTINUE");
  });
});
