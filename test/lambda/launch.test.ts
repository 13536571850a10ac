import * as fs from "node:fs";
import * as path from "node:path";
import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand, DescribeInstanceTypesCommand, DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { contains, ipToInt } from "../../contract/address";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { Ec2Error } from "../../simulator/ec2/errors";
import { GROUP, MULTUS_SUBNETS, NODE_SUBNET, World, world } from "./world";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8")) as Record<string, unknown>;

function tags(eni: { TagSet?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((eni.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
}

/** ENIs the model holds that carry this node group's tag for the instance. */
function taggedFor(w: World, instanceId: string) {
  return w.multusEnis().filter((e) => tags(e)[ENI_TAG_KEYS.instanceId] === instanceId);
}

describe("launch", () => {
  it("GIVEN the static strategy WHEN an instance launches THEN it gets one tagged ENI per multus subnet, in the worker blocks, device order, deleted with the instance, and the action is CONTINUEd", async () => {
    const w = await world({ extra: { sourceDestCheck: false } });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out).toMatchObject({ action: "launch", result: "CONTINUE" });
    const enis = w.enisOf(instanceId).filter((e) => e.Attachment!.DeviceIndex! > 0);
    expect(enis.map((e) => [e.SubnetId, e.Attachment!.DeviceIndex])).toEqual([
      [MULTUS_SUBNETS[0], 1],
      [MULTUS_SUBNETS[1], 2],
    ]);
    for (const e of enis) {
      expect(w.inWorkerBlock(e)).toBe(true);
      expect(e.Attachment!.DeleteOnTermination).toBe(true);
      expect(e.SourceDestCheck).toBe(false);
      expect(tags(e)).toMatchObject({
        [ENI_TAG_KEYS.nodeGroup]: GROUP,
        [ENI_TAG_KEYS.instanceId]: instanceId,
        [ENI_TAG_KEYS.noManage]: "true",
        team: "net",
      });
      expect(e.Groups!.map((g) => g.GroupId)).toEqual(w.config.multus.securityGroupIds);
    }
    expect(out.enis.map((e) => e.eniId).sort()).toEqual(enis.map((e) => e.NetworkInterfaceId).sort());
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "CONTINUE", by: "api" })]);
    expect(w.asg.lifecycleState(instanceId)).toBe("InService");
  });

  it("GIVEN tags on create WHEN an ENI is made THEN no separate CreateTags call is spent and the floor is create, attach, DeleteOnTermination (+ source/dest check) per ENI", async () => {
    const w = await world({ extra: { sourceDestCheck: false } });
    const { event } = w.launch();
    const before = new Map(w.model.calls);

    const out = await w.handler(event);

    const delta = (op: string) => (w.model.calls.get(op) ?? 0) - (before.get(op) ?? 0);
    expect(delta("CreateTags")).toBe(0);
    expect(delta("CreateNetworkInterface")).toBe(2);
    expect(delta("AttachNetworkInterface")).toBe(2);
    expect(delta("ModifyNetworkInterfaceAttribute")).toBe(4);
    // One group read and one read of the AZ's multus subnets, whatever the number of subnets.
    expect(delta("DescribeInstances")).toBe(1);
    expect(delta("DescribeNetworkInterfaces")).toBe(1);
    expect(out.ec2Calls).toBe([...w.model.calls.keys()].reduce((n, op) => n + delta(op), 0));
  });

  it("GIVEN the source/destination check left on (the default) WHEN an instance launches THEN no call changes it", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    expect(w.ec2Mock.commandCalls(Ec2SdkModify()).filter((c) => c.args[0].input.SourceDestCheck !== undefined)).toHaveLength(0);
    expect(w.enisOf(instanceId).every((e) => e.SourceDestCheck === true)).toBe(true);
  });

  it("GIVEN the reservation strategy WHEN an instance launches THEN its ENIs take DHCP addresses outside the reserved pod block", async () => {
    const w = await world({ strategy: "reservation" });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    const creates = w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand);
    expect(creates).toHaveLength(2);
    expect(creates.every((c) => c.args[0].input.PrivateIpAddress === undefined)).toBe(true);
    for (const e of w.enisOf(instanceId).slice(1)) {
      const s = w.plan.subnets.find((p) => p.id === e.SubnetId)!;
      expect(contains(s.pods, ipToInt(e.PrivateIpAddress!))).toBe(false);
    }
  });

  it("GIVEN the sample EventBridge event shape WHEN it names an instance of the group THEN the handler acts on it", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    const sample = fixture("launch-lifecycle-action.json");
    const detail = { ...(sample.detail as object), EC2InstanceId: instanceId, AutoScalingGroupName: GROUP, LifecycleActionToken: event.detail.LifecycleActionToken };

    const out = await w.handler({ ...sample, detail });

    expect(out.result).toBe("CONTINUE");
    expect(w.enisOf(instanceId)).toHaveLength(2);
  });

  it("GIVEN one structured log line per action WHEN a launch succeeds THEN it names the instance, subnets, ENIs, IPs, attempts and result", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    expect(w.logs).toHaveLength(1);
    const line = w.logs[0]!;
    expect(line).toMatchObject({ action: "launch", instanceId, result: "CONTINUE" });
    expect(line).toMatchObject({ autoScalingGroup: GROUP, availabilityZone: "us-west-2a", strategy: "static", ec2Calls: expect.any(Number) });
    expect(line.ec2Calls).toBeGreaterThan(0);
    const enis = line.enis as { subnetId: string; eniId: string; ip: string; deviceIndex: number; attempts: number; reused: boolean }[];
    expect(enis.map((e) => e.subnetId)).toEqual(MULTUS_SUBNETS);
    expect(enis.map((e) => e.deviceIndex)).toEqual([1, 2]);
    for (const e of enis) {
      expect(e.eniId).toMatch(/^eni-/);
      expect(e.ip).toMatch(/^10\.0\.[45]\./);
      expect(e.attempts).toBe(1);
      expect(e.reused).toBe(false);
    }
    // What the log shipper reads is the line itself: plain data, no field lost to JSON.
    expect(JSON.parse(JSON.stringify(line))).toStrictEqual(line);
  });
});

/** The Modify command class (a helper so each test reads as one line). */
function Ec2SdkModify() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2")).ModifyNetworkInterfaceAttributeCommand;
}

describe("replay and duplicate delivery", () => {
  it("GIVEN a completed launch WHEN the same event is delivered again THEN no ENI is created and the instance keeps exactly its set", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const first = w.enisOf(instanceId).map((e) => e.NetworkInterfaceId);
    w.ec2Mock.resetHistory();

    const again = await w.handler(event);

    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
    expect(w.enisOf(instanceId).map((e) => e.NetworkInterfaceId)).toEqual(first);
    expect(taggedFor(w, instanceId)).toHaveLength(2);
    // The action was completed by the first delivery; the replay says so instead of failing.
    expect(again.result).toBe("CONTINUE");
    expect(again.reason).toMatch(/No active Lifecycle Action/);
    expect(w.asg.results).toHaveLength(1);
  });

  it("GIVEN an earlier delivery that created an ENI and died before attaching it WHEN the event is retried THEN that ENI is found by tag and attached, not a second one", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    // What the earlier delivery left: its ENI, tagged on create, never attached.
    const made = await w.model.createNetworkInterface({
      SubnetId: MULTUS_SUBNETS[0],
      PrivateIpAddress: "10.0.4.9",
      TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: ENI_TAG_KEYS.nodeGroup, Value: GROUP }, { Key: ENI_TAG_KEYS.instanceId, Value: instanceId }] }],
    });

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
    expect(w.enisOf(instanceId)[1]!.NetworkInterfaceId).toBe(made.NetworkInterface!.NetworkInterfaceId);
    expect(taggedFor(w, instanceId)).toHaveLength(1);
  });

  it("GIVEN a replay whose ENI read lags (it still shows the ENIs unattached) WHEN the instance read shows them attached THEN nothing is created, attached or abandoned", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const before = w.enisOf(instanceId).map((e) => e.NetworkInterfaceId);
    w.ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .callsFakeOnce(async (input) => {
        // Describe* is eventually consistent: this read predates the attachments.
        const out = await w.model.describeNetworkInterfaces(input);
        return { ...out, NetworkInterfaces: out.NetworkInterfaces!.map((e) => ({ ...e, Status: "available", Attachment: undefined })) };
      })
      .callsFake((input) => w.model.describeNetworkInterfaces(input));
    w.ec2Mock.resetHistory();

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand)).toHaveLength(0);
    expect(w.enisOf(instanceId).map((e) => e.NetworkInterfaceId)).toEqual(before);
  });

  it("GIVEN EventBridge delivers the launch event twice at once WHEN both run concurrently THEN the instance ends with one ENI per subnet and one completion", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();

    const outs = await Promise.all([w.handler(event), w.handler(event)]);

    expect(outs.map((o) => o.result)).toContain("CONTINUE");
    expect(taggedFor(w, instanceId)).toHaveLength(2);
    expect(w.enisOf(instanceId)).toHaveLength(3);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "CONTINUE" })]);
  });

  it("GIVEN the reservation strategy, one free DHCP address and the launch event delivered twice at once WHEN the second create finds the subnet full THEN that delivery adopts its twin's ENI instead of ABANDONing the launch", async () => {
    const w = await world({ strategy: "reservation", subnets: 1, multusCidrs: ["10.0.4.0/28"], maxSize: 1, podsPerNode: 1 });
    while (w.model.dhcpFreeCount(MULTUS_SUBNETS[0]!) > 1) w.model.addForeignInterface(MULTUS_SUBNETS[0]!);
    const { instanceId, event } = w.launch();

    const outs = await Promise.all([w.handler(event), w.handler(event)]);

    // Both created; the twin's ENI took the last address, so one create failed.
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(2);
    expect(outs.map((o) => o.result)).toEqual(["CONTINUE", "CONTINUE"]);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "CONTINUE", by: "api" })]);
    expect(taggedFor(w, instanceId).map((e) => e.Status)).toEqual(["in-use"]);
  });

  it("GIVEN the static strategy, a worker block of one address and a twin delivery whose create lands between this delivery's read and its own WHEN the address is InUse and nothing else is free THEN this delivery adopts the twin's ENI instead of ABANDONing the launch", async () => {
    const w = await world({ subnets: 1, maxSize: 1, workerHeadroom: 0, podsPerNode: 1 });
    const { instanceId, event } = w.launch();
    let twin: string | undefined;
    let lagging = 1;
    w.ec2Mock
      .on(CreateNetworkInterfaceCommand)
      .callsFakeOnce(async (input) => {
        // The twin (same event, same tags) takes the block's one address first.
        twin = (await w.model.createNetworkInterface(input)).NetworkInterface!.NetworkInterfaceId;
        return w.model.createNetworkInterface(input);
      })
      .callsFake((input) => w.model.createNetworkInterface(input));
    w.ec2Mock.on(DescribeNetworkInterfacesCommand).callsFake(async (input) => {
      const out = await w.model.describeNetworkInterfaces(input);
      // The read right after the lost create does not show the twin's ENI yet (reads lag writes).
      if (!twin || lagging-- <= 0) return out;
      return { ...out, NetworkInterfaces: out.NetworkInterfaces!.filter((e) => e.NetworkInterfaceId !== twin) };
    });

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "CONTINUE", by: "api" })]);
    const mine = taggedFor(w, instanceId);
    expect(mine.map((e) => e.Status)).toEqual(["in-use"]);
    expect(w.inWorkerBlock(mine[0]!)).toBe(true);
  });

  it("GIVEN the reservation strategy and the last DHCP address on a spare ENI that a losing delivery is deleting WHEN this launch's create finds the subnet full THEN it creates again once the spare is gone, instead of ABANDONing", async () => {
    const w = await world({ strategy: "reservation", subnets: 1, multusCidrs: ["10.0.4.0/28"], maxSize: 1, podsPerNode: 1 });
    const subnet = MULTUS_SUBNETS[0]!;
    while (w.model.dhcpFreeCount(subnet) > 1) w.model.addForeignInterface(subnet);
    const spare = w.model.addForeignInterface(subnet, { [ENI_TAG_KEYS.nodeGroup]: GROUP, [ENI_TAG_KEYS.instanceId]: "i-0another0000000000" });
    const { instanceId, event } = w.launch();
    let full = false;
    w.ec2Mock.on(CreateNetworkInterfaceCommand).callsFake(async (input) => {
      try {
        return await w.model.createNetworkInterface(input);
      } catch (err) {
        full = true;
        throw err;
      }
    });
    w.ec2Mock.on(DescribeNetworkInterfacesCommand).callsFake(async (input) => {
      const out = await w.model.describeNetworkInterfaces(input);
      // The delivery that lost its attach race deletes its spare just after this read shows it.
      if (full && w.model.dhcpFreeCount(subnet) === 0) await w.model.deleteNetworkInterface({ NetworkInterfaceId: spare.eniId });
      return out;
    });

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(2);
    expect(taggedFor(w, instanceId).map((e) => [e.Status, e.PrivateIpAddress])).toEqual([["in-use", spare.ip]]);
  });
});

describe("InvalidIPAddress.InUse", () => {
  it("GIVEN another launch takes the chosen address first WHEN the create fails InUse THEN the handler backs off with jitter, re-reads and succeeds with another address", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    let thief: string | undefined;
    w.ec2Mock.on(CreateNetworkInterfaceCommand).callsFakeOnce(async (input) => {
      // A concurrent launch gets there between this handler's read and its create.
      thief = input.PrivateIpAddress;
      await w.model.createNetworkInterface({ SubnetId: input.SubnetId, PrivateIpAddress: input.PrivateIpAddress });
      return w.model.createNetworkInterface(input);
    })
      .callsFake((input) => w.model.createNetworkInterface(input));

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    const eni = w.enisOf(instanceId)[1]!;
    expect(eni.PrivateIpAddress).not.toBe(thief);
    expect(w.inWorkerBlock(eni)).toBe(true);
    expect(w.sleeps).toHaveLength(1);
    expect(w.sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(w.sleeps[0]).toBeLessThanOrEqual(2000);
    expect((w.logs[0]!.enis as { attempts: number }[])[0]!.attempts).toBe(2);
  });

  // Both places matter: a retry that dropped the second subnet from its view would pick 10.0.5.4
  // there again (a lost create and a re-read), and would never find an ENI at 10.0.5.6 (a second
  // ENI made beside it, the first left holding its address).
  it.each(["10.0.5.4", "10.0.5.6"])(
    "GIVEN two multus subnets and an earlier delivery's unattached ENI in the second (at %s) WHEN the first subnet's create fails InUse THEN the retry keeps the second subnet in view: that ENI is attached, no create is spent on the second subnet",
    async (leftAt) => {
      const w = await world({ subnets: 2 });
      const { instanceId, event } = w.launch();
      // What an earlier delivery left in the second subnet: its ENI, tagged on create, never attached.
      const left = await w.model.createNetworkInterface({
        SubnetId: MULTUS_SUBNETS[1],
        PrivateIpAddress: leftAt,
        TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: ENI_TAG_KEYS.nodeGroup, Value: GROUP }, { Key: ENI_TAG_KEYS.instanceId, Value: instanceId }] }],
      });
      w.ec2Mock
        .on(CreateNetworkInterfaceCommand)
        .callsFakeOnce(async (input) => {
          // A concurrent launch takes the first subnet's chosen address between this handler's read and its create.
          await w.model.createNetworkInterface({ SubnetId: input.SubnetId, PrivateIpAddress: input.PrivateIpAddress });
          return w.model.createNetworkInterface(input);
        })
        .callsFake((input) => w.model.createNetworkInterface(input));

      const out = await w.handler(event);

      expect(out.result).toBe("CONTINUE");
      const creates = w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand).map((c) => c.args[0].input.SubnetId);
      expect(creates).toEqual([MULTUS_SUBNETS[0], MULTUS_SUBNETS[0]]);
      expect(w.enisOf(instanceId)[2]!.NetworkInterfaceId).toBe(left.NetworkInterface!.NetworkInterfaceId);
      // One ENI per subnet for the instance: none left unattached beside the one in use.
      expect(taggedFor(w, instanceId).map((e) => [e.SubnetId, e.Status])).toEqual([
        [MULTUS_SUBNETS[0], "in-use"],
        [MULTUS_SUBNETS[1], "in-use"],
      ]);
    },
  );

  it("GIVEN every address the handler tries is taken first WHEN the attempts run out THEN it abandons with the reason and leaves no ENI", async () => {
    const w = await world({ subnets: 1, extra: { ipAttempts: 3 } });
    const { instanceId, event } = w.launch();
    w.ec2Mock.on(CreateNetworkInterfaceCommand).callsFake(async (input) => {
      await w.model.createNetworkInterface({ SubnetId: input.SubnetId, PrivateIpAddress: input.PrivateIpAddress });
      return w.model.createNetworkInterface(input);
    });

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/3 addresses of the worker block .* were taken/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(3);
    expect(w.sleeps).toHaveLength(2);
    expect(taggedFor(w, instanceId)).toHaveLength(0);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "api" })]);
  });

  it("GIVEN a worker block with every address in use WHEN an instance launches THEN it abandons without trying to create, naming the block", async () => {
    const w = await world({ subnets: 1, maxSize: 1, workerHeadroom: 1 });
    const block = w.plan.subnets[0]!.workers;
    for (let ip = block.first; ip <= block.last; ip++) {
      await w.model.createNetworkInterface({ SubnetId: MULTUS_SUBNETS[0], PrivateIpAddress: ipStr(ip) });
    }
    const { event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/worker block 10\.0\.4\.4-10\.0\.4\.5 of subnet-0c0ffee0c0ffee004 has no free address/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
  });
});

function ipStr(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

describe("limits and placement", () => {
  it("GIVEN an instance type with 2 ENIs and 2 multus subnets WHEN it launches THEN the handler abandons before creating anything, citing the limit", async () => {
    const w = await world({ instanceType: "t3.micro" });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/t3\.micro takes 2 ENIs on its default network card; .* has 1 there and needs 2 more/);
    // Not the planned type: its limit came from DescribeInstanceTypes.
    expect(w.ec2Mock.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
    expect(w.asg.lifecycleState(instanceId)).toBe("Terminated");
  });

  it("GIVEN an instance in an AZ without multus subnets WHEN it launches THEN the handler abandons with an AZ mismatch and creates nothing", async () => {
    const w = await world({ nodeAz: "us-west-2b", multusAz: "us-west-2a" });
    const { event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/is in us-west-2b; the multus subnets are in us-west-2a/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
  });

  it("GIVEN a device index already taken by a foreign ENI WHEN the instance launches THEN the handler abandons naming the index", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    const other = await w.model.createNetworkInterface({ SubnetId: NODE_SUBNET });
    await w.model.attachNetworkInterface({ NetworkInterfaceId: other.NetworkInterface!.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 1 });

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/device index 1 of .* is taken by eni-/);
  });
});

describe("failure", () => {
  it("GIVEN the second subnet has no DHCP address left WHEN the launch fails mid-way THEN the action is ABANDONed and the first subnet's ENI, never detached, goes with the instance", async () => {
    const w = await world({ strategy: "reservation", multusCidrs: ["10.0.4.0/24", "10.0.5.0/28"], maxSize: 1, podsPerNode: 1 });
    while (w.model.dhcpFreeCount(MULTUS_SUBNETS[1]!) > 0) w.model.addForeignInterface(MULTUS_SUBNETS[1]!);
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/InsufficientFreeAddressesInSubnet/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(2);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "api" })]);
    const [first] = taggedFor(w, instanceId);
    expect(first?.Attachment).toMatchObject({ InstanceId: instanceId, DeleteOnTermination: true });
    expect(w.logs[0]).toMatchObject({ result: "ABANDON", deleted: [], deleteOnTermination: [first!.NetworkInterfaceId] });
    w.asg.expireAll(); // the instance shuts down and terminates
    expect(taggedFor(w, instanceId)).toHaveLength(0);
    expect(w.model.detachLog).toEqual([]);
  });

  it("GIVEN a launch that fails mid-way WHEN the cleanup's read of the instance's ENIs by tag fails THEN the ENIs this invocation created are still retired by id, and the reason says what failed", async () => {
    const w = await world({ strategy: "reservation", multusCidrs: ["10.0.4.0/24", "10.0.5.0/28"], maxSize: 1, podsPerNode: 1 });
    while (w.model.dhcpFreeCount(MULTUS_SUBNETS[1]!) > 0) w.model.addForeignInterface(MULTUS_SUBNETS[1]!);
    const { instanceId, event } = w.launch();
    w.ec2Mock.on(DescribeNetworkInterfacesCommand).callsFake(async (input) => {
      if (input.Filters?.some((f: { Name?: string }) => f.Name === `tag:${ENI_TAG_KEYS.instanceId}`)) throw new Ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", { status: 403 });
      return w.model.describeNetworkInterfaces(input);
    });

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/cleanup failed: .*UnauthorizedOperation/);
    const [first] = taggedFor(w, instanceId);
    expect(w.logs[0]).toMatchObject({ result: "ABANDON", deleteOnTermination: [first!.NetworkInterfaceId] });
  });

  it("GIVEN the instance is terminated while its ENI is being attached WHEN the attach fails IncorrectInstanceState THEN a state read shows it gone, no attach is retried, the ENI is deleted and the action ABANDONed", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    w.ec2Mock
      .on(AttachNetworkInterfaceCommand)
      .callsFakeOnce((input) => {
        w.model.terminateInstance(instanceId);
        return w.model.attachNetworkInterface(input);
      })
      .callsFake((input) => w.model.attachNetworkInterface(input));

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(new RegExp(`instance ${instanceId} is (shutting-down|terminated)`));
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand)).toHaveLength(1);
    expect(taggedFor(w, instanceId)).toHaveLength(0);
  });

  it("GIVEN a launching instance that refuses the first attaches (IncorrectInstanceState) WHEN the handler attaches THEN it waits, retries and CONTINUEs", async () => {
    const w = await world({ subnets: 2 });
    w.model.setFaults({ attachRefusals: 3 });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("CONTINUE");
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand).length).toBe(3 + 2);
    expect(taggedFor(w, instanceId).map((e) => e.Status)).toEqual(["in-use", "in-use"]);
  });

  it("GIVEN an instance that never takes the ENI WHEN the attach retries run out THEN the ENI is deleted and the action ABANDONed", async () => {
    const w = await world({ subnets: 1 });
    w.model.setFaults({ attachRefusals: 100 });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/IncorrectInstanceState/);
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand).length).toBeGreaterThan(1);
    expect(taggedFor(w, instanceId)).toHaveLength(0);
  });

  it("GIVEN other ENIs attached after the handler's read WHEN EC2 refuses the attach with AttachmentLimitExceeded THEN the created ENI is deleted and the action ABANDONed", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    w.ec2Mock
      .on(AttachNetworkInterfaceCommand)
      .callsFakeOnce(async (input) => {
        // Meanwhile something else fills the instance's remaining slots (c5.2xlarge: 4 ENIs).
        for (const DeviceIndex of [2, 3, 4]) {
          const other = await w.model.createNetworkInterface({ SubnetId: NODE_SUBNET });
          await w.model.attachNetworkInterface({ NetworkInterfaceId: other.NetworkInterface!.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex }).catch(() => undefined);
        }
        return w.model.attachNetworkInterface(input);
      })
      .callsFake((input) => w.model.attachNetworkInterface(input));

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/AttachmentLimitExceeded/);
    expect(taggedFor(w, instanceId)).toHaveLength(0);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "api" })]);
  });

  it("GIVEN an unexpected error from EC2 WHEN the first read throws THEN the action is still completed (ABANDON) and the reason logged", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    w.ec2Mock
      .on(Ec2SdkDescribeInstances())
      .rejectsOnce(new Ec2Error("UnauthorizedOperation", "You are not authorized to perform this operation."))
      .callsFake((input) => w.model.describeInstances(input));

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/UnauthorizedOperation/);
    expect(w.asg.results).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "api" })]);
    expect(w.logs[0]).toMatchObject({ action: "launch", result: "ABANDON", reason: expect.stringMatching(/UnauthorizedOperation/) });
  });

  it("GIVEN an instance that no longer exists WHEN its launch event arrives THEN the handler abandons with 'not found' and creates nothing", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    w.model.terminateInstance(instanceId);

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/is terminated|not found/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
  });
});

function Ec2SdkDescribeInstances() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2")).DescribeInstancesCommand;
}
