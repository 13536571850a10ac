import fc from "fast-check";
import {
  IpRange,
  PlanError,
  SharedGroupInput,
  overlaps,
  parseConfig,
  planNetwork,
  planSharedSubnet,
  planSubnet,
  rangeSize,
  usableRange,
} from "../../ipam";
import { EXAMPLE, expectSoundSubnet } from "./cluster-helpers";

describe("planNetwork: the example cluster (three groups, two networks, two AZs)", () => {
  const config = parseConfig(EXAMPLE);
  const plan = planNetwork(config);

  test("THEN every subnet of every network is planned, with the groups attaching it in its zone", () => {
    expect(plan.subnets.map((s) => [s.subnet.cidr, s.network, s.availabilityZone, s.deviceIndex, s.groups.join(",")])).toEqual([
      ["10.0.4.0/24", "data", "us-west-2a", 1, "cnf-a,cnf-b,edge"],
      ["10.0.14.0/24", "data", "us-west-2b", 1, "cnf-a,cnf-b"],
      ["10.0.5.0/24", "storage", "us-west-2a", 2, "cnf-a,cnf-b"],
      ["10.0.15.0/24", "storage", "us-west-2b", 2, "cnf-a,cnf-b"],
    ]);
  });

  test("THEN each subnet is tiled without overlap and every worker and pod block is reserved by its owner", () => {
    for (const s of plan.subnets) expectSoundSubnet(s);
  });

  test("THEN each static group has its own worker block in each subnet, disjoint from the others, holding maxSize + headroom", () => {
    for (const s of plan.subnets) {
      const blocks = s.blocks.filter((b) => b.kind === "workers");
      expect(blocks.map((b) => b.owner).sort()).toEqual(["cnf-a", "cnf-b"]);
      expect(rangeSize(s.workerBlocks["cnf-a"]!)).toBe(4 + 4);
      expect(rangeSize(s.workerBlocks["cnf-b"]!)).toBe(3 + 2);
    }
  });

  test("THEN data has one pod block shared by its groups and storage one per group; the reservation group's workers use the DHCP space", () => {
    const data = plan.subnets[0]!;
    expect(data.blocks.filter((b) => b.kind === "pods").map((b) => [b.owner, b.groups.join(",")])).toEqual([["data", "cnf-a,cnf-b,edge"]]);
    expect(rangeSize(data.podBlocks["edge"]!)).toBeGreaterThanOrEqual(4 * 10 + 3 * 8 + 3 * 5);
    expect(data.blocks.filter((b) => b.kind === "dhcp").every((b) => b.groups.join() === "edge")).toBe(true);
    const storage = plan.subnets[2]!;
    const pods = storage.blocks.filter((b) => b.kind === "pods");
    expect(pods.map((b) => b.owner).sort()).toEqual(["cnf-a", "cnf-b"]);
    expect(overlaps(storage.podBlocks["cnf-a"]!, storage.podBlocks["cnf-b"]!)).toBe(false);
    expect(rangeSize(storage.podBlocks["cnf-a"]!)).toBeGreaterThanOrEqual(40);
  });

  test("THEN capacity is given per group: its own worker block, or the shared DHCP space", () => {
    const edge = plan.groups.find((g) => g.name === "edge")!;
    expect(edge.subnets).toHaveLength(1);
    expect(edge.subnets[0]!.capacity.maxNodes).toBe(plan.subnets[0]!.dhcp.reduce((n, r) => n + rangeSize(r), 0));
    const a = plan.groups.find((g) => g.name === "cnf-a")!;
    expect(a.subnets.map((s) => s.capacity.maxNodes)).toEqual([8, 8, 8, 8]);
    expect(a.kubeletMaxPods).toBe((4 - 2) * (15 - 1) + 2);
    expect(plan.groups.find((g) => g.name === "cnf-b")!.kubeletMaxPods).toBe((8 - 2) * (30 - 1) + 2);
  });
});

describe("planNetwork: infeasible clusters", () => {
  const small = (groups: object[]) => ({
    networks: [{ name: "data", subnets: [{ cidr: "10.0.4.0/26", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"] }],
    nodeGroups: groups,
  });
  const group = (name: string, extra: object = {}) => ({ name, subnetIds: ["subnet-0c0ffee0c0ffee002"], availabilityZones: ["us-west-2a"], networks: ["data"], minSize: 0, desiredSize: 0, ...extra });

  test("GIVEN groups that overflow a shared subnet THEN the error names the group it overflows at, the subnet and by how much (infeasible)", () => {
    // a: 8 workers + 16 pods; b: 10 DHCP addresses + 20 pods: 54 of the 59 usable.
    expect(() => planNetwork(parseConfig(small([group("a", { maxSize: 4, podsPerNode: 4 }), group("b", { maxSize: 5, podsPerNode: 4, strategy: "reservation" })])))).not.toThrow();
    // b at 7: 14 + 28, 66 in all.
    const config = parseConfig(small([group("a", { maxSize: 4, podsPerNode: 4 }), group("b", { maxSize: 7, podsPerNode: 4, strategy: "reservation" })]));
    let err: unknown;
    try {
      planNetwork(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).kind).toBe("infeasible");
    expect((err as PlanError).field).toBe("nodeGroups[1].maxSize");
    expect((err as PlanError).message).toMatch(/10\.0\.4\.0\/26 \(network "data" in us-west-2a\) has 59 usable addresses; the groups attaching it need 66, 7 more than it has, from group "b" on .*Fix: use a \/25 or larger subnet/);
  });

  test("GIVEN a group whose instance type takes fewer ENIs than its networks need THEN infeasible, naming the group and its networks", () => {
    const user = {
      networks: ["n1", "n2", "n3"].map((name, i) => ({ name, subnets: [{ cidr: `10.0.${4 + i}.0/24`, id: `subnet-0c0ffee0c0ffee00${4 + i}`, availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"] })),
      nodeGroups: [group("tiny", { instanceType: "t3.medium", networks: ["n1", "n2", "n3"] })],
    };
    expect(() => planNetwork(parseConfig(user))).toThrow(/nodeGroups\[0\]\.instanceType: group "tiny": t3\.medium has 3 ENIs; its 3 networks per node \(n1, n2, n3\) leave none.*Fix: attach at most 2 networks to "tiny", or use a larger instance type/);
  });
});

const groupArb = (name: string) =>
  fc.record({
    name: fc.constant(name),
    field: fc.constant(`nodeGroups[${name}]`),
    strategy: fc.constantFrom("static" as const, "reservation" as const),
    maxNodes: fc.integer({ min: 1, max: 30 }),
    podsPerNode: fc.integer({ min: 1, max: 12 }),
    workerHeadroom: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  });

describe("planSharedSubnet", () => {
  test("GIVEN one group THEN it lays the subnet out as the single-group layout does, and fails where that one fails", () => {
    fc.assert(
      fc.property(fc.integer({ min: 22, max: 28 }), groupArb("g"), fc.boolean(), (prefix, g, reserve) => {
        const cidr = `10.0.0.0/${prefix}`;
        const single = () => planSubnet({ cidr, strategy: g.strategy, maxNodes: g.maxNodes, podsPerNode: g.podsPerNode, workerHeadroom: g.workerHeadroom, reserveWorkerBlock: reserve });
        const shared = () => planSharedSubnet({ cidr, field: "s", network: "n", where: "n", podBlock: "network", groups: [{ ...g, reserveWorkerBlock: reserve }] });
        let want;
        try {
          want = single();
        } catch {
          expect(shared).toThrow(PlanError);
          return;
        }
        const got = shared();
        expect([got.workers, got.pods, got.dhcp, got.capacity]).toEqual([want.workers, want.pods, want.dhcp, want.capacity]);
        expect(got.reservations.map((r) => [r.cidr, r.purpose])).toEqual(want.reservations.map((r) => [r.cidr, r.purpose]));
      }),
      { numRuns: 400 },
    );
  });

  test("GIVEN several groups of mixed strategies THEN the blocks tile the subnet, each group's needs are met and every block is reserved, or the error names a group", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 22, max: 27 }),
        fc.tuple(groupArb("a"), groupArb("b"), groupArb("c")),
        fc.integer({ min: 2, max: 3 }),
        fc.constantFrom("network" as const, "group" as const),
        (prefix, all, count, podBlock) => {
          const groups: SharedGroupInput[] = all.slice(0, count);
          const cidr = `10.0.0.0/${prefix}`;
          let plan;
          try {
            plan = planSharedSubnet({ cidr, field: "networks[0].subnets[0]", network: "n", where: "network n", podBlock, groups });
          } catch (err) {
            expect(err).toBeInstanceOf(PlanError);
            expect((err as PlanError).kind).toBe("infeasible");
            expect((err as PlanError).field).toMatch(/^nodeGroups\[[abc]\]\./);
            return;
          }
          expectSoundSubnet(plan);
          const usable = usableRange(plan.subnet);
          const headroom = (g: SharedGroupInput) => g.workerHeadroom ?? g.maxNodes;
          for (const g of groups) {
            const pods: IpRange = plan.podBlocks[g.name]!;
            expect(pods.first >= usable.first && pods.last <= usable.last).toBe(true);
            if (g.strategy === "static") expect(rangeSize(plan.workerBlocks[g.name]!)).toBe(g.maxNodes + headroom(g));
            else expect(plan.workerBlocks[g.name]).toBeUndefined();
          }
          const sharing = (r: IpRange) => groups.filter((g) => plan.podBlocks[g.name] === r);
          for (const r of new Set(Object.values(plan.podBlocks))) expect(rangeSize(r)).toBeGreaterThanOrEqual(sharing(r).reduce((n, g) => n + g.maxNodes * g.podsPerNode, 0));
          const dhcp = plan.dhcp.reduce((n, r) => n + rangeSize(r), 0);
          expect(dhcp).toBeGreaterThanOrEqual(groups.filter((g) => g.strategy === "reservation").reduce((n, g) => n + g.maxNodes + headroom(g), 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("GIVEN a pod range that leaves a static group no room THEN the error names the group", () => {
    const groups: SharedGroupInput[] = [
      { name: "a", field: "nodeGroups[0]", strategy: "static", maxNodes: 10, podsPerNode: 1 },
      { name: "b", field: "nodeGroups[1]", strategy: "static", maxNodes: 10, podsPerNode: 1 },
    ];
    const plan = () => planSharedSubnet({ cidr: "10.0.4.0/26", field: "networks[0].subnets[0]", network: "n", where: "network n", podBlock: "network", podRange: "10.0.4.30-10.0.4.62", groups });
    expect(plan).toThrow(/nodeGroups\[1\]\.maxSize: 10\.0\.4\.0\/26 \(network n\): no stretch of 20 free addresses is left for the worker block of group "b"/);
  });
});
