import { statSync } from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

/** The bundle the image runs: `node /app/index.js`. */
export const AGENT_BUNDLE_FILE = "index.js";

/**
 * Bundles the agent (agent/main.ts with the EC2 SDK and @kubernetes/client-node) into one
 * minified CommonJS file for Node 20, `<outDir>/index.js`, so the image needs no
 * node_modules.
 */
export async function buildAgent(outDir = "dist/agent"): Promise<{ file: string; bytes: number }> {
  const file = path.resolve(outDir, AGENT_BUNDLE_FILE);
  await build({
    entryPoints: [path.resolve(__dirname, "main.ts")],
    outfile: file,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // ES module builds first: esbuild then drops the SDK code the agent never reaches.
    mainFields: ["module", "main"],
    legalComments: "none",
    logLevel: "warning",
  });
  return { file, bytes: statSync(file).size };
}

if (require.main === module) {
  const outDir = process.argv[2] ?? "dist/agent";
  buildAgent(outDir)
    .then(({ file, bytes }) => {
      console.log(`${path.relative(process.cwd(), file)}: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB)`);
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}
