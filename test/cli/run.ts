import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { program } from "../../cli/main";

export const ROOT = join(__dirname, "../..");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** @default a fresh empty directory (no multus.config.json in it) */
  readonly cwd?: string;
  /** Over the test's environment; MULTUS_CONFIG is cleared unless given. */
  readonly env?: Record<string, string>;
}

/** process.exit, turned into a throw so the command stops where the real process would. */
class Exited extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/**
 * Runs `multus-sim ARGS` in this process: the same program bin/multus-sim.js runs, with its
 * output, exit code (process.exitCode or process.exit), working directory and environment as a
 * child would see them. A child process costs half a second of CPU for tsx to start; the
 * suites run dozens of commands. `cliProcess` runs the real binary for what only a process
 * shows (the bin's wiring).
 */
export async function cli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return inProcess(async () => {
    await program().parseAsync(args, { from: "user" });
  }, opts);
}

/**
 * Runs a command's entry point in this process as `cli` does: its output, its exit code (what
 * it returns, else process.exitCode, or process.exit's), working directory and environment.
 */
export async function inProcess(run: () => Promise<number | void>, opts: CliOptions = {}): Promise<CliResult> {
  const env = { MULTUS_CONFIG: "", ...opts.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  const savedExitCode = process.exitCode;
  let stdout = "";
  let stderr = "";
  const out = jest.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const exit = jest.spyOn(process, "exit").mockImplementation((code?: string | number | null) => {
    throw new Exited(Number(code ?? 0));
  });
  process.exitCode = undefined;
  Object.assign(process.env, env);
  process.chdir(opts.cwd ?? mkdtempSync(join(tmpdir(), "multus-sim-")));
  let code: number;
  try {
    const returned = await run();
    code = Number(returned ?? process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof Exited)) throw e;
    code = e.code;
  } finally {
    out.mockRestore();
    err.mockRestore();
    exit.mockRestore();
    process.chdir(savedCwd);
    process.exitCode = savedExitCode;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code, stdout, stderr };
}

/** Runs the real binary as a user would, in a child process. */
export function cliProcess(args: string[], opts: CliOptions = {}): CliResult {
  const res = spawnSync(process.execPath, [join(ROOT, "bin/multus-sim.js"), ...args], {
    cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), "multus-sim-")),
    env: { ...process.env, MULTUS_CONFIG: "", ...opts.env },
    encoding: "utf8",
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
