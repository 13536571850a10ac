/**
 * Several node groups of mixed strategies on shared multus subnets (DESIGN.md, "Cluster address
 * plan"; the properties 1-3): every group's launches at once, through this project's lifecycle
 * Lambda (its real code, one function serving every group), against the simulated EC2 and Auto
 * Scaling, with foreign DHCP interfaces, faults and whereabouts pods. No two live interfaces
 * share an address across groups, every group's workers stay inside its own block (static) or
 * the DHCP space (reservation), every pod inside its group's pod block, and no launch is
 * ABANDONed where the plan leaves it an address. The groups run under either timing profile
 * (simulator/timing.ts): under `aws` every group's launches share EC2's token buckets, pending
 * instances, asynchronous attachments and lagging reads, and every action must complete
 * HOOK_MARGIN_MS before its hook's timeout.
 *
 * Replaying a failure: fast-check prints the seed and path; the error holds the cluster config,
 * the violations and the tail of the run's interleaving.
 */
import fc from "fast-check";
import { clusterArb, clusterOf, clusterRunArb, runCluster } from "../../simulator/scenario/drawn";

let scenarios = 0;
let dualStack = 0;
let underAws = 0;

describe("several node groups on shared multus subnets, one Lambda for all", () => {
  afterAll(() => process.stdout.write(`cluster property: ${scenarios} scenarios with their invariants checked (${underAws} under aws timing, ${dualStack} dual-stack)\n`));

  test("GIVEN groups of mixed strategies launching at once, foreign DHCP ENIs and faults THEN no collision across groups, every worker inside its own group's part and every launch completed", async () => {
    await fc.assert(
      fc.asyncProperty(clusterArb, clusterRunArb, async (c, r) => {
        const made = clusterOf(c);
        fc.pre(made !== undefined);
        const { report, nodes, problem } = await runCluster(made!, c, r);
        scenarios++;
        if (c.dualStack) dualStack++;
        if (r.timing === "aws") underAws++;
        // A reservation group's launch may find the DHCP space taken by foreign ENIs and the
        // other reservation groups' workers: only then is an ABANDON not a failure (runCluster).
        if (problem) throw new Error(problem);
        expect(report.launches.continued + report.launches.abandoned).toBe(nodes);
      }),
      // The breadth (several groups on shared subnets, aws timing, thousands of seeds) is the soak's:
      // npm run soak, in .ci/run.
      { numRuns: 20, endOnFailure: true },
    );
    expect(scenarios).toBeGreaterThanOrEqual(10);
    expect(underAws).toBeGreaterThan(0);
  });
});
