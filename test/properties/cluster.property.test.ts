/**
 * Several node groups of mixed strategies on shared multus subnets (DESIGN.md, "Cluster address
 * plan"; the properties 1-3): every group's launches at once, through this project's lifecycle
 * Lambda (its real code, one function serving every group), against the simulated EC2 and Auto
 * Scaling, with foreign DHCP interfaces, faults and whereabouts pods. No two live interfaces
 * share an address across groups, every group's workers stay inside its own block (static) or
 * the DHCP space (reservation), every pod inside its group's pod block, and no launch is
 * ABANDONed where the plan leaves it an address. The groups run under either timing profile
 * (simulator/timing.ts): under `aws` every group's launches share EC2's token buckets, pending
 * instances, asynchronous attachments and lagging reads, and every action must complete
 * HOOK_MARGIN_MS before its hook's timeout.
 *
 * Replaying a failure: fast-check prints the seed and path; the error holds the cluster config,
 * the violations and the tail of the run's interleaving.
 */
import fc from "fast-check";
import { MultusConfig, PlanError, parseConfig, planNetwork, rangeSize } from "../../ipam";
import type { NetworkPlan } from "../../ipam";
import { groupNames } from "../../ipam/lambda-env";
import { HOOK_MARGIN_MS } from "../../lambda/launch";
import { DHCP_POLICIES, DhcpPolicy } from "../../simulator/ec2/model";
import { ScenarioGroup, formatFailure, lambdaAllocator, runScenario, whereaboutsPods } from "../../simulator/scenario";
import type { TimingName } from "../../simulator/timing";

const ZONES = ["us-west-2a", "us-west-2b"];

const groupArb = fc.record({
  strategy: fc.constantFrom("static" as const, "reservation" as const),
  maxSize: fc.integer({ min: 1, max: 5 }),
  podsPerNode: fc.integer({ min: 1, max: 3 }),
  headroom: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  /** Attaches the first network only, or both (in one order: a network keeps its device index on every group). */
  both: fc.boolean(),
  /** Its zones: the first, the second, or both (of the networks' zones). */
  zones: fc.constantFrom([0], [1], [0, 1]),
  launchFrac: fc.double({ min: 0, max: 1, noNaN: true }),
});

const clusterArb = fc.record({
  prefix: fc.integer({ min: 25, max: 27 }),
  networks: fc.constantFrom(1, 2),
  twoZones: fc.boolean(),
  podBlocks: fc.tuple(fc.constantFrom("network" as const, "group" as const), fc.constantFrom("network" as const, "group" as const)),
  groups: fc.array(groupArb, { minLength: 2, maxLength: 3 }),
  /** Dual-stack subnets: workers and pods get an IPv6 address too, checked by the same invariants. */
  dualStack: fc.boolean(),
});

const runArb = fc.record({
  foreignEnis: fc.integer({ min: 0, max: 4 }),
  dhcp: fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES),
  throttle: fc.constantFrom(0, 0, 0.05),
  consistencyLag: fc.integer({ min: 0, max: 2 }),
  duplicateRate: fc.constantFrom(0, 0, 0.3),
  concurrencyFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  timing: fc.constantFrom<TimingName>("instant", "aws"),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

type Cluster = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

/** The cluster config of a generated shape, or undefined when its plan does not fit. */
function clusterOf(c: Cluster): { user: object; config: MultusConfig; plan: NetworkPlan } | undefined {
  const zones = c.twoZones ? ZONES : ZONES.slice(0, 1);
  const networks = Array.from({ length: c.networks }, (_, n) => ({
    name: `net${n}`,
    subnets: zones.map((z, k) => ({ cidr: `10.${n + 1}.${k}.0/${c.prefix}`, id: `subnet-0c0ffee0c0ffee${n}${k}`, availabilityZone: z, ...(c.dualStack ? { ipv6Cidr: `2001:db8:${n + 1}:${k}::/64` } : {}) })),
    securityGroupIds: [`sg-0c0ffee0c0ffee00${n}`],
    podBlock: c.podBlocks[n],
    ...(n === 1 ? { sourceDestCheck: false } : {}),
  }));
  const nodeGroups = c.groups.map((g, i) => ({
    name: `g${i}`,
    minSize: 0,
    desiredSize: 0,
    maxSize: g.maxSize,
    subnetIds: ["subnet-0c0ffee0c0ffee0ff"],
    availabilityZones: [...new Set(g.zones.map((k) => zones[Math.min(k, zones.length - 1)]!))],
    strategy: g.strategy,
    podsPerNode: g.podsPerNode,
    ...(g.headroom !== undefined ? { workerHeadroom: g.headroom } : {}),
    networks: g.both && c.networks === 2 ? ["net0", "net1"] : ["net0"],
  }));
  const user = { vpc: { cidr: "10.0.0.0/8" }, networks, nodeGroups };
  try {
    const config = parseConfig(user);
    return { user, config, plan: planNetwork(config) };
  } catch (err) {
    if (err instanceof PlanError && err.kind === "infeasible") return undefined;
    throw err;
  }
}

let scenarios = 0;
let dualStack = 0;
let underAws = 0;

describe("several node groups on shared multus subnets, one Lambda for all", () => {
  afterAll(() => process.stdout.write(`cluster property: ${scenarios} scenarios with their invariants checked (${underAws} under aws timing, ${dualStack} dual-stack)\n`));

  test("GIVEN groups of mixed strategies launching at once, foreign DHCP ENIs and faults THEN no collision across groups, every worker inside its own group's part and every launch completed", async () => {
    await fc.assert(
      fc.asyncProperty(clusterArb, runArb, async (c, r) => {
        const made = clusterOf(c);
        fc.pre(made !== undefined);
        const { user, config, plan } = made!;
        const names = groupNames(config);
        const groups: ScenarioGroup[] = plan.groups.map((g, i) => ({ autoScalingGroupName: names[i]!.autoScalingGroupName, planGroup: g.name, nodes: 1 + Math.floor(c.groups[i]!.launchFrac * (g.maxSize - 1)) }));
        const nodes = groups.reduce((n, g) => n + g.nodes, 0);
        const perNode = new Map(plan.groups.map((g) => [g.name, g.podsPerNode]));
        const report = await runScenario({
          plan,
          allocator: lambdaAllocator(plan, config, { groups: Object.fromEntries(names.map((n) => [n.name, { autoScalingGroupName: n.autoScalingGroupName }])) }),
          nodes,
          groups,
          concurrency: 1 + Math.floor(r.concurrencyFrac * (nodes - 1)),
          foreignEnis: r.foreignEnis,
          dhcp: r.dhcp,
          faults: { throttle: r.throttle, consistencyLag: r.consistencyLag, duplicateRate: r.duplicateRate },
          pods: whereaboutsPods((node) => perNode.get(node.group!)!),
          timing: r.timing,
          ...(r.timing === "aws" ? { actionMarginMs: HOOK_MARGIN_MS } : {}),
          seed: r.seed,
        });
        scenarios++;
        if (c.dualStack) dualStack++;
        if (r.timing === "aws") underAws++;
        // A reservation group's launch may find the DHCP space taken by foreign ENIs and the
        // other reservation groups' workers: only then is an ABANDON not a failure.
        const dhcpShort = plan.subnets.some((s) => {
          const users = plan.groups.filter((g) => g.strategy === "reservation" && s.groups.includes(g.name));
          if (!users.length) return false;
          const launched = users.reduce((n, g) => n + groups.find((x) => x.planGroup === g.name)!.nodes, 0);
          return s.dhcp.reduce((n, x) => n + rangeSize(x), 0) < launched + r.foreignEnis;
        });
        const broken = report.violations.length > 0 || report.incompleteActions > 0 || (!dhcpShort && report.launches.abandoned > 0);
        if (broken) throw new Error(`${JSON.stringify(user)}\n${formatFailure(report)}`);
        expect(report.launches.continued + report.launches.abandoned).toBe(nodes);
      }),
      { numRuns: 80, endOnFailure: true },
    );
    expect(scenarios).toBeGreaterThanOrEqual(10);
    expect(underAws).toBeGreaterThan(0);
  });
});
