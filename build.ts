import { statSync } from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

/**
 * The file each bundle is: Lambda's nodejs runtimes load `index.handler` from the zip's root,
 * and the agent's image runs `node /app/index.js`.
 */
export const BUNDLE_FILE = "index.js";

/** The two pieces deployed as bundles: their entry point and default output directory. */
export const BUNDLES = {
  /**
   * The lifecycle handler, exporting `handler`, for Lambda's Node.js 20 runtime and later. The
   * SDK is bundled too (the runtime's own copy is whatever version AWS ships).
   */
  lambda: { entry: "lambda/handler.ts", outDir: "dist/lambda" },
  /** The node agent with the EC2 SDK and @kubernetes/client-node, so the image needs no node_modules. */
  agent: { entry: "agent/main.ts", outDir: "dist/agent" },
} as const;

export type BundleName = keyof typeof BUNDLES;

/**
 * The packages Lambda's Node.js runtimes provide (the AWS SDK for JavaScript v3, at the version
 * AWS ships: Lambda developer guide, "Building Lambda functions with Node.js", runtime-included
 * SDK). Left out only for the measured alternative (bench/lambda.ts); the default bundles them.
 */
export const RUNTIME_SDK_EXTERNAL = ["@aws-sdk/*"];

export interface BundleOptions {
  /** Leave the AWS SDK out and require the runtime's copy. @default false (the SDK is bundled) */
  readonly runtimeSdk?: boolean;
}

/**
 * Bundles one piece into one minified CommonJS file for Node 20, `<outDir>/index.js`. The SDK
 * is tree-shaken from its ES module build.
 */
export async function buildBundle(name: BundleName, outDir: string = BUNDLES[name].outDir, opts: BundleOptions = {}): Promise<{ file: string; bytes: number }> {
  const file = path.resolve(outDir, BUNDLE_FILE);
  await build({
    entryPoints: [path.resolve(__dirname, BUNDLES[name].entry)],
    outfile: file,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // The ES module builds let esbuild drop the SDK code the bundle never reaches.
    mainFields: ["module", "main"],
    legalComments: "none",
    logLevel: "warning",
    ...(opts.runtimeSdk ? { external: RUNTIME_SDK_EXTERNAL } : {}),
  });
  return { file, bytes: statSync(file).size };
}

/** The Lambda bundle, `<outDir>/index.js` (default `dist/lambda`). */
export function buildLambda(outDir?: string, opts: BundleOptions = {}): Promise<{ file: string; bytes: number }> {
  return buildBundle("lambda", outDir, opts);
}

/** The agent bundle, `<outDir>/index.js` (default `dist/agent`). */
export function buildAgent(outDir?: string): Promise<{ file: string; bytes: number }> {
  return buildBundle("agent", outDir);
}

/** `tsx build.ts [lambda|agent] [outDir]`: one bundle, or both to their default directories. */
async function main(args: string[]): Promise<void> {
  const [name, outDir] = args;
  if (name !== undefined && !Object.hasOwn(BUNDLES, name)) {
    console.error(`unknown bundle "${name}": give one of ${Object.keys(BUNDLES).join(", ")}, or nothing for all`);
    process.exitCode = 2;
    return;
  }
  for (const n of name === undefined ? (Object.keys(BUNDLES) as BundleName[]) : [name as BundleName]) {
    const { file, bytes } = await buildBundle(n, outDir);
    console.log(`${path.relative(process.cwd(), file)}: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
