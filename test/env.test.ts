import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

describe("the test environment", () => {
  test("GIVEN the suites' records (summaries, seeds, skip reasons) THEN they print as plain lines, not through console (jest frames each console line in a stack block)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
    const printing = files(__dirname).filter((f) => /\bconsole\.(log|info|warn|error|debug)\(/.test(readFileSync(f, "utf8")));
    expect(printing.map((f) => relative(__dirname, f))).toEqual([]);
  });

  test("GIVEN Node < 22 WHEN an SDK client is made THEN no NodeVersionSupportWarning is printed", () => {
    const warnings: string[] = [];
    const spy = jest.spyOn(process, "emitWarning").mockImplementation(((w: string | Error) => void warnings.push(String(w))) as typeof process.emitWarning);
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { EC2Client } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
        new EC2Client({ region: "us-west-2" });
      });
    } finally {
      spy.mockRestore();
    }
    expect(warnings.filter((w) => /NodeVersionSupportWarning/.test(w))).toEqual([]);
  });

  test("GIVEN an SDK client made and used THEN it leaves no timer, socket or child process behind", async () => {
    const count = () => {
      const n: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) if (/Timeout|TCP|Process|UDP/.test(r)) n[r] = (n[r] ?? 0) + 1;
      return n;
    };
    const before = count();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EC2Client, DescribeSubnetsCommand } = require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");
    const client = new EC2Client({ region: "us-west-2", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" } });
    client.middlewareStack.add(() => async () => ({ output: { Subnets: [], $metadata: {} } as never, response: {} }), { step: "deserialize", priority: "high", name: "stub" });
    await client.send(new DescribeSubnetsCommand({}));
    await new Promise((r) => setTimeout(r, 20));
    const after = count();
    for (const [kind, n] of Object.entries(after)) expect({ kind, n }).toEqual({ kind, n: Math.min(n, before[kind] ?? 0) });
  });
});
