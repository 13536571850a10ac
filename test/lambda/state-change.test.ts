import { ipToInt as ipInt } from "../../ipam";
import { GROUP_INSTANCE_TAG, STATE_CHANGE } from "../../contract/state-change";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { EventError, parseEvent } from "../../lambda/events";
import { mixedFunction } from "./mixed-function";


/** EC2's state-change event, as EventBridge delivers it (Amazon EventBridge, "Amazon EC2 events"). */
function stateEvent(instanceId: string, state: string) {
  return { version: "0", id: "e1", "detail-type": STATE_CHANGE.detailType, source: "aws.ec2", account: "123456789012", time: "2026-01-01T00:00:00Z", region: "us-west-2", resources: [], detail: { "instance-id": instanceId, state } };
}

/** One function for the mixed example's groups, its configuration through the environment round trip. */
async function setup(): ReturnType<typeof mixedFunction> {
  return mixedFunction({ seed: 5 });
}

describe("EC2 Instance State-change Notification events", () => {
  test("GIVEN the config's groups THEN the Karpenter and managed ones carry their kind and the NodePool / node group name through the environment", async () => {
    const { groups } = await setup();
    expect(groups.map((g) => [g.name, g.kind ?? "autoscaling", g.autoScalingGroupName])).toEqual([
      ["asg", "autoscaling", "eks-multus-cluster-asg"],
      ["burst", "karpenter", "eks-multus-cluster-burst"],
      ["steady", "managed", "eks-multus-cluster-steady"],
    ]);
  });

  test.each([
    ["burst", GROUP_INSTANCE_TAG.karpenter],
    ["steady", GROUP_INSTANCE_TAG.managed],
  ])("GIVEN a pending instance tagged as a node of %s THEN it gets its multus ENI from the group's plan, with nothing to complete; a replay changes nothing", async (name, key) => {
    const { ec2, plan, groups, handler } = await setup();
    const g = groups.find((x) => x.name === name)!;
    const instanceId = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: ec2.subnetIds().find((s) => ec2.subnetInfo(s).subnet.cidr === "10.0.100.0/24")!, tags: { [key]: g.autoScalingGroupName } }).instanceId;
    const out = await handler(stateEvent(instanceId, "pending"));
    expect(out).toMatchObject({ action: "launch", result: "NONE" });
    expect(out.enis).toHaveLength(1);
    const eni = ec2.networkInterface(out.enis[0]!.eniId)!;
    expect(eni.Attachment!.InstanceId).toBe(instanceId);
    expect(eni.TagSet!.find((t) => t.Key === ENI_TAG_KEYS.nodeGroup)!.Value).toBe(g.nodeGroupTag);
    const s = plan.subnets.find((x) => x.id === out.enis[0]!.subnetId)!;
    const block = s.workerBlocks[name];
    // burst is static (a worker block), steady takes DHCP outside every block.
    if (block) expect(block.first <= ipInt(out.enis[0]!.ip) && ipInt(out.enis[0]!.ip) <= block.last).toBe(true);
    else expect(s.dhcp.some((r) => r.first <= ipInt(out.enis[0]!.ip) && ipInt(out.enis[0]!.ip) <= r.last)).toBe(true);
    const again = await handler(stateEvent(instanceId, "pending"));
    expect(again.enis.map((e) => e.eniId)).toEqual(out.enis.map((e) => e.eniId));
    expect(ec2.networkInterfaceIds(s.id)).toHaveLength(1);
  });

  test("GIVEN an instance of no served group (an Auto Scaling group's, or untagged) THEN ignored, naming the tags it looks for", async () => {
    const { handler, launch } = await setup();
    for (const tags of [{ "aws:autoscaling:groupName": "eks-multus-cluster-asg" }, {}] as Record<string, string>[]) {
      const out = await handler(stateEvent(launch(tags), "pending"));
      expect(out.action).toBe("ignored");
      expect(out.reason).toMatch(/karpenter\.sh\/nodepool=eks-multus-cluster-burst, eks:nodegroup-name=eks-multus-cluster-steady/);
    }
  });

  test("GIVEN a Karpenter node whose ENI was left detached WHEN it terminates THEN the terminated event deletes the ENI; shutting-down marks an attached one DeleteOnTermination", async () => {
    const { ec2, groups, handler } = await setup();
    const burst = groups.find((x) => x.name === "burst")!;
    const primary = ec2.subnetIds().find((s) => ec2.subnetInfo(s).subnet.cidr === "10.0.100.0/24")!;
    const instanceId = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: primary, tags: { [GROUP_INSTANCE_TAG.karpenter]: burst.autoScalingGroupName } }).instanceId;
    const { enis } = await handler(stateEvent(instanceId, "pending"));
    const eniId = enis[0]!.eniId;
    // Detach it, as a crash might leave it: the DeleteOnTermination the launch set goes with the attachment.
    await ec2.detachNetworkInterface({ AttachmentId: ec2.networkInterface(eniId)!.Attachment!.AttachmentId, Force: true });
    ec2.clock.advance(60_000);
    ec2.beginTermination(instanceId);
    await handler(stateEvent(instanceId, "shutting-down"));
    ec2.terminateInstance(instanceId);
    const out = await handler(stateEvent(instanceId, "terminated"));
    expect(out).toMatchObject({ action: "terminate", result: "NONE" });
    expect(ec2.networkInterface(eniId)).toBeUndefined();
  });

  test.each([
    ["shutting-down, then terminated", ["shutting-down", "terminated"]],
    ["terminated only (shutting-down lost)", ["terminated"]],
    ["terminated, then a late shutting-down", ["terminated", "shutting-down"]],
    ["each twice", ["shutting-down", "shutting-down", "terminated", "terminated"]],
  ])("GIVEN a managed node with an attached and a stray detached ENI WHEN its state changes arrive %s THEN the ENIs go, every delivery ends without error, the second does nothing", async (_, states) => {
    const { ec2, plan, groups, handler } = await setup();
    const steady = groups.find((x) => x.name === "steady")!;
    const primary = ec2.subnetIds().find((s) => ec2.subnetInfo(s).subnet.cidr === "10.0.100.0/24")!;
    const instanceId = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: primary, tags: { [GROUP_INSTANCE_TAG.managed]: steady.autoScalingGroupName } }).instanceId;
    const { enis } = await handler(stateEvent(instanceId, "pending"));
    // A spare a crashed delivery left behind: tagged for the instance, never attached.
    const subnet = plan.subnets.find((x) => x.id === enis[0]!.subnetId)!;
    const stray = (await ec2.createNetworkInterface({ SubnetId: subnet.id, TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: ENI_TAG_KEYS.nodeGroup, Value: steady.nodeGroupTag }, { Key: ENI_TAG_KEYS.instanceId, Value: instanceId }] }] })).NetworkInterface!.NetworkInterfaceId!;
    ec2.beginTermination(instanceId);
    const deleted: string[] = [];
    for (const [k, state] of states.entries()) {
      if (state === "terminated" && ec2.instanceState(instanceId) !== "terminated") ec2.terminateInstance(instanceId);
      const out = await handler(stateEvent(instanceId, state));
      expect(out).toMatchObject({ action: "terminate", result: "NONE" });
      expect(out.reason).toBeUndefined();
      if (k > 0 && states[k - 1] === state) expect(out.enis).toEqual([]);
      deleted.push(...out.enis.map((e) => e.eniId));
    }
    if (ec2.instanceState(instanceId) !== "terminated") ec2.terminateInstance(instanceId);
    expect(deleted).toEqual([stray]);
    expect(ec2.networkInterface(stray)).toBeUndefined();
    expect(ec2.networkInterface(enis[0]!.eniId)).toBeUndefined();
  });

  test("GIVEN a state-change event with a bad instance id or state THEN a clear error naming the field", () => {
    expect(() => parseEvent(stateEvent("bogus", "pending"))).toThrow(EventError);
    expect(() => parseEvent(stateEvent("bogus", "pending"))).toThrow(/detail\.instance-id: "bogus" is not an EC2 instance id/);
    expect(() => parseEvent(stateEvent("i-0123456789abcdef0", "exploding"))).toThrow(/detail\.state: "exploding" is not an instance state/);
    expect(() => parseEvent({ ...stateEvent("i-0123456789abcdef0", "pending"), source: "my.app" })).toThrow(/^source: /);
    expect(parseEvent(stateEvent("i-0123456789abcdef0", "running"))).toMatchObject({ kind: "ignored" });
    expect(parseEvent(stateEvent("i-0123456789abcdef0", "terminated"))).toMatchObject({ kind: "state", step: "cleanup" });
  });
});
