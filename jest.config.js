/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.(t|j)sx?$": ["@swc/jest"] },
  setupFiles: ["<rootDir>/test/env.ts"],
  // One temporary directory per run, removed at its end (test/tmpdir.js).
  globalSetup: "<rootDir>/test/tmpdir-setup.js",
  globalTeardown: "<rootDir>/test/tmpdir-teardown.js",
  // Two cores on CI, and three workers: many suites wait on children (terraform, python, the CNI
  // plugins, serve), and a third keeps both cores busy meanwhile (measured: 2 workers 155 s, 3
  // workers 129 s, 4 workers 132 s for the same run; each worker peaks near 1 GB).
  maxWorkers: 3,
  runtime: "<rootDir>/test/runtime.js",
  // Generous: the suites are not timed, and a loaded machine must not turn slowness into failures.
  testTimeout: 180000,
  // A worker that loaded the AWS SDK (every test file has its own copy in its module registry)
  // takes 0.5-2 s to tear its heap down on a busy 2-core machine: past jest's 500 ms default,
  // jest kills it and reports a leak. With more time, every worker exits on its own (no handle
  // is left: test/env.test.ts checks the SDK leaves none).
  workerGracefulExitTimeout: 5000,
};
