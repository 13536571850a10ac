import { startAgent } from "../../agent/agent";
import { parseAgentEnv } from "../../agent/config";
import { LogLine } from "../../agent/reconcile";
import { NODE_GROUP, makeWorld, secondaries } from "./world";

async function started(nodes = 1) {
  const world = await makeWorld({ nodes });
  const node = world.nodes[0]!;
  const lines: LogLine[] = [];
  const config = parseAgentEnv({ NODE_NAME: node.name, AWS_REGION: "us-west-2", SYNC_PERIOD_SECONDS: "30", MULTUS_NODE_GROUP_TAG: NODE_GROUP });
  const imds = async () => {
    throw new Error("no IMDS in tests");
  };
  const agent = await startAgent({ config, ec2: world.ec2, kube: world.kube, imds, log: (l) => lines.push(l) });
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
