import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig } from "../../ipam/config";
import { lambdaEnvironment } from "../../ipam/lambda-env";
import { planNetwork } from "../../ipam/plan";
import { buildLambda } from "../../build";

describe("buildLambda", () => {
  let dir: string;
  let built: { file: string; bytes: number };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "multus-lambda-"));
    built = await buildLambda(dir);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("GIVEN the handler WHEN bundled THEN one minified index.js under 1 MB is written", () => {
    expect(built.file).toBe(path.join(dir, "index.js"));
    expect(fs.readdirSync(dir)).toEqual(["index.js"]);
    expect(built.bytes).toBe(fs.statSync(built.file).size);
    expect(built.bytes).toBeLessThan(1024 * 1024);
    // Minified: few, long lines.
    expect(fs.readFileSync(built.file, "utf8").split("\n").length).toBeLessThan(50);
  });

  it("GIVEN the bundle WHEN a fresh node loads it THEN it exports handler, needing nothing from node_modules", () => {
    const out = execFileSync(process.execPath, ["-e", `const m = require(${JSON.stringify(built.file)}); process.stdout.write(typeof m.handler)`], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NODE_PATH: "" },
    }).toString();
    expect(out).toBe("function");
  });

  it("GIVEN the bundle without its environment WHEN invoked THEN cold start fails naming the missing variable", () => {
    const script = `require(${JSON.stringify(built.file)}).handler({}).then(() => process.stdout.write("ok"), (e) => process.stdout.write(e.message))`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } }).toString();
    expect(out).toMatch(/^MULTUS_NODE_GROUP_TAG: is not set/);
  });

  it("GIVEN the bundle with the environment the module writes WHEN invoked with a test notification THEN it starts, validates its configuration and ignores the event", () => {
    const config = parseConfig({});
    const env = lambdaEnvironment(config, planNetwork(config));
    const script = `require(${JSON.stringify(built.file)}).handler({ Event: "autoscaling:TEST_NOTIFICATION" }).then((o) => process.stdout.write(JSON.stringify(o)), (e) => process.stdout.write("error " + e.message))`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", AWS_REGION: "us-west-2", ...env } }).toString();
    const lines = out.trim().split("\n");
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({ action: "ignored", result: "NONE", ec2Calls: 0 });
    // The structured log line went to stdout first.
    expect(JSON.parse(lines[0]!)).toMatchObject({ action: "ignored", reason: "Auto Scaling test notification" });
  });
});
