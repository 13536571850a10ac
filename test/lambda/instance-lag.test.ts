import { parseConfig, planNetwork } from "../../ipam";
import { lambdaAllocator, runScenario } from "../../simulator/scenario";

describe("launch while DescribeInstances lags", () => {
  test("GIVEN EC2 shows a new instance only after a few steps WHEN its launch event arrives THEN the Lambda re-reads it and continues", async () => {
    const config = parseConfig({
      nodeGroup: { maxSize: 2, minSize: 0, desiredSize: 0 },
      multus: { podsPerNode: 4, subnets: [{ cidr: "10.0.4.0/26", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" }] },
    });
    const plan = planNetwork(config);
    for (const seed of [9, 10, 11]) {
      const report = await runScenario({ plan, allocator: lambdaAllocator(plan, config), nodes: 2, concurrency: 2, seed, faults: { instanceLag: 3 } });
      expect({ seed, abandoned: report.launches.abandoned, violations: report.violations }).toEqual({ seed, abandoned: 0, violations: [] });
      expect(report.launches.continued).toBe(2);
      // The lag did bite: more instance reads than the one group read per launch.
      expect(report.ec2Calls.byOperation.DescribeInstances).toBeGreaterThan(2);
    }
  });
});
