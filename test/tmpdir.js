// jest globalSetup and globalTeardown: every temporary file of a run (mkdtemp in the suites, the
// synths, terraform's and the clients' children) goes under one directory, removed at the end.
// os.tmpdir() reads TMPDIR at each call, and the workers and their children inherit it.
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const KEY = "MULTUS_TEST_TMPDIR";

module.exports = {
  setup() {
    const dir = mkdtempSync(join(tmpdir(), "multus-test-run-"));
    process.env[KEY] = dir;
    process.env.TMPDIR = dir;
  },
  teardown() {
    const dir = process.env[KEY];
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
};
