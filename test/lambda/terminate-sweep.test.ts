import { DeleteNetworkInterfaceCommand, DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { SWEEP_GRACE_MS } from "../../lambda/handler";
import { GROUP, MULTUS_SUBNETS, World, world } from "./world";

function tagged(w: World, instanceId: string) {
  return w.multusEnis().filter((e) => e.TagSet?.some((t) => t.Key === ENI_TAG_KEYS.instanceId && t.Value === instanceId));
}

/** A multus ENI as an earlier launch would have left it, `available`. */
async function leftover(w: World, instanceId: string, opts: { createdAt?: number; group?: string; ip?: string } = {}) {
  const tags = [
    { Key: ENI_TAG_KEYS.nodeGroup, Value: opts.group ?? GROUP },
    { Key: ENI_TAG_KEYS.instanceId, Value: instanceId },
    ...(opts.createdAt !== undefined ? [{ Key: ENI_TAG_KEYS.createdAt, Value: new Date(opts.createdAt).toISOString() }] : []),
  ];
  const out = await w.model.createNetworkInterface({
    SubnetId: MULTUS_SUBNETS[0],
    ...(opts.ip ? { PrivateIpAddress: opts.ip } : {}),
    TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }],
  });
  return out.NetworkInterface!.NetworkInterfaceId!;
}

describe("terminate", () => {
  it("GIVEN a launched node WHEN its terminate action arrives THEN the action is CONTINUEd and its multus ENIs go with the instance", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const events = w.asg.terminate(instanceId);

    const out = await w.handler(events[0]);

    expect(out).toMatchObject({ action: "terminate", result: "CONTINUE" });
    expect(w.asg.results.at(-1)).toMatchObject({ instanceId, result: "CONTINUE", by: "api" });
    w.asg.expireAll(); // the shutdown ends
    expect(tagged(w, instanceId)).toEqual([]);
  });

  it("GIVEN a detached multus ENI of the node WHEN the terminate action arrives THEN the handler deletes it", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const eni = w.enisOf(instanceId)[1]!;
    await w.model.detachNetworkInterface({ AttachmentId: eni.Attachment!.AttachmentId });
    const events = w.asg.terminate(instanceId);

    const out = await w.handler(events[0]);

    expect(out.enis.map((e) => e.eniId)).toEqual([eni.NetworkInterfaceId]);
    expect(w.ec2Mock.commandCalls(DeleteNetworkInterfaceCommand).map((c) => c.args[0].input.NetworkInterfaceId)).toEqual([eni.NetworkInterfaceId]);
    expect(w.model.networkInterface(eni.NetworkInterfaceId!)).toBeUndefined();
  });

  it("GIVEN an attached multus ENI without DeleteOnTermination WHEN the terminate action arrives THEN the handler sets it so EC2 deletes the ENI with the instance", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const eni = w.enisOf(instanceId)[1]!;
    await w.model.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni.NetworkInterfaceId, Attachment: { AttachmentId: eni.Attachment!.AttachmentId, DeleteOnTermination: false } });
    const events = w.asg.terminate(instanceId);

    await w.handler(events[0]);
    w.asg.expireAll(); // the shutdown ends

    expect(w.model.networkInterface(eni.NetworkInterfaceId!)).toBeUndefined();
  });

  it("GIVEN EC2 fails while the handler cleans up WHEN the terminate action runs THEN it is still completed with CONTINUE and the reason logged", async () => {
    const w = await world({ subnets: 1 });
    const { instanceId, event } = w.launch();
    await w.handler(event);
    w.ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(Object.assign(new Error("Service unavailable"), { name: "ServiceUnavailable" }));
    const events = w.asg.terminate(instanceId);

    const out = await w.handler(events[0]);

    expect(out.result).toBe("CONTINUE");
    expect(out.reason).toMatch(/ServiceUnavailable/);
    expect(w.asg.results.at(-1)).toMatchObject({ instanceId, result: "CONTINUE", by: "api" });
  });
});

describe("sweep", () => {
  it("GIVEN available ENIs of dead, live, unknown and foreign owners WHEN the scheduled sweep runs THEN only this group's ENIs whose instance is gone (or unseen past the grace period) are deleted", async () => {
    const now = 10 * SWEEP_GRACE_MS;
    const w = await world({ subnets: 1, now: () => now });
    const dead = w.launch().instanceId;
    const live = w.launch().instanceId;
    w.model.terminateInstance(dead);
    const ofDead = await leftover(w, dead);
    const ofLive = await leftover(w, live); // mid-launch: created, not yet attached
    const unknownOld = await leftover(w, "i-0000000000000dead", { createdAt: now - SWEEP_GRACE_MS });
    const unknownYoung = await leftover(w, "i-0000000000000beef", { createdAt: now - 1000 });
    const otherGroup = await leftover(w, dead, { group: "another-group" });

    const out = await w.handler({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} });

    expect(out).toMatchObject({ action: "sweep", result: "NONE" });
    expect(out.enis.map((e) => e.eniId).sort()).toEqual([ofDead, unknownOld].sort());
    for (const id of [ofDead, unknownOld]) expect(w.model.networkInterface(id)).toBeUndefined();
    for (const id of [ofLive, unknownYoung, otherGroup]) expect(w.model.networkInterface(id)).toBeDefined();
    expect(w.logs.at(-1)).toMatchObject({ action: "sweep", spared: expect.arrayContaining([ofLive, unknownYoung]) });
  });

  it('GIVEN the node group module\'s constant input {"action":"sweep"} WHEN it arrives THEN the handler sweeps', async () => {
    const w = await world({ subnets: 1 });
    const dead = w.launch().instanceId;
    w.model.terminateInstance(dead);
    const eni = await leftover(w, dead);

    const out = await w.handler({ source: "multus.sweep", action: "sweep" });

    expect(out.action).toBe("sweep");
    expect(out.enis.map((e) => e.eniId)).toEqual([eni]);
  });

  it("GIVEN one orphan that EC2 refuses to delete WHEN the sweep runs THEN the other orphans still go and the refusal is logged", async () => {
    const w = await world({ subnets: 1 });
    const dead = w.launch().instanceId;
    w.model.terminateInstance(dead);
    const stuck = await leftover(w, dead);
    const other = await leftover(w, dead);
    w.ec2Mock
      .on(DeleteNetworkInterfaceCommand, { NetworkInterfaceId: stuck })
      .rejects(Object.assign(new Error(`Network interface '${stuck}' is currently in use.`), { name: "InvalidNetworkInterface.InUse" }));

    const out = await w.handler({ action: "sweep" });

    expect(out.enis.map((e) => e.eniId)).toEqual([other]);
    expect(w.model.networkInterface(stuck)).toBeDefined();
    expect(out.reason).toContain(`${stuck}: InvalidNetworkInterface.InUse`);
  });

  it("GIVEN attached ENIs of running nodes WHEN the sweep runs THEN it touches none of them", async () => {
    const w = await world();
    const { instanceId, event } = w.launch();
    await w.handler(event);
    const before = tagged(w, instanceId).map((e) => e.NetworkInterfaceId);

    const out = await w.handler({ action: "sweep" });

    expect(out.enis).toEqual([]);
    expect(tagged(w, instanceId).map((e) => e.NetworkInterfaceId)).toEqual(before);
  });
});
