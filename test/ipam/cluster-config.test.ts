import { asShorthand, parseConfig, planNetwork } from "../../ipam";
import { planError } from "./setup";
import { EXAMPLE } from "./cluster-helpers";

/** The example with `edit` applied to a deep copy. */
function example(edit: (c: any) => void): unknown {
  const c = JSON.parse(JSON.stringify(EXAMPLE));
  edit(c);
  return c;
}

const inputError = (user: unknown) => planError(() => parseConfig(user, "cluster.json"));

describe("parseConfig: networks and nodeGroups", () => {
  test("GIVEN the example cluster WHEN parsed THEN its networks and groups, with the defaults filled in", () => {
    const c = parseConfig(EXAMPLE);
    expect(c.form).toBe("cluster");
    expect(c.nodeGroup).toBeUndefined();
    expect(c.networks.map((n) => [n.name, n.podBlock, n.subnets.length])).toEqual([
      ["data", "network", 2],
      ["storage", "group", 2],
    ]);
    expect(c.networks[1]!.sourceDestCheck).toBe(false);
    expect(c.nodeGroups.map((g) => [g.name, g.strategy, g.networks.join(",")])).toEqual([
      ["cnf-a", "static", "data,storage"],
      ["cnf-b", "static", "data,storage"],
      ["edge", "reservation", "data"],
    ]);
    // Defaults of the single-group shorthand where a group leaves a field out.
    expect([c.nodeGroups[0]!.amiFamily, c.nodeGroups[0]!.volumeSize, c.nodeGroups[0]!.reserveWorkerBlock]).toEqual(["al2023", 50, true]);
  });

  test("GIVEN groups of different AMI families on one network THEN accepted: the NAD's interface name multus<N> is the same on both", () => {
    const c = parseConfig(example((x) => (x.nodeGroups[2].amiFamily = "al2")));
    expect(c.nodeGroups.map((g) => g.amiFamily)).toEqual(["al2023", "al2023", "al2"]);
  });

  test("GIVEN the cluster's Multus image and a pod range as a CIDR THEN both are taken", () => {
    const c = parseConfig(example((x) => {
      x.multus = { image: "registry.example.com/multus-cni:v4.1.4-eksbuild.3_thick" };
      x.networks[0].subnets[0].podRange = "10.0.4.128/25";
    }));
    expect(c.multus?.image).toBe("registry.example.com/multus-cni:v4.1.4-eksbuild.3_thick");
    expect(planNetwork(c).subnets[0]!.pods.first).toBe(planNetwork(c).subnets[0]!.subnet.base + 128);
  });

  test("GIVEN the shorthand WHEN parsed THEN it is one group attaching one network per subnet, in order", () => {
    const c = asShorthand(parseConfig({}));
    expect(c.networks.map((n) => [n.name, n.subnets.map((s) => s.cidr).join()])).toEqual([
      ["net1", "10.0.4.0/24"],
      ["net2", "10.0.5.0/24"],
    ]);
    expect(c.nodeGroups).toEqual([expect.objectContaining({ name: "ng1", strategy: "static", availabilityZones: ["us-west-2a"], networks: ["net1", "net2"] })]);
    expect(() => asShorthand(parseConfig(EXAMPLE), "the test")).toThrow(/the test takes the single-group config/);
  });

  test.each([
    [
      "a group name used twice",
      (c: any) => (c.nodeGroups[2].name = "CNF-A"),
      "nodeGroups[2].name",
      /"CNF-A" is also the name of nodeGroups\[0\] \(in cluster\.json\)\. Fix: give each node group its own name/,
    ],
    [
      "a network with no subnet in a group's AZ",
      (c: any) => (c.nodeGroups[2].availabilityZones = ["us-west-2a", "us-west-2c"]),
      "nodeGroups[2].availabilityZones[1]",
      /network "data" has no subnet in us-west-2c, an availability zone of group "edge".*Fix: add a subnet in us-west-2c to networks\[0\]\.subnets, or remove us-west-2c/,
    ],
    [
      "two groups attaching one network at different device positions",
      (c: any) => (c.nodeGroups[1].networks = ["storage", "data"]),
      "nodeGroups[1].networks",
      /network "data" is device 2 on group "cnf-b" but device 1 on group "cnf-a" \(nodeGroups\[0\]\).*Fix: list "data" at the same position in both groups' networks/,
    ],
    ["an unknown network", (c: any) => (c.nodeGroups[0].networks = ["data", "stroage"]), "nodeGroups[0].networks[1]", /"stroage" is not a network of the config.*Fix: use one of: data, storage/],
    ["a network listed twice", (c: any) => (c.nodeGroups[0].networks = ["data", "data"]), "nodeGroups[0].networks[1]", /lists network "data" twice/],
    [
      "two subnets of one network in one AZ",
      (c: any) => (c.networks[0].subnets[1].availabilityZone = "us-west-2a"),
      "networks[0].subnets[1].availabilityZone",
      /network "data" has two subnets in us-west-2a.*a node takes one ENI per network/,
    ],
    ["a subnet in two networks", (c: any) => (c.networks[1].subnets[0].id = c.networks[0].subnets[0].id), "networks[1].subnets[0].id", /is also networks\[0\]\.subnets\[0\]\.id/],
    ["overlapping subnets of two networks", (c: any) => (c.networks[1].subnets[0].cidr = "10.0.4.128/25"), "networks[1].subnets[0].cidr", /10\.0\.4\.128\/25 overlaps networks\[0\]\.subnets\[0\]\.cidr/],
    ["a pod range on a network whose groups have their own", (c: any) => (c.networks[1].subnets[0].podRange = "10.0.5.200-10.0.5.250"), "networks[1].subnets[0].podRange", /podBlock "group"/],
    ["a mode the CNI type does not have", (c: any) => (c.networks[0].mode = "bridge"), "networks[0].mode", /"bridge" is not a ipvlan mode.*Fix: use one of: l2, l3, l3s/],
    ["the shorthand mixed in", (c: any) => (c.multus = { strategy: "static" }), "multus.strategy", /is the single-group shorthand and cannot be mixed.*only multus\.image.*Fix: move it into networks\[\] .* or nodeGroups\[\]/],
    ["a group zone outside the region", (c: any) => (c.nodeGroups[0].availabilityZones = ["us-east-1a", "us-west-2b"]), "nodeGroups[0].availabilityZones[0]", /us-east-1a is not in region us-west-2/],
    ["a network's pod range that is no CIDR", (c: any) => (c.networks[0].subnets[0].podRange = "10.0.4.0/33"), "networks[0].subnets[0].podRange", /is not an IPv4 CIDR/],
    ["the single-group node group mixed in", (c: any) => (c.nodeGroup = { maxSize: 3 }), "nodeGroup", /is the single-group shorthand and cannot be mixed.*Fix: move its fields into nodeGroups\[\]/],
    ["a group without networks", (c: any) => delete c.nodeGroups[0].networks, "nodeGroups[0].networks", /must be a list/],
    ["a network name a NAD cannot have", (c: any) => (c.networks[0].name = "Data_Net"), "networks[0].name", /"Data_Net" is not valid/],
  ])("GIVEN %s THEN an input error (exit 2) naming the field, the group or network and the fix", (_what, edit, field, message) => {
    const err = inputError(example(edit));
    expect(err.kind).toBe("input");
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/Fix: /);
  });

  test("GIVEN vpc.ipv6Cidr WHEN a network's second subnet's /64 lies outside it THEN the error names networks[i].subnets[j].ipv6Cidr and the fix; inside it THEN accepted", () => {
    const dual = (second: string) =>
      example((x) => {
        x.vpc = { ...x.vpc, ipv6Cidr: "2001:db8:1234:1a00::/56" };
        x.networks[0].subnets[0].ipv6Cidr = "2001:db8:1234:1a04::/64";
        x.networks[0].subnets[1].ipv6Cidr = second;
      });
    expect(parseConfig(dual("2001:db8:1234:1aff::/64")).vpc.ipv6Cidr).toBe("2001:db8:1234:1a00::/56");
    const err = inputError(dual("2001:db8:1234:1900::/64"));
    expect(err.field).toBe("networks[0].subnets[1].ipv6Cidr");
    expect(err.message).toMatch(/networks\[0\]\.subnets\[1\]\.ipv6Cidr: 2001:db8:1234:1900::\/64 is not inside vpc\.ipv6Cidr 2001:db8:1234:1a00::\/56.*Fix: use a \/64 of the VPC's IPv6 block, or correct vpc\.ipv6Cidr/);
  });

  test("GIVEN a network no group uses in one of its zones THEN the plan warns and plans nothing there", () => {
    const c = parseConfig(example((x) => x.networks[0].subnets.push({ cidr: "10.0.24.0/24", id: "subnet-0c0ffee0c0ffee024", availabilityZone: "us-west-2c" })));
    const plan = planNetwork(c);
    expect(plan.subnets.map((s) => s.subnet.cidr)).not.toContain("10.0.24.0/24");
    expect(plan.warnings.join("\n")).toMatch(/10\.0\.24\.0\/24 \(network "data" in us-west-2c\): no node group attaches the network/);
  });
});
