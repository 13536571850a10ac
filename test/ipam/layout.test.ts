import fc from "fast-check";
import { cidrBounds, formatRange, intToIp, ipToInt, isAwsReserved, nadIpamRange, parseSubnet, planSubnet, PlanError, rangeSize } from "../../ipam";
import { Strategy } from "../../contract/lifecycle";

const at = (ip: string) => ipToInt(ip);

describe("planSubnet: static", () => {
  const plan = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10 });

  test("GIVEN 3 nodes WHEN planned THEN the worker block starts after the AWS-reserved four and holds nodes plus headroom", () => {
    expect(intToIp(plan.workers.first)).toBe("10.0.4.4");
    expect(rangeSize(plan.workers)).toBe(6);
  });

  test("THEN the pod block ends before the broadcast address and holds maxNodes x podsPerNode", () => {
    expect(intToIp(plan.pods.last)).toBe("10.0.4.254");
    expect(rangeSize(plan.pods)).toBeGreaterThanOrEqual(30);
  });

  test("THEN both blocks are reserved and the NAD range is the pod block", () => {
    expect(plan.reservations.filter((r) => r.purpose === "workers").length).toBeGreaterThan(0);
    const nad = nadIpamRange(plan);
    expect(nad).toEqual({ range: "10.0.4.0/24", range_start: intToIp(plan.pods.first), range_end: "10.0.4.254", gateway: "10.0.4.1" });
  });

  test("GIVEN reserveWorkerBlock false THEN only pods are reserved and a warning says why it matters", () => {
    const p = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10, reserveWorkerBlock: false });
    expect(p.reservations.every((r) => r.purpose === "pods")).toBe(true);
    expect(p.warnings.join()).toMatch(/worker block is not reserved/);
  });
});

describe("planSubnet: pod headroom", () => {
  test("PROPERTY: with pod headroom the pod block holds maxNodes x podsPerNode plus the headroom, for either strategy, and the static worker block stays", () => {
    fc.assert(
      fc.property(fc.constantFrom("static" as const, "reservation" as const), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 40 }), (strategy, maxNodes, podsPerNode, podHeadroom) => {
        const more = planSubnet({ cidr: "10.0.8.0/22", strategy, maxNodes, podsPerNode, podHeadroom });
        expect(rangeSize(more.pods)).toBeGreaterThanOrEqual(maxNodes * podsPerNode + podHeadroom);
        expect(more.capacity.maxPods).toBe(rangeSize(more.pods));
        // Static: the worker block stays where it was; the headroom comes out of the DHCP space.
        if (strategy === "static") expect(more.workers).toEqual(planSubnet({ cidr: "10.0.8.0/22", strategy, maxNodes, podsPerNode }).workers);
      }),
    );
  });

  test("GIVEN a /28 that holds the pods but not the headroom THEN the plan is infeasible and says so", () => {
    expect(planSubnet({ cidr: "10.0.4.0/28", strategy: "reservation", maxNodes: 2, podsPerNode: 3 }).pods).toBeDefined();
    expect(() => planSubnet({ cidr: "10.0.4.0/28", strategy: "reservation", maxNodes: 2, podsPerNode: 3, podHeadroom: 6 })).toThrow(/multus.podHeadroom 6/);
  });
});

describe("planSubnet: reservation", () => {
  test("GIVEN strategy reservation THEN only the pod block is reserved and workers use the DHCP space", () => {
    const p = planSubnet({ cidr: "10.0.5.0/24", strategy: "reservation", maxNodes: 3, podsPerNode: 10 });
    expect(p.reservations.every((r) => r.purpose === "pods")).toBe(true);
    expect(p.dhcp).toEqual([{ first: at("10.0.5.4"), last: p.pods.first - 1 }]);
    expect(p.capacity.maxNodes).toBe(p.pods.first - at("10.0.5.4"));
  });
});

describe("planSubnet: errors", () => {
  test("GIVEN too many pods for a /28 THEN an infeasible error names the field and suggests a size", () => {
    expect(() => planSubnet({ cidr: "10.0.4.0/28", strategy: "static", maxNodes: 3, podsPerNode: 10 })).toThrow(/^nodeGroup\.maxSize: .*6 workers \(nodeGroup\.maxSize 3 \+ multus\.workerHeadroom 3\).*need 36.*use a \/26 or larger subnet, or lower nodeGroup\.maxSize, multus\.podsPerNode or multus\.workerHeadroom/);
  });

  test("GIVEN a pod range outside the subnet THEN the podRange field is named", () => {
    expect(() =>
      planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 2, podsPerNode: 2, podRange: "10.0.5.10-10.0.5.20", field: "multus.subnets[0]" }),
    ).toThrow(/multus\.subnets\[0\]\.podRange: .*not inside the usable addresses/);
  });

  test("GIVEN a pod range over AWS-reserved addresses THEN it is refused", () => {
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "reservation", maxNodes: 2, podsPerNode: 2, podRange: "10.0.4.250-10.0.4.255" })).toThrow(/podRange/);
  });

  test("GIVEN a pod range over the worker block THEN the blocks-overlap error names podRange", () => {
    let err: unknown;
    try {
      planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 4, podsPerNode: 2, podRange: "10.0.4.6-10.0.4.40" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).field).toBe("podRange");
    expect((err as PlanError).kind).toBe("infeasible");
    expect((err as PlanError).message).toMatch(/overlaps the pod block/);
  });

  test("GIVEN a pod range smaller than the pods THEN it says how wide it must be", () => {
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 4, podsPerNode: 5, podRange: "10.0.4.100-10.0.4.109" })).toThrow(/widen the range to 20/);
  });

  test("GIVEN a pod range that holds the pods but not the pod headroom THEN it says how wide it must be, counting the headroom", () => {
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 4, podsPerNode: 5, podHeadroom: 5, podRange: "10.0.4.100-10.0.4.119" })).toThrow(
      /holds 20 pods, but nodeGroup.maxSize 4 x 5 pods per node \+ multus.podHeadroom 5 = 25.*widen the range to 25 addresses or lower multus.podsPerNode or multus.podHeadroom/,
    );
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 4, podsPerNode: 5, podHeadroom: -1 })).toThrow(/^multus.podHeadroom: /);
  });

  test("GIVEN zero nodes THEN the config field that sets them is named, or the caller's name for it", () => {
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 0, podsPerNode: 5 })).toThrow(/^nodeGroup\.maxSize: /);
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 0, podsPerNode: 5, fields: { maxNodes: "nodeGroups[1].maxSize" } })).toThrow(/^nodeGroups\[1\]\.maxSize: /);
  });

  test("GIVEN a pod range both too small and over the worker block THEN one error reports both", () => {
    let err: unknown;
    try {
      planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 50, podsPerNode: 2, podRange: "10.0.4.64-10.0.4.95" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).field).toBe("podRange");
    expect((err as PlanError).problem).toMatch(/holds 32 pods, but nodeGroup\.maxSize 50 x 2 pods per node = 100; and the worker block 10\.0\.4\.4-10\.0\.4\.103 \(100 addresses\) overlaps the pod block/);
    expect((err as PlanError).fix).toMatch(/widen the range to 100 addresses.*; start the pod block after 10\.0\.4\.103/);
  });

  test("GIVEN a worker block longer than the subnet beside a pod range THEN it says the subnet is too small, with addresses inside the subnet only", () => {
    let err: unknown;
    try {
      planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 200, podsPerNode: 10, podRange: "10.0.4.10-10.0.4.100" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    const { problem, fix } = err as PlanError;
    expect(problem).toMatch(/the worker block needs 400 addresses \(nodeGroup\.maxSize 200 \+ multus\.workerHeadroom 200\) but 10\.0\.4\.0\/24 has 251 usable/);
    expect(fix).toMatch(/lower nodeGroup\.maxSize or multus\.workerHeadroom, or use a larger subnet/);
    // No address outside the subnet is offered as a place to start the pod block.
    expect(`${problem} ${fix}`).not.toMatch(/10\.0\.5\./);
  });

  test("GIVEN podRange as a CIDR THEN the pod block is its usable part: AWS-reserved addresses left out", () => {
    const plan = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10, podRange: "10.0.4.128/25" });
    expect(formatRange(plan.pods)).toEqual({ first: "10.0.4.128", last: "10.0.4.254", count: 127 });
    const inner = planSubnet({ cidr: "10.0.4.0/24", strategy: "reservation", maxNodes: 3, podsPerNode: 10, podRange: "10.0.4.64/27" });
    expect(formatRange(inner.pods)).toEqual({ first: "10.0.4.64", last: "10.0.4.95", count: 32 });
    expect(inner.reservations).toEqual([{ cidr: "10.0.4.64/27", purpose: "pods" }]);
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10, podRange: "10.0.5.0/25" })).toThrow(/podRange: 10\.0\.5\.0\/25 holds no usable address of 10\.0\.4\.0\/24/);
    expect(() => planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10, podRange: "10.0.4.0/33" })).toThrow(/podRange: .*not an IPv4 CIDR/);
  });
});

/** Classifies every address of the subnet one by one (brute force) and compares with the plan. */
function bruteForce(cidr: string, strategy: Strategy, plan: ReturnType<typeof planSubnet>) {
  const s = parseSubnet(cidr, "cidr");
  let workers = 0, pods = 0, free = 0, reservedByPlan = 0, dhcp = 0;
  const reserved = plan.reservations.map((r) => cidrBounds(r.cidr));
  for (let ip = s.base; ip <= s.last; ip++) {
    const inWorkers = ip >= plan.workers.first && ip <= plan.workers.last;
    const inPods = ip >= plan.pods.first && ip <= plan.pods.last;
    const inReservation = reserved.some((r) => ip >= r.first && ip <= r.last);
    if (isAwsReserved(s, ip)) {
      // Never in a block, never reserved by the plan.
      expect(inWorkers || inPods || inReservation).toBe(false);
      continue;
    }
    expect(inWorkers && inPods).toBe(false);
    if (inReservation) reservedByPlan++;
    if (strategy === "static") {
      if (inWorkers) workers++;
      else if (inPods) pods++;
      else free++;
      // Static: the reservations are exactly the two blocks.
      expect(inReservation).toBe(inWorkers || inPods);
    } else {
      if (inPods) pods++;
      else free++;
      expect(inReservation).toBe(inPods);
    }
    if (plan.dhcp.some((r) => ip >= r.first && ip <= r.last)) {
      dhcp++;
      expect(inReservation).toBe(false);
    }
  }
  return { workers, pods, free, reservedByPlan, dhcp, usable: s.size - 5 };
}

describe("planSubnet properties", () => {
  test("PROPERTY: blocks never overlap each other nor the AWS-reserved five; capacity agrees with a brute-force count (/28../24)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 24, max: 28 }),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom<Strategy>("static", "reservation"),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 10 }),
        (prefix, third, strategy, maxNodes, podsPerNode, workerHeadroom) => {
          const cidr = `10.1.${third - (third % 2 ** Math.max(0, 24 - prefix))}.0/${prefix}`;
          const size = 2 ** (32 - prefix);
          const needed = maxNodes + workerHeadroom + maxNodes * podsPerNode;
          let plan;
          try {
            plan = planSubnet({ cidr, strategy, maxNodes, podsPerNode, workerHeadroom });
          } catch (err) {
            expect(err).toBeInstanceOf(PlanError);
            // Refused only when the blocks really do not fit.
            expect(needed).toBeGreaterThan(size - 5);
            return;
          }
          expect(needed).toBeLessThanOrEqual(size - 5);
          const count = bruteForce(cidr, strategy, plan);
          expect(count.pods).toBe(plan.capacity.maxPods);
          expect(plan.capacity.maxPods).toBeGreaterThanOrEqual(maxNodes * podsPerNode);
          if (strategy === "static") {
            expect(count.workers).toBe(plan.capacity.maxNodes);
            expect(count.workers).toBe(maxNodes + workerHeadroom);
            expect(count.free).toBe(plan.capacity.freeAddresses);
            expect(count.dhcp).toBe(count.free);
          } else {
            expect(count.dhcp).toBe(plan.capacity.maxNodes);
            expect(count.dhcp).toBe(count.usable - count.pods);
            expect(plan.capacity.maxNodes).toBeGreaterThanOrEqual(maxNodes);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
