import { statSync } from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

/** Lambda's nodejs runtimes load `index.handler` from the zip's root. */
export const BUNDLE_FILE = "index.js";

/**
 * Bundles the handler into one minified CommonJS file, `<outDir>/index.js`, exporting
 * `handler`, for Lambda's Node.js 20 runtime and later. The SDK is bundled too (the runtime's
 * own copy is whatever version AWS ships), tree-shaken from its ES module build.
 */
export async function buildLambda(outDir = "dist/lambda"): Promise<{ file: string; bytes: number }> {
  const file = path.resolve(outDir, BUNDLE_FILE);
  await build({
    entryPoints: [path.resolve(__dirname, "handler.ts")],
    outfile: file,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // The ES module builds let esbuild drop the SDK code the handler never reaches.
    mainFields: ["module", "main"],
    legalComments: "none",
    logLevel: "warning",
  });
  return { file, bytes: statSync(file).size };
}

if (require.main === module) {
  const outDir = process.argv[2] ?? "dist/lambda";
  buildLambda(outDir)
    .then(({ file, bytes }) => {
      console.log(`${path.relative(process.cwd(), file)}: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}
