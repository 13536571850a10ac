import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { bigToIp6, intToIp, ip6ToBig, ipToInt, parseConfig, planNetwork, rangeInside6 } from "../../../ipam";
import { analyseNads, parseNad } from "../../../simulator/cni/nad";
import { poolAddresses, whereaboutsConfig } from "../../../simulator/cni/whereabouts";
import { NAD_ANNOTATIONS, NadProps, defaultMasterInterface, networkDefinitions } from "../../../modules/kubernetes";
import { DEFAULT, configFor } from "./helpers";

type Json = Record<string, unknown>;

const shapes = fc.record({
  prefix: fc.integer({ min: 20, max: 27 }),
  subnets: fc.integer({ min: 1, max: 3 }),
  zones: fc.integer({ min: 1, max: 2 }),
  strategy: fc.constantFrom("static" as const, "reservation" as const),
  maxSize: fc.integer({ min: 1, max: 12 }),
  podsPerNode: fc.integer({ min: 1, max: 20 }),
  amiFamily: fc.constantFrom("al2023" as const, "al2" as const),
});

describe("NetworkAttachmentDefinitions over the address plan", () => {
  it("GIVEN any feasible config WHEN NADs are generated THEN each NAD's whereabouts pool, read from its JSON config, is exactly its subnet's pod block", () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const made = configFor(shape);
        fc.pre(made !== undefined);
        const { config, plan } = made!;
        const nads = networkDefinitions(plan, { amiFamily: config.nodeGroup.amiFamily });
        expect(nads).toHaveLength(plan.subnets.length);
        for (const nad of nads) {
          const cni = JSON.parse((nad.manifest.spec as Json).config as string) as Json;
          const subnet = plan.subnets.find((s) => s.id === (nad.manifest.metadata.annotations as Record<string, string>)[NAD_ANNOTATIONS.subnetId])!;
          expect(subnet).toBeDefined();
          const ipam = cni.ipam as Record<string, string>;
          expect(ipam.range).toBe(subnet.subnet.cidr);
          expect(ipToInt(ipam.range_start!)).toBe(subnet.pods.first);
          expect(ipToInt(ipam.range_end!)).toBe(subnet.pods.last);
          // What whereabouts can hand out (its own range rules, as modelled) is the pod block, no more, no less.
          const pool = whereaboutsConfig(cni.ipam).ranges.flatMap((r) => poolAddresses(r));
          expect(pool[0]).toBe(subnet.pods.first);
          expect(pool[pool.length - 1]).toBe(subnet.pods.last);
          expect(pool).toHaveLength(subnet.pods.last - subnet.pods.first + 1);
          // The stable name the node's host configuration gives the ENI, never a kernel name.
          expect(cni.master).toBe(`multus${subnet.deviceIndex}`);
          expect(cni.master).not.toMatch(/^(ens|enp|eth)/);
        }
        expect(new Set(nads.map((n) => n.name)).size).toBe(nads.length);
      }),
      { numRuns: 150 },
    );
  });

  it("GIVEN AL2023 and AL2 nodes THEN the default master of device N is multus<N> on both, within IFNAMSIZ, and device 0 (the primary ENI) has none", () => {
    expect([1, 2, 3].map((i) => defaultMasterInterface(i))).toEqual(["multus1", "multus2", "multus3"]);
    for (const amiFamily of ["al2023", "al2"] as const) {
      expect(networkDefinitions(DEFAULT.plan, { amiFamily }).map((n) => n.masterInterface)).toEqual(["multus1", "multus2"]);
    }
    expect(defaultMasterInterface(99).length).toBeLessThanOrEqual(15);
    expect(() => defaultMasterInterface(0)).toThrow(/device index/);
  });

  it("GIVEN the reference layout THEN the NADs reproduce its ipvlan l2 networks, with whereabouts instead of host-local and the VPC router as gateway", () => {
    const [first] = networkDefinitions(DEFAULT.plan, { amiFamily: "al2" });
    expect(first!.cniConfig).toMatchObject({ type: "ipvlan", mode: "l2", master: "multus1", name: "ipvlan-conf-1", ipam: { type: "whereabouts", gateway: "10.0.4.1" } });
    expect(first!.manifest.metadata.namespace).toBe("default");
  });

  it("GIVEN per-subnet options THEN name, interface, plugin and mode apply to that subnet only, and the network-wide mode to the network-wide type only", () => {
    const [a, b] = DEFAULT.plan.subnets;
    const props: NadProps = {
      amiFamily: "al2023",
      namespace: "multus",
      mode: "l3",
      gateway: false,
      routes: [{ dst: "10.1.0.0/16" }],
      subnets: { [b!.id]: { name: "data-plane", masterInterface: "enp40s0", type: "macvlan" } },
    };
    const [na, nb] = networkDefinitions(DEFAULT.plan, props);
    expect(na!.cniConfig).toMatchObject({ name: "ipvlan-conf-1", master: "multus1", type: "ipvlan", mode: "l3" });
    expect(nb!.cniConfig).toMatchObject({ name: "data-plane", master: "enp40s0", type: "macvlan", mode: "bridge" });
    expect(na!.cniConfig.ipam.gateway).toBeUndefined();
    expect(na!.cniConfig.ipam.routes).toEqual([{ dst: "10.1.0.0/16" }]);
    expect([na!.namespace, nb!.namespace]).toEqual(["multus", "multus"]);
    expect(a!.id).not.toBe(b!.id);
  });

  it.each<[string, Partial<NadProps>, RegExp]>([
    ["a host-local plugin type", { type: "host-local" as never }, /networks.type.*"host-local" is not supported/],
    ["a mode of the other plugin", { type: "macvlan", mode: "l2" }, /networks.mode.*"l2" is not a macvlan mode.*bridge, private, vepa, passthru/],
    ["an invalid namespace", { namespace: "Multus_NS" }, /networks.namespace.*not a valid namespace/],
    ["a route that is not a CIDR", { routes: [{ dst: "10.1.0.0" }] }, /networks.routes\[0\].dst.*not an IPv4 CIDR/],
    ["a route gateway that is not an address", { routes: [{ dst: "10.1.0.0/16", gw: "10.0.4.300" }] }, /networks.routes\[0\].gw.*not an IPv4 address/],
    ["an unknown subnet id", { subnets: { "subnet-0123456789abcdef9": { name: "x" } } }, /networks.subnets.subnet-0123456789abcdef9.*not a multus subnet.*subnet-0c0ffee0c0ffee004/],
  ])("GIVEN %s THEN generation fails naming the field and the fix", (_, props, message) => {
    expect(() => networkDefinitions(DEFAULT.plan, { amiFamily: "al2023", ...props })).toThrow(message);
  });

  it("GIVEN two subnets given one NAD name, or an interface name longer than Linux allows THEN generation fails naming the subnet's field", () => {
    const [a, b] = DEFAULT.plan.subnets;
    expect(() => networkDefinitions(DEFAULT.plan, { amiFamily: "al2023", subnets: { [a!.id]: { name: "net" }, [b!.id]: { name: "net" } } })).toThrow(
      new RegExp(`networks.subnets.${b!.id}.name: net is also the NAD name of subnet ${a!.id}`),
    );
    expect(() => networkDefinitions(DEFAULT.plan, { amiFamily: "al2023", subnets: { [a!.id]: { masterInterface: "a-very-long-interface" } } })).toThrow(
      new RegExp(`networks.subnets.${a!.id}.masterInterface.*not a Linux interface name`),
    );
  });

  it("GIVEN the pod block THEN the gateway is the VPC router, outside the block", () => {
    for (const nad of networkDefinitions(DEFAULT.plan, { amiFamily: "al2023" })) {
      expect(nad.cniConfig.ipam.gateway).toBe(intToIp(nad.subnet.subnet.base + 1));
      expect(ipToInt(nad.cniConfig.ipam.gateway!)).toBeLessThan(nad.subnet.pods.first);
    }
  });
});

describe("NetworkAttachmentDefinitions on dual-stack multus subnets", () => {
  const plan = planNetwork(parseConfig(JSON.parse(readFileSync(join(__dirname, "../../../examples/dual-stack.config.json"), "utf8"))));
  const nads = networkDefinitions(plan, {});

  it("GIVEN the dual-stack example THEN each NAD's whereabouts ipRanges hold its IPv4 pod block, then its IPv6 pod block inside the lower /65 of the /64", () => {
    // One NAD for the signal network, one per group for media (its groups' own pod blocks).
    expect(nads.map((n) => n.name)).toEqual(["signal", "media-cnf", "media-edge"]);
    for (const nad of nads) {
      const cni = JSON.parse((nad.manifest.spec as Json).config as string);
      expect(cni.ipam.range).toBeUndefined();
      const [v4, v6] = cni.ipam.ipRanges;
      expect(v4).toEqual({ range: nad.subnet.subnet.cidr, range_start: intToIp(nad.pods.first), range_end: intToIp(nad.pods.last) });
      const block6 = nad.subnet.ipv6!.podBlocks[nad.groups[0]!]!;
      expect(v6).toEqual({ range: nad.subnet.ipv6!.subnet.cidr, range_start: bigToIp6(block6.first), range_end: bigToIp6(block6.last) });
      expect(rangeInside6({ first: ip6ToBig(v6.range_start), last: ip6ToBig(v6.range_end) }, nad.subnet.ipv6!.podSpace)).toBe(true);
      expect(cni.ipam.gateway).toBe(intToIp(nad.subnet.subnet.base + 1));
    }
  });

  it("GIVEN the generated dual-stack NADs WHEN read back and checked against the plan THEN neither family collides with anything and nothing is warned", () => {
    const parsed = nads.flatMap((n) => parseNad(JSON.stringify(n.manifest), `${n.name}.json`));
    expect(parsed.every((p) => p.ipam.type === "whereabouts" && p.ipam.config.ranges6.length === 1)).toBe(true);
    // The smallest pool (edge on media: 3 nodes x 5 pods) sets what every NAD is checked for.
    expect(analyseNads(parsed, { plan: plan.subnets, nodes: 3, podsPerNode: 5 })).toEqual({ collisions: [], warnings: [] });
  });
});
