/**
 * `npm run soak -- [--scenarios N] [--seed S] [--minutes M] [--jobs J]`: the property tests'
 * breadth, at CI scale. Seed S+i draws scenario i (simulator/scenario/drawn.ts: one node group
 * or several on shared subnets, either strategy, foreign ENIs, every fault class, the aws timing
 * profile with its undocumented rows swept; the real Lambda handler, and the real agent lifting
 * the startup taint) and checks what the property tests check. Seeds are spread over J child
 * processes in small chunks, in order, so the seeds run are always S..S+N-1.
 *
 * Output: a progress bar on a TTY; the first failure's seed, its problem and its replay command;
 * last line `soak: N scenarios, F failed (seeds S..S+N-1) in Ts`. Exit 0, 1 on any failure,
 * 2 on a bad flag.
 */
import { ChildProcess, fork } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import type { SoakKind, SoakOutcome } from "../simulator/scenario/drawn";
import { EXIT, parseIntFlag, withUsageExit } from "./common";

export interface SoakFlags {
  readonly scenarios: number;
  readonly seed: number;
  /** Wall-clock bound in minutes: no new chunk starts after it. */
  readonly minutes?: number;
  readonly jobs: number;
}

/** Seeds per message to a child: small, so --minutes stops within a few seconds. */
const CHUNK = 10;

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) throw new InvalidArgumentError(`--minutes takes a positive number of minutes, got "${value}"`);
  return n;
}

export function soakFlags(argv: readonly string[]): SoakFlags {
  const program = withUsageExit(
    new Command()
      .name("soak")
      .description("Seeded collision, cluster and readiness scenarios under the aws timing profile, with the real Lambda and agent; seed S+i draws scenario i.")
      .option("--scenarios <n>", "scenarios to run", parseIntFlag("--scenarios", 1), 10_000)
      .option("--seed <s>", "first seed", parseIntFlag("--seed", 0), 1)
      .option("--minutes <m>", "stop starting scenarios after this many minutes (report how many ran)", parseMinutes)
      .option("--jobs <j>", "child processes (default: the CPUs, at most 2)", parseIntFlag("--jobs", 1), Math.min(2, os.availableParallelism())),
  );
  program.parse([...argv], { from: "user" });
  return program.opts<SoakFlags>();
}

export interface SoakResult {
  readonly ran: number;
  readonly failed: SoakOutcome[];
  readonly skipped: number;
  readonly byKind: Record<SoakKind, number>;
  readonly stoppedEarly: boolean;
  readonly ms: number;
  /** CPU the children used, user + system. */
  readonly cpuMs: number;
}

/** Runs seeds flags.seed.. over child processes; `onDone` after each scenario. */
export function soak(flags: SoakFlags, onDone: (done: number) => void = () => undefined): Promise<SoakResult> {
  const start = performance.now();
  const deadline = flags.minutes === undefined ? Infinity : start + flags.minutes * 60_000;
  const end = flags.seed + flags.scenarios;
  let next = flags.seed;
  let ran = 0;
  let skipped = 0;
  let stoppedEarly = false;
  let cpuMs = 0;
  const failed: SoakOutcome[] = [];
  const byKind: Record<SoakKind, number> = { launch: 0, cluster: 0, readiness: 0, churn: 0 };
  const jobs = Math.max(1, Math.min(flags.jobs, Math.ceil(flags.scenarios / CHUNK)));
  return new Promise((resolve, reject) => {
    let live = jobs;
    const feed = (child: ChildProcess) => {
      if (next < end && performance.now() >= deadline) stoppedEarly = true;
      if (next >= end || stoppedEarly) {
        child.send({ stop: true });
        return;
      }
      const to = Math.min(end, next + CHUNK);
      child.send({ from: next, to });
      next = to;
    };
    for (let j = 0; j < jobs; j++) {
      const child = fork(path.resolve(__dirname, "soak-worker.ts"), [], { execArgv: ["--import", "tsx", "--no-warnings"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
      child.on("message", (m: { outcome?: SoakOutcome; chunkDone?: boolean; cpuMs?: number }) => {
        if (m.cpuMs !== undefined) cpuMs += m.cpuMs;
        if (m.outcome) {
          ran++;
          byKind[m.outcome.kind]++;
          if (!m.outcome.ran) skipped++;
          if (m.outcome.problem) failed.push(m.outcome);
          onDone(ran);
        }
        if (m.chunkDone) {
          feed(child);
        }
      });
      child.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`soak worker exited with ${code}`));
        if (--live === 0) resolve({ ran, failed: failed.sort((a, b) => a.seed - b.seed), skipped, byKind, stoppedEarly, ms: performance.now() - start, cpuMs });
      });
      feed(child);
    }
  });
}

export function summaryLine(flags: SoakFlags, r: SoakResult): string {
  return `soak: ${r.ran} scenarios, ${r.failed.length} failed (seeds ${flags.seed}..${flags.seed + r.ran - 1}) in ${Math.round(r.ms / 1000)}s`;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const flags = soakFlags(argv);
  const bar = process.stderr.isTTY ? new SingleBar({ format: "soak [{bar}] {value}/{total} scenarios | {eta_formatted} left", stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(flags.scenarios, 0);
  // Without a TTY, a line per tenth (CI logs).
  const tenth = Math.max(1, Math.floor(flags.scenarios / 10));
  const started = performance.now();
  const r = await soak(flags, (done) => {
    bar?.update(done);
    if (!bar && done % tenth === 0) process.stderr.write(`soak: ${done}/${flags.scenarios} after ${Math.round((performance.now() - started) / 1000)}s\n`);
  });
  bar?.stop();
  const out: string[] = [];
  out.push(`kinds: ${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(", ")}; ${r.skipped} drew a plan that does not fit (nothing to run); ${(r.ran / (r.ms / 1000)).toFixed(1)} scenarios/s over ${flags.jobs} job(s), ${Math.round(r.cpuMs / r.ran)} ms CPU each`);
  if (r.stoppedEarly) out.push(`stopped at the --minutes ${flags.minutes} bound: ${r.ran} of ${flags.scenarios} scenarios ran`);
  const first = r.failed[0];
  if (first) {
    out.push(`first failure: seed ${first.seed} (${first.kind})`, first.problem!, `failing seeds: ${r.failed.map((f) => f.seed).slice(0, 20).join(", ")}${r.failed.length > 20 ? ", ..." : ""}`);
    out.push(`replay: npm run soak -- --seed ${first.seed} --scenarios 1`);
  }
  out.push(summaryLine(flags, r));
  process.stdout.write(`${out.join("\n")}\n`);
  return r.failed.length ? EXIT.finding : EXIT.ok;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(EXIT.finding);
    },
  );
}
