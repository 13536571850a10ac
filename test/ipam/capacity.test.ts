import { readFileSync } from "node:fs";
import { join } from "node:path";
import { instanceLimits, kubeletMaxPods, multusPodsPerEni } from "../../ipam";

/** amazon-vpc-cni-k8s misc/eni-max-pods.txt at b52188387f2e (the same commit as ipam/eni-limits.json). */
function eniMaxPods(): Map<string, number> {
  const text = readFileSync(join(__dirname, "fixtures/eni-max-pods.txt"), "utf8");
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe("instance limits and max pods", () => {
  test("GIVEN c5.2xlarge THEN 4 ENIs of 15 IPv4 each", () => {
    expect(instanceLimits("c5.2xlarge")).toEqual({ instanceType: "c5.2xlarge", maxEnis: 4, ipv4PerEni: 15, networkCards: [4] });
  });

  test("GIVEN types with several network cards THEN the ENI limit is per card (c6in.32xlarge 8 on each of 2, p5.48xlarge 2 on each of 32)", () => {
    expect(instanceLimits("c6in.32xlarge").networkCards).toEqual([8, 8]);
    const p5 = instanceLimits("p5.48xlarge");
    expect(p5.networkCards).toHaveLength(32);
    expect(new Set(p5.networkCards)).toEqual(new Set([2]));
    expect(p5.maxEnis).toBe(2);
  });

  test("GIVEN no multus ENI THEN the formula gives the VPC CNI's published max-pods for every type listed", () => {
    const published = eniMaxPods();
    let compared = 0;
    for (const [type, pods] of published) {
      let limits;
      try {
        limits = instanceLimits(type);
      } catch {
        continue; // listed in one file only
      }
      // Published values for the largest types are capped at 250 and some are set by hand.
      if (pods >= 250) continue;
      expect({ type, pods: kubeletMaxPods(limits, 0) }).toEqual({ type, pods });
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
  });

  test("GIVEN 2 multus ENIs on c5.2xlarge THEN kubelet max-pods counts only the 2 ENIs left: 2 x 14 + 2", () => {
    expect(kubeletMaxPods(instanceLimits("c5.2xlarge"), 2)).toBe(30);
    expect(multusPodsPerEni(instanceLimits("c5.2xlarge"))).toBe(14);
  });

  test("GIVEN as many multus ENIs as the type has THEN it is infeasible and says how many fit", () => {
    expect(() => kubeletMaxPods(instanceLimits("t3.medium"), 3)).toThrow(/use at most 2 multus subnets per availability zone/);
  });

  test("GIVEN an unknown type THEN the error suggests types of the same family", () => {
    expect(() => instanceLimits("c5.huge")).toThrow(/instanceType: unknown instance type "c5.huge".*c5\./);
  });
});
