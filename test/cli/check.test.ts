import { join } from "node:path";
import { PlanError } from "../../ipam";
import { checkPlan, readNads } from "../../cli/check";
import { ROOT, cli } from "./run";

const fixture = (name: string) => join(ROOT, "test/fixtures", name);

describe("multus-sim check", () => {
  test("GIVEN the reference NAD on 3 nodes WHEN --json THEN exit 1 with a pod-pod collision on its range", async () => {
    const { code, stdout, stderr } = await cli(["check", "--nad", fixture("nad-seed-host-local.yaml"), "--subnet", "10.0.4.0/24", "--nodes", "3", "--pods-per-node", "5", "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const out = JSON.parse(stdout);
    expect(Object.keys(out).sort()).toEqual(["collisions", "warnings"]);
    const podPod = out.collisions.filter((c: { kind: string }) => c.kind === "pod-pod");
    expect(podPod).toEqual([expect.objectContaining({ range: "10.0.4.70-10.0.4.80", nads: ["default/ipvlan-conf-1"] })]);
    expect(podPod[0].detail).toMatch(/5 addresses to pods on several nodes/);
  });

  test("GIVEN the reference NAD WHEN printed for people THEN it explains why host-local collides and recommends whereabouts over the pod block", async () => {
    const { code, stdout } = await cli(["check", "--nad", fixture("nad-seed-host-local.yaml"), "--subnet", "10.0.4.0/24", "--nodes", "2"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/COLLISION pod-pod 10\.0\.4\.70-10\.0\.4\.80/);
    expect(stdout).toMatch(/Why: host-local is a node-local allocator/);
    expect(stdout).toMatch(/"type":"whereabouts","range":"10\.0\.4\.0\/24","range_start":"10\.0\.4\.\d+","range_end":"10\.0\.4\.254"/);
  });

  test("GIVEN whereabouts over the plan's pod block THEN exit 0 and no collision", async () => {
    const { code, stdout } = await cli(["check", "--nad", fixture("nad-whereabouts-pod-block.yaml"), "--subnet", "10.0.4.0/24", "--nodes", "3", "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ collisions: [], warnings: [] });
  });

  test("GIVEN malformed YAML THEN exit 2 with one line naming the file", async () => {
    const { code, stdout, stderr } = await cli(["check", "--nad", fixture("nad-malformed.yaml"), "--subnet", "10.0.4.0/24", "--nodes", "3"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^error: .*nad-malformed\.yaml: is not valid YAML or JSON at line 6/);
  });
});

describe("check helpers", () => {
  test("GIVEN a missing file THEN a PlanError names --nad and the file", async () => {
    expect(() => readNads(["/nonexistent/x.yaml"])).toThrow(/^--nad: cannot read \/nonexistent\/x\.yaml: ENOENT/);
  });

  test("GIVEN more nodes than the subnet holds THEN the error names --nodes, not --max-nodes", async () => {
    let err: unknown;
    try {
      checkPlan({ subnet: ["10.0.4.0/28"], nodes: 4 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).message).toMatch(/^--nodes: /);
    expect((err as PlanError).message).not.toMatch(/--max-nodes/);
  });
});
