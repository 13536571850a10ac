import { PlanError, ipToInt } from "../../../ipam";
import { HostLocalError, HostLocalModel, hostLocalAddresses, hostLocalConfig } from "../../../simulator/cni/host-local";

const SEED = { type: "host-local", subnet: "10.0.4.0/24", rangeStart: "10.0.4.70", rangeEnd: "10.0.4.80", gateway: "10.0.4.1" };

describe("hostLocalConfig", () => {
  test("GIVEN only a subnet THEN the range runs from network+1 to broadcast-1 with the gateway at network+1", () => {
    const c = hostLocalConfig({ type: "host-local", subnet: "10.0.4.0/29" }, "n");
    const r = c.rangeSets[0]![0]!;
    expect([r.rangeStart, r.rangeEnd, r.gateway]).toEqual([ipToInt("10.0.4.1"), ipToInt("10.0.4.6"), ipToInt("10.0.4.1")]);
    // The gateway is never handed out.
    expect(hostLocalAddresses(c.rangeSets[0]!)).not.toContain(r.gateway);
    expect(hostLocalAddresses(c.rangeSets[0]!)).toHaveLength(5);
  });

  test("GIVEN the old single-range keys and a ranges list THEN the single range is the first range set", () => {
    const c = hostLocalConfig({ ...SEED, ranges: [[{ subnet: "10.0.5.0/24" }]] }, "n");
    expect(c.rangeSets).toHaveLength(2);
    expect(c.rangeSets[0]![0]!.rangeStart).toBe(ipToInt("10.0.4.70"));
    expect(c.rangeSets[1]![0]!.subnet.cidr).toBe("10.0.5.0/24");
  });

  test.each([
    [{ type: "host-local" }, /^ipam: has no IP ranges/],
    [{ subnet: "10.0.4.7/24" }, /^ipam\.subnet: "10\.0\.4\.7\/24" has host bits set/],
    [{ subnet: "10.0.4.0/24", rangeStart: "10.0.5.1" }, /^ipam\.rangeStart: 10\.0\.5\.1 is not in 10\.0\.4\.0\/24/],
    [{ subnet: "10.0.4.0/24", rangeStart: "10.0.4.9", rangeEnd: "10.0.4.8" }, /^ipam\.rangeStart/],
    [{ subnet: "10.0.4.0/24", rangeEnd: "ten" }, /^ipam\.rangeEnd: "ten" is not an IPv4 address/],
    [{ ranges: [[{ subnet: "10.0.4.0/24" }, { subnet: "10.0.4.0/25" }]] }, /^ipam\.ranges\[0\]: ranges 0 and 1 overlap/],
    [{ subnet: "10.0.4.0/24", ranges: [[{ subnet: "10.0.4.0/25" }]] }, /^ipam: range set 0 overlaps range set 1/],
  ])("GIVEN invalid ipam %j THEN a PlanError names the field", (ipam, message) => {
    expect(() => hostLocalConfig(ipam, "n")).toThrow(PlanError);
    expect(() => hostLocalConfig(ipam, "n")).toThrow(message);
  });
});

describe("HostLocalModel", () => {
  const config = hostLocalConfig({ type: "host-local", subnet: "10.0.4.0/29", rangeStart: "10.0.4.2", rangeEnd: "10.0.4.5", gateway: "10.0.4.3" }, "net");

  test("GIVEN a fresh node THEN addresses come in order from rangeStart, skipping the gateway, until the range is exhausted", () => {
    const m = new HostLocalModel();
    const got = ["a", "b", "c"].map((id) => m.add("n1", config, id)[0]);
    expect(got).toEqual(["10.0.4.2", "10.0.4.4", "10.0.4.5"]);
    expect(() => m.add("n1", config, "d")).toThrow(/no IP addresses available in range set: 10\.0\.4\.2-10\.0\.4\.5/);
  });

  test("GIVEN an address released in the middle WHEN the next pod starts THEN the search resumes after the last reserved address and wraps to the freed one", () => {
    const m = new HostLocalModel();
    m.add("n1", config, "a"); // .2
    m.add("n1", config, "b"); // .4
    m.del("n1", config, "a");
    expect(m.add("n1", config, "c")).toEqual(["10.0.4.5"]);
    expect(m.add("n1", config, "d")).toEqual(["10.0.4.2"]);
  });

  test("GIVEN the same container and interface twice THEN the second ADD fails; another interface gets its own address", () => {
    const m = new HostLocalModel();
    m.add("n1", config, "a", "net1");
    expect(() => m.add("n1", config, "a", "net1")).toThrow(HostLocalError);
    expect(m.add("n1", config, "a", "net2")).toHaveLength(1);
    m.del("n1", config, "a", "net1");
    expect(m.allocations().map((x) => x.ifName)).toEqual(["net2"]);
  });

  test("GIVEN two range sets and the second exhausted THEN the ADD fails and releases what the first set took", () => {
    const two = hostLocalConfig({ ranges: [[{ subnet: "10.0.4.0/29" }], [{ subnet: "10.0.6.0/30" }]] }, "two");
    const m = new HostLocalModel();
    expect(m.add("n1", two, "a")).toEqual(["10.0.4.2", "10.0.6.2"]);
    expect(() => m.add("n1", two, "b")).toThrow(/failed to allocate for range 1/);
    expect(m.allocations()).toHaveLength(2);
  });

  test("GIVEN the reference NAD on several nodes THEN each node's store is its own and the nodes hand out the same addresses", () => {
    const seed = hostLocalConfig(SEED, "ipvlan-conf-1");
    const m = new HostLocalModel();
    const per = ["n1", "n2", "n3"].map((n) => [0, 1, 2].map((p) => m.add(n, seed, `${n}-${p}`)[0]));
    expect(per[1]).toEqual(per[0]);
    expect(per[2]).toEqual(per[0]);
    // A different network name on the same node is a different directory, hence its own state too.
    expect(m.add("n1", hostLocalConfig(SEED, "other"), "x")).toEqual([per[0]![0]]);
  });
});
