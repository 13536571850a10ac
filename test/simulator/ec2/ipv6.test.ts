import fc from "fast-check";
import { bigToIp6, contains6, ip6ToBig, isAwsReserved6, parseCidr6, parseSubnet6 } from "../../../ipam";
import { DHCP_POLICIES, Ec2Model } from "../../../simulator/ec2/model";
import { codeOf } from "./helpers";

const AZ = "us-west-2a";
const V6 = "2001:db8:1234:1a04::/64";
const POD_SPACE = "2001:db8:1234:1a04:4000::/66";
const WORKERS6 = "2001:db8:1234:1a04:8000::/125";

async function dualStack(seed = 7) {
  const ec2 = new Ec2Model({ seed });
  const { subnetId } = ec2.addSubnet({ cidr: "10.0.4.0/24", ipv6Cidr: V6, availabilityZone: AZ, id: "subnet-00000000000000004" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/22", availabilityZone: AZ, id: "subnet-00000000000000001" });
  for (const cidr of [POD_SPACE, WORKERS6]) await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: cidr, ReservationType: "explicit" });
  return { ec2, subnetId, nodeSubnet: nodes.subnetId };
}

const ipv6Of = (out: { NetworkInterface?: { Ipv6Addresses?: { Ipv6Address?: string }[] } }) => out.NetworkInterface!.Ipv6Addresses!.map((a) => a.Ipv6Address!);

describe("Ec2Model: dual-stack subnets", () => {
  test("GIVEN explicit IPv6 reservations WHEN ENIs ask for IPv6 addresses by count under every DHCP policy THEN none lands in a reservation or on an AWS-reserved address, none twice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...DHCP_POLICIES), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 4 }), async (policy, seed, count) => {
        const { ec2, subnetId } = await dualStack(seed);
        ec2.setDhcpPolicy(policy);
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) {
          for (const ip of ipv6Of(await ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6AddressCount: count }))) {
            const n = ip6ToBig(ip);
            expect(contains6(parseSubnet6(V6, "v6"), n)).toBe(true);
            expect(isAwsReserved6(parseSubnet6(V6, "v6"), n)).toBe(false);
            for (const r of [POD_SPACE, WORKERS6]) expect(contains6(parseCidr6(r, "r"), n)).toBe(false);
            expect(seen.has(ip)).toBe(false);
            seen.add(ip);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  test("GIVEN IPv6 addresses given by hand THEN a free one (in an explicit reservation too) is taken; AWS-reserved, outside, taken or combined with a count is refused as EC2 does", async () => {
    const { ec2, subnetId } = await dualStack();
    const worker = ipv6Of(await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.4", Ipv6Addresses: [{ Ipv6Address: "2001:DB8:1234:1A04:8000:0:0:0" }] }));
    expect(worker).toEqual(["2001:db8:1234:1a04:8000::"]);
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6Addresses: [{ Ipv6Address: "2001:db8:1234:1a04:8000::" }] }))).toBe("InvalidIPAddress.InUse: The specified IP address is already in use.");
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6Addresses: [{ Ipv6Address: "2001:db8:1234:1a04::1" }] }))).toMatch(/^InvalidParameterValue: Address 2001:db8:1234:1a04::1 is in subnet's reserved address range/);
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6Addresses: [{ Ipv6Address: "2001:db8:1234:1a05::9" }] }))).toMatch(/^InvalidParameterValue: .*does not fall within the subnet's IPv6 address range/);
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6Addresses: [{ Ipv6Address: "2001:db8:1234:1a04::9" }], Ipv6AddressCount: 1 }))).toMatch(/^InvalidParameterCombination/);
    // A failed create takes nothing: the IPv4 address it asked for is still free.
    await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.9" });
    const ipv4Only = ec2.addSubnet({ cidr: "10.0.5.0/24", availabilityZone: AZ });
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: ipv4Only.subnetId, Ipv6AddressCount: 1 }))).toMatch(/^InvalidParameterValue: The subnet .* has no IPv6 CIDR block/);
  });

  test("GIVEN a pod's IPv6 address on one ENI WHEN another ENI asks for it THEN Resource.AlreadyAssigned (no reassignment) until the first lets it go; attached, an ENI takes as many IPv6 addresses as IPv4 ones", async () => {
    const { ec2, subnetId, nodeSubnet } = await dualStack();
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6AddressCount: 1 })).NetworkInterface!.NetworkInterfaceId!;
    const b = (await ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6AddressCount: 1 })).NetworkInterface!.NetworkInterfaceId!;
    const pod = "2001:db8:1234:1a04:4000::7";
    await ec2.assignIpv6Addresses({ NetworkInterfaceId: a, Ipv6Addresses: [pod] });
    expect(await codeOf(ec2.assignIpv6Addresses({ NetworkInterfaceId: b, Ipv6Addresses: [pod] }))).toMatch(/^Resource\.AlreadyAssigned/);
    expect(await codeOf(ec2.unassignIpv6Addresses({ NetworkInterfaceId: b, Ipv6Addresses: [pod] }))).toMatch(/^InvalidParameterValue: Some of the specified addresses are not assigned/);
    await ec2.unassignIpv6Addresses({ NetworkInterfaceId: a, Ipv6Addresses: [pod] });
    const out = await ec2.assignIpv6Addresses({ NetworkInterfaceId: b, Ipv6Addresses: [pod] });
    expect(out.AssignedIpv6Addresses).toEqual([pod]);
    expect(ec2.networkInterface(b)!.Ipv6Addresses!.map((x) => x.Ipv6Address)).toContain(pod);

    // t3.small: 4 IPv4 per ENI, so 4 IPv6 addresses (one is the ENI's own).
    const inst = ec2.launchInstance({ instanceType: "t3.small", subnetId: nodeSubnet });
    await ec2.attachNetworkInterface({ NetworkInterfaceId: a, InstanceId: inst.instanceId, DeviceIndex: 1 });
    await ec2.assignIpv6Addresses({ NetworkInterfaceId: a, Ipv6Addresses: ["2001:db8:1234:1a04:4000::1", "2001:db8:1234:1a04:4000::2", "2001:db8:1234:1a04:4000::3"] });
    expect(await codeOf(ec2.assignIpv6Addresses({ NetworkInterfaceId: a, Ipv6Addresses: ["2001:db8:1234:1a04:4000::4"] }))).toMatch(/^PrivateIpAddressLimitExceeded/);
  });

  test("GIVEN IPv6 CIDR reservations THEN they are listed as IPv6 ones, refused outside the /64 or overlapping, and a deleted one frees its space for DHCP", async () => {
    const { ec2, subnetId } = await dualStack();
    const listed = await ec2.getSubnetCidrReservations({ SubnetId: subnetId });
    expect(listed.SubnetIpv6CidrReservations!.map((r) => r.Cidr)).toEqual([POD_SPACE, WORKERS6]);
    expect(listed.SubnetIpv4CidrReservations).toEqual([]);
    expect(await codeOf(ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "2001:db8:1234:1a05::/120", ReservationType: "explicit" }))).toMatch(/is not within subnet CIDR 2001:db8:1234:1a04::\/64/);
    expect(await codeOf(ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "2001:db8:1234:1a04:4000::/120", ReservationType: "explicit" }))).toMatch(/has overlap with existing reserved CIDR block/);
    // Everything but the worker block reserved: the lowest DHCP pick lands in the worker block once it is freed.
    const rest = await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "2001:db8:1234:1a04::/66", ReservationType: "explicit" });
    expect(rest.SubnetCidrReservation!.Cidr).toBe("2001:db8:1234:1a04::/66");
    const workers = listed.SubnetIpv6CidrReservations!.find((r) => r.Cidr === WORKERS6)!;
    await ec2.deleteSubnetCidrReservation({ SubnetCidrReservationId: workers.SubnetCidrReservationId });
    ec2.setDhcpPolicy("lowest");
    // The first /66 holds AWS's four and is reserved, the pod space too: the lowest free address is the worker block's first.
    expect(ipv6Of(await ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6AddressCount: 1 }))).toEqual(["2001:db8:1234:1a04:8000::"]);
  });

  test("GIVEN a /64 THEN it is held sparsely: thousands of picks cost no per-address state, and DescribeSubnets shows the IPv6 CIDR associated", async () => {
    const { ec2, subnetId } = await dualStack();
    const start = Date.now();
    for (let i = 0; i < 200; i++) await ec2.createNetworkInterface({ SubnetId: subnetId, Ipv6AddressCount: 10 });
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(ec2.liveAddresses().filter((a) => a.ipv6)).toHaveLength(2000);
    const subnet = (await ec2.describeSubnets({ SubnetIds: [subnetId] })).Subnets![0]!;
    expect(subnet.Ipv6CidrBlockAssociationSet).toEqual([expect.objectContaining({ Ipv6CidrBlock: V6, Ipv6CidrBlockState: { State: "associated" } })]);
    expect(ec2.subnetInfo(subnetId).ipv6!.cidr).toBe(V6);
    expect(bigToIp6(ip6ToBig(ec2.liveAddresses().find((a) => a.ipv6)!.ip))).toMatch(/^2001:db8:1234:1a04:/);
  });

  test("GIVEN a foreign interface in a dual-stack subnet THEN it holds an IPv6 address from the DHCP space as well", async () => {
    const { ec2, subnetId } = await dualStack();
    const { eniId } = ec2.addForeignInterface(subnetId);
    const [ip] = ec2.networkInterface(eniId)!.Ipv6Addresses!.map((a) => a.Ipv6Address!);
    for (const r of [POD_SPACE, WORKERS6]) expect(contains6(parseCidr6(r, "r"), ip6ToBig(ip!))).toBe(false);
  });
});
