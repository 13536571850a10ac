/**
 * A pod's IPv6 address moving between nodes (DESIGN.md, "The properties" 4, for IPv6): EC2 has
 * no AllowReassignment for IPv6 (API reference, AssignIpv6Addresses), so the new node's agent
 * cannot take the address while the old node's ENI holds it; the old node's agent must
 * unassign it first. The real agents run (startAgent: pod watch, debounce, resync, the
 * retry after a refused move) on their nodes against the simulated EC2, on fake timers. For
 * any debounce and sync period, node count, and order and spacing of the old pod's deletion
 * and the new pod's creation:
 *   1. from the moment the old pod is gone and the new one exists, the address is on the new
 *      node's ENI within the old agent's debounce plus IPV6_MOVE_RETRY_MS (the gap is
 *      bounded, not a sync period);
 *   2. at the end every live pod's IPv6 address is on exactly its node's ENI, no other IPv6
 *      address is on our ENIs but the workers' own, and those never changed.
 * Replaying a failure: fast-check prints the seed and path.
 */
import fc from "fast-check";
import { startAgent } from "../../agent/agent";
import { parseAgentEnv } from "../../agent/config";
import { IPV6_MOVE_RETRY_MS } from "../../agent/reconcile";
import { NODE_GROUP, SimNode, World, ipv6s, makeWorld } from "../agent/world";

/** Fake-clock resolution of the gap measurement, ms. */
const STEP_MS = 100;

const moveArb = fc.record({
  pod: fc.nat(9),
  to: fc.nat(2),
  /** The new pod's creation relative to the old pod's deletion, ms (negative: created first). */
  offsetMs: fc.integer({ min: -3000, max: 3000 }),
  /** Quiet time before the next move, ms. */
  pauseMs: fc.integer({ min: 0, max: 4000 }),
});

const runArb = fc.record({
  nodes: fc.integer({ min: 2, max: 3 }),
  pods: fc.integer({ min: 1, max: 4 }),
  debounceMs: fc.constantFrom(0, 200, 500, 1500),
  syncSeconds: fc.constantFrom(5, 30, 300),
  moves: fc.array(moveArb, { minLength: 1, maxLength: 4 }),
});

/** Steps the fake clock until `done` holds (or `limitMs` passes); returns the ms it took. */
async function until(done: () => boolean, limitMs: number): Promise<number> {
  let waited = 0;
  while (!done() && waited <= limitMs) {
    await jest.advanceTimersByTimeAsync(STEP_MS);
    waited += STEP_MS;
  }
  return waited;
}

function holders(world: World, ip: string): string[] {
  return world.nodes.flatMap((n) => n.enis.filter((e): e is string => e !== undefined && ipv6s(world, e).includes(ip)));
}

let moves = 0;
let worstGapMs = 0;

describe("a pod's IPv6 address moving between nodes, with the real agents on fake timers", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  afterAll(() => process.stdout.write(`ipv6 move property: ${moves} moves, worst gap ${worstGapMs} ms (bound: debounce + ${IPV6_MOVE_RETRY_MS} ms)\n`));

  test("GIVEN pods moved with their IPv6 addresses in any order and spacing THEN each address reaches its new node within the bound and every address ends on exactly its pod's node", async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (r) => {
        const world = await makeWorld({ nodes: r.nodes, dualStack: true });
        const workers = new Map(world.nodes.map((n) => [n.enis[0]!, ipv6s(world, n.enis[0]!)]));
        const imds = async () => {
          throw new Error("no IMDS in tests");
        };
        const agents = await Promise.all(
          world.nodes.map((n) =>
            startAgent({
              config: parseAgentEnv({ NODE_NAME: n.name, AWS_REGION: "us-west-2", SYNC_PERIOD_SECONDS: String(r.syncSeconds), DEBOUNCE_MILLISECONDS: String(r.debounceMs), MULTUS_NODE_GROUP_TAG: NODE_GROUP }),
              ec2: world.ec2,
              kube: world.kube,
              imds,
              log: () => undefined,
            }),
          ),
        );
        try {
          const pool = world.subnets[0]!.podPool6!;
          const podOn = new Map<string, { uid: string; node: SimNode }>();
          for (let k = 0; k < r.pods; k++) {
            const node = world.nodes[k % r.nodes]!;
            podOn.set(pool[k]!, { uid: world.kube.addPod({ nodeName: node.name, attachments: [{ network: "default/dual", ips: [pool[k]!] }] }).uid, node });
          }
          await until(() => [...podOn].every(([ip, p]) => holders(world, ip).join() === p.node.enis[0]), 60_000);

          for (const m of r.moves) {
            const ip = pool[m.pod % r.pods]!;
            const from = podOn.get(ip)!;
            // Always to another node: a drawn move is never a no-op.
            const others = world.nodes.filter((n) => n !== from.node);
            const to = others[m.to % others.length]!;
            const create = () => world.kube.addPod({ nodeName: to.name, attachments: [{ network: "default/dual", ips: [ip] }] }).uid;
            let uid: string;
            // Whichever comes first happens now, the other after |offset|; the gap counts from the later.
            if (m.offsetMs < 0) {
              uid = create();
              await jest.advanceTimersByTimeAsync(-m.offsetMs);
              world.kube.deletePod(from.uid);
            } else {
              world.kube.deletePod(from.uid);
              await jest.advanceTimersByTimeAsync(m.offsetMs);
              uid = create();
            }
            podOn.set(ip, { uid, node: to });
            const gap = await until(() => holders(world, ip).join() === to.enis[0], 60_000);
            moves++;
            worstGapMs = Math.max(worstGapMs, gap);
            expect(gap).toBeLessThanOrEqual(r.debounceMs + IPV6_MOVE_RETRY_MS + STEP_MS);
            await jest.advanceTimersByTimeAsync(m.pauseMs);
          }

          // Settled: each live pod's address on exactly its node's ENI, nothing else but the workers' own.
          await jest.advanceTimersByTimeAsync(r.debounceMs + IPV6_MOVE_RETRY_MS);
          for (const [ip, p] of podOn) expect(holders(world, ip)).toEqual([p.node.enis[0]]);
          for (const n of world.nodes) {
            const eni = n.enis[0]!;
            expect(ipv6s(world, eni).filter((ip) => !podOn.has(ip))).toEqual(workers.get(eni));
          }
        } finally {
          for (const a of agents) await a.stop();
        }
      }),
      { numRuns: 6 },
    );
    expect(moves).toBeGreaterThan(2);
  });
});
