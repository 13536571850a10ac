import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildAgent } from "../../agent/build";

describe("buildAgent", () => {
  let dir: string;
  let built: { file: string; bytes: number };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-agent-"));
    built = await buildAgent(dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the bundle as the image does (`node index.js`), from a directory without node_modules. */
  function runBundle(env: Record<string, string>) {
    const r = spawnSync(process.execPath, [built.file], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? "", NODE_PATH: "", ...env }, encoding: "utf8", timeout: 20000 });
    return { status: r.status, lines: r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>) };
  }

  it("GIVEN the agent WHEN bundled THEN a single minified index.js is written", () => {
    expect(built.file).toBe(path.join(dir, "index.js"));
    expect(fs.readdirSync(dir)).toEqual(["index.js"]);
    expect(built.bytes).toBe(fs.statSync(built.file).size);
    expect(fs.readFileSync(built.file, "utf8").split("\n").length).toBeLessThan(100);
  });

  it("GIVEN the bundle without NODE_NAME WHEN started THEN it exits 2 with one JSON log line naming the variable", () => {
    const r = runBundle({ AWS_REGION: "us-west-2" });
    expect(r.status).toBe(2);
    expect(r.lines).toEqual([expect.objectContaining({ level: "error", variable: "NODE_NAME", msg: expect.stringMatching(/^NODE_NAME: is not set/) })]);
  });

  it("GIVEN a valid environment but no reachable cluster configuration WHEN started THEN it exits 1 saying it failed to start", () => {
    const r = runBundle({ NODE_NAME: "n1", AWS_REGION: "us-west-2", INSTANCE_ID: "i-0123456789abcdef0", INSTANCE_TYPE: "t3.medium", KUBECONFIG: path.join(dir, "missing-kubeconfig") });
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toMatchObject({ level: "error", msg: "agent failed to start" });
  });
});
