import { readFileSync } from "fs";
import path from "path";
import { AutoScalingModel } from "../../../simulator/autoscaling/model";
import { TRANSITIONS } from "../../../contract/lifecycle";

const { launching: LAUNCHING, terminating: TERMINATING } = TRANSITIONS;
import { Ec2Model } from "../../../simulator/ec2/model";

// Samples in the documented EventBridge shape (Amazon EC2 Auto Scaling user guide, event reference).
const EVENTS = path.join(__dirname, "fixtures");

function setup(opts: Partial<ConstructorParameters<typeof AutoScalingModel>[1]> = {}) {
  const ec2 = new Ec2Model({ seed: 1 });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/24", availabilityZone: "us-west-2a" });
  const multus = ec2.addSubnet({ cidr: "10.0.4.0/24", availabilityZone: "us-west-2a" });
  const asg = new AutoScalingModel(ec2, { subnetIds: [nodes.subnetId], seed: 3, ...opts });
  return { ec2, asg, multus: multus.subnetId };
}

function complete(asg: AutoScalingModel, token: string, hook: string, result: string) {
  return asg.completeLifecycleAction({ AutoScalingGroupName: asg.groupName, LifecycleHookName: hook, LifecycleActionToken: token, LifecycleActionResult: result });
}

/** Keys of an object, nested, as dotted paths. */
function shape(v: unknown, at = ""): string[] {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return [at];
  return Object.entries(v).flatMap(([k, x]) => shape(x, at ? `${at}.${k}` : k)).sort();
}

describe("AutoScalingModel: events", () => {
  test.each([
    ["launch", "launch-lifecycle-action.json"],
    ["terminate", "terminate-lifecycle-action.json"],
  ])("GIVEN a %s WHEN its event is emitted THEN it has exactly the documented event's fields", (kind, file) => {
    const sample = JSON.parse(readFileSync(path.join(EVENTS, file), "utf8"));
    const { asg } = setup();
    const { instanceId, events } = asg.launch();
    let event = events[0]!;
    if (kind === "terminate") {
      complete(asg, event.detail.LifecycleActionToken, event.detail.LifecycleHookName, "CONTINUE");
      event = asg.terminate(instanceId)[0]!;
    }
    expect(shape(event)).toEqual(shape(sample));
    expect(event["detail-type"]).toBe(sample["detail-type"]);
    expect(event.detail.LifecycleTransition).toBe(sample.detail.LifecycleTransition);
    expect(event.detail.EC2InstanceId).toBe(instanceId);
    expect(event.detail.LifecycleActionToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("GIVEN duplicateRate 1 WHEN launched THEN the same event is delivered twice; dropRate 1 THEN none is", () => {
    expect(setup({ duplicateRate: 1 }).asg.launch().events).toHaveLength(2);
    const dropped = setup({ dropRate: 1 });
    const { instanceId, events } = dropped.asg.launch();
    expect(events).toHaveLength(0);
    // A dropped event still leaves an open action that times out.
    expect(dropped.asg.pending().map((p) => p.instanceId)).toEqual([instanceId]);
  });
});

describe("AutoScalingModel: lifecycle actions", () => {
  test("GIVEN a launch WHEN completed with CONTINUE THEN InService and the result is logged", async () => {
    const { asg } = setup();
    const { instanceId, events } = asg.launch();
    expect(asg.lifecycleState(instanceId)).toBe("Pending:Wait");
    await complete(asg, events[0]!.detail.LifecycleActionToken, "multus-launch", "CONTINUE");
    expect(asg.lifecycleState(instanceId)).toBe("InService");
    expect(asg.results).toEqual([expect.objectContaining({ instanceId, transition: LAUNCHING, result: "CONTINUE", by: "api" })]);
  });

  test("GIVEN a launch with a secondary ENI (DeleteOnTermination) WHEN ABANDONed THEN the instance is terminated and the ENI released", async () => {
    const { ec2, asg, multus } = setup();
    const { instanceId, events } = asg.launch();
    const eni = (await ec2.createNetworkInterface({ SubnetId: multus })).NetworkInterface!;
    const att = await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: instanceId, DeviceIndex: 1 });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni.NetworkInterfaceId, Attachment: { AttachmentId: att.AttachmentId, DeleteOnTermination: true } });
    await complete(asg, events[0]!.detail.LifecycleActionToken, "multus-launch", "ABANDON");
    expect(asg.lifecycleState(instanceId)).toBe("Terminated");
    // Shutting down: the ENI is still attached until the shutdown ends.
    expect(ec2.instanceState(instanceId)).toBe("shutting-down");
    expect(ec2.networkInterface(eni.NetworkInterfaceId!)!.Status).toBe("in-use");
    asg.advance(30_000);
    expect(ec2.instanceState(instanceId)).toBe("terminated");
    expect(ec2.networkInterface(eni.NetworkInterfaceId!)).toBeUndefined();
  });

  test("GIVEN a launch never completed WHEN the heartbeat timeout passes THEN the default ABANDON is taken and the instance terminated", () => {
    const { asg } = setup({ launchHook: { name: "multus-launch", defaultResult: "ABANDON", heartbeatTimeout: 60 } });
    const { instanceId } = asg.launch();
    expect(asg.advance(59_999)).toEqual([]);
    const done = asg.advance(1);
    expect(done).toEqual([expect.objectContaining({ instanceId, result: "ABANDON", by: "timeout" })]);
    expect(asg.lifecycleState(instanceId)).toBe("Terminated");
  });

  test("GIVEN a heartbeat WHEN recorded before the timeout THEN the deadline moves on", async () => {
    const { asg } = setup({ launchHook: { name: "multus-launch", defaultResult: "ABANDON", heartbeatTimeout: 60 } });
    const { events } = asg.launch();
    asg.advance(50_000);
    await asg.recordLifecycleActionHeartbeat({ AutoScalingGroupName: asg.groupName, LifecycleHookName: "multus-launch", LifecycleActionToken: events[0]!.detail.LifecycleActionToken });
    expect(asg.advance(50_000)).toEqual([]);
    expect(asg.advance(10_000)).toHaveLength(1);
  });

  test("GIVEN a terminate never completed WHEN it times out THEN the default CONTINUE is taken and the instance terminated", async () => {
    const { asg } = setup();
    const { instanceId, events } = asg.launch();
    await complete(asg, events[0]!.detail.LifecycleActionToken, "multus-launch", "CONTINUE");
    asg.terminate(instanceId);
    expect(asg.lifecycleState(instanceId)).toBe("Terminating:Wait");
    const done = asg.expireAll();
    expect(done).toEqual([expect.objectContaining({ instanceId, transition: TERMINATING, result: "CONTINUE", by: "timeout" })]);
    expect(asg.lifecycleState(instanceId)).toBe("Terminated");
  });

  test("GIVEN completion by instance id (as the reference Lambda does) THEN the open action of that hook ends", async () => {
    const { asg } = setup();
    const { instanceId } = asg.launch();
    await asg.completeLifecycleAction({ AutoScalingGroupName: asg.groupName, LifecycleHookName: "multus-launch", InstanceId: instanceId, LifecycleActionResult: "CONTINUE" });
    expect(asg.lifecycleState(instanceId)).toBe("InService");
  });

  test.each([
    ["an unknown token", { LifecycleActionToken: "00000000-0000-4000-8000-000000000000" }, /No active Lifecycle Action found with token/],
    ["an unknown instance", { InstanceId: "i-0000" }, /No active Lifecycle Action found with instance ID i-0000/],
    ["neither token nor instance", {}, /Either LifecycleActionToken or InstanceId/],
    ["a wrong hook name", { LifecycleHookName: "nope" }, /No Lifecycle Hook found/],
    ["a wrong group", { AutoScalingGroupName: "nope" }, /AutoScalingGroup name not found/],
    ["a bad result", { LifecycleActionResult: "MAYBE" }, /lifecycleActionResult/],
  ])("GIVEN %s WHEN completing THEN ValidationError", async (_what, override, message) => {
    const { asg } = setup();
    const { events } = asg.launch();
    const input = {
      AutoScalingGroupName: asg.groupName,
      LifecycleHookName: "multus-launch",
      LifecycleActionToken: events[0]!.detail.LifecycleActionToken as string | undefined,
      LifecycleActionResult: "CONTINUE",
      ...override,
    };
    if (!("LifecycleActionToken" in override) && ("InstanceId" in override || Object.keys(override).length === 0)) delete input.LifecycleActionToken;
    await expect(asg.completeLifecycleAction(input)).rejects.toMatchObject({ name: "ValidationError", message: expect.stringMatching(message) });
    expect(asg.pending()).toHaveLength(1);
  });

  test("GIVEN a completed action WHEN completed again (a replayed event) THEN ValidationError and the first result stands", async () => {
    const { asg } = setup();
    const { instanceId, events } = asg.launch();
    const token = events[0]!.detail.LifecycleActionToken;
    await complete(asg, token, "multus-launch", "CONTINUE");
    await expect(complete(asg, token, "multus-launch", "ABANDON")).rejects.toMatchObject({ name: "ValidationError" });
    expect(asg.lifecycleState(instanceId)).toBe("InService");
    expect(asg.results).toHaveLength(1);
  });

  test("GIVEN instances WHEN described THEN lifecycle states show, and the hooks are described with their defaults", async () => {
    const { asg } = setup();
    const { instanceId } = asg.launch();
    const d = await asg.describeAutoScalingInstances({ InstanceIds: [instanceId] });
    expect(d.AutoScalingInstances![0]).toMatchObject({ InstanceId: instanceId, LifecycleState: "Pending:Wait" });
    const hooks = await asg.describeLifecycleHooks({ AutoScalingGroupName: asg.groupName });
    expect(hooks.LifecycleHooks!.map((h) => [h.LifecycleTransition, h.DefaultResult])).toEqual([
      [LAUNCHING, "ABANDON"],
      [TERMINATING, "CONTINUE"],
    ]);
  });

  test("GIVEN no launch hook WHEN launched THEN the instance is InService without events", () => {
    const { asg } = setup({ launchHook: null });
    const { instanceId, events } = asg.launch();
    expect(events).toEqual([]);
    expect(asg.lifecycleState(instanceId)).toBe("InService");
  });
});

describe("AutoScalingModel: a hookless group's state changes", () => {
  test("GIVEN a Karpenter-tagged group WHEN an instance terminates THEN shutting-down now, terminated once the shutdown ends (EC2's two state changes)", () => {
    const { ec2, asg } = setup({ instanceTag: { key: "karpenter.sh/nodepool", value: "burst" }, launchHook: null, terminateHook: null, terminationDelayMs: 5000 });
    const { instanceId, stateEvents } = asg.launch();
    expect(stateEvents.map((e) => e.detail.state)).toEqual(["pending"]);
    const going = asg.terminateWithEvents(instanceId);
    expect(going.map((e) => ("state" in e.detail ? e.detail.state : undefined))).toEqual(["shutting-down"]);
    expect(asg.shutdownEndsAt(instanceId)).toBe(ec2.clock.now() + 5000);
    expect(asg.terminatedEvents(instanceId)).toEqual([]);
    asg.advance(5000);
    expect(ec2.instanceState(instanceId)).toBe("terminated");
    const gone = asg.terminatedEvents(instanceId);
    expect(gone.map((e) => [e.detail["instance-id"], e.detail.state, e["detail-type"], e.source])).toEqual([[instanceId, "terminated", "EC2 Instance State-change Notification", "aws.ec2"]]);
  });

  test("GIVEN an Auto Scaling group with hooks THEN no state changes at all", () => {
    const { asg } = setup({ terminationDelayMs: 5000 });
    const { instanceId } = asg.launch();
    expect(asg.shutdownEndsAt(instanceId)).toBeUndefined();
    expect(asg.terminatedEvents(instanceId)).toEqual([]);
  });
});
