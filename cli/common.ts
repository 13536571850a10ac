import { Command, InvalidArgumentError, Option } from "commander";
import { PlanError } from "../ipam";
import { parseTiming } from "../simulator/timing";

/** CLI exit codes: 0 ok, 1 a finding (infeasible plan, collision, violation), 2 bad input. */
export const EXIT = { ok: 0, finding: 1, input: 2 } as const;

export function parseIntFlag(flag: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} takes a whole number >= ${min}, got "${value}"`);
    }
    return n;
  };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `--timing aws|instant` (default aws), for every command that runs the models (`simulate`,
 * `serve`): an unknown profile is bad input (exit 2) naming the choices.
 */
export function timingOption(description: string): Option {
  return new Option("--timing <profile>", description).default("aws").argParser((value: string) => {
    try {
      return parseTiming(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
}

/** Prints an error in one line and returns its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof PlanError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.kind === "infeasible" ? EXIT.finding : EXIT.input;
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.input;
}

/** Commander exits 1 on its own usage errors; bad flags are bad input, exit 2. */
export function withUsageExit(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exit(EXIT.ok);
    process.exit(EXIT.input);
  });
}

/** A reader that stops early (`| head`) closes the pipe: that ends the output, not in a stack trace. */
export function quietOnClosedPipe(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    throw err;
  });
}
