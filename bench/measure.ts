import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const GNU_TIME = "/usr/bin/time";

export interface ChildRun {
  readonly wallMs: number;
  /** Peak resident set size, KB (GNU time's %M, else the child's own process.resourceUsage().maxRSS). */
  readonly maxRssKb: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <nodeArgs...>` in a fresh process and measures its wall time and peak RSS. With
 * GNU time the figure includes the process's waited-for children (jest workers).
 */
export function runNode(nodeArgs: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): ChildRun {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-rss-"));
  const rssFile = path.join(dir, "rss");
  try {
    const useTime = existsSync(GNU_TIME);
    const [cmd, args] = useTime
      ? [GNU_TIME, ["-f", "%M", "-o", rssFile, process.execPath, ...nodeArgs]]
      : [process.execPath, ["-r", path.resolve(__dirname, "children/max-rss.cjs"), ...nodeArgs]];
    const start = performance.now();
    const out = spawnSync(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, BENCH_RSS_FILE: rssFile },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs,
    });
    const wallMs = performance.now() - start;
    const rssText = existsSync(rssFile) ? readFileSync(rssFile, "utf8") : "";
    // GNU time writes "Command exited with non-zero status N" before the figure on failure.
    const maxRssKb = Number(rssText.trim().split("\n").pop() ?? NaN);
    return { wallMs, maxRssKb, status: out.status, stdout: out.stdout ?? "", stderr: out.stderr ?? "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` `n` times; the run with the median wall time (its RSS with it). */
export function medianRun(n: number, fn: () => ChildRun): ChildRun & { runs: number } {
  const runs = Array.from({ length: n }, fn);
  const failed = runs.find((r) => r.status !== 0);
  if (failed) throw new Error(`child exited ${failed.status}: ${failed.stderr.slice(-2000)}`);
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: n };
}
