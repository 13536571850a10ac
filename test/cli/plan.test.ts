import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cidrBounds, ipToInt } from "../../ipam";
import { ROOT, cli, cliProcess } from "./run";


describe("multus-sim plan", () => {
  test("GIVEN a /24, static, 10 nodes WHEN --json THEN disjoint blocks and reservations that exactly cover them", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--subnet", "10.0.4.0/24", "--strategy", "static", "--max-nodes", "10", "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.subnets).toHaveLength(1);
    const s = out.subnets[0];
    expect(s).toMatchObject({ cidr: "10.0.4.0/24", strategy: "static", awsReserved: ["10.0.4.0", "10.0.4.1", "10.0.4.2", "10.0.4.3", "10.0.4.255"] });
    const workers = { first: ipToInt(s.workers.first), last: ipToInt(s.workers.last) };
    const pods = { first: ipToInt(s.pods.first), last: ipToInt(s.pods.last) };
    expect(workers.last < pods.first).toBe(true);
    expect(s.workers.count).toBeGreaterThanOrEqual(10);
    expect(s.capacity.maxNodes).toBe(s.workers.count);
    expect(s.capacity.maxPods).toBe(s.pods.count);
    for (const [purpose, block] of [["workers", workers], ["pods", pods]] as const) {
      const cidrs = s.reservations.filter((r: { purpose: string }) => r.purpose === purpose).map((r: { cidr: string }) => cidrBounds(r.cidr));
      cidrs.sort((a: { first: number }, b: { first: number }) => a.first - b.first);
      expect(cidrs[0].first).toBe(block.first);
      expect(cidrs[cidrs.length - 1].last).toBe(block.last);
      for (let i = 1; i < cidrs.length; i++) expect(cidrs[i].first).toBe(cidrs[i - 1].last + 1);
    }
    expect(out.warnings).toEqual([]);
  });

  test("GIVEN --subnet 10.0.4.0/29 THEN exit 2 naming the flag", async () => {
    const { code, stderr, stdout } = await cli(["plan", "--subnet", "10.0.4.0/29"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^error: --subnet: 10\.0\.4\.0\/29 is a \/29; AWS subnets are \/16 to \/28/);
  });

  test("GIVEN more nodes than a /28 holds THEN exit 1 with why and the fix", async () => {
    const { code, stderr } = await cli(["plan", "--subnet", "10.0.4.0/28", "--max-nodes", "4"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--max-nodes: 10\.0\.4\.0\/28 has 11 usable addresses.*Fix: use a \/2\d or larger subnet/);
  });

  test("GIVEN a bad flag value or an unknown flag THEN exit 2 (the real binary's exit status for one)", async () => {
    expect(cliProcess(["plan", "--max-nodes", "many"]).code).toBe(2);
    expect((await cli(["plan", "--strategy", "dhcp"])).code).toBe(2);
    expect((await cli(["plan", "--frobnicate"])).code).toBe(2);
  });

  test("GIVEN a config file with an error THEN exit 2 naming the file and the field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "multus.json");
    writeFileSync(file, JSON.stringify({ multus: { podsPerNode: -1 } }));
    const { code, stderr } = await cli(["plan", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`multus.podsPerNode: must be a whole number from 1 to 65000, got -1 (in ${file})`);
  });

  test("GIVEN MULTUS_CONFIG with the reservation strategy THEN the human plan shows DHCP workers and pod reservations only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ multus: { strategy: "reservation" } }));
    const { code, stdout } = await cli(["plan"], { env: { MULTUS_CONFIG: file } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/10\.0\.4\.0\/24 \(reservation/);
    expect(stdout).toMatch(/DHCP space \(workers\)/);
    expect(stdout).not.toMatch(/\[workers\]/);
  });

  test("GIVEN the reservation strategy with a pod range near the start THEN the DHCP space is listed once and the rows add up to the capacity", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ multus: { strategy: "reservation", subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a", podRange: "10.0.4.5-10.0.4.40" }] } }));
    const { code, stdout } = await cli(["plan", "--config", file]);
    expect(code).toBe(0);
    const dhcpRows = stdout.split("\n").filter((l) => /DHCP space/.test(l));
    expect(dhcpRows).toHaveLength(2);
    expect(stdout).not.toMatch(/workers \(DHCP space\)/);
    const counts = dhcpRows.map((l) => Number(/(\d+)\s*│?\s*$/.exec(l.trim())![1]));
    const capacity = Number(/capacity: (\d+) nodes/.exec(stdout)![1]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(capacity);
    expect(capacity).toBe(1 + 214);
  });

  test("GIVEN --worker-headroom THEN the worker block follows it, and a too-small subnet's fix names the flags given", async () => {
    const out = JSON.parse((await cli(["plan", "--subnet", "10.0.4.0/24", "--max-nodes", "10", "--worker-headroom", "2", "--json"])).stdout);
    expect(out.subnets[0].workers.count).toBe(12);
    const { code, stderr } = await cli(["plan", "--subnet", "10.0.4.0/28", "--max-nodes", "2", "--worker-headroom", "1"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/3 workers \(--max-nodes 2 \+ --worker-headroom 1\)/);
    expect(stderr).toMatch(/lower --max-nodes, multus\.podsPerNode or --worker-headroom|lower --max-nodes, --pods-per-node or --worker-headroom/);
    expect(stderr).not.toMatch(/workerHeadroom|maxNodes/);
  });

  test("GIVEN an infeasible plan WHEN --json THEN stdout has the JSON with the reasons and the exit is 1", async () => {
    const { code, stdout, stderr } = await cli(["plan", "--subnet", "10.0.4.0/28", "--max-nodes", "4", "--json"]);
    expect(code).toBe(1);
    const out = JSON.parse(stdout);
    expect(out.feasible).toBe(false);
    expect(out.reasons).toEqual([{ field: "--max-nodes", problem: expect.stringMatching(/has 11 usable addresses/), fix: expect.stringMatching(/larger subnet/) }]);
    expect(stderr).toMatch(/^error: --max-nodes/);
    expect(JSON.parse((await cli(["plan", "--subnet", "10.0.4.0/24", "--json"])).stdout).feasible).toBe(true);
  });

  test("GIVEN the default plan THEN no line is wider than 100 characters, and each subnet says which zone's nodes its NAD serves", async () => {
    const { stdout } = await cli(["plan"]);
    for (const line of stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
    expect(stdout.match(/its NAD serves only pods on nodes in us-west-2a/g)).toHaveLength(2);
    expect(stdout).toMatch(/AWS-reserved \(network, router, DNS, future\)\s+│?\s*10\.0\.4\.0\s+│?\s*10\.0\.4\.3\s+│?\s*4/);
  });

  test("GIVEN a config file with ids at the example's placeholders THEN the plan runs and a note on stderr names them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ vpc: { id: "vpc-0123456789abcdef0" } }));
    const { code, stderr } = await cli(["plan", "--config", file]);
    expect(code).toBe(0);
    expect(stderr.replace(/\s+/g, " ")).toMatch(/^note: .*c\.json leaves 8 ids at the example's placeholders \(cluster\.endpoint, .*multus\.subnets\[1\]\.id\): fine for planning, refused by npm start/s);
    expect(stderr).not.toContain("vpc.id");
  });

  test("GIVEN --version THEN the real binary prints the package's version and exits 0", () => {
    const { code, stdout } = cliProcess(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});
