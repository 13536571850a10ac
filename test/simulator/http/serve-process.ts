import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";

export const BIN = path.resolve(__dirname, "../../../bin/multus-sim.js");

/** Fake credentials: the simulator checks no signature, but every AWS client wants some. */
export const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDSIMULATOR", AWS_SECRET_ACCESS_KEY: "simulator", AWS_REGION: "us-west-2" };

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written to stdout after the first line, and to stderr. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM; resolves to the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/** Starts `multus-sim serve ARGS` on 127.0.0.1 (a free port) and waits for its `listening on` line. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--host", "127.0.0.1", "--port", "0", ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s; stderr: ${err}`)), 30_000);
    const check = () => {
      const first = out.split("\n")[0]!;
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      if (m && out.includes("\n")) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before listening; stderr: ${err}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out.slice(out.indexOf("\n") + 1),
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

/** Polls `probe` every 50 ms until it returns a value, for at most `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 10_000, what = "condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
