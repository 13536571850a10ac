/**
 * Hookless churn (issue 20 item 5): Karpenter and EKS managed nodes launching while others are
 * terminated (consolidation, Spot interruptions) and the managed group rolls (launch new,
 * terminate old), their state changes late, twice or lost, under the aws profile with its
 * undocumented rows swept: no collision, every running node ends with its ENIs (node-missing-eni;
 * a lost `pending` is the reconcile pass's), no multus pod created during the churn starts on a
 * node before its ENIs are ready, the real agent lifting each node's startup taint
 * (pod-before-network, taint-not-lifted; boots over the aws ranges or at their quickest), no ENI
 * outlives its instance (eni-outlived-instance, leaked-eni). `npm test` runs two clusters of 30-50
 * nodes; the soak (`npm run soak`, kind `churn`) runs the same check at 200 nodes, a few seconds
 * of CPU each. fast-check prints the seed and path of a failure to replay it.
 */
import fc from "fast-check";
import { awsSweepArb, churnArbOf, runChurn } from "../../simulator/scenario/drawn";

describe("hookless churn", () => {
  test("GIVEN launches, terminations, a rolling update, lost, late and duplicate state changes and pods meanwhile THEN no collision, no pod before its node's ENIs are ready, every running node has its ENIs and its taint lifted, no ENI outlives its instance", async () => {
    await fc.assert(
      fc.asyncProperty(churnArbOf({ nodes: fc.integer({ min: 30, max: 50 }), timing: awsSweepArb }), async (r) => {
        const { report, problem } = await runChurn(r);
        if (problem) throw new Error(problem);
        // The churn ran: nodes went while others came.
        if (report.churned.terminated === 0 || report.churned.launched !== r.replacements) throw new Error(`no churn: ${JSON.stringify(report.churned)}`);
        // Pods came while it ran, and every one was bound (or went with its node).
        const pods = report.readiness;
        if (!pods || pods.started === 0 || pods.unbound > 0) throw new Error(`pods during the churn: ${JSON.stringify(pods)}`);
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});
