import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { buildLambda } from "../build";
import { ChildRun, medianRun, runNode } from "./measure";

const ROOT = path.resolve(__dirname, "..");

export interface SynthFigures {
  readonly repeats: number;
  readonly defaultSynth: { wallMs: number; maxRssKb: number; stacks: number };
  readonly bareStack: { wallMs: number; maxRssKb: number };
  readonly timeRatio: number;
  readonly memoryRatio: number;
}

export interface TestSuiteFigures {
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly suites: number;
  readonly tests: number;
  readonly failed: number;
  readonly success: boolean;
  /** Test files with a failure, relative to the repo. */
  readonly failedFiles: string[];
  /** 1-minute load average just before the run. */
  readonly loadBefore: number;
}

/**
 * The default app's synth (`main.ts --synth-only`, the embedded config, the AWS and Kubernetes
 * stacks) against a bare cdktf stack with one resource, each in a fresh node with tsx, as
 * `npm run synth` runs it. The Lambda bundle is built once beforehand and passed with
 * --bundle, so the figure is the synth alone (the bundle has its own section).
 */
export async function measureSynth(repeats: number): Promise<SynthFigures> {
  const work = mkdtempSync(path.join(tmpdir(), "bench-synth-"));
  try {
    const bundleDir = path.join(work, "bundle");
    await buildLambda(bundleDir);
    let stacks = 0;
    const main = medianRun(repeats, () => {
      const outdir = mkdtempSync(path.join(work, "default-"));
      const run = runNode(["--import", "tsx", path.join(ROOT, "main.ts"), "--synth-only", "--outdir", outdir, "--bundle", bundleDir], { cwd: ROOT });
      if (run.status === 0) stacks = countStacks(outdir);
      return run;
    });
    const bare = medianRun(repeats, () => runNode(["--import", "tsx", path.join(__dirname, "children/bare-stack.ts"), mkdtempSync(path.join(work, "bare-"))], { cwd: ROOT }));
    return {
      repeats,
      defaultSynth: { wallMs: main.wallMs, maxRssKb: main.maxRssKb, stacks },
      bareStack: { wallMs: bare.wallMs, maxRssKb: bare.maxRssKb },
      timeRatio: main.wallMs / bare.wallMs,
      memoryRatio: main.maxRssKb / bare.maxRssKb,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function countStacks(outdir: string): number {
  try {
    const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks?: Record<string, unknown> };
    return Object.keys(manifest.stacks ?? {}).length;
  } catch {
    return 0;
  }
}

/** One `npx jest` of the whole repo (as `npm test` runs it after tsc), wall time and peak RSS. */
export function measureTestSuite(): TestSuiteFigures {
  const work = mkdtempSync(path.join(tmpdir(), "bench-jest-"));
  try {
    const report = path.join(work, "jest.json");
    const loadBefore = loadavg()[0]!;
    const jest = require.resolve("jest/bin/jest", { paths: [ROOT] });
    const run: ChildRun = runNode([jest, "--ci", "--silent", "--json", `--outputFile=${report}`], { cwd: ROOT, timeoutMs: 10 * 60_000 });
    let summary = { numTotalTestSuites: 0, numTotalTests: 0, numFailedTests: 0, success: false, testResults: [] as { name: string; status: string }[] };
    try {
      summary = JSON.parse(readFileSync(report, "utf8")) as typeof summary;
    } catch {
      // no report: jest crashed; success stays false
    }
    return {
      wallMs: run.wallMs,
      maxRssKb: run.maxRssKb,
      suites: summary.numTotalTestSuites,
      tests: summary.numTotalTests,
      failed: summary.numFailedTests,
      success: summary.success && run.status === 0,
      failedFiles: (summary.testResults ?? []).filter((t) => t.status === "failed").map((t) => path.relative(ROOT, t.name)),
      loadBefore,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
