import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, cli } from "./run";

const CONFIG = join(ROOT, "examples/dual-stack.config.json");

describe("multus-sim on dual-stack multus subnets (examples/dual-stack.config.json)", () => {
  test("GIVEN the example WHEN plan --json THEN each subnet has its ipv6Cidr, its IPv6 blocks in blocks and its IPv6 reservations in reservations", async () => {
    const { code, stdout } = await cli(["plan", "--config", CONFIG, "--json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.subnets.map((s: { ipv6Cidr: string }) => s.ipv6Cidr)).toEqual(["2001:db8:1234:1a04::/64", "2001:db8:1234:1a05::/64"]);
    for (const s of out.subnets) {
      const six = s.blocks.filter((b: { family?: string }) => b.family === "ipv6");
      expect(new Set(six.map((b: { kind: string }) => b.kind))).toEqual(new Set(["aws-reserved", "workers", "pods", "pod-space", "dhcp"]));
      const reserved = s.reservations.filter((r: { family?: string }) => r.family === "ipv6");
      // Every IPv6 worker block is a reservation of its group; the pod space (pod blocks and the rest) one of the network.
      const workers = six.filter((x: { kind: string }) => x.kind === "workers");
      for (const b of workers) expect(reserved).toContainEqual({ family: "ipv6", cidr: b.cidr, purpose: "workers", owner: b.owner });
      expect(reserved.filter((r: { purpose: string }) => r.purpose === "pods")).toEqual([{ family: "ipv6", cidr: expect.stringMatching(/:4000::\/66$/), purpose: "pods", owner: s.network }]);
      expect(reserved).toHaveLength(workers.length + 1);
    }
    const cnf = out.groups.find((g: { name: string }) => g.name === "cnf");
    expect(cnf.subnets[0].ipv6.workers.cidr).toBe("2001:db8:1234:1a04:8000::/125");
  });

  test("GIVEN the example WHEN plan THEN an IPv6 table follows each subnet's IPv4 table, with its reservations", async () => {
    const { code, stdout } = await cli(["plan", "--config", CONFIG]);
    expect(code).toBe(0);
    expect(stdout).toContain("2001:db8:1234:1a04::/64 (IPv6)");
    expect(stdout).toContain("pods' IPv6 addresses in 2001:db8:1234:1a04:4000::/66 (reserved whole");
    expect(stdout).toMatch(/pod block \(whereabouts\)[\s│]+signal[\s│]+2001:db8:1234:1a04:4000::\/122[\s│]+64 /);
    // A /64's large counts as the power of two they are near, exactly.
    expect(stdout).toMatch(/DHCP space[\s│]+edge[\s│]+2001:db8:1234:1a04:8000::8 -[\s│]+2\^63 - 9/);
    // Within the plan's width, as the IPv4 tables.
    for (const line of stdout.split("\n")) expect([...line].length).toBeLessThanOrEqual(100);
    expect(stdout.replace(/\s+/g, " ")).toContain("IPv6 reservations to create (explicit): 2001:db8:1234:1a04:8000::/125 [workers of cnf], 2001:db8:1234:1a04:4000::/66 [pods of signal]");
  });

  test("GIVEN the example WHEN map THEN the picture has an IPv6 strip per dual-stack subnet", async () => {
    const { code, stdout } = await cli(["map", "--config", CONFIG, "--svg", "-"]);
    expect(code).toBe(0);
    expect(stdout).toContain("2001:db8:1234:1a04::/64 (IPv6 of 10.0.4.0/24)");
    expect(stdout).toContain("2001:db8:1234:1a05::/64 (IPv6 of 10.0.5.0/24)");
    expect(stdout).toContain("Pods of edge: 2001:db8:1234:1a05:4000::/122 (64)");
  });

  test("GIVEN the example WHEN simulate with foreign DHCP ENIs and adversarial DHCP THEN no violation, and the IPv6 addresses of every worker ENI and pod were checked", async () => {
    const { code, stdout } = await cli(["simulate", "--config", CONFIG, "--foreign-enis", "4", "--runs", "2", "--dhcp", "adversarial"]);
    expect(code).toBe(0);
    // 2 runs x 7 nodes x 2 networks; each pod holds an IPv4 and an IPv6 address.
    expect(stdout).toMatch(/dual-stack: 28 worker IPv6 addresses and [1-9]\d* pod IPv6 addresses checked/);
    expect(stdout).toMatch(/collisions \(duplicate IPs\): 0/);
    expect(stdout).toContain("No violations.");
  });

  test("GIVEN a NAD whose IPv6 pool is the whole /64 WHEN check --nad THEN exit 1 with the IPv6 collisions and the /65 warning, and the fix is a dual-stack ipRanges", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nad6-"));
    const file = join(dir, "wide.yaml");
    const config = JSON.stringify({ cniVersion: "0.3.1", type: "ipvlan", master: "multus1", ipam: { type: "whereabouts", ipRanges: [{ range: "10.0.4.0/24", range_start: "10.0.4.192", range_end: "10.0.4.254" }, { range: "2001:db8:1234:1a04::/64" }] } });
    writeFileSync(file, `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: wide\nspec:\n  config: '${config}'\n`);
    const { code, stdout } = await cli(["check", "--config", CONFIG, "--nad", file]);
    expect(code).toBe(1);
    expect(stdout).toContain("against 10.0.4.0/24 + 2001:db8:1234:1a04::/64 (static), 10.0.5.0/24 + 2001:db8:1234:1a05::/64 (static)");
    expect(stdout).toContain("COLLISION aws-reserved 2001:db8:1234:1a04::1");
    expect(stdout).toContain("COLLISION pod-worker 2001:db8:1234:1a04::4-2001:db8:1234:1a04:3fff:ffff:ffff:ffff");
    expect(stdout).toMatch(/warning: default\/wide: whereabouts addresses only the first \/65/);
    expect(stdout).toContain('"ipRanges":[{"range":"10.0.4.0/24","range_start":"10.0.4.192","range_end":"10.0.4.254"},{"range":"2001:db8:1234:1a04::/64","range_start":"2001:db8:1234:1a04:4000::","range_end":"2001:db8:1234:1a04:4000::3f"}]');
  });
});
