import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../ipam";
import { planError } from "./setup";

const MIXED = JSON.parse(readFileSync(join(__dirname, "../../examples/mixed.config.json"), "utf8"));

function mixed(edit: (c: any) => void): unknown {
  const c = JSON.parse(JSON.stringify(MIXED));
  edit(c);
  return c;
}

describe("nodeGroups[].kind", () => {
  test("GIVEN the mixed example WHEN parsed and planned THEN one group of each kind, autoscaling by default, the NodePool sized 0..maxSize", () => {
    const c = parseConfig(MIXED);
    expect(c.nodeGroups.map((g) => [g.name, g.kind])).toEqual([
      ["asg", "autoscaling"],
      ["burst", "karpenter"],
      ["steady", "managed"],
    ]);
    expect([c.nodeGroups[1]!.minSize, c.nodeGroups[1]!.desiredSize, c.nodeGroups[1]!.maxSize]).toEqual([0, 0, 6]);
    const plan = planNetwork(c);
    expect(plan.groups.map((g) => g.kind)).toEqual(["autoscaling", "karpenter", "managed"]);
  });

  test("GIVEN a karpenter group with maxSize THEN its worker block holds maxSize + headroom in each subnet", () => {
    const plan = planNetwork(parseConfig(mixed((x) => (x.nodeGroups[1].maxSize = 9))));
    const burst = plan.groups.find((g) => g.name === "burst")!;
    for (const s of burst.subnets) expect(s.workers!.last - s.workers!.first + 1).toBe(18); // maxSize 9 + headroom (default maxSize) 9
  });

  test("GIVEN a karpenter group without maxSize THEN the plan fails as infeasible: it cannot bound the worker block", () => {
    const e = planError(() => parseConfig(mixed((x) => delete x.nodeGroups[1].maxSize)));
    expect(e.kind).toBe("infeasible");
    expect(e.field).toBe("nodeGroups[1].maxSize");
    expect(e.message).toMatch(/cannot bound the group's worker block/);
  });

  test("GIVEN an unknown kind THEN bad input naming the field and the kinds", () => {
    const e = planError(() => parseConfig(mixed((x) => (x.nodeGroups[0].kind = "fargate"))));
    expect(e.kind).toBe("input");
    expect(e.field).toBe("nodeGroups[0].kind");
    expect(e.message).toMatch(/autoscaling, karpenter, managed/);
  });

  test.each([
    ["karpenter", 1, "minSize"],
    ["karpenter", 1, "desiredSize"],
    ["managed", 2, "lifecycleHooks"],
    ["karpenter", 1, "instanceRefresh"],
  ])("GIVEN a %s group (nodeGroups[%i]) with %s THEN refused, naming the field", (_kind, i, field) => {
    const e = planError(() => parseConfig(mixed((x) => (x.nodeGroups[i][field] = field === "lifecycleHooks" ? [] : field === "instanceRefresh" ? {} : 1))));
    expect(e.field).toBe(`nodeGroups[${i}].${field}`);
    expect(e.kind).toBe("input");
  });
});
