import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  PlanError,
  PlannedSubnet,
  awsReserved6,
  contains6,
  ipv6PodSpace,
  ipv6WorkerAddress,
  networkPlanJson,
  overlaps6,
  parseCidr6,
  parseConfig,
  planNetwork,
  rangeInside6,
  rangeSize,
  rangeSize6,
} from "../../ipam";

const DUAL = JSON.parse(readFileSync(join(__dirname, "../../examples/dual-stack.config.json"), "utf8"));

/** What every dual-stack subnet's IPv6 side must hold, against its IPv4 plan. */
function expectSoundIpv6(s: PlannedSubnet): void {
  const v6 = s.ipv6!;
  const blocks = [...v6.blocks];
  // The blocks tile the /64 in address order.
  expect(blocks[0]!.range.first).toBe(v6.subnet.first);
  expect(blocks[blocks.length - 1]!.range.last).toBe(v6.subnet.last);
  for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.range.first).toBe(blocks[i - 1]!.range.last + 1n);
  const aws = blocks.filter((b) => b.kind === "aws-reserved").flatMap((b) => (b.range.first === b.range.last ? [b.range.first] : [b.range.first, b.range.first + 1n, b.range.first + 2n, b.range.last]));
  expect(aws).toEqual(awsReserved6(v6.subnet));
  // The pod space: the second /66, inside the lower /65 (whereabouts' reach), clear of AWS's addresses.
  expect(v6.podSpace).toEqual(expect.objectContaining({ prefix: 66, first: v6.subnet.first + 2n ** 62n }));
  expect(v6.podSpace).toEqual(ipv6PodSpace(v6.subnet));
  // Pod blocks (and the rest of the pod space) in it, worker blocks in the upper /65, none holding an AWS-reserved address.
  for (const b of blocks.filter((x) => x.kind === "pods" || x.kind === "workers" || x.kind === "pod-space")) {
    expect(rangeInside6(b.range, v6.podSpace)).toBe(b.kind !== "workers");
    if (b.kind === "workers") expect(b.range.first >= v6.subnet.first + 2n ** 63n).toBe(true);
    for (const a of v6.awsReserved) expect(contains6(b.range, a)).toBe(false);
  }
  // One IPv6 block per IPv4 block, at least as large, for the same owner and groups.
  for (const kind of ["pods", "workers"] as const) {
    const four = s.blocks.filter((b) => b.kind === kind);
    const six = blocks.filter((b) => b.kind === kind);
    expect(six.map((b) => b.owner).sort()).toEqual(four.map((b) => b.owner).sort());
    for (const b of six) expect(rangeSize6(b.range)).toBeGreaterThanOrEqual(BigInt(rangeSize(four.find((f) => f.owner === b.owner)!.range)));
  }
  // The pod space is one explicit reservation of the network; a worker block is reserved where its IPv4 block is.
  expect(v6.reservations.filter((r) => r.purpose === "pods")).toEqual([{ cidr: v6.podSpace.cidr, purpose: "pods", owner: s.network }]);
  for (const b of blocks.filter((x) => x.kind === "workers")) {
    const mine = v6.reservations.filter((r) => r.owner === b.owner && r.purpose === "workers");
    const reserved4 = s.reservations.some((r) => r.owner === b.owner && r.purpose === "workers");
    expect(mine.map((r) => parseCidr6(r.cidr, "r"))).toEqual(reserved4 ? [expect.objectContaining({ first: b.range.first, last: b.range.last })] : []);
  }
  // DHCP space: usable, and clear of every reservation.
  for (const d of v6.dhcp) {
    for (const r of v6.reservations) expect(overlaps6(d, parseCidr6(r.cidr, "r"))).toBe(false);
    for (const a of v6.awsReserved) expect(contains6(d, a)).toBe(false);
  }
  const total = v6.dhcp.reduce((n, d) => n + rangeSize6(d), 0n) + v6.reservations.reduce((n, r) => n + rangeSize6(parseCidr6(r.cidr, "r")), 0n);
  expect(total).toBe(2n ** 64n - 5n);
  // A static group's IPv4 worker addresses map one to one into its IPv6 worker block.
  for (const [group, w4] of Object.entries(s.workerBlocks)) {
    const w6 = v6.workerBlocks[group]!;
    const mapped = new Set<bigint>();
    for (let ip = w4.first; ip <= w4.last; ip++) mapped.add(ipv6WorkerAddress(w4, w6, ip));
    expect(mapped.size).toBe(rangeSize(w4));
    for (const a of mapped) expect(contains6(w6, a)).toBe(true);
  }
}

describe("dual-stack multus subnets: the IPv6 plan (ipam/layout6.ts)", () => {
  test("GIVEN the dual-stack example (two subnets with ipv6Cidr, a static and a reservation group) THEN IPv6 worker and pod blocks inside each /64, pods in the lower /65, with explicit reservations", () => {
    const plan = planNetwork(parseConfig(DUAL));
    expect(plan.subnets.map((s) => s.ipv6?.subnet.cidr)).toEqual(["2001:db8:1234:1a04::/64", "2001:db8:1234:1a05::/64"]);
    for (const s of plan.subnets) expectSoundIpv6(s);
    const first = plan.subnets[0]!.ipv6!;
    expect(first.reservations).toEqual([
      { cidr: "2001:db8:1234:1a04:8000::/125", purpose: "workers", owner: "cnf" },
      { cidr: "2001:db8:1234:1a04:4000::/66", purpose: "pods", owner: "signal" },
    ]);
    expect(first.podBlocks.cnf!.cidr).toBe("2001:db8:1234:1a04:4000::/122");
    // The groups see their own IPv6 blocks; the reservation group has no worker block.
    const cnf = plan.groups.find((g) => g.name === "cnf")!;
    const edge = plan.groups.find((g) => g.name === "edge")!;
    expect(cnf.subnets[0]!.ipv6).toEqual({ workers: first.workerBlocks.cnf, pods: first.podBlocks.cnf });
    expect(edge.subnets[0]!.ipv6).toEqual({ pods: first.podBlocks.edge });
    // The media network gives each group its own pod block: two IPv6 pod blocks as well.
    expect(new Set(Object.values(plan.subnets[1]!.ipv6!.podBlocks).map((b) => b.cidr)).size).toBe(2);
  });

  test("GIVEN the example WHEN as plan --json THEN IPv6 blocks in blocks (family ipv6, exact counts), IPv6 reservations in reservations, the /64 as ipv6Cidr", () => {
    const json = networkPlanJson(planNetwork(parseConfig(DUAL)));
    const s = json.subnets[0]!;
    expect(s.ipv6Cidr).toBe("2001:db8:1234:1a04::/64");
    const six = s.blocks.filter((b) => "family" in b && b.family === "ipv6");
    expect(six.map((b) => b.kind)).toEqual(["aws-reserved", "dhcp", "pods", "pod-space", "workers", "dhcp", "aws-reserved"]);
    expect(six.reduce((n, b) => n + BigInt(b.count), 0n)).toBe(2n ** 64n);
    expect(s.reservations.filter((r) => "family" in r)).toEqual([
      { family: "ipv6", cidr: "2001:db8:1234:1a04:8000::/125", purpose: "workers", owner: "cnf" },
      { family: "ipv6", cidr: "2001:db8:1234:1a04:4000::/66", purpose: "pods", owner: "signal" },
    ]);
    // IPv4 entries keep their shape.
    expect(s.blocks.filter((b) => !("family" in b)).every((b) => typeof b.count === "number")).toBe(true);
  });

  test("GIVEN the shorthand with ipv6Cidr on one subnet and a worker block left unreserved THEN only that subnet is dual-stack, and its IPv6 worker block is DHCP space too", () => {
    const plan = planNetwork(
      parseConfig({
        multus: {
          reserveWorkerBlock: false,
          subnets: [
            { cidr: "10.0.4.0/24", ipv6Cidr: "2001:db8:1234:1a04::/64", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" },
            { cidr: "10.0.5.0/24", id: "subnet-0c0ffee0c0ffee005", availabilityZone: "us-west-2a" },
          ],
        },
      }),
    );
    expect(plan.subnets.map((s) => s.ipv6 !== undefined)).toEqual([true, false]);
    const v6 = plan.subnets[0]!.ipv6!;
    expectSoundIpv6(plan.subnets[0]!);
    expect(v6.reservations).toEqual([{ cidr: "2001:db8:1234:1a04:4000::/66", purpose: "pods", owner: "net1" }]);
    const w6 = v6.workerBlocks.ng1!;
    expect(v6.dhcp.some((d) => rangeInside6(w6, d))).toBe(true);
  });

  test.each([
    [{ cidr: "10.0.4.0/24", ipv6Cidr: "2001:db8:1234:1a00::/56" }, /multus\.subnets\[0\]\.ipv6Cidr: 2001:db8:1234:1a00::\/56 is a \/56; a multus subnet's IPv6 CIDR is the \/64 AWS gives it/],
    [{ cidr: "10.0.4.0/24", ipv6Cidr: "2001:db8:1234:1a00::1/64" }, /multus\.subnets\[0\]\.ipv6Cidr: "2001:db8:1234:1a00::1\/64" has host bits set/],
    [{ cidr: "10.0.4.0/24", ipv6Cidr: "10.0.4.0/24" }, /multus\.subnets\[0\]\.ipv6Cidr: "10\.0\.4\.0\/24" is not an IPv6 CIDR/],
  ])("GIVEN subnet %j THEN the config is refused naming ipv6Cidr and the fix", (sub, message) => {
    expect(() => parseConfig({ multus: { subnets: [{ id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a", ...sub }] } })).toThrow(message);
  });

  test("GIVEN two subnets with one /64, or a network dual-stack in one zone only THEN refused naming the field", () => {
    const same = { multus: { subnets: [0, 1].map((i) => ({ cidr: `10.0.${4 + i}.0/24`, ipv6Cidr: "2001:db8:1234:1a04::/64", id: `subnet-0c0ffee0c0ffee00${i}`, availabilityZone: "us-west-2a" })) } };
    expect(() => parseConfig(same)).toThrow(/multus\.subnets\[1\]\.ipv6Cidr: 2001:db8:1234:1a04::\/64 is also multus\.subnets\[0\]\.ipv6Cidr/);
    const mixed = JSON.parse(JSON.stringify(DUAL));
    mixed.networks[0].subnets.push({ cidr: "10.0.14.0/24", id: "subnet-0c0ffee0c0ffee014", availabilityZone: "us-west-2b" });
    let err: unknown;
    try {
      parseConfig(mixed);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).field).toBe("networks[0].subnets[1].ipv6Cidr");
    expect((err as PlanError).fix).toMatch(/give every subnet of the network its IPv6 \/64 \(ipv6Cidr\), or none/);
  });

  test("GIVEN any cluster of dual-stack subnets (groups, strategies, pod blocks, reserved or not) THEN every IPv6 side is sound", () => {
    const groupArb = fc.record({
      strategy: fc.constantFrom("static" as const, "reservation" as const),
      maxSize: fc.integer({ min: 1, max: 30 }),
      podsPerNode: fc.integer({ min: 1, max: 14 }),
      reserveWorkerBlock: fc.boolean(),
      both: fc.boolean(),
    });
    const arb = fc.record({ prefix: fc.integer({ min: 20, max: 24 }), podBlocks: fc.tuple(fc.constantFrom("network" as const, "group" as const), fc.constantFrom("network" as const, "group" as const)), groups: fc.array(groupArb, { minLength: 1, maxLength: 3 }) });
    let planned = 0;
    fc.assert(
      fc.property(arb, (c) => {
        const networks = [0, 1].map((n) => ({
          name: `net${n}`,
          subnets: [{ cidr: `10.${n + 1}.0.0/${c.prefix}`, ipv6Cidr: `2001:db8:${n}::/64`, id: `subnet-0c0ffee0c0ffee0${n}`, availabilityZone: "us-west-2a" }],
          securityGroupIds: ["sg-0c0ffee0c0ffee001"],
          podBlock: c.podBlocks[n],
        }));
        const nodeGroups = c.groups.map((g, i) => ({ name: `g${i}`, minSize: 0, desiredSize: 0, maxSize: g.maxSize, subnetIds: ["subnet-0c0ffee0c0ffee0ff"], availabilityZones: ["us-west-2a"], strategy: g.strategy, podsPerNode: g.podsPerNode, reserveWorkerBlock: g.reserveWorkerBlock, networks: g.both ? ["net0", "net1"] : ["net0"] }));
        let plan;
        try {
          plan = planNetwork(parseConfig({ vpc: { cidr: "10.0.0.0/8" }, networks, nodeGroups }));
        } catch (err) {
          if (err instanceof PlanError && err.kind === "infeasible") return;
          throw err;
        }
        planned++;
        for (const s of plan.subnets) expectSoundIpv6(s);
      }),
      { numRuns: 25 },
    );
    expect(planned).toBeGreaterThan(8);
  });
});
