import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BundleOptions, buildLambda } from "../build";
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
export async function measureLambda(repeats: number, opts: BundleOptions = {}): Promise<LambdaFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-lambda-"));
  // The runtime's SDK, stood in for by this project's node_modules (the same packages, unbundled,
  // as the runtime keeps them): the child resolves @aws-sdk/* there.
  const env = opts.runtimeSdk ? { NODE_PATH: path.resolve(__dirname, "../node_modules") } : undefined;
  const node = (args: string[]) => runNode(args, env ? { env } : {});
  try {
    const start = performance.now();
    const { file, bytes } = await buildLambda(dir, opts);
    const buildMs = performance.now() - start;
    const probe = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const ms=Number(process.hrtime.bigint()-t)/1e6;process.stdout.write(JSON.stringify({ms,handler:typeof m.handler}))`;
    const load: number[] = [];
    const bare: number[] = [];
    const inner: number[] = [];
    let exportsHandler = true;
    // One unmeasured run of each warms the OS file cache.
    node(["-e", "0"]);
    node(["-e", probe]);
    for (let i = 0; i < repeats; i++) {
      const b = node(["-e", "0"]);
      const l = node(["-e", probe]);
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

/** The bundle as shipped (SDK bundled) and with the runtime's SDK, measured in one run. */
export async function measureLambdaVariants(repeats: number): Promise<{ bundled: LambdaFigures; runtimeSdk: LambdaFigures }> {
  const bundled = await measureLambda(repeats);
  const runtimeSdk = await measureLambda(repeats, { runtimeSdk: true });
  return { bundled, runtimeSdk };
}

if (require.main === module) {
  void measureLambdaVariants(Number(process.argv[2] ?? 5)).then((v) => process.stdout.write(`${JSON.stringify(v, null, 1)}\n`));
}
