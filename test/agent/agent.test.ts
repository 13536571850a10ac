import { STARTUP_ROUND_MS, startAgent } from "../../agent/agent";
import { STARTUP_TAINT } from "../../contract/node-network";
import { SimHost } from "../../simulator/node-host";
import { parseAgentEnv } from "../../agent/config";
import { LogLine } from "../../agent/reconcile";
import { NODE_GROUP, makeWorld, secondaries } from "./world";

async function started(nodes = 1, host?: SimHost) {
  const world = await makeWorld({ nodes });
  const node = world.nodes[0]!;
  if (host) world.kube.setNodeTaints(node.name, [{ ...STARTUP_TAINT }]);
  const lines: LogLine[] = [];
  const config = parseAgentEnv({ NODE_NAME: node.name, AWS_REGION: "us-west-2", SYNC_PERIOD_SECONDS: "30", MULTUS_NODE_GROUP_TAG: NODE_GROUP });
  const imds = async () => {
    throw new Error("no IMDS in tests");
  };
  const agent = await startAgent({ config, ec2: world.ec2, kube: world.kube, imds, log: (l) => lines.push(l), ...(host ? { host } : {}) });
  return { world, node, agent, lines };
}

describe("startAgent", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("GIVEN a running agent WHEN a pod starts on its node THEN the watch event leads to its address being assigned without waiting for the resync", async () => {
    const { world, node, agent, lines } = await started();
    await jest.advanceTimersByTimeAsync(0);
    expect(lines[0]).toMatchObject({ msg: "starting", instanceId: node.instanceId, instanceType: world.instanceType, podsPerEni: world.podsPerEni });
    const ip = world.subnets[0]!.podPool[0]!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip] }] });
    await jest.advanceTimersByTimeAsync(500);
    expect(secondaries(world, node.enis[0]!)).toEqual([ip]);
    expect(agent.loop.rounds).toBe(2);
    await agent.stop();
  });

  it("GIVEN a pod on another node WHEN it starts THEN this node's agent does not run a round for it", async () => {
    const { world, agent } = await started(2);
    await jest.advanceTimersByTimeAsync(0);
    world.kube.addPod({ nodeName: world.nodes[1]!.name, attachments: [{ network: "default/m", ips: [world.subnets[0]!.podPool[0]!] }] });
    await jest.advanceTimersByTimeAsync(1000);
    expect(agent.loop.rounds).toBe(1);
    await agent.stop();
  });

  it("GIVEN the watch ends WHEN events were missed meanwhile THEN a round runs and the watch is re-opened", async () => {
    const { world, node, agent } = await started();
    await jest.advanceTimersByTimeAsync(0);
    world.kube.dropWatches(new Error("connection reset"));
    // Missed while the watch is down; the round after the drop still sees it.
    const ip = world.subnets[0]!.podPool[1]!;
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [ip] }] });
    await jest.advanceTimersByTimeAsync(500);
    expect(secondaries(world, node.enis[0]!)).toEqual([ip]);
    await jest.advanceTimersByTimeAsync(1000);
    const rounds = agent.loop.rounds;
    world.kube.deletePod(world.kube.allPods()[0]!.uid);
    await jest.advanceTimersByTimeAsync(500);
    expect(agent.loop.rounds).toBe(rounds + 1);
    expect(secondaries(world, node.enis[0]!)).toEqual([]);
    await agent.stop();
  });

  it("GIVEN a node registered with the startup taint WHEN its ENIs are named one after the other and Multus starts THEN the agent checks every few seconds, not every sync period, lifts the taint once all are ready, then goes back to the sync period", async () => {
    const host = new SimHost();
    const { world, node, agent, lines } = await started(1, host);
    const macs = node.enis.map((id) => world.model.networkInterface(id!)!.MacAddress!);
    await jest.advanceTimersByTimeAsync(0);
    expect(agent.loop.rounds).toBe(1);
    host.setExpected([1, 2]);
    host.plug("ens6", macs[0]!);
    host.configure("ens6", 1, world.subnets[0]!.id);
    await jest.advanceTimersByTimeAsync(STARTUP_ROUND_MS);
    expect(agent.loop.rounds).toBe(2);
    host.plug("ens7", macs[1]!);
    host.configure("ens7", 2, world.subnets[1]!.id);
    await jest.advanceTimersByTimeAsync(STARTUP_ROUND_MS);
    // Multus is not there yet.
    expect(world.kube.nodeTaints(node.name).map((t) => t.key)).toEqual([STARTUP_TAINT.key]);
    host.multus = true;
    await jest.advanceTimersByTimeAsync(STARTUP_ROUND_MS);
    expect(world.kube.nodeTaints(node.name)).toEqual([]);
    expect(lines.some((l) => l.msg.startsWith("startup taint lifted"))).toBe(true);
    const rounds = agent.loop.rounds;
    await jest.advanceTimersByTimeAsync(29_999);
    expect(agent.loop.rounds).toBe(rounds);
    await jest.advanceTimersByTimeAsync(1);
    expect(agent.loop.rounds).toBe(rounds + 1);
    await agent.stop();
  });

  it("GIVEN a stopped agent WHEN pods change and time passes THEN no more rounds run", async () => {
    const { world, node, agent, lines } = await started();
    await jest.advanceTimersByTimeAsync(0);
    await agent.stop();
    world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/m", ips: [world.subnets[0]!.podPool[0]!] }] });
    await jest.advanceTimersByTimeAsync(120000);
    expect(agent.loop.rounds).toBe(1);
    expect(lines.at(-1)).toMatchObject({ msg: "stopped", rounds: 1 });
  });
});
