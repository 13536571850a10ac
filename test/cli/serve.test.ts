import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");

/** Runs the real CLI binary as a user would; a serve that starts would be killed after 20 s. */
function cli(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "serve-"));
  const res = spawnSync(process.execPath, [join(ROOT, "bin/multus-sim.js"), ...args], { cwd, env: { ...process.env, MULTUS_CONFIG: "" }, encoding: "utf8", timeout: 20_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, cwd };
}

describe("multus-sim serve", () => {
  test("GIVEN bad flags or a bad config WHEN serve starts THEN it exits 2 with one line naming the flag or field, before listening", () => {
    const timing = cli(["serve", "--port", "0", "--timing", "slow"]);
    expect([timing.code, timing.stdout]).toEqual([2, ""]);
    expect(timing.stderr).toMatch(/--timing <profile>.*slow.*aws, instant/);
    const port = cli(["serve", "--port", "70000"]);
    expect([port.code, port.stderr.trim()]).toEqual([2, `error: option '--port <n>' argument '70000' is invalid. --port takes 0 to 65535, got "70000"`]);
    const dir = mkdtempSync(join(tmpdir(), "serve-config-"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ nodeGroup: { maxSize: "three" } }));
    const config = cli(["serve", "--port", "0", "--config", join(dir, "bad.json")]);
    expect([config.code, config.stdout]).toEqual([2, ""]);
    expect(config.stderr).toMatch(/^error: nodeGroup\.maxSize: must be a whole number/);
  });
});
