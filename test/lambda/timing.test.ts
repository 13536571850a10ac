import { AttachNetworkInterfaceCommand, CreateNetworkInterfaceCommand, DeleteNetworkInterfaceCommand, DescribeInstancesCommand, DescribeInstancesCommandInput } from "@aws-sdk/client-ec2";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { Ec2Error } from "../../simulator/ec2/errors";
import { TimingValues, timingProfile } from "../../simulator/timing";
import { attachesScarce } from "../../lambda/launch";
import { GROUP, MULTUS_SUBNETS, NODE_SUBNET, World, world } from "./world";

/**
 * The handler against models as slow and as lazy as AWS (the `aws` timing profile, some rows
 * pinned so each test shows one behaviour): its waits are bounded by time, not by counts, it
 * never detaches an ENI to clean up, and it never takes "not found" for "gone".
 */

const fixed = (ms: number) => ({ min: ms, max: ms });
const noLag = { probability: 0, typicalMs: fixed(0), tailProbability: 0, tailMs: fixed(0) };
const aws = (rows: Partial<TimingValues>) => timingProfile("aws", { pendingMs: fixed(0), attachMs: fixed(0), readLag: noLag, ...rows });

function taggedFor(w: World, instanceId: string) {
  return w.multusEnis().filter((e) => e.TagSet?.some((t) => t.Key === ENI_TAG_KEYS.instanceId && t.Value === instanceId));
}

describe("the launch under the aws timing profile", () => {
  test("GIVEN a launch that fails after its first ENI is attached, and a detach that takes 8 s WHEN the launch is ABANDONed THEN no ENI is detached and none outlives the instance's termination", async () => {
    const w = await world({ subnets: 2, maxSize: 1, workerHeadroom: 1, timing: aws({ attachMs: fixed(1000), detachMs: fixed(8000), shutdownMs: fixed(5000) }) });
    // The second subnet's worker block is full: the launch fails there, after the first ENI is attached.
    const block = w.plan.subnets[1]!.workers;
    for (let ip = block.first; ip <= block.last; ip++) await w.model.createNetworkInterface({ SubnetId: MULTUS_SUBNETS[1], PrivateIpAddress: [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join(".") });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);
    w.asg.expireAll(); // shutdown, termination, every pending detach

    expect(out.result).toBe("ABANDON");
    expect(w.model.detachLog).toEqual([]);
    expect(w.model.terminationLog).toEqual([expect.objectContaining({ instanceId, survivors: [] })]);
    expect(taggedFor(w, instanceId)).toEqual([]);
  });

  test("GIVEN DescribeInstances shows a new instance only 8 s after its launch WHEN its event arrives at once THEN the handler keeps reading until it shows, and CONTINUEs", async () => {
    const w = await world({ subnets: 1, timing: aws({ readLag: { probability: 1, typicalMs: fixed(8000), tailProbability: 0, tailMs: fixed(0) } }) });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE" });
    expect(w.clock.now()).toBeGreaterThanOrEqual(8000);
    expect(w.asg.lifecycleState(instanceId)).toBe("InService");
  });

  test("GIVEN a pending instance that refuses attaches for 20 s, as IncorrectInstanceState and as InvalidInstanceID WHEN it launches THEN the handler attaches once it takes the ENI, and CONTINUEs", async () => {
    const w = await world({ subnets: 1, timing: aws({ pendingMs: fixed(30_000), attachRefusedShare: { min: 2 / 3, max: 2 / 3 } }) });
    const { instanceId, event } = w.launch();
    const codes = new Set<string>();
    w.ec2Mock.on(AttachNetworkInterfaceCommand).callsFake(async (input) => {
      try {
        return await w.model.attachNetworkInterface(input);
      } catch (err) {
        codes.add((err as Error).name);
        throw err;
      }
    });

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE" });
    expect(codes).toEqual(new Set(["IncorrectInstanceState", "InvalidInstanceID"]));
    expect(w.clock.now()).toBeGreaterThanOrEqual(20_000);
    expect(w.enisOf(instanceId).map((e) => e.Attachment!.DeviceIndex)).toEqual([0, 1]);
  });

  test("GIVEN a launch already CONTINUEd WHEN a second delivery of its event finds no trace of the instance (InvalidInstanceID.NotFound, as a lagging read answers) THEN it gives up without detaching or deleting the live node's ENIs", async () => {
    const w = await world({ subnets: 2 });
    const { instanceId, event } = w.launch();
    expect((await w.handler(event)).result).toBe("CONTINUE");
    // From now on reads do not show the instance yet (eventual consistency).
    w.ec2Mock.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput) => {
      if (input.InstanceIds?.length) throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID '${input.InstanceIds[0]}' does not exist`);
      return { Reservations: [] };
    });

    const again = await w.handler(event);

    expect(again.result).toBe("ABANDON");
    expect(again.reason).toMatch(/No active Lifecycle Action/);
    expect(w.model.detachLog).toEqual([]);
    expect(w.enisOf(instanceId).map((e) => e.Attachment!.DeviceIndex)).toEqual([0, 1, 2]);
    expect(w.asg.lifecycleState(instanceId)).toBe("InService");
  });
});

describe("ENI limits per network card", () => {
  test("GIVEN c6in.32xlarge (8 ENIs on each of 2 cards) launched with 8 ENIs on card 1 WHEN it needs 2 multus ENIs THEN card 0's limit is what counts: it CONTINUEs with both", async () => {
    const w = await world({
      subnets: 2,
      plannedInstanceType: "c6in.32xlarge",
      launchInterfaces: Array.from({ length: 8 }, (_, k) => ({ subnet: "node" as const, deviceIndex: 10 + k, networkCardIndex: 1 })),
    });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE" });
    expect(w.enisOf(instanceId).filter((e) => e.Attachment!.NetworkCardIndex === 0).map((e) => e.Attachment!.DeviceIndex)).toEqual([0, 1, 2]);
  });

  test("GIVEN p5.48xlarge (2 ENIs on each of 32 cards, 64 in all) and 2 multus subnets WHEN it launches THEN the handler abandons before creating anything, citing the default card's limit", async () => {
    const w = await world({ subnets: 2, instanceType: "p5.48xlarge" });
    const { event } = w.launch();

    const out = await w.handler(event);

    expect(out.result).toBe("ABANDON");
    expect(out.reason).toMatch(/p5\.48xlarge takes 2 ENIs on its default network card; .* has 1 there and needs 2 more/);
    expect(w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand)).toHaveLength(0);
  });
});

describe("attaching to a pending instance", () => {
  test("GIVEN a pending instance (30 s) that refuses attaches for its first 20 s WHEN it launches THEN the handler reads its state between sparse attach probes (at most 3 attaches in all) and CONTINUEs", async () => {
    const w = await world({ subnets: 1, timing: aws({ pendingMs: fixed(30_000), attachRefusedShare: { min: 2 / 3, max: 2 / 3 } }) });
    const { instanceId, event } = w.launch();

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE" });
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand).length).toBeLessThanOrEqual(3);
    expect(w.ec2Mock.commandCalls(DescribeInstancesCommand).length).toBeGreaterThan(2);
    expect(w.enisOf(instanceId).map((e) => e.Attachment!.DeviceIndex)).toEqual([0, 1]);
  });

  test("GIVEN more pending instances in the group than the attach bucket serves while they boot (attachesScarce) WHEN one launches THEN it does not probe: one attach, once the instance is running", async () => {
    const w = await world({ subnets: 1, timing: aws({ pendingMs: fixed(30_000), attachRefusedShare: { min: 1 / 3, max: 1 / 3 } }) });
    const { instanceId, event } = w.launch();
    // The group's other launches: its tag, pending meanwhile.
    for (let k = 0; k < 160; k++) w.model.launchInstance({ instanceType: "t3.medium", subnetId: NODE_SUBNET, tags: { "aws:autoscaling:groupName": GROUP } });

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE" });
    expect(w.ec2Mock.commandCalls(AttachNetworkInterfaceCommand)).toHaveLength(1);
    expect(w.clock.now()).toBeGreaterThanOrEqual(30_000);
    expect(w.enisOf(instanceId).map((e) => e.Attachment!.DeviceIndex)).toEqual([0, 1]);
  });

  test("GIVEN 160 pending instances of a group, then 151, then 150 WHEN judging whether attaches are scarce THEN only more than 50 + 5/s x 20 s = 150 are", () => {
    const group = (n: number) => Array.from({ length: n }, (_, k) => ({ InstanceId: `i-${k}`, State: { Name: "pending" as const } }));

    expect([attachesScarce(group(160)), attachesScarce(group(151)), attachesScarce(group(150)), attachesScarce([...group(150), { State: { Name: "running" as const } }])]).toEqual([true, true, false, false]);
  });

  test("GIVEN a pending instance (30 s) and a twin delivery of its event that attaches its own ENI at 12 s WHEN this delivery waits on state reads THEN it sees the attachment within its reads (before its next attach probe), adopts it and deletes its spare while the instance is still pending", async () => {
    const w = await world({ subnets: 1, timing: aws({ pendingMs: fixed(30_000), attachRefusedShare: { min: 1 / 3, max: 1 / 3 } }) });
    const { instanceId, event } = w.launch();
    let twin: string | undefined;
    let deletedAt: number | undefined;
    w.ec2Mock.on(DescribeInstancesCommand).callsFake(async (input: DescribeInstancesCommandInput) => {
      if (!twin && w.clock.now() >= 12_000) {
        // The twin's ENI (same tags), attached at the subnet's device index.
        const ours = taggedFor(w, instanceId)[0]!;
        const made = await w.model.createNetworkInterface({ SubnetId: MULTUS_SUBNETS[0], TagSpecifications: [{ ResourceType: "network-interface", Tags: ours.TagSet }] });
        twin = made.NetworkInterface!.NetworkInterfaceId!;
        await w.model.attachNetworkInterface({ NetworkInterfaceId: twin, InstanceId: instanceId, DeviceIndex: 1 });
      }
      return w.model.describeInstances(input);
    });
    w.ec2Mock.on(DeleteNetworkInterfaceCommand).callsFake((input) => {
      deletedAt ??= w.clock.now();
      return w.model.deleteNetworkInterface(input);
    });

    const out = await w.handler(event);

    expect(out).toMatchObject({ result: "CONTINUE", enis: [expect.objectContaining({ eniId: twin })] });
    expect(deletedAt).toBeLessThan(20_000);
    expect(taggedFor(w, instanceId).map((e) => e.NetworkInterfaceId)).toEqual([twin]);
  });
});
