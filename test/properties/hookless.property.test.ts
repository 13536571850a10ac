/**
 * Karpenter and EKS managed node groups beside an Auto Scaling group on one network, their
 * nodes launched without a hook and terminated (consolidation, Spot interruption, a rolling
 * update's old nodes) while their state changes arrive late, twice or not at all: no two live
 * interfaces share an address, every running node ends with its multus ENI (node-missing-eni:
 * a lost `pending` event is the scheduled reconcile pass's to make good), and no ENI outlives
 * its instance (eni-outlived-instance, leaked-eni). A lost lifecycle action of the Auto Scaling
 * group is the one excuse: its hook times out (incomplete-action), as it should. Modest counts here; the
 * churn at scale is churn.property.test.ts (and the soak's `churn` kind, 200 nodes). fast-check prints the
 * seed and path of a failure to replay it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseConfig, planNetwork } from "../../ipam";
import { clusterAllocator, scenarioGroups } from "../../simulator/scenario/cluster";
import { formatFailure, runScenario, whereaboutsPods } from "../../simulator/scenario";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../examples/mixed.config.json"), "utf8"));

describe("hookless node groups: launches and terminations by EC2 state change", () => {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);

  test("GIVEN any launch counts, terminations, duplicate deliveries, throttling and timing THEN no collision, every node has its ENI and none outlives its instance", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          counts: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 })),
          terminations: fc.integer({ min: 0, max: 6 }),
          duplicateRate: fc.constantFrom(0, 0.3),
          dropRate: fc.constantFrom(0, 0, 0.3),
          throttle: fc.constantFrom(0, 0.1),
          timing: fc.constantFrom("aws" as const, "instant" as const),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
        }),
        async (r) => {
          const groups = scenarioGroups(config, plan, (_, i) => r.counts[i]!);
          const report = await runScenario({
            plan,
            allocator: clusterAllocator(plan, config),
            nodes: groups.reduce((n, g) => n + g.nodes, 0),
            groups,
            faults: { duplicateRate: r.duplicateRate, dropRate: r.dropRate, throttle: r.throttle },
            pods: whereaboutsPods(() => 3),
            terminations: r.terminations,
            timing: r.timing,
            seed: r.seed,
          });
          // An action may time out only when its event was lost.
          const lost = new Set(report.deliveries.lost.map((l) => `${l.transition} of ${l.instanceId} `));
          const excused = (v: { kind: string; detail: string }) => v.kind === "incomplete-action" && [...lost].some((l) => v.detail.startsWith(l));
          if (report.violations.some((v) => !excused(v))) throw new Error(`${JSON.stringify(r)}\n${formatFailure(report)}`);
        },
      ),
      { numRuns: 12, endOnFailure: true },
    );
  });
});
