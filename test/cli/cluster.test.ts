import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cidrBounds, ipToInt, parseSubnet } from "../../ipam";
import { simulate } from "../../cli/simulate";
import { EXAMPLE, expectSoundSubnet } from "../ipam/cluster-helpers";
import { ROOT, cli } from "./run";

const CONFIG = join(ROOT, "examples/cluster.config.json");

function writeConfig(edit: (c: any) => void): string {
  const c = JSON.parse(JSON.stringify(EXAMPLE));
  edit(c);
  const file = join(mkdtempSync(join(tmpdir(), "cluster-cfg-")), "cluster.json");
  writeFileSync(file, JSON.stringify(c));
  return file;
}

const range = (r: { first: string; last: string }) => ({ first: ipToInt(r.first), last: ipToInt(r.last) });

describe("multus-sim with a config of several node groups", () => {
  test("GIVEN the example WHEN plan --json THEN every subnet's blocks by owner tile it, every worker and pod block is reserved by its owner, and the single-group fields stay", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--config", CONFIG, "--json"]);
    // The example's ids are placeholders, named by their cluster-form fields.
    expect(stderr).toMatch(/^note: .*cluster\.config\.json leaves 18 ids at the example's placeholders/);
    expect(stderr.replace(/\s+/g, " ")).toContain("networks[1].securityGroupIds[0]");
    expect(stderr.replace(/\s+/g, " ")).toContain("nodeGroups[2].amiId");
    expect(stderr).not.toMatch(/multus\.|nodeGroup\./);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.groups.map((g: { name: string }) => g.name)).toEqual(["cnf-a", "cnf-b", "edge"]);
    expect(out.subnets).toHaveLength(4);
    for (const s of out.subnets) {
      for (const key of ["cidr", "strategy", "awsReserved", "workers", "pods", "dhcp", "reservations", "capacity", "id", "availabilityZone", "deviceIndex"]) expect(s).toHaveProperty(key);
      for (const b of s.blocks) expect(Object.keys(b).sort()).toEqual(["count", "first", "groups", "kind", "last", "owner"]);
      expect(new Set(s.blocks.map((b: { kind: string }) => b.kind))).toEqual(new Set(["aws-reserved", "workers", "pods", "dhcp"]));
      expectSoundSubnet({
        subnet: parseSubnet(s.cidr, "cidr"),
        blocks: s.blocks.map((b: any) => ({ ...b, range: range(b) })),
        reservations: s.reservations,
        dhcp: s.dhcp.map(range),
      });
      for (const r of s.reservations) expect(cidrBounds(r.cidr)).toBeDefined();
    }
  });

  test("GIVEN the example WHEN plan THEN a line per group and each owner's block in the tables, no line wider than 100 characters", async () => {
    const { code, stdout } = await cli(["plan", "--config", CONFIG]);
    expect(code).toBe(0);
    // The subnet's heading (network, zone, device, every group on it) wraps inside its column.
    for (const line of stdout.split("\n")) expect({ line, width: line.length }).toEqual({ line, width: Math.min(line.length, 100) });
    expect(stdout).toMatch(/│ 10\.0\.4\.0\/24 \(network data, us-west-2a, [^│]*│ owner /);
    expect(stdout).toMatch(/│ [^│]*cnf-b, edge\)\s*│/);
    expect(stdout).not.toContain("…");
    expect(stdout).toMatch(/^Group cnf-a \(static, c5\.2xlarge, max 4, us-west-2a us-west-2b\): networks data, storage/m);
    expect(stdout).toMatch(/^Group edge \(reservation, m5\.xlarge, max 3, us-west-2a\): networks data/m);
    expect(stdout).toMatch(/worker block \(Lambda assigns\)[\s│]+cnf-b[\s│]+10\.0\.4\.12[\s│]+10\.0\.4\.16[\s│]+5/);
    expect(stdout).toContain("[workers of cnf-a]");
    expect(stdout).toContain("[pods of data]");
  });

  test("GIVEN a flag that reshapes the single-group config THEN exit 2 naming the flag", async () => {
    const { code, stderr } = await cli(["plan", "--config", CONFIG, "--max-nodes", "9"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: --max-nodes: reshapes the single-group config \(nodeGroup \+ multus\), but .* has nodeGroups\. Fix: set it per group in the config file/);
  });

  test("GIVEN groups that do not fit a shared subnet THEN exit 1 naming the group, the subnet and by how much", async () => {
    const file = writeConfig((c) => (c.nodeGroups[2].maxSize = 60));
    const { code, stderr } = await cli(["plan", "--config", file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: nodeGroups\[2\]\.maxSize: 10\.0\.4\.0\/24 \(network "data" in us-west-2a\) has 251 usable addresses; the groups attaching it need \d+, \d+ more than it has, from group "edge" on/);
  });

  test("GIVEN a group name used twice THEN exit 2 naming the group and the fix", async () => {
    const { code, stderr } = await cli(["plan", "--config", writeConfig((c) => (c.nodeGroups[1].name = "cnf-a"))]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/nodeGroups\[1\]\.name: "cnf-a" is also the name of nodeGroups\[0\].*Fix: give each node group its own name/);
  });

  test("GIVEN the example WHEN check --nad over the worker blocks THEN each group's block is named, and --nodes only sets how many pods are checked", async () => {
    const nad = join(mkdtempSync(join(tmpdir(), "cluster-nad-")), "data.yaml");
    const cni = { cniVersion: "0.3.1", name: "data", type: "ipvlan", master: "ens6", mode: "l2", ipam: { type: "whereabouts", range: "10.0.4.0/24", range_start: "10.0.4.10", range_end: "10.0.4.40" } };
    writeFileSync(nad, JSON.stringify({ apiVersion: "k8s.cni.cncf.io/v1", kind: "NetworkAttachmentDefinition", metadata: { name: "data" }, spec: { config: JSON.stringify(cni) } }));
    const { code, stdout } = await cli(["check", "--config", CONFIG, "--nad", nad, "--nodes", "3"]);
    expect(code).toBe(1);
    expect(stdout).toContain("overlaps the worker block of group cnf-a 10.0.4.4-10.0.4.11");
    expect(stdout).toContain("overlaps the worker block of group cnf-b 10.0.4.12-10.0.4.16");
    expect(stdout).toMatch(/overlaps 10\.0\.4\.17-10\.0\.4\.40, the DHCP space of 10\.0\.4\.0\/24 where worker ENIs/);
  });

  test("GIVEN the example WHEN map --svg THEN each owner's block has its own colour and legend entry", async () => {
    const { code, stdout } = await cli(["map", "--config", CONFIG, "--svg", "-"]);
    expect(code).toBe(0);
    const fill = (label: string) => new RegExp(`fill="(#[0-9a-f]+)" stroke="#444" stroke-width="0\\.5"/><text [^>]*>${label}`).exec(stdout)?.[1];
    const a = fill("Worker block of cnf-a");
    const b = fill("Worker block of cnf-b");
    const podsA = fill("Pod block of group cnf-a");
    const podsB = fill("Pod block of group cnf-b");
    expect([a, b, podsA, podsB].every(Boolean)).toBe(true);
    expect(new Set([a, b, podsA, podsB]).size).toBe(4);
    expect(stdout).toContain("Pod block of network data (whereabouts pool)");
    expect(stdout).toContain("DHCP space (workers of edge, and any other ENI)");
  });

  test("GIVEN the example WHEN simulate --config with foreign DHCP ENIs THEN every group launches at once and the run is clean", async () => {
    const { summary, reports } = await simulate({ config: CONFIG, runs: 2, seed: 5, dhcp: "adversarial", foreignEnis: 6, allocator: "project", ipam: "whereabouts" });
    expect(summary.failedRuns).toEqual([]);
    expect(summary.collisions).toBe(0);
    expect(summary.abandoned).toBe(0);
    expect(reports.map((r) => r.nodes)).toEqual([10, 10]);
    // cnf-a and cnf-b take two ENIs each, edge one: 4x2 + 3x2 + 3.
    expect(reports.map((r) => r.enisCreated)).toEqual([17, 17]);
    expect(reports.every((r) => r.foreignEnis === 6)).toBe(true);
    expect(reports.every((r) => r.pods === 4 * 2 * 10 + 3 * 2 * 8 + 3 * 5)).toBe(true);
  });

  test("GIVEN the example WHEN simulate with the reference allocator THEN exit 2: it serves one group", async () => {
    const { code, stderr } = await cli(["simulate", "--config", CONFIG, "--allocator", "baseline"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--allocator: baseline is the reference system's allocator, which serves one node group/);
  });
});
