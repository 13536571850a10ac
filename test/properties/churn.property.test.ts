/**
 * Hookless churn (issue 20 item 5): Karpenter and EKS managed nodes launching while others are
 * terminated (consolidation, Spot interruptions) and the managed group rolls (launch new,
 * terminate old), their state changes late, twice or lost, under the aws profile with its
 * undocumented rows swept: no collision, every running node ends with its ENIs (node-missing-eni;
 * a lost `pending` is the reconcile pass's), pods only on nodes with their ENIs, no ENI outlives
 * its instance (eni-outlived-instance, leaked-eni). `npm test` runs two clusters of 30-50
 * nodes; the soak (`npm run soak`, kind `churn`) runs the same check at 200 nodes, a few seconds
 * of CPU each. fast-check prints the seed and path of a failure to replay it.
 */
import fc from "fast-check";
import { awsSweepArb, churnArbOf, runChurn } from "../../simulator/scenario/drawn";

describe("hookless churn", () => {
  test("GIVEN launches, terminations, a rolling update and lost, late and duplicate state changes THEN no collision, every running node has its ENIs, no ENI outlives its instance", async () => {
    await fc.assert(
      fc.asyncProperty(churnArbOf({ nodes: fc.integer({ min: 30, max: 50 }), timing: awsSweepArb }), async (r) => {
        const { report, problem } = await runChurn(r);
        if (problem) throw new Error(problem);
        // The churn ran: nodes went while others came.
        if (report.churned.terminated === 0 || report.churned.launched !== r.replacements) throw new Error(`no churn: ${JSON.stringify(report.churned)}`);
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});
