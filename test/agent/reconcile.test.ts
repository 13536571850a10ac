import { NETWORK_STATUS_ANNOTATION } from "../../agent/annotation";
import { AgentPod } from "../../agent/kube";
import { AgentSubnet, EVENT_REASONS, LogLine, NodeEni, describeNodeEnis, newAgentMemory, planNode, reconcileNode } from "../../agent/reconcile";
import { parseCidr } from "../../contract/address";
import { parseCidr6 } from "../../contract/address6";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { networkStatusAnnotation } from "../../simulator/kube";
import { ec2Client } from "../../simulator/sdk";
import { NODE_GROUP, SimNode, ipv6s, makeWorld, reconcile, secondaries } from "./world";

const SUBNETS = new Map([
  ["subnet-a", parseCidr("10.0.16.0/24", "a")],
  ["subnet-b", parseCidr("10.0.17.0/24", "b")],
]);

let seq = 0;
function pod(ips: string[], extra: Partial<AgentPod> = {}): AgentPod {
  seq++;
  return {
    namespace: "default",
    name: `p${seq}`,
    uid: `u${seq}`,
    nodeName: "n1",
    phase: "Running",
    terminating: false,
    createdAt: `2026-01-01T00:00:${String(seq % 60).padStart(2, "0")}Z`,
    annotations: { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(ips.map((ip, i) => ({ network: `default/net-${i}`, ips: [ip] })), "10.0.16.77") },
    ...extra,
  };
}

function eni(id: string, subnetId: string, primaryIp: string, secondaryIps: string[] = [], deviceIndex = 1): NodeEni {
  return { eniId: id, subnetId, primaryIp, secondaryIps, ipv6s: [], deviceIndex };
}

describe("planNode", () => {
  it("GIVEN running pods with addresses in two multus subnets WHEN planned THEN each address goes to the ENI of its subnet", () => {
    const plan = planNode([pod(["10.0.16.100", "10.0.17.100"]), pod(["10.0.16.101"])], [eni("eni-a", "subnet-a", "10.0.16.10"), eni("eni-b", "subnet-b", "10.0.17.10", [], 2)], SUBNETS);
    expect(plan.enis).toEqual([
      { eniId: "eni-a", subnetId: "subnet-a", desired: ["10.0.16.100", "10.0.16.101"], assign: ["10.0.16.100", "10.0.16.101"], unassign: [], desired6: [], assign6: [], unassign6: [] },
      { eniId: "eni-b", subnetId: "subnet-b", desired: ["10.0.17.100"], assign: ["10.0.17.100"], unassign: [], desired6: [], assign6: [], unassign6: [] },
    ]);
  });

  it("GIVEN the default network's address lies in a multus subnet WHEN planned THEN it is still not assigned (only multus attachments count)", () => {
    // pod() writes the aws-cni default entry with 10.0.16.77, inside subnet-a.
    const plan = planNode([pod(["10.0.16.100"])], [eni("eni-a", "subnet-a", "10.0.16.10")], SUBNETS);
    expect(plan.enis[0]!.desired).toEqual(["10.0.16.100"]);
  });

  it("GIVEN an ENI holding addresses of a deleted pod and of a finished one WHEN planned THEN both are unassigned, a terminating pod's address stays", () => {
    const finished = pod(["10.0.16.101"], { phase: "Succeeded" });
    const failed = pod(["10.0.16.103"], { phase: "Failed" });
    const terminating = pod(["10.0.16.102"], { terminating: true });
    const plan = planNode([finished, failed, terminating], [eni("eni-a", "subnet-a", "10.0.16.10", ["10.0.16.100", "10.0.16.101", "10.0.16.102", "10.0.16.103"])], SUBNETS);
    expect(plan.enis[0]!.unassign).toEqual(["10.0.16.100", "10.0.16.101", "10.0.16.103"]);
    expect(plan.enis[0]!.assign).toEqual([]);
  });

  it("GIVEN a pod address in no subnet of the node's multus ENIs WHEN planned THEN it is reported as outside and nothing is assigned", () => {
    const plan = planNode([pod(["10.9.0.5"])], [eni("eni-a", "subnet-a", "10.0.16.10")], SUBNETS);
    expect(plan.outside).toEqual([{ pod: expect.objectContaining({ name: expect.any(String) }), ip: "10.9.0.5" }]);
    expect(plan.enis[0]!.assign).toEqual([]);
  });

  it("GIVEN a full ENI and an older pod arriving WHEN planned THEN the assigned pods keep their addresses and the newcomer is over the limit", () => {
    const older = pod(["10.0.16.105"], { createdAt: "2025-01-01T00:00:00Z" });
    const a = pod(["10.0.16.100"]);
    const b = pod(["10.0.16.101"]);
    const plan = planNode([older, a, b], [eni("eni-a", "subnet-a", "10.0.16.10", ["10.0.16.100", "10.0.16.101"])], SUBNETS, { podsPerEni: 2 });
    expect(plan.enis[0]!.desired).toEqual(["10.0.16.100", "10.0.16.101"]);
    expect(plan.overLimit).toEqual([{ pod: expect.objectContaining({ uid: older.uid }), ip: "10.0.16.105", eniId: "eni-a", limit: 2 }]);
  });

  it("GIVEN an empty ENI and more pods than it holds WHEN planned THEN the oldest pods get the slots", () => {
    const late = pod(["10.0.16.100"], { createdAt: "2026-03-01T00:00:00Z" });
    const early = pod(["10.0.16.101"], { createdAt: "2026-02-01T00:00:00Z" });
    const plan = planNode([late, early], [eni("eni-a", "subnet-a", "10.0.16.10")], SUBNETS, { podsPerEni: 1 });
    expect(plan.enis[0]!.assign).toEqual(["10.0.16.101"]);
    expect(plan.overLimit.map((o) => o.pod.uid)).toEqual([late.uid]);
  });

  it("GIVEN a pod whose annotation cannot be read WHEN planned THEN nothing is unassigned on the node but readable pods are still assigned", () => {
    const broken = pod([], { annotations: { [NETWORK_STATUS_ANNOTATION]: "[{" } });
    const plan = planNode([broken, pod(["10.0.16.100"])], [eni("eni-a", "subnet-a", "10.0.16.10", ["10.0.16.150"])], SUBNETS);
    expect(plan.unreadable).toEqual([{ pod: expect.objectContaining({ uid: broken.uid }), error: expect.stringMatching(/is not JSON/) }]);
    expect(plan.enis[0]!.unassign).toEqual([]);
    expect(plan.enis[0]!.assign).toEqual(["10.0.16.100"]);
  });

  it("GIVEN a pod address equal to the ENI's primary address WHEN planned THEN it is a collision, neither assigned nor unassigned", () => {
    const plan = planNode([pod(["10.0.16.10"])], [eni("eni-a", "subnet-a", "10.0.16.10")], SUBNETS);
    expect(plan.primaryCollisions).toEqual([expect.objectContaining({ ip: "10.0.16.10", eniId: "eni-a" })]);
    expect(plan.enis[0]).toMatchObject({ desired: [], assign: [], unassign: [] });
  });

  it("GIVEN two live pods claiming one address WHEN planned THEN it is assigned once and reported as a duplicate", () => {
    const plan = planNode([pod(["10.0.16.100"]), pod(["10.0.16.100"])], [eni("eni-a", "subnet-a", "10.0.16.10")], SUBNETS);
    expect(plan.enis[0]!.assign).toEqual(["10.0.16.100"]);
    expect(plan.duplicates).toEqual([{ ip: "10.0.16.100", pods: [expect.anything(), expect.anything()] }]);
  });
});

describe("reconcileNode against the simulated EC2", () => {
  it("GIVEN pods on a node WHEN reconciled twice THEN the first round assigns their addresses and the second costs one DescribeNetworkInterfaces and changes nothing", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    const [ip1, ip2] = world.subnets[0]!.podPool;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip1!] }] });
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip2!] }] });
    const first = await reconcile(world, node);
    expect(first.assigned).toEqual([
      { eniId: node.enis[0], ip: ip1 },
      { eniId: node.enis[0], ip: ip2 },
    ]);
    expect(secondaries(world, node.enis[0]!)).toEqual([ip1, ip2]);

    const calls = world.model.callCount;
    const second = await reconcile(world, node);
    expect(second).toMatchObject({ assigned: [], unassigned: [], errors: [] });
    expect(world.model.callCount - calls).toBe(1);
  });

  it("GIVEN a foreign ENI in a multus subnet on the node WHEN a pod address falls in its subnet THEN the agent neither assigns to it nor releases its addresses", async () => {
    const world = await makeWorld({ nodes: 1, foreignOn: [0] });
    const node = world.nodes[0]!;
    const foreign = world.foreign[0]!;
    const ip = world.subnets[1]!.podPool[0]!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip] }] });
    const lines: LogLine[] = [];
    const result = await reconcile(world, node, { log: (l) => lines.push(l) });
    await reconcile(world, node, { log: (l) => lines.push(l) });
    expect(result.plan.outside.map((o) => o.ip)).toEqual([ip]);
    expect(secondaries(world, foreign.eniId)).toEqual([foreign.secondary]);
    // Logged once, not on every round.
    expect(lines.filter((l) => l.ip === ip)).toEqual([expect.objectContaining({ msg: "address outside the node's multus subnets: ignored" })]);
  });

  it("GIVEN the ENI is full WHEN a further pod arrives THEN it gets one Warning event naming the limit, also after more rounds", async () => {
    const world = await makeWorld({ nodes: 1, instanceType: "t3.small" });
    const node = world.nodes[0]!;
    const pool = world.subnets[0]!.podPool;
    for (let i = 0; i <= world.podsPerEni; i++) world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [pool[i]!] }] });
    await reconcile(world, node);
    await reconcile(world, node);
    expect(secondaries(world, node.enis[0]!)).toEqual(pool.slice(0, world.podsPerEni));
    expect(world.kube.events).toEqual([
      expect.objectContaining({ reason: EVENT_REASONS.limit, type: "Warning", message: expect.stringContaining(`${pool[world.podsPerEni]} is not routable`) }),
    ]);
    expect(world.kube.events[0]!.message).toContain(`the ${world.podsPerEni} secondary addresses`);

    // The pod goes away: the agent forgets the event, keeping its memory bounded.
    expect(node.memory.events.size).toBe(1);
    world.kube.deletePod(world.kube.events[0]!.pod.uid);
    await reconcile(world, node);
    expect(node.memory.events.size).toBe(0);
  });

  it("GIVEN the agent does not know the limit WHEN the ENI fills up THEN EC2's PrivateIpAddressLimitExceeded still turns into a limit event and the others are assigned", async () => {
    const world = await makeWorld({ nodes: 1, instanceType: "t3.small" });
    const node = world.nodes[0]!;
    const pool = world.subnets[0]!.podPool;
    for (let i = 0; i <= world.podsPerEni; i++) world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [pool[i]!] }] });
    const result = await reconcile(world, node, { knowsLimit: false });
    expect(secondaries(world, node.enis[0]!)).toHaveLength(world.podsPerEni);
    expect(result.errors).toEqual([]);
    expect(world.kube.events.map((e) => e.reason)).toEqual([EVENT_REASONS.limit]);
  });

  it("GIVEN the pod list fails WHEN reconciled THEN it throws before any EC2 call", async () => {
    const world = await makeWorld({ nodes: 1 });
    world.kube.setFaults({ listFails: () => true });
    const calls = world.model.callCount;
    await expect(reconcile(world, world.nodes[0]!)).rejects.toThrow(/unable to handle the request/);
    expect(world.model.callCount).toBe(calls);
  });

  it("GIVEN EC2 throttles every call WHEN reconciled THEN it fails without changes; GIVEN throttling ends THEN the next round assigns", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    const ip = world.subnets[0]!.podPool[0]!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip] }] });
    world.model.setFaults({ throttle: 1 });
    await expect(reconcile(world, node)).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    world.model.setFaults({ throttle: 0 });
    expect((await reconcile(world, node)).assigned).toEqual([{ eniId: node.enis[0], ip }]);
  });

  it("GIVEN only the assign call is throttled WHEN reconciled THEN the error is reported per ENI and the other ENI proceeds", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    const a = world.subnets[0]!.podPool[0]!;
    const b = world.subnets[1]!.podPool[0]!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m0", ips: [a] }, { network: "default/m1", ips: [b] }] });
    let assigns = 0;
    world.model.setFaults({ throttle: (call) => call.op === "AssignPrivateIpAddresses" && assigns++ === 0 });
    const result = await reconcile(world, node);
    expect(result.errors).toEqual([expect.stringMatching(new RegExp(`^${node.enis[0]}: RequestLimitExceeded`))]);
    expect(result.assigned).toEqual([{ eniId: node.enis[1], ip: b }]);
  });

  it("GIVEN a stale read lists an address that already moved to another node WHEN the old node unassigns it THEN the refusal is reported and the moved address stays", async () => {
    const world = await makeWorld({ nodes: 2 });
    const [a, b] = world.nodes;
    const [ip, other] = world.subnets[0]!.podPool;
    await world.model.assignPrivateIpAddresses({ NetworkInterfaceId: a!.enis[0]!, PrivateIpAddresses: [ip!, other!] });
    // Another agent moves `ip` to node b after node a's read: node a's view is stale.
    const stale = world.model.networkInterface(a!.enis[0]!)!;
    await world.model.assignPrivateIpAddresses({ NetworkInterfaceId: b!.enis[0]!, PrivateIpAddresses: [ip!], AllowReassignment: true });
    const ec2 = ec2Client(world.model, {
      hook: async (call, next) =>
        call.operation === "DescribeNetworkInterfaces" && (call.input as { Filters: { Values: string[] }[] }).Filters[0]!.Values[0] === a!.instanceId ? { NetworkInterfaces: [stale] } : next(),
    });
    const result = await reconcileNode({ ec2, kube: world.kube, nodeName: a!.name, instanceId: a!.instanceId, memory: newAgentMemory() });
    expect(result.unassigned).toEqual([{ eniId: a!.enis[0], ip: other }]);
    expect(result.errors).toEqual([expect.stringMatching(new RegExp(`unassign ${ip!.replace(/\./g, "\\.")}: InvalidParameterValue`))]);
    expect(secondaries(world, b!.enis[0]!)).toEqual([ip]);
  });

  it("GIVEN posting the event fails WHEN reconciled THEN the round still succeeds and the event is posted on the next round", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    // An IPAM collision: the pod got the multus ENI's own primary address.
    const primary = world.model.networkInterface(node.enis[0]!)!.PrivateIpAddress!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [primary] }] });
    world.kube.setFaults({ eventFails: (call) => call === 0 });
    const first = await reconcile(world, node);
    expect(first.plan.primaryCollisions).toHaveLength(1);
    expect(world.kube.events).toEqual([]);
    await reconcile(world, node);
    expect(world.kube.events.map((e) => e.reason)).toEqual([EVENT_REASONS.refused]);
  });
});

describe("describeNodeEnis", () => {
  it("GIVEN tagged ENIs on two nodes and a tag value WHEN described for one instance THEN only that instance's multus ENIs come back, in device order", async () => {
    const world = await makeWorld({ nodes: 2 });
    const node = world.nodes[1]!;
    const enis = await describeNodeEnis(world.ec2, { instanceId: node.instanceId, tagValue: NODE_GROUP });
    expect(enis.map((e) => e.eniId)).toEqual(node.enis);
    expect(enis.map((e) => e.deviceIndex)).toEqual([1, 2]);
  });

  it("GIVEN another node group's value on the tag WHEN described with our value THEN nothing; without a value THEN any value of the tag key matches", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    expect(await describeNodeEnis(world.ec2, { instanceId: node.instanceId, tagValue: "someone-else" })).toEqual([]);
    expect(await describeNodeEnis(world.ec2, { instanceId: node.instanceId })).toHaveLength(2);
    expect(await describeNodeEnis(world.ec2, { instanceId: node.instanceId, tagKey: "no-such-key" })).toEqual([]);
  });

  it("GIVEN the primary ENI carries our tag WHEN described THEN it is still left out", async () => {
    const world = await makeWorld({ nodes: 1 });
    const node = world.nodes[0]!;
    await world.model.createTags({ Resources: [node.primaryEniId], Tags: [{ Key: ENI_TAG_KEYS.nodeGroup, Value: NODE_GROUP }] });
    const enis = await describeNodeEnis(world.ec2, { instanceId: node.instanceId, tagValue: NODE_GROUP });
    expect(enis.map((e) => e.eniId)).not.toContain(node.primaryEniId);
  });
});

describe("planNode on dual-stack subnets", () => {
  // subnet-a is dual-stack: its pod space is 2001:db8:0:16:4000::/66; the worker's IPv6 address sits in the upper /65.
  const DUAL = new Map<string, AgentSubnet>([
    ["subnet-a", { ...parseCidr("10.0.16.0/24", "a"), ipv6: parseCidr6("2001:db8:0:16::/64", "a6") }],
    ["subnet-b", parseCidr("10.0.17.0/24", "b")],
  ]);
  const WORKER6 = "2001:db8:0:16:8000::";
  const eni6 = (ipv6s: string[], secondaryIps: string[] = []): NodeEni => ({ ...eni("eni-a", "subnet-a", "10.0.16.10", secondaryIps), ipv6s: [WORKER6, ...ipv6s] });

  it("GIVEN a pod with an IPv4 and an IPv6 address WHEN planned THEN both go to its subnet's ENI, the IPv6 one in EC2's text form", () => {
    const plan = planNode([pod(["10.0.16.100", "2001:DB8:0:16:4000:0:0:7"])], [eni6([])], DUAL);
    expect(plan.enis[0]).toMatchObject({ assign: ["10.0.16.100"], assign6: ["2001:db8:0:16:4000::7"], unassign6: [] });
  });

  it("GIVEN an ENI holding a dead pod's IPv6 address and the worker's WHEN planned THEN only the pod's is unassigned: the worker's lies outside the pod space", () => {
    const plan = planNode([pod(["10.0.16.100", "2001:db8:0:16:4000::8"])], [eni6(["2001:db8:0:16:4000::7", "2001:db8:0:16:4000::8"])], DUAL);
    expect(plan.enis[0]).toMatchObject({ desired6: ["2001:db8:0:16:4000::8"], assign6: [], unassign6: ["2001:db8:0:16:4000::7"] });
  });

  it("GIVEN an IPv6 address outside the pod space, one of another network and an unreadable pod WHEN planned THEN nothing of those is assigned and nothing released", () => {
    const bad = pod([], { annotations: { [NETWORK_STATUS_ANNOTATION]: "[{" } });
    const plan = planNode([pod(["2001:db8:0:16::99", "2001:db8:ffff::1"]), bad], [eni6(["2001:db8:0:16:4000::7"])], DUAL);
    expect(plan.outsidePodSpace.map((o) => o.ip)).toEqual(["2001:db8:0:16::99"]);
    expect(plan.outside.map((o) => o.ip)).toEqual(["2001:db8:ffff::1"]);
    expect(plan.enis[0]).toMatchObject({ assign6: [], unassign6: [] });
  });

  it("GIVEN more IPv6 claims than the ENI takes WHEN planned THEN those it holds stay, older pods next, the rest are reported", () => {
    const pods = ["::1", "::2", "::3"].map((x) => pod([`2001:db8:0:16:4000${x}`]));
    const plan = planNode(pods, [eni6(["2001:db8:0:16:4000::3"])], DUAL, { podsPerEni: 2 });
    expect(plan.enis[0]!.desired6).toEqual(["2001:db8:0:16:4000::3", "2001:db8:0:16:4000::1"]);
    expect(plan.overLimit.map((o) => o.ip)).toEqual(["2001:db8:0:16:4000::2"]);
  });
});

describe("reconcileNode on dual-stack subnets against the simulated EC2", () => {
  it("GIVEN a pod with an address of each family WHEN it comes and goes THEN both are assigned to its ENI and released again, and the worker's own IPv6 address stays", async () => {
    const world = await makeWorld({ nodes: 1, dualStack: true });
    const node = world.nodes[0]!;
    const eniId = node.enis[0]!;
    const worker6 = ipv6s(world, eniId);
    const ip = world.subnets[0]!.podPool[0]!;
    const ip6 = world.subnets[0]!.podPool6![0]!;
    const p = world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip, ip6] }] });
    const first = await reconcile(world, node);
    expect(first.assigned).toEqual([{ eniId, ip }, { eniId, ip: ip6 }]);
    expect(ipv6s(world, eniId)).toEqual([...worker6, ip6]);
    expect((await reconcile(world, node)).assigned).toEqual([]);

    world.kube.deletePod(p.uid);
    const gone = await reconcile(world, node);
    expect(gone.unassigned).toEqual([{ eniId, ip }, { eniId, ip: ip6 }]);
    expect(ipv6s(world, eniId)).toEqual(worker6);
    expect(secondaries(world, eniId)).toEqual([]);
  });

  it("GIVEN a pod moved with its IPv6 address to another node WHEN the new node's agent runs first THEN it waits (no reassignment for IPv6), the old node's agent releases it, and the next round assigns it", async () => {
    const world = await makeWorld({ nodes: 2, dualStack: true });
    const [a, b] = world.nodes as [SimNode, SimNode];
    const ip6 = world.subnets[0]!.podPool6![3]!;
    const old = world.kube.addPod({ nodeName: a.name, attachments: [{ network: "default/m", ips: [ip6] }] });
    await reconcile(world, a);
    expect(ipv6s(world, a.enis[0]!)).toContain(ip6);

    world.kube.deletePod(old.uid);
    world.kube.addPod({ nodeName: b.name, attachments: [{ network: "default/m", ips: [ip6] }] });
    const early = await reconcile(world, b);
    expect(early.waiting).toEqual([{ eniId: b.enis[0], ip: ip6 }]);
    expect(early.errors).toEqual([]);
    expect(world.kube.events).toEqual([]);
    expect((await reconcile(world, a)).unassigned).toEqual([{ eniId: a.enis[0], ip: ip6 }]);
    const later = await reconcile(world, b);
    expect(later).toMatchObject({ assigned: [{ eniId: b.enis[0], ip: ip6 }], waiting: [] });
    expect(ipv6s(world, a.enis[0]!)).not.toContain(ip6);
  });
});
