import fc from "fast-check";
import { multusIps, networkStatusText, parseNetworkStatus } from "../../agent/annotation";
import { holdsAddresses, AgentPod } from "../../agent/kube";
import { EVENT_REASONS, newAgentMemory } from "../../agent/reconcile";
import { ipToInt, parseCidr } from "../../contract/address";
import { checkInvariants } from "../../simulator/invariants";
import { SdkHook } from "../../simulator/sdk";
import { makeWorld, reconcile, secondaries, SimNode, World } from "../agent/world";

/**
 * The node agent against the simulated EC2 and an in-memory Kubernetes: pods are created,
 * finished, deleted and rescheduled (with their address) across nodes; agents run
 * concurrently, restart (losing their memory) and meet throttling, stale DescribeNetworkInterfaces
 * reads and failing pod lists. Once the faults stop, a few rounds of every agent must reach a
 * fixed point where:
 *   1. every live pod address is a secondary address of exactly its node's ENI in its subnet
 *      (or the pod was told, by an event, that the ENI is full, and the ENI is full);
 *   2. no address of a finished or deleted pod stays assigned to any of our ENIs;
 *   3. no primary address changed, no ENI disappeared, and ENIs without our tag are untouched.
 */

/** A pod change; during a reconcile batch it lands between two EC2 calls (`at` calls in). */
type PodChange =
  | { kind: "create"; node: number; subnets: 0 | 1 | 2; pick: number; at?: number }
  | { kind: "delete"; pod: number; at?: number }
  | { kind: "finish"; pod: number; at?: number }
  | { kind: "reschedule"; pod: number; node: number; at?: number };

type Action =
  | { kind: "create"; node: number; subnets: 0 | 1 | 2; pick: number }
  | { kind: "delete"; pod: number }
  | { kind: "finish"; pod: number }
  | { kind: "reschedule"; pod: number; node: number }
  | { kind: "reconcile"; nodes: number[]; churn: PodChange | null }
  | { kind: "restart"; node: number }
  | { kind: "throttle"; rate: number }
  | { kind: "lag"; steps: number }
  | { kind: "listFault"; node: number; on: boolean };

const NODES = 3;

// Creations lean towards node 1 so that its ENIs fill up (the per-ENI limit) in many runs.
const create = fc.record({ kind: fc.constant("create" as const), node: fc.oneof(fc.constant(1), fc.nat(NODES - 1)), subnets: fc.constantFrom(0 as const, 1 as const, 2 as const), pick: fc.nat(99) });
const del = fc.record({ kind: fc.constant("delete" as const), pod: fc.nat(50) });
const finish = fc.record({ kind: fc.constant("finish" as const), pod: fc.nat(50) });
const reschedule = fc.record({ kind: fc.constant("reschedule" as const), pod: fc.nat(50), node: fc.nat(NODES - 1) });
// A change racing the agents: made after `at` EC2 calls of the batch, between an agent's pod
// list and its EC2 writes (the stale-list race that makes two agents contend for an address).
const churn: fc.Arbitrary<PodChange | null> = fc.option(
  fc.tuple(fc.oneof(create, del, reschedule), fc.nat(8)).map(([c, at]) => ({ ...c, at })),
  { nil: null, freq: 2 },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: create },
  { weight: 2, arbitrary: del },
  { weight: 1, arbitrary: finish },
  { weight: 2, arbitrary: reschedule },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("reconcile" as const), nodes: fc.uniqueArray(fc.nat(NODES - 1), { minLength: 1, maxLength: NODES }), churn }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), node: fc.nat(NODES - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("throttle" as const), rate: fc.constantFrom(0, 0.3, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("lag" as const), steps: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("listFault" as const), node: fc.nat(NODES - 1), on: fc.boolean() }) },
);

/** Live addresses across the cluster (what a cluster-wide IPAM such as whereabouts would refuse to hand out twice). */
function liveAddresses(world: World): Set<string> {
  return new Set(world.kube.allPods().filter(holdsAddresses).flatMap(podIps));
}

function podIps(pod: AgentPod): string[] {
  return multusIps(parseNetworkStatus(networkStatusText(pod.annotations)));
}

function freeAddress(world: World, subnet: number, pick: number): string | undefined {
  const used = liveAddresses(world);
  const pool = world.subnets[subnet]!.podPool;
  for (let k = 0; k < pool.length; k++) {
    const ip = pool[(pick + k) % pool.length]!;
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Applies a pod change to the cluster, as the scheduler, kubelet and IPAM would. */
function applyChange(world: World, c: PodChange): void {
  const pods = world.kube.allPods();
  const target = pods.length && "pod" in c ? pods[c.pod % pods.length] : undefined;
  switch (c.kind) {
    case "create": {
      const which = c.subnets === 2 ? [0, 1] : [c.subnets];
      const attachments = which.flatMap((s) => {
        const ip = freeAddress(world, s, c.pick);
        return ip ? [{ network: `default/multus-${s}`, ips: [ip] }] : [];
      });
      world.kube.addPod({ nodeName: world.nodes[c.node]!.name, attachments });
      break;
    }
    case "delete":
      if (target) world.kube.deletePod(target.uid);
      break;
    case "finish":
      if (target) world.kube.updatePod(target.uid, { phase: "Succeeded" });
      break;
    case "reschedule":
      // A StatefulSet pod with a fixed address comes back on another node. Only a pod that
      // still holds its address: a finished pod's address went back to the IPAM and may
      // belong to another pod by now.
      if (!target || !holdsAddresses(target)) break;
      world.kube.deletePod(target.uid);
      world.kube.addPod({ namespace: target.namespace, name: target.name, nodeName: world.nodes[c.node]!.name, attachments: [], annotations: { ...target.annotations } });
      break;
  }
}

/** A change waiting for the EC2 call it lands after (see the world's SDK hook). */
interface PendingChurn {
  change: PodChange | null;
  callsLeft: number;
}

async function run(world: World, actions: Action[], knowsLimit: boolean, pending: PendingChurn): Promise<void> {
  const listFaults = new Set<number>();
  const applyKubeFaults = () => world.kube.setFaults({ listFails: (node) => [...listFaults].some((i) => world.nodes[i]!.name === node) });
  for (const a of actions) {
    switch (a.kind) {
      case "create":
      case "delete":
      case "finish":
      case "reschedule":
        applyChange(world, a);
        break;
      case "reconcile":
        // Agents on different nodes run at once; their EC2 calls interleave.
        pending.change = a.churn;
        pending.callsLeft = a.churn?.at ?? 0;
        await Promise.all(a.nodes.map((i) => reconcile(world, world.nodes[i]!, { knowsLimit }).catch(() => undefined)));
        if (pending.change) applyChange(world, pending.change);
        pending.change = null;
        break;
      case "restart":
        world.nodes[a.node]!.memory = newAgentMemory();
        break;
      case "throttle":
        world.model.setFaults({ throttle: a.rate });
        break;
      case "lag":
        world.model.setFaults({ consistencyLag: a.steps });
        break;
      case "listFault":
        if (a.on) listFaults.add(a.node);
        else listFaults.delete(a.node);
        applyKubeFaults();
        break;
    }
  }
}

/** Faults end; every agent runs until a round changes nothing. Returns the rounds it took. */
async function settle(world: World, knowsLimit: boolean): Promise<number> {
  world.model.setFaults({ throttle: 0, consistencyLag: 0 });
  world.kube.setFaults({});
  for (let round = 1; round <= 6; round++) {
    const results = await Promise.all(world.nodes.map((n) => reconcile(world, n, { knowsLimit })));
    if (results.every((r) => r.assigned.length === 0 && r.unassigned.length === 0 && r.errors.length === 0)) return round;
  }
  throw new Error("agents did not reach a fixed point in 6 rounds");
}

function inCidr(ip: string, cidr: string): boolean {
  const s = parseCidr(cidr, "cidr");
  const n = ipToInt(ip);
  return n >= s.base && n <= s.last;
}

function check(world: World, before: Map<string, { primary: string; secondaries: string[]; ours: boolean }>): void {
  const ourEnis = world.nodes.flatMap((n) => n.enis.filter((e): e is string => e !== undefined));
  const holder = new Map<string, string[]>();
  for (const eni of ourEnis) for (const ip of secondaries(world, eni)) holder.set(ip, [...(holder.get(ip) ?? []), eni]);

  const live = world.kube.allPods().filter(holdsAddresses);
  const liveOn = new Map<string, SimNode>();
  for (const pod of live) {
    const node = world.nodes.find((n) => n.name === pod.nodeName)!;
    for (const ip of podIps(pod)) {
      liveOn.set(ip, node);
      const s = world.subnets.findIndex((x) => inCidr(ip, x.cidr));
      const eni = node.enis[s];
      if (eni === undefined) {
        // The node's ENI in that subnet is not ours: the address is not ours to route.
        expect(holder.get(ip)).toBeUndefined();
        continue;
      }
      const held = holder.get(ip) ?? [];
      if (held.length === 0) {
        // 1'. Not assigned only when the ENI is full and the pod was told.
        expect(secondaries(world, eni)).toHaveLength(world.podsPerEni);
        expect(world.kube.events.some((e) => e.pod.uid === pod.uid && e.reason === EVENT_REASONS.limit && e.message.includes(ip))).toBe(true);
      } else {
        // 1. On exactly its node's ENI of its subnet.
        expect(held).toEqual([eni]);
      }
    }
  }
  // 2. Every address on our ENIs belongs to a live pod of that ENI's node.
  for (const [ip, enis] of holder) {
    const node = liveOn.get(ip);
    expect(node).toBeDefined();
    expect(enis.every((e) => node!.enis.includes(e))).toBe(true);
  }
  // The simulator's shared invariants agree: no address held twice (a pod's address on its own
  // node's ENI is one holder), none outside its subnet or AWS-reserved.
  const podIpsNow = live.flatMap((pod) => {
    const node = world.nodes.find((n) => n.name === pod.nodeName)!;
    return podIps(pod).map((ip) => ({ ip, node: node.instanceId, subnet: world.subnets.find((x) => inCidr(ip, x.cidr))!.id, name: pod.name }));
  });
  const violations = checkInvariants({ ec2: world.model, pods: podIpsNow, foreignEniIds: new Set(world.foreign.map((f) => f.eniId)) });
  expect(violations.filter((v) => ["duplicate-ip", "outside-subnet", "aws-reserved"].includes(v.kind))).toEqual([]);

  // 3. Primary addresses and foreign ENIs untouched; no ENI lost.
  for (const [eniId, b] of before) {
    const now = world.model.networkInterface(eniId);
    expect(now).toBeDefined();
    expect(now!.PrivateIpAddress).toBe(b.primary);
    if (!b.ours) expect(secondaries(world, eniId).sort()).toEqual(b.secondaries);
  }
}

function snapshot(world: World): Map<string, { primary: string; secondaries: string[]; ours: boolean }> {
  const ours = new Set(world.nodes.flatMap((n) => n.enis));
  return new Map(
    world.model.networkInterfaceIds().map((id) => [id, { primary: world.model.networkInterface(id)!.PrivateIpAddress!, secondaries: secondaries(world, id).sort(), ours: ours.has(id) }]),
  );
}

describe("node agent against the simulated EC2 and Kubernetes", () => {
  it("GIVEN pods created, deleted and rescheduled across nodes with restarts and API faults WHEN the faults stop THEN the agents settle on exactly the live pod addresses", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), async (actions, seed, knowsLimit) => {
        const pending: PendingChurn = { change: null, callsLeft: 0 };
        const hook: SdkHook = (_call, next) => {
          if (pending.change && pending.callsLeft-- <= 0) {
            const change = pending.change;
            pending.change = null;
            applyChange(world, change);
          }
          return next();
        };
        const world: World = await makeWorld({ nodes: NODES, seed, foreignOn: [0], instanceType: "t3.small", hook });
        const before = snapshot(world);
        await run(world, actions, knowsLimit, pending);
        await settle(world, knowsLimit);
        check(world, before);
      }),
      { numRuns: 100 },
    );
  });

  it("GIVEN a pod rescheduled with its address to another node WHEN only the new node's agent runs THEN the address follows the pod (AllowReassignment) and the old node's agent then changes nothing", async () => {
    const world = await makeWorld({ nodes: 2 });
    const [a, b] = world.nodes as [SimNode, SimNode];
    const ip = world.subnets[0]!.podPool[0]!;
    const pod = world.kube.addPod({ nodeName: a.name, attachments: [{ network: "default/multus-0", ips: [ip] }] });
    await reconcile(world, a);
    expect(secondaries(world, a.enis[0]!)).toEqual([ip]);

    world.kube.deletePod(pod.uid);
    world.kube.addPod({ nodeName: b.name, attachments: [{ network: "default/multus-0", ips: [ip] }] });
    await reconcile(world, b);
    expect(secondaries(world, b.enis[0]!)).toEqual([ip]);
    expect(secondaries(world, a.enis[0]!)).toEqual([]);

    const again = await reconcile(world, a);
    expect(again.unassigned).toEqual([]);
    expect(secondaries(world, b.enis[0]!)).toEqual([ip]);
  });
});
