import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipToInt, planNetwork, parseConfig } from "../../ipam";
import { podSource, simulate } from "../../cli/simulate";
import { cli } from "./run";

const base = ["--subnet", "10.0.4.0/24", "--nodes", "50", "--concurrency", "50", "--pods-per-node", "1", "--seed", "7"];

describe("multus-sim simulate", () => {
  test("GIVEN 50 concurrent launches WHEN the reference allocator runs THEN exit 1 with ABANDONs; WHEN this project's Lambda runs on the same seed THEN exit 0 and none", async () => {
    const baseline = await cli(["simulate", ...base, "--allocator", "baseline", "--json"]);
    expect(baseline.stderr).toBe("");
    expect(baseline.code).toBe(1);
    const b = JSON.parse(baseline.stdout);
    expect(b.summary.failedRuns).toEqual([7]);
    // README quotes this run: "On seed 7 with 50 launches at once into a /24, the baseline ABANDONs 29 (31 with `--timing instant`)".
    expect(b.summary).toMatchObject({ timing: "aws", abandoned: 29 });
    expect(b.summary.lastActionMs).toBeGreaterThan(0);
    expect(b.runs[0].lastActionMs).toBe(b.summary.lastActionMs);
    expect(JSON.parse((await cli(["simulate", ...base, "--allocator", "baseline", "--json", "--timing", "instant"])).stdout).summary.abandoned).toBe(31);
    const dirB = mkdtempSync(join(tmpdir(), "sim-svg-"));
    const human = await cli(["simulate", ...base, "--allocator", "baseline", "--svg", join(dirB, "b.svg")]);
    // The replay hint names the seed to replay, and the picture says what it cannot draw.
    expect(human.stdout).toMatch(/replay the first with the same flags and --seed 7 --runs 1/);
    expect(human.stdout).not.toContain("SEED");
    const svgB = readFileSync(join(dirB, "b.svg"), "utf8");
    expect(svgB).not.toContain("(violations)");
    // The ABANDONed launches are drawn: a flag on each address they tried, counted in the legend.
    const flagged = svgB.match(/class="abandoned"/g)?.length ?? 0;
    expect(flagged).toBeGreaterThan(0);
    expect(svgB).toContain(`${b.summary.abandoned} of 50 launches ABANDONed (instance terminated, its ENIs deleted; the ${flagged} addresses they tried are marked)`);
    const legend = new RegExp(`Tried by ABANDONed launches \\(${b.summary.abandoned}\\): (\\d+) tries, ${flagged} addresses`).exec(svgB);
    expect(legend).not.toBeNull();
    // Each flagged cell says how often it was tried; together they are every try.
    const perCell = [...svgB.matchAll(/<title>10\.0\.4\.\d+: [^<]*; tried by ABANDONed launches (\d+) times?<\/title>/g)];
    expect(perCell).toHaveLength(flagged);
    expect(perCell.reduce((n, m) => n + Number(m[1]), 0)).toBe(Number(legend![1]));

    const dir = mkdtempSync(join(tmpdir(), "sim-svg-"));
    const project = await cli(["simulate", ...base, "--allocator", "project", "--svg", join(dir, "run.svg")]);
    expect(project.code).toBe(0);
    expect(project.stdout).toMatch(/collisions \(duplicate IPs\): 0/);
    expect(project.stdout).toMatch(/ABANDONed launches: 0/);
    expect(project.stdout).toMatch(/EC2 calls per ENI: [\d.]+ reads, [\d.]+ writes/);
    expect(project.stdout).toMatch(/No violations\./);
    const svgP = readFileSync(join(dir, "run.svg"), "utf8");
    expect(svgP).toContain("Live worker ENIs: 50");
    expect(svgP).not.toContain('class="abandoned"');
    expect(svgP).not.toContain("Tried by ABANDONed");
    expect(project.stdout).toMatch(/simulated time \(aws timing\): last lifecycle action completed at [\d.]+ s/);
  });

  test("GIVEN an unknown --timing THEN exit 2 naming the flag and the choices", async () => {
    const res = await cli(["simulate", ...base, "--timing", "fast"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--timing: unknown timing profile "fast".*use one of aws, instant/);
  });
});

describe("simulate in process", () => {
  test("GIVEN host-local pods over the pod block on several nodes THEN the run reports pod-pod duplicates; whereabouts gives none", async () => {
    const opts = { subnet: ["10.0.4.0/24"], nodes: 4, runs: 1, seed: 3, dhcp: "random" as const, foreignEnis: 0, allocator: "project" as const, podsPerNode: 3 };
    const hl = await simulate({ ...opts, ipam: "host-local" });
    expect(hl.summary.collisions).toBe(3);
    expect(hl.reports[0]!.violations.every((v) => v.kind === "duplicate-ip" && /pod-pod/.test(v.detail))).toBe(true);
    const wb = await simulate({ ...opts, ipam: "whereabouts" });
    expect(wb.summary.failedRuns).toEqual([]);
    expect(wb.reports[0]!.pods).toBe(4 * 3);
  });

  test("GIVEN whereabouts pods on concurrent nodes THEN every pod address is distinct and inside the pod block", async () => {
    const config = parseConfig({ nodeGroup: { maxSize: 5, desiredSize: 2, minSize: 1 }, multus: { podsPerNode: 4 } });
    const plan = planNetwork(config);
    const source = podSource("whereabouts", 4);
    const nodes = Array.from({ length: 5 }, (_, i) => ({ instanceId: `i-${i}`, availabilityZone: "us-west-2a", enis: plan.subnets.map((s) => ({ subnetId: s.id, eniId: `eni-${i}-${s.id}`, ip: "10.0.0.1", deviceIndex: s.deviceIndex })) }));
    const pods = await source(nodes, { plan, seed: 1 });
    expect(pods).toHaveLength(5 * 4 * plan.subnets.length);
    expect(new Set(pods.map((p) => p.ip)).size).toBe(pods.length);
    for (const p of pods) {
      const s = plan.subnets.find((x) => x.id === p.subnet)!;
      expect(ipToInt(p.ip)).toBeGreaterThanOrEqual(s.pods.first);
      expect(ipToInt(p.ip)).toBeLessThanOrEqual(s.pods.last);
    }
  });
});
