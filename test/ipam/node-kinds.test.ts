import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig, planNetwork } from "../../ipam";
import { capacityTypesOf } from "../../ipam/cluster-config";
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

describe("nodeGroups[].capacityTypes", () => {
  test("GIVEN the mixed example THEN the karpenter group runs on spot and on-demand (in one order, whatever the config's) and the managed one on on-demand by default", () => {
    const c = parseConfig(MIXED);
    expect(MIXED.nodeGroups[1].capacityTypes).toEqual(["spot", "on-demand"]);
    expect(capacityTypesOf(c.nodeGroups[1]!)).toEqual(["on-demand", "spot"]);
    expect(c.nodeGroups[2]!.capacityTypes).toBeUndefined();
    expect(capacityTypesOf(c.nodeGroups[2]!)).toEqual(["on-demand"]);
  });

  test("GIVEN a managed group with spot THEN accepted", () => {
    const c = parseConfig(mixed((x) => (x.nodeGroups[2].capacityTypes = ["spot"])));
    expect(capacityTypesOf(c.nodeGroups[2]!)).toEqual(["spot"]);
  });

  test("GIVEN capacityTypes on an autoscaling group THEN refused, naming the field and the fix: spot", () => {
    const e = planError(() => parseConfig(mixed((x) => (x.nodeGroups[0].capacityTypes = ["spot"]))));
    expect(e.kind).toBe("input");
    expect(e.field).toBe("nodeGroups[0].capacityTypes");
    expect(e.fix).toMatch(/use nodeGroups\[0\]\.spot/);
  });

  test("GIVEN spot on a karpenter group THEN refused, naming capacityTypes as the fix", () => {
    const e = planError(() => parseConfig(mixed((x) => (x.nodeGroups[1].spot = {}))));
    expect(e.field).toBe("nodeGroups[1].spot");
    expect(e.fix).toMatch(/use nodeGroups\[1\]\.capacityTypes/);
  });

  test("GIVEN an empty capacityTypes THEN refused", () => {
    const e = planError(() => parseConfig(mixed((x) => (x.nodeGroups[1].capacityTypes = []))));
    expect(e.field).toBe("nodeGroups[1].capacityTypes");
  });
});

describe("a karpenter group's node role name", () => {
  test.each([
    ["the group's", (x: any) => (x.nodeGroups[1].iam = { roleUseNamePrefix: true }), "nodeGroups[1].iam.roleUseNamePrefix"],
    ["the top-level", (x: any) => (x.iam = { roleUseNamePrefix: true }), "iam.roleUseNamePrefix"],
  ])("GIVEN %s iam.roleUseNamePrefix true THEN refused: the EC2NodeClass could not name the role", (_where, edit, field) => {
    const e = planError(() => parseConfig(mixed(edit)));
    expect(e.kind).toBe("input");
    expect(e.field).toBe(field);
    expect(e.problem).toMatch(/EC2NodeClass names its node role/);
  });

  test("GIVEN two karpenter groups and a top-level iam.roleName THEN refused: both would create the one fixed-name role", () => {
    const e = planError(() =>
      parseConfig(
        mixed((x) => {
          x.iam = { roleName: "multus-node" };
          Object.assign(x.nodeGroups[2], { kind: "karpenter", minSize: undefined, desiredSize: undefined });
        }),
      ),
    );
    expect(e.field).toBe("nodeGroups[2].iam.roleName");
    expect(e.problem).toMatch(/"multus-node", also the role of nodeGroups\[1\]/);
  });
});
