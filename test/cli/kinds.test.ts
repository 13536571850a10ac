import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, cli } from "./run";

describe("multus-sim with Karpenter and managed groups", () => {
  test("GIVEN the mixed example THEN the plan holds a worker block for every group (exit 0)", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--config", join(ROOT, "examples/mixed.config.json"), "--json"]);
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/"burst"/);
    expect(stdout).toMatch(/"steady"/);
  });

  test("GIVEN a karpenter group without maxSize THEN exit 1: the plan cannot bound its worker block", async () => {
    const c = JSON.parse(readFileSync(join(ROOT, "examples/mixed.config.json"), "utf8"));
    delete c.nodeGroups[1].maxSize;
    const file = join(mkdtempSync(join(tmpdir(), "kinds-")), "c.json");
    writeFileSync(file, JSON.stringify(c));
    const { code, stderr } = await cli(["plan", "--config", file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/nodeGroups\[1\]\.maxSize: .*cannot bound the group's worker block/);
  });

  test("GIVEN the mixed example WHEN simulated under the aws timing THEN clean: every node of the three groups gets its ENI (exit 0)", async () => {
    const { code, stdout } = await cli(["simulate", "--config", join(ROOT, "examples/mixed.config.json"), "--timing", "aws"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/13 launches/);
    expect(stdout).toMatch(/ENIs created: 13;/);
    expect(stdout).toMatch(/No violations\./);
  });

  test("GIVEN the mixed example WHEN simulated with pods during the boots THEN no pod starts before its node's ENIs are ready (exit 0)", async () => {
    const { code, stdout } = await cli(["simulate", "--config", join(ROOT, "examples/mixed.config.json"), "--timing", "aws", "--boot-pods", "20"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/pods during the boots: 20 started, 0 before their node's multus network was ready/);
    expect(stdout).toMatch(/No violations\./);
  });

  test("GIVEN the reference allocator's nodes, which have no startup taint, WHEN simulated with pods during the boots THEN pods start early (exit 1)", async () => {
    const { code, stdout } = await cli(["simulate", "--nodes", "10", "--runs", "3", "--timing", "aws", "--boot-pods", "20", "--allocator", "baseline"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/pod-before-network [1-9]/);
  });

  test("GIVEN --boot-pods with a bad value THEN exit 2 naming the flag", async () => {
    const { code, stderr } = await cli(["simulate", "--boot-pods", "some"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--boot-pods takes a whole number >= 0, got "some"/);
  });
});
