import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { PlanError, SubnetPlan, bigToIp6, ipToInt, nadIpamRange, parseConfig, planNetwork, planSubnet } from "../../../ipam";
import { HostLocalModel } from "../../../simulator/cni/host-local";
import { ParsedNad, analyseNads, parseNad } from "../../../simulator/cni/nad";
import { WhereaboutsModel } from "../../../simulator/cni/whereabouts";

const FIXTURES = join(__dirname, "../../fixtures");
const fixture = (name: string) => parseNad(readFileSync(join(FIXTURES, name), "utf8"), name);
const plan3 = planSubnet({ cidr: "10.0.4.0/24", strategy: "static", maxNodes: 3, podsPerNode: 10 });

/** A NAD text around an ipam object, as users write it. */
function nadYaml(name: string, ipam: object, extra: object = {}): string {
  const config = JSON.stringify({ cniVersion: "0.3.1", type: "ipvlan", master: "ens6", ...extra, ipam });
  return `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata:\n  name: ${name}\nspec:\n  config: '${config}'\n`;
}
const nad = (name: string, ipam: object, extra: object = {}) => parseNad(nadYaml(name, ipam, extra), `${name}.yaml`);
const kinds = (nads: ParsedNad[], plan: SubnetPlan = plan3, nodes = 3) => analyseNads(nads, { plan, nodes, podsPerNode: 10 }).collisions.map((c) => c.kind);

describe("parseNad", () => {
  test("GIVEN the reference NAD THEN its host-local range is read and the CNI name defaults to the NAD name", () => {
    const [n] = fixture("nad-seed-host-local.yaml");
    expect(n!.name).toBe("default/ipvlan-conf-1");
    expect(n!.networkName).toBe("ipvlan-conf-1");
    expect(n!.ipam.type).toBe("host-local");
    if (n!.ipam.type !== "host-local") return;
    const r = n!.ipam.config.rangeSets[0]![0]!;
    expect([r.rangeStart, r.rangeEnd, r.gateway]).toEqual(["10.0.4.70", "10.0.4.80", "10.0.4.1"].map(ipToInt));
  });

  test("GIVEN several documents: a conflist NAD, a static NAD and a bare CNI config THEN each is read with its IPAM", () => {
    const nads = fixture("nad-mixed.yaml");
    expect(nads.map((n) => [n.name, n.ipam.type, n.plugin])).toEqual([
      ["apps/macvlan-chain", "whereabouts", "macvlan"],
      ["default/fixed", "static", "ipvlan"],
      ["bare", "static", "ipvlan"],
    ]);
  });

  test("GIVEN a NAD written as JSON THEN it parses like the YAML one", () => {
    const json = JSON.stringify({ apiVersion: "k8s.cni.cncf.io/v1", kind: "NetworkAttachmentDefinition", metadata: { name: "j", namespace: "x" }, spec: { config: JSON.stringify({ type: "ipvlan", ipam: { type: "whereabouts", range: "10.0.4.0/24" } }) } });
    const [n] = parseNad(json, "j.json");
    expect([n!.name, n!.ipam.type]).toEqual(["x/j", "whereabouts"]);
  });

  test.each([
    ["nad-malformed.yaml", /^nad-malformed\.yaml: is not valid YAML or JSON at line \d+/],
    ["nad-bad-field.yaml", /^nad-bad-field\.yaml: spec\.config\.ipam\.rangeStart: 10\.0\.9\.70 is not in 10\.0\.4\.0\/24/],
  ])("GIVEN the fixture %s THEN a PlanError names the file and the field", (file, message) => {
    expect(() => fixture(file)).toThrow(PlanError);
    expect(() => fixture(file)).toThrow(message);
  });

  test.each([
    ["kind: ConfigMap\nmetadata: {name: x}\n", /^f\.yaml: kind: "ConfigMap" is not a NetworkAttachmentDefinition/],
    ["kind: NetworkAttachmentDefinition\nmetadata: {name: x}\nspec: {config: '{nope'}\n", /^f\.yaml: spec\.config: is not valid JSON/],
    ["kind: NetworkAttachmentDefinition\nmetadata: {name: x}\nspec: {config: '{\"ipam\": {\"range\": \"10.0.4.0/24\"}}'}\n", /^f\.yaml: spec\.config\.ipam\.type: is missing/],
    ["a: 1\n---\nkind: NetworkAttachmentDefinition\nspec: {}\n", /^f\.yaml: documents\[0\]\.: is neither/],
    ["", /^f\.yaml: holds no NetworkAttachmentDefinition/],
  ])("GIVEN %j THEN the error names the file and the field", (text, message) => {
    expect(() => parseNad(text, "f.yaml")).toThrow(message);
  });
});

describe("analyseNads", () => {
  test("GIVEN the reference NAD on 3 nodes THEN its range collides pod-pod (each node's host-local has its own state) and lies in the DHCP space", () => {
    const { collisions } = analyseNads(fixture("nad-seed-host-local.yaml"), { plan: plan3, nodes: 3, podsPerNode: 3 });
    const podPod = collisions.filter((c) => c.kind === "pod-pod");
    expect(podPod).toHaveLength(1);
    expect(podPod[0]!.range).toBe("10.0.4.70-10.0.4.80");
    expect(podPod[0]!.detail).toMatch(/3 addresses to pods on several nodes/);
    expect(podPod[0]!.detail).toMatch(/own disk/);
    expect(collisions.map((c) => c.kind)).toContain("pod-dhcp");
  });

  test("GIVEN the reference NAD on one node THEN no pod-pod collision, but a warning that a second node would collide", () => {
    const res = analyseNads(fixture("nad-seed-host-local.yaml"), { plan: plan3, nodes: 1, podsPerNode: 3 });
    expect(res.collisions.map((c) => c.kind)).not.toContain("pod-pod");
    expect(res.warnings.join("\n")).toMatch(/second node would hand out the same addresses/);
  });

  test("GIVEN the whereabouts fixture THEN it is exactly the plan's pod block and nothing collides", () => {
    const nads = fixture("nad-whereabouts-pod-block.yaml");
    const ipam = nads[0]!.ipam;
    if (ipam.type !== "whereabouts") throw new Error("fixture is not whereabouts");
    const want = nadIpamRange(plan3);
    expect([ipam.config.ranges[0]!.range.cidr, ipam.config.ranges[0]!.rangeStart, ipam.config.ranges[0]!.rangeEnd]).toEqual([want.range, ipToInt(want.range_start), ipToInt(want.range_end)]);
    expect(analyseNads(nads, { plan: plan3, nodes: 3, podsPerNode: 10 })).toEqual({ collisions: [], warnings: [] });
  });

  test("GIVEN any plan WHEN the NAD is whereabouts over its pod block THEN no collision; WHEN host-local over the same block on 2+ nodes THEN pod-pod", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("10.0.4.0/24", "10.0.8.0/23", "10.0.16.0/22"),
        fc.constantFrom("static" as const, "reservation" as const),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (cidr, strategy, maxNodes, podsPerNode) => {
          const plan = planSubnet({ cidr, strategy, maxNodes, podsPerNode });
          const r = nadIpamRange(plan);
          const wb = analyseNads(nad("wb", { type: "whereabouts", ...r }), { plan, nodes: maxNodes, podsPerNode });
          expect(wb.collisions).toEqual([]);
          const hl = analyseNads(nad("hl", { type: "host-local", subnet: cidr, rangeStart: r.range_start, rangeEnd: r.range_end, gateway: r.gateway }), { plan, nodes: maxNodes, podsPerNode });
          expect(hl.collisions.map((c) => c.kind)).toEqual(maxNodes >= 2 ? ["pod-pod"] : []);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("GIVEN whereabouts over the whole subnet without range_start THEN AWS-reserved addresses, the worker block and the DHCP space are reported", () => {
    const c = analyseNads(nad("wide", { type: "whereabouts", range: "10.0.4.0/24" }), { plan: plan3, nodes: 3, podsPerNode: 10 }).collisions;
    expect(c.filter((x) => x.kind === "aws-reserved").map((x) => x.ip)).toEqual(["10.0.4.1", "10.0.4.2", "10.0.4.3"]);
    expect(c.find((x) => x.kind === "pod-worker")!.range).toBe("10.0.4.4-10.0.4.9");
    expect(c.find((x) => x.kind === "pod-dhcp")!.range).toBe("10.0.4.10-10.0.4.223");
  });

  test("GIVEN the reservation strategy THEN a range in the DHCP space collides with workers", () => {
    const plan = planSubnet({ cidr: "10.0.4.0/24", strategy: "reservation", maxNodes: 3, podsPerNode: 10 });
    expect(kinds(nad("r", { type: "whereabouts", range: "10.0.4.0/24", range_start: "10.0.4.100", range_end: "10.0.4.110" }), plan)).toEqual(["pod-worker"]);
  });

  test("GIVEN whereabouts NADs over the same addresses THEN one network shares the pools, different network names collide", () => {
    const block = { type: "whereabouts", ...nadIpamRange(plan3) };
    expect(kinds([...nad("a", block), ...nad("b", block)])).toEqual([]);
    expect(kinds([...nad("a", block), ...nad("b", { ...block, network_name: "blue" })])).toEqual(["nad-overlap"]);
    // Different range CIDRs are different pools; the cluster-wide reservations keep them apart unless switched off.
    const narrow = { type: "whereabouts", range: "10.0.4.224/27" };
    expect(kinds([...nad("a", block), ...nad("c", narrow)])).toEqual([]);
    expect(kinds([...nad("a", block), ...nad("c", { ...narrow, enable_overlapping_ranges: false })])).toEqual(["nad-overlap"]);
  });

  test("GIVEN a host-local NAD inside the whereabouts pod block THEN they overlap (neither sees the other)", () => {
    const block = nadIpamRange(plan3);
    const c = analyseNads([...nad("wb", { type: "whereabouts", ...block }), ...nad("hl", { type: "host-local", subnet: "10.0.4.0/24", rangeStart: "10.0.4.240", rangeEnd: "10.0.4.250" })], { plan: plan3, nodes: 1, podsPerNode: 5 }).collisions;
    expect(c).toEqual([expect.objectContaining({ kind: "nad-overlap", range: "10.0.4.240-10.0.4.250", nads: ["default/wb", "default/hl"] })]);
  });

  test("GIVEN the mixed fixture THEN the static address used twice and inside the worker block is reported, and the static pod count is warned about", () => {
    const res = analyseNads(fixture("nad-mixed.yaml"), { plan: plan3, nodes: 3, podsPerNode: 10 });
    expect(res.collisions.filter((c) => c.kind === "static-duplicate").map((c) => c.ip)).toEqual(["10.0.4.5"]);
    expect(res.collisions.filter((c) => c.kind === "pod-worker").map((c) => c.range)).toEqual(["10.0.4.5", "10.0.4.5"]);
    expect(res.warnings.filter((w) => /attach it to one pod only/.test(w))).toHaveLength(2);
  });

  test("GIVEN a range outside the subnet or node slices from the start of the subnet THEN outside-subnet and AWS-reserved collisions", () => {
    expect(kinds(nad("far", { type: "host-local", subnet: "10.0.9.0/24", rangeStart: "10.0.9.10", rangeEnd: "10.0.9.20" }), plan3, 1)).toEqual(["outside-subnet"]);
    const sliced = analyseNads(nad("s", { type: "whereabouts", range: "10.0.4.0/24", range_start: "10.0.4.224", node_slice_size: "/28" }), { plan: plan3, nodes: 2, podsPerNode: 10 });
    expect(sliced.collisions.filter((c) => c.kind === "aws-reserved").map((c) => c.ip)).toEqual(["10.0.4.1", "10.0.4.2", "10.0.4.3"]);
    expect(sliced.warnings.join("\n")).toMatch(/ignores range_start/);
  });
});

describe("analyseNads warnings", () => {
  test("GIVEN a whereabouts range_end outside the CIDR and the gateway inside the pool THEN both are warned about", () => {
    const { warnings } = analyseNads(nad("w", { type: "whereabouts", range: "10.0.4.224/27", range_start: "10.0.4.225", range_end: "10.0.5.10", gateway: "10.0.4.230" }), { plan: plan3, nodes: 1, podsPerNode: 1 });
    expect(warnings.join("\n")).toMatch(/ignores range_end 10\.0\.5\.10 .* runs to 10\.0\.4\.254/);
    expect(warnings.join("\n")).toMatch(/gateway 10\.0\.4\.230 lies in the whereabouts pool/);
  });
});

describe("analyseNads against the allocators themselves", () => {
  /** A start address, often near the AWS-reserved addresses and the worker block at the bottom. */
  const start = (min: number, max: number) => fc.oneof(fc.integer({ min, max: 12 }), fc.integer({ min, max }));
  /** A NAD over a random stretch of 10.0.4.0/24 (sometimes spilling into 10.0.5.x). */
  const nadArb = fc.oneof(
    fc.record({ kind: fc.constant("host-local" as const), start: start(1, 250), len: fc.integer({ min: 0, max: 20 }), name: fc.constantFrom("a", "b") }),
    fc.record({ kind: fc.constant("whereabouts" as const), start: start(0, 250), len: fc.integer({ min: 0, max: 40 }), name: fc.constantFrom("", "blue"), cidr: fc.constantFrom("10.0.4.0/24", "10.0.4.128/25", "10.0.4.0/23") }),
    fc.record({ kind: fc.constant("static" as const), start: start(0, 260), len: fc.constant(0), name: fc.constant("") }),
  );
  const at = (n: number) => `10.0.${4 + Math.floor(n / 256)}.${n % 256}`;

  test("GIVEN any NADs WHEN the models hand out addresses on every node THEN each duplicate, reserved, worker, DHCP or outside address the models produce is reported", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(nadArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), async (specs, nodes, podsPerNode) => {
        const nads = specs.flatMap((s, i) => {
          if (s.kind === "host-local") return nad(`n${i}`, { type: "host-local", subnet: "10.0.4.0/24", rangeStart: at(s.start), rangeEnd: at(Math.min(254, s.start + s.len)) }, { name: s.name });
          if (s.kind === "whereabouts") return nad(`n${i}`, { type: "whereabouts", range: s.cidr, range_start: at(s.start), range_end: at(s.start + s.len), ...(s.name ? { network_name: s.name } : {}) });
          return nad(`n${i}`, { type: "static", addresses: [{ address: `${at(s.start)}/24` }] });
        });
        const { collisions } = analyseNads(nads, { plan: plan3, nodes, podsPerNode });
        const reported = new Set(collisions.map((c) => c.kind));

        // Ground truth: run the allocators. Static NADs give their address to one pod (more is a warning by design).
        const hl = new HostLocalModel();
        const wb = new WhereaboutsModel();
        const pods: { ip: number; nad: number }[] = [];
        for (const [i, n] of nads.entries()) {
          const ipam = n.ipam;
          if (ipam.type === "static") {
            pods.push({ ip: ipam.addresses[0]!.ip, nad: i });
            continue;
          }
          for (let node = 0; node < nodes; node++) {
            for (let p = 0; p < podsPerNode; p++) {
              const id = `${i}-${node}-${p}`;
              try {
                const ips = ipam.type === "host-local" ? hl.add(`node${node}`, ipam.config, id) : ipam.type === "whereabouts" ? await wb.allocate(ipam.config, { node: `node${node}`, containerId: id, podRef: `ns/${id}` }) : [];
                for (const ip of ips) pods.push({ ip: ipToInt(ip), nad: i });
              } catch {
                // exhausted: that pod does not start
              }
            }
          }
        }
        const seen = new Map<number, number>();
        for (const p of pods) {
          if (seen.has(p.ip)) expect(["pod-pod", "nad-overlap", "static-duplicate"].some((k) => reported.has(k as never))).toBe(true);
          seen.set(p.ip, p.nad);
          if (plan3.awsReserved.includes(p.ip)) expect(reported.has("aws-reserved")).toBe(true);
          else if (p.ip > plan3.subnet.last) expect(reported.has("outside-subnet")).toBe(true);
          else if (p.ip >= plan3.workers.first && p.ip <= plan3.workers.last) expect(reported.has("pod-worker")).toBe(true);
          else if (p.ip < plan3.pods.first) expect(reported.has("pod-dhcp")).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("analyseNads: IPv6 ranges against a dual-stack plan", () => {
  const plan = planNetwork(parseConfig(JSON.parse(readFileSync(join(__dirname, "../../../examples/dual-stack.config.json"), "utf8"))));
  const signal = plan.subnets[0]!;
  const v4 = { range: "10.0.4.0/24", range_start: "10.0.4.192", range_end: "10.0.4.254" };
  const check = (nads: ParsedNad[]) => analyseNads(nads, { plan: plan.subnets, nodes: 4, podsPerNode: 10 });

  test("GIVEN a pool over the whole /64 THEN the AWS-reserved addresses, the DHCP space the reservation group's workers use and the unaddressable upper /65 are reported", () => {
    const { collisions, warnings } = check(nad("wide", { type: "whereabouts", ipRanges: [v4, { range: "2001:db8:1234:1a04::/64" }] }));
    expect(collisions.filter((c) => c.kind === "aws-reserved").map((c) => c.ip)).toEqual(["2001:db8:1234:1a04::1", "2001:db8:1234:1a04::2", "2001:db8:1234:1a04::3"]);
    // The first /66 is DHCP space (the reservation group's workers); the pod space is reserved.
    expect(collisions.filter((c) => c.kind === "pod-worker").map((c) => c.range)).toEqual(["2001:db8:1234:1a04::4-2001:db8:1234:1a04:3fff:ffff:ffff:ffff"]);
    expect(warnings.join("\n")).toMatch(/whereabouts addresses only the first \/65 of 2001:db8:1234:1a04::\/64 .* so 2001:db8:1234:1a04:8000::-2001:db8:1234:1a04:ffff:ffff:ffff:fffe is never handed out/);
  });

  test("GIVEN a pool over the IPv6 worker block, one outside every /64 and two NADs sharing the IPv6 pod block without a common allocator THEN each is reported", () => {
    const w6 = signal.ipv6!.workerBlocks.cnf!;
    // Over the /64 whereabouts never reaches the upper /65 where the worker blocks are; over the block's own CIDR it does.
    expect(kinds(nad("w", { type: "whereabouts", range: `${bigToIp6(w6.first)}-${bigToIp6(w6.last)}/64` }), signal)).toEqual([]);
    expect(kinds(nad("w", { type: "whereabouts", range: w6.cidr }), signal)).toEqual(["pod-worker"]);
    expect(check(nad("o", { type: "whereabouts", range: "2001:db8:ffff::/120" })).collisions.map((c) => c.kind)).toEqual(["outside-subnet"]);
    const p6 = signal.ipv6!.podBlocks.cnf!;
    const pods6 = { range: "2001:db8:1234:1a04::/64", range_start: bigToIp6(p6.first), range_end: bigToIp6(p6.last) };
    const twice = check([...nad("a", { type: "whereabouts", network_name: "a", ipRanges: [v4, pods6] }), ...nad("b", { type: "whereabouts", network_name: "b", ipRanges: [pods6] })]);
    expect(twice.collisions.map((c) => [c.kind, c.range])).toEqual([["nad-overlap", `${bigToIp6(p6.first)}-${bigToIp6(p6.last)}`]]);
    // The plan's own pools: nothing to report.
    expect(check(nad("ok", { type: "whereabouts", ipRanges: [v4, pods6] })).collisions).toEqual([]);
  });
});
