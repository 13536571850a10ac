import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { SOAK_KINDS, runSoakSeed, soakDraw } from "../../simulator/scenario/drawn";
import { main, summaryLine } from "../../cli/soak";
import { inProcess } from "./run";

const ROOT = path.resolve(__dirname, "../..");
const soakCli = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "cli/soak.ts", ...args], { cwd: ROOT, encoding: "utf8" });

describe("soak", () => {
  // Churn is drawn about 3 times in 1,000 (drawn.ts, the weights): 3,000 seeds show every kind.
  const kindOf = Array.from({ length: 3000 }, (_, i) => soakDraw(i + 1).kind);

  test("GIVEN one seed WHEN drawn twice THEN the same scenario, and seeds draw every kind", () => {
    expect(JSON.stringify(soakDraw(42))).toBe(JSON.stringify(soakDraw(42)));
    expect([...new Set(kindOf)].sort()).toEqual([...SOAK_KINDS].sort());
  });

  test("GIVEN a seed of each kind WHEN run THEN it runs the real Lambda or agent and passes its checks", async () => {
    // A churn seed is a 200-node run, seconds of CPU: its draw is checked here, and runChurn at
    // 30-50 nodes by the churn property (CI's soak runs about 30 at 200).
    const churnSeed = kindOf.indexOf("churn") + 1;
    const churn = soakDraw(churnSeed);
    expect(churn.kind === "churn" && churn.run.nodes).toBe(200);
    const seeds = SOAK_KINDS.filter((k) => k !== "churn").map((k) => kindOf.indexOf(k) + 1);
    for (const seed of seeds) {
      const out = await runSoakSeed(seed);
      expect(out).toMatchObject({ seed, ran: true });
      expect(out.problem).toBeUndefined();
    }
  });

  test("GIVEN a run's result THEN the last line names the count, the failures and the seed range", () => {
    expect(summaryLine({ scenarios: 10, seed: 5, jobs: 2 }, { ran: 10, failed: [{ seed: 7, kind: "launch", ran: true, problem: "x" }], skipped: 0, byKind: { launch: 10, cluster: 0, readiness: 0, churn: 0 }, stoppedEarly: false, ms: 12_400, cpuMs: 0 })).toBe(
      "soak: 10 scenarios, 1 failed (seeds 5..14) in 12s",
    );
  });

  test("GIVEN --scenarios 0 WHEN npm run soak runs THEN the process exits 2 naming the flag", () => {
    const r = soakCli(["--scenarios", "0"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--scenarios");
  });

  test.each([
    ["--minutes", "soon"],
    ["--seed", "-1"],
    ["--jobs", "0"],
  ])("GIVEN %s %s THEN exit 2 naming the flag", async (flag, value) => {
    const r = await inProcess(() => main([flag, value]));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
  });
});
