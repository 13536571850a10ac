import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildLambda } from "../build";
import { median } from "./stats";
import { runNode } from "./measure";

export interface LambdaFigures {
  readonly bytes: number;
  readonly buildMs: number;
  readonly repeats: number;
  /** Median wall time of `node -e "require(bundle)"`. */
  readonly loadProcessMs: number;
  /** Median wall time of `node -e 0`. */
  readonly bareNodeMs: number;
  readonly ratio: number;
  /** Median time of the require itself, measured inside the child. */
  readonly requireMs: number;
  readonly exportsHandler: boolean;
}

/**
 * Builds the bundle with build.ts into a temporary directory, then loads it in fresh
 * node processes (what a Lambda cold start pays for the code, before any call) against a bare
 * `node -e 0`, runs interleaved so drift hits both alike.
 */
export async function measureLambda(repeats: number): Promise<LambdaFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-lambda-"));
  try {
    const start = performance.now();
    const { file, bytes } = await buildLambda(dir);
    const buildMs = performance.now() - start;
    const probe = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const ms=Number(process.hrtime.bigint()-t)/1e6;process.stdout.write(JSON.stringify({ms,handler:typeof m.handler}))`;
    const load: number[] = [];
    const bare: number[] = [];
    const inner: number[] = [];
    let exportsHandler = true;
    // One unmeasured run of each warms the OS file cache.
    runNode(["-e", "0"]);
    runNode(["-e", probe]);
    for (let i = 0; i < repeats; i++) {
      const b = runNode(["-e", "0"]);
      const l = runNode(["-e", probe]);
      if (l.status !== 0) throw new Error(`loading the bundle failed: ${l.stderr.slice(-2000)}`);
      const out = JSON.parse(l.stdout) as { ms: number; handler: string };
      exportsHandler &&= out.handler === "function";
      bare.push(b.wallMs);
      load.push(l.wallMs);
      inner.push(out.ms);
    }
    const loadProcessMs = median(load);
    const bareNodeMs = median(bare);
    return { bytes, buildMs, repeats, loadProcessMs, bareNodeMs, ratio: loadProcessMs / bareNodeMs, requireMs: median(inner), exportsHandler };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
