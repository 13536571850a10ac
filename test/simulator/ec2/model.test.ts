import fc from "fast-check";
import { intToIp, ipToInt, isAwsReserved, parseSubnet } from "../../../ipam";
import { DhcpPolicy, Ec2Model } from "../../../simulator/ec2/model";
import { codeOf } from "./helpers";

const AZ = "us-west-2a";

function world(opts: ConstructorParameters<typeof Ec2Model>[0] = {}, cidr = "10.0.4.0/24") {
  const ec2 = new Ec2Model({ seed: 7, ...opts });
  const { subnetId } = ec2.addSubnet({ cidr, availabilityZone: AZ, id: "subnet-00000000000000004" });
  const nodes = ec2.addSubnet({ cidr: "10.0.0.0/22", availabilityZone: AZ, id: "subnet-00000000000000001" });
  return { ec2, subnetId, nodeSubnet: nodes.subnetId };
}

describe("Ec2Model: fixed-address CreateNetworkInterface", () => {
  test("GIVEN a free address WHEN created THEN the ENI holds it and is available with a tag", async () => {
    const { ec2, subnetId } = world();
    const out = await ec2.createNetworkInterface({
      SubnetId: subnetId,
      PrivateIpAddress: "10.0.4.10",
      Groups: ["sg-1"],
      TagSpecifications: [{ ResourceType: "network-interface", Tags: [{ Key: "multus", Value: "true" }] }],
    });
    const eni = out.NetworkInterface!;
    expect(eni.PrivateIpAddress).toBe("10.0.4.10");
    expect(eni.Status).toBe("available");
    expect(eni.AvailabilityZone).toBe(AZ);
    expect(eni.TagSet).toEqual([{ Key: "multus", Value: "true" }]);
    expect(ec2.liveAddresses().map((a) => a.ip)).toContain("10.0.4.10");
  });

  test("GIVEN a taken address WHEN created again THEN InvalidIPAddress.InUse and nothing changes", async () => {
    const { ec2, subnetId } = world();
    await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.10" });
    const before = ec2.liveAddresses().length;
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.10" }))).toBe(
      "InvalidIPAddress.InUse: The specified IP address is already in use.",
    );
    expect(ec2.liveAddresses().length).toBe(before);
  });

  test.each(["10.0.4.0", "10.0.4.1", "10.0.4.2", "10.0.4.3", "10.0.4.255"])(
    "GIVEN the AWS-reserved address %s WHEN requested THEN InvalidParameterValue names the reserved range",
    async (ip) => {
      const { ec2, subnetId } = world();
      expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: ip }))).toMatch(
        /^InvalidParameterValue: Address .* is in subnet's reserved address range/,
      );
    },
  );

  test("GIVEN an address outside the subnet WHEN requested THEN InvalidParameterValue", async () => {
    const { ec2, subnetId } = world();
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.5.10" }))).toMatch(/^InvalidParameterValue: .*does not fall within/);
  });

  test("GIVEN an unknown subnet WHEN used THEN InvalidSubnetID.NotFound", async () => {
    const { ec2 } = world();
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: "subnet-nope" }))).toMatch(/^InvalidSubnetID.NotFound/);
  });

  test("GIVEN an explicit reservation WHEN an address inside it is requested by hand THEN it is granted, but DHCP never picks it", async () => {
    const { ec2, subnetId } = world({ dhcp: "lowest" }, "10.0.4.0/28");
    await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.4/30", ReservationType: "explicit" });
    const fixed = await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.5" });
    expect(fixed.NetworkInterface!.PrivateIpAddress).toBe("10.0.4.5");
    const dhcp = await ec2.createNetworkInterface({ SubnetId: subnetId });
    expect(dhcp.NetworkInterface!.PrivateIpAddress).toBe("10.0.4.8");
  });

  test("GIVEN a prefix reservation WHEN an address inside it is requested by hand THEN InvalidParameterValue", async () => {
    const { ec2, subnetId } = world();
    await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.16/28", ReservationType: "prefix" });
    expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.20" }))).toMatch(/^InvalidParameterValue/);
  });
});

describe("Ec2Model: DHCP", () => {
  const policies: DhcpPolicy[] = ["random", "lowest", "adversarial"];

  test.each(policies)(
    "GIVEN policy %s, reservations and used addresses WHEN DHCP fills a /27 THEN it never picks AWS-reserved, reserved or used addresses, then runs out",
    async (policy) => {
      const { ec2, subnetId } = world({ dhcp: policy }, "10.0.4.0/27");
      await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.8/29", ReservationType: "explicit" });
      await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.24/30", ReservationType: "prefix" });
      await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.5" });
      const subnet = parseSubnet("10.0.4.0/27", "cidr");
      const expected = [];
      for (let ip = subnet.base; ip <= subnet.last; ip++) {
        const reserved = (ip >= ipToInt("10.0.4.8") && ip <= ipToInt("10.0.4.15")) || (ip >= ipToInt("10.0.4.24") && ip <= ipToInt("10.0.4.27"));
        if (!isAwsReserved(subnet, ip) && !reserved && ip !== ipToInt("10.0.4.5")) expected.push(intToIp(ip));
      }
      const got: string[] = [];
      for (let i = 0; i < expected.length; i++) got.push((await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!.PrivateIpAddress!);
      expect([...got].sort()).toEqual([...expected].sort());
      expect(await codeOf(ec2.createNetworkInterface({ SubnetId: subnetId }))).toMatch(/^InsufficientFreeAddressesInSubnet: The specified subnet .* does not contain enough free private IP addresses/);
    },
  );

  test("GIVEN policy lowest WHEN an ENI is deleted THEN its address is the next DHCP pick", async () => {
    const { ec2, subnetId } = world({ dhcp: "lowest" });
    const a = await ec2.createNetworkInterface({ SubnetId: subnetId });
    await ec2.createNetworkInterface({ SubnetId: subnetId });
    expect(a.NetworkInterface!.PrivateIpAddress).toBe("10.0.4.4");
    await ec2.deleteNetworkInterface({ NetworkInterfaceId: a.NetworkInterface!.NetworkInterfaceId });
    expect((await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!.PrivateIpAddress).toBe("10.0.4.4");
  });

  test("GIVEN the same seed WHEN two models pick randomly THEN they pick the same addresses (replayable)", async () => {
    const picks = async () => {
      const { ec2, subnetId } = world({ seed: 42 });
      const out = [];
      for (let i = 0; i < 5; i++) out.push((await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!.PrivateIpAddress);
      return out;
    };
    expect(await picks()).toEqual(await picks());
  });

  test("GIVEN a /16 WHEN 20,000 DHCP interfaces are created THEN every address is distinct and usable (fast: no scan per pick)", () => {
    const ec2 = new Ec2Model({ seed: 3 });
    const { subnetId } = ec2.addSubnet({ cidr: "10.1.0.0/16", availabilityZone: AZ });
    const subnet = parseSubnet("10.1.0.0/16", "cidr");
    for (let i = 0; i < 20000; i++) ec2.addForeignInterface(subnetId);
    const ips = ec2.liveAddresses().map((a) => ipToInt(a.ip));
    expect(new Set(ips).size).toBe(20000);
    expect(ips.every((ip) => ip > subnet.base + 3 && ip < subnet.last)).toBe(true);
    expect(ec2.dhcpFreeCount(subnetId)).toBe(65536 - 5 - 20000);
  });

  test("GIVEN random pairs of creates and deletes WHEN run THEN live addresses stay unique and DHCP-free count matches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.constant<"create">("create"), fc.nat(50)), { maxLength: 60 }), fc.constantFrom<DhcpPolicy>("random", "lowest", "adversarial"), async (ops, dhcp) => {
        const { ec2, subnetId } = world({ dhcp }, "10.0.4.0/26");
        for (const op of ops) {
          if (op === "create") {
            if (ec2.dhcpFreeCount(subnetId) > 0) await ec2.createNetworkInterface({ SubnetId: subnetId });
          } else {
            const ids = ec2.networkInterfaceIds(subnetId);
            if (ids.length) await ec2.deleteNetworkInterface({ NetworkInterfaceId: ids[op % ids.length] });
          }
        }
        const ips = ec2.liveAddresses().filter((a) => a.subnetId === subnetId).map((a) => a.ip);
        expect(new Set(ips).size).toBe(ips.length);
        expect(ec2.dhcpFreeCount(subnetId)).toBe(64 - 5 - ips.length);
      }),
      { numRuns: 40 },
    );
  });
});

describe("Ec2Model: attach, modify, delete, terminate", () => {
  test("GIVEN an instance WHEN an ENI is attached, marked DeleteOnTermination and the instance terminated THEN the ENI and its address are gone", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    const eni = (await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.9" })).NetworkInterface!;
    const att = await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    expect(att.AttachmentId).toMatch(/^eni-attach-/);
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni.NetworkInterfaceId, Attachment: { AttachmentId: att.AttachmentId, DeleteOnTermination: true } });
    await ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: eni.NetworkInterfaceId, SourceDestCheck: { Value: false } });
    const seen = (await ec2.describeNetworkInterfaces({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] })).NetworkInterfaces![0]!;
    expect(seen.Status).toBe("in-use");
    expect(seen.SourceDestCheck).toBe(false);
    expect(seen.Attachment).toMatchObject({ InstanceId: inst.instanceId, DeviceIndex: 1, DeleteOnTermination: true });
    ec2.terminateInstance(inst.instanceId);
    expect(ec2.liveAddresses().some((a) => a.ip === "10.0.4.9" || a.ip === inst.privateIpAddress)).toBe(false);
    expect(ec2.instanceState(inst.instanceId)).toBe("terminated");
  });

  test("GIVEN an attached ENI without DeleteOnTermination WHEN the instance terminates THEN the ENI is left available, still holding its address", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    const eni = (await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.9" })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    expect(await codeOf(ec2.deleteNetworkInterface({ NetworkInterfaceId: eni.NetworkInterfaceId }))).toMatch(/^InvalidNetworkInterface.InUse/);
    ec2.terminateInstance(inst.instanceId);
    expect(ec2.networkInterface(eni.NetworkInterfaceId!)!.Status).toBe("available");
    expect(ec2.liveAddresses().some((a) => a.ip === "10.0.4.9")).toBe(true);
  });

  test("GIVEN a c5.large (3 ENIs) WHEN a fourth ENI is attached THEN AttachmentLimitExceeded", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.large", subnetId: nodeSubnet });
    for (const d of [1, 2]) {
      const e = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
      await ec2.attachNetworkInterface({ NetworkInterfaceId: e.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: d });
    }
    const e = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: e.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 3 }))).toMatch(/^AttachmentLimitExceeded/);
  });

  test("GIVEN a device index in use, another AZ, an unknown instance or ENI WHEN attaching THEN the matching error", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const other = ec2.addSubnet({ cidr: "10.0.8.0/24", availabilityZone: "us-west-2b" }).subnetId;
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const b = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const far = (await ec2.createNetworkInterface({ SubnetId: other })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: b.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 }))).toMatch(/^InvalidParameterValue: .*device index '1'/);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: far.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 2 }))).toMatch(/^InvalidParameterValue: .*availability zone/);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: b.NetworkInterfaceId, InstanceId: "i-0000", DeviceIndex: 2 }))).toMatch(/^InvalidInstanceID.NotFound/);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: "eni-0000", InstanceId: inst.instanceId, DeviceIndex: 2 }))).toMatch(/^InvalidNetworkInterfaceID.NotFound/);
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 2 }))).toMatch(/^InvalidNetworkInterface.InUse/);
  });

  test("GIVEN a terminated instance WHEN an ENI is attached THEN IncorrectInstanceState", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    ec2.terminateInstance(inst.instanceId);
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    expect(await codeOf(ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 }))).toMatch(/^IncorrectInstanceState/);
  });

  test("GIVEN two attributes in one ModifyNetworkInterfaceAttribute THEN it is refused (one attribute per call)", async () => {
    const { ec2, subnetId } = world();
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    expect(await codeOf(ec2.modifyNetworkInterfaceAttribute({ NetworkInterfaceId: a.NetworkInterfaceId, SourceDestCheck: { Value: false }, Description: { Value: "x" } }))).toMatch(/^InvalidParameterCombination/);
  });

  test("GIVEN an attached ENI WHEN detached THEN it is available; the primary ENI cannot be detached", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const att = await ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    await ec2.detachNetworkInterface({ AttachmentId: att.AttachmentId });
    expect(ec2.networkInterface(a.NetworkInterfaceId!)!.Status).toBe("available");
    const primaryAtt = ec2.networkInterface(inst.primaryEniId)!.Attachment!.AttachmentId;
    expect(await codeOf(ec2.detachNetworkInterface({ AttachmentId: primaryAtt }))).toMatch(/^OperationNotPermitted/);
  });
});

describe("Ec2Model: secondary addresses", () => {
  test("GIVEN an attached ENI on a c5.large (10 IPv4 per ENI) WHEN 10 secondaries are asked THEN PrivateIpAddressLimitExceeded, 9 fit", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.large", subnetId: nodeSubnet });
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    expect(await codeOf(ec2.assignPrivateIpAddresses({ NetworkInterfaceId: a.NetworkInterfaceId, SecondaryPrivateIpAddressCount: 10 }))).toMatch(/^PrivateIpAddressLimitExceeded/);
    const out = await ec2.assignPrivateIpAddresses({ NetworkInterfaceId: a.NetworkInterfaceId, SecondaryPrivateIpAddressCount: 9 });
    expect(out.AssignedPrivateIpAddresses).toHaveLength(9);
  });

  test("GIVEN an address on another ENI WHEN assigned without AllowReassignment THEN Resource.AlreadyAssigned; with it THEN the address moves", async () => {
    const { ec2, subnetId } = world();
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const b = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    await ec2.assignPrivateIpAddresses({ NetworkInterfaceId: a.NetworkInterfaceId, PrivateIpAddresses: ["10.0.4.200"] });
    expect(await codeOf(ec2.assignPrivateIpAddresses({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: ["10.0.4.200"] }))).toMatch(/^Resource.AlreadyAssigned/);
    await ec2.assignPrivateIpAddresses({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: ["10.0.4.200"], AllowReassignment: true });
    const holders = ec2.liveAddresses().filter((x) => x.ip === "10.0.4.200").map((x) => x.eniId);
    expect(holders).toEqual([b.NetworkInterfaceId]);
    await ec2.unassignPrivateIpAddresses({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: ["10.0.4.200"] });
    expect(ec2.liveAddresses().some((x) => x.ip === "10.0.4.200")).toBe(false);
  });

  test("GIVEN another ENI's primary address WHEN assigned even with AllowReassignment THEN refused", async () => {
    const { ec2, subnetId } = world();
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const b = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    expect(await codeOf(ec2.assignPrivateIpAddresses({ NetworkInterfaceId: b.NetworkInterfaceId, PrivateIpAddresses: [a.PrivateIpAddress!], AllowReassignment: true }))).toMatch(/^Resource.AlreadyAssigned/);
  });
});

describe("Ec2Model: describe", () => {
  test("GIVEN tagged and untagged ENIs in two subnets WHEN filtered THEN filters AND across names, OR within values, with wildcards", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const tag = (v: string) => [{ ResourceType: "network-interface" as const, Tags: [{ Key: "role", Value: v }] }];
    await ec2.createNetworkInterface({ SubnetId: subnetId, TagSpecifications: tag("multus-a") });
    await ec2.createNetworkInterface({ SubnetId: subnetId, TagSpecifications: tag("other") });
    await ec2.createNetworkInterface({ SubnetId: nodeSubnet, TagSpecifications: tag("multus-b") });
    const q = async (Filters: { Name: string; Values: string[] }[]) => (await ec2.describeNetworkInterfaces({ Filters })).NetworkInterfaces!.length;
    expect(await q([{ Name: "subnet-id", Values: [subnetId] }])).toBe(2);
    expect(await q([{ Name: "tag:role", Values: ["multus-*"] }])).toBe(2);
    expect(await q([{ Name: "tag:role", Values: ["multus-*"] }, { Name: "subnet-id", Values: [subnetId] }])).toBe(1);
    expect(await q([{ Name: "tag-key", Values: ["role"] }])).toBe(3);
    expect(await q([{ Name: "status", Values: ["in-use"] }])).toBe(0);
    expect(await codeOf(ec2.describeNetworkInterfaces({ Filters: [{ Name: "bogus", Values: ["x"] }] }))).toMatch(/^InvalidParameterValue: The filter 'bogus' is invalid/);
  });

  test("GIVEN 23 ENIs WHEN paged with MaxResults 5 THEN the pages hold each ENI once", async () => {
    const { ec2, subnetId } = world();
    for (let i = 0; i < 23; i++) ec2.addForeignInterface(subnetId);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await ec2.describeNetworkInterfaces({ Filters: [{ Name: "subnet-id", Values: [subnetId] }], MaxResults: 5, NextToken: token });
      seen.push(...page.NetworkInterfaces!.map((n) => n.NetworkInterfaceId!));
      token = page.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect(await codeOf(ec2.describeNetworkInterfaces({ MaxResults: 2 }))).toMatch(/^InvalidParameterValue/);
  });

  test("GIVEN addresses in use WHEN DescribeSubnets THEN AvailableIpAddressCount is usable minus used and the AZ is reported", async () => {
    const { ec2, subnetId } = world();
    for (let i = 0; i < 3; i++) ec2.addForeignInterface(subnetId);
    const s = (await ec2.describeSubnets({ SubnetIds: [subnetId] })).Subnets![0]!;
    expect(s).toMatchObject({ CidrBlock: "10.0.4.0/24", AvailabilityZone: AZ, AvailableIpAddressCount: 251 - 3 });
  });

  test("GIVEN an instance with a secondary ENI WHEN DescribeInstances THEN it lists both ENIs with device indexes, and its type limits are described", async () => {
    const { ec2, subnetId, nodeSubnet } = world();
    const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    await ec2.attachNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: inst.instanceId, DeviceIndex: 1 });
    const i = (await ec2.describeInstances({ InstanceIds: [inst.instanceId] })).Reservations![0]!.Instances![0]!;
    expect(i.Placement!.AvailabilityZone).toBe(AZ);
    expect(i.State!.Name).toBe("running");
    expect(i.NetworkInterfaces!.map((n) => n.Attachment!.DeviceIndex).sort()).toEqual([0, 1]);
    const t = (await ec2.describeInstanceTypes({ InstanceTypes: ["c5.2xlarge"] })).InstanceTypes![0]!;
    expect(t.NetworkInfo).toEqual({
      MaximumNetworkInterfaces: 4,
      MaximumNetworkCards: 1,
      DefaultNetworkCardIndex: 0,
      NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 4 }],
      Ipv4AddressesPerInterface: 15,
    });
    expect(await codeOf(ec2.describeInstances({ InstanceIds: ["i-nope"] }))).toMatch(/^InvalidInstanceID.NotFound/);
  });

  test("GIVEN CreateTags on an ENI THEN a tag filter finds it", async () => {
    const { ec2, subnetId } = world();
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    await ec2.createTags({ Resources: [a.NetworkInterfaceId!], Tags: [{ Key: "k", Value: "v" }] });
    expect((await ec2.describeNetworkInterfaces({ Filters: [{ Name: "tag:k", Values: ["v"] }] })).NetworkInterfaces!.map((n) => n.NetworkInterfaceId)).toEqual([a.NetworkInterfaceId]);
  });
});

describe("Ec2Model: reservations", () => {
  test("GIVEN a reservation WHEN an overlapping one is made THEN InvalidParameterValue with AWS's observed message", async () => {
    const { ec2, subnetId } = world();
    await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.128/25", ReservationType: "explicit" });
    expect(await codeOf(ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.160/28", ReservationType: "explicit" }))).toBe(
      "InvalidParameterValue: Reservation CIDR 10.0.4.160/28 has overlap with existing reserved CIDR block",
    );
    expect(await codeOf(ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.5.0/28", ReservationType: "explicit" }))).toMatch(/^InvalidParameterValue/);
    expect(await codeOf(ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.0/28", ReservationType: "bogus" as never }))).toMatch(/^InvalidParameterValue/);
    const got = await ec2.getSubnetCidrReservations({ SubnetId: subnetId });
    expect(got.SubnetIpv4CidrReservations!.map((r) => [r.Cidr, r.ReservationType])).toEqual([["10.0.4.128/25", "explicit"]]);
  });

  test("GIVEN an address in use WHEN a reservation covers it THEN the address stays assigned; after deletion of the reservation DHCP may use its free addresses again", async () => {
    const { ec2, subnetId } = world({ dhcp: "lowest" }, "10.0.4.0/28");
    await ec2.createNetworkInterface({ SubnetId: subnetId, PrivateIpAddress: "10.0.4.4" });
    const r = await ec2.createSubnetCidrReservation({ SubnetId: subnetId, Cidr: "10.0.4.0/29", ReservationType: "explicit" });
    expect(ec2.liveAddresses().some((a) => a.ip === "10.0.4.4")).toBe(true);
    expect((await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!.PrivateIpAddress).toBe("10.0.4.8");
    await ec2.deleteSubnetCidrReservation({ SubnetCidrReservationId: r.SubnetCidrReservation!.SubnetCidrReservationId });
    expect((await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!.PrivateIpAddress).toBe("10.0.4.5");
  });
});

describe("Ec2Model: faults", () => {
  test("GIVEN throttle rate 1 WHEN any SDK call is made THEN RequestLimitExceeded (retryable, throttling) and nothing changes", async () => {
    const { ec2, subnetId } = world({ throttle: 1 });
    await expect(ec2.createNetworkInterface({ SubnetId: subnetId })).rejects.toMatchObject({ name: "RequestLimitExceeded", $retryable: { throttling: true } });
    expect(ec2.liveAddresses().filter((a) => a.subnetId === subnetId)).toHaveLength(0);
    ec2.setFaults({ throttle: 0 });
    const eni = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    expect(ec2.liveAddresses().filter((a) => a.subnetId === subnetId)).toEqual([expect.objectContaining({ eniId: eni.NetworkInterfaceId, ip: eni.PrivateIpAddress })]);
  });

  test("GIVEN a throttle function WHEN it picks the 2nd call THEN only that call fails", async () => {
    const { ec2, subnetId, nodeSubnet } = world({ throttle: (c) => c.index === 1 });
    await ec2.describeSubnets({});
    await expect(ec2.describeSubnets({ SubnetIds: [subnetId] })).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    await expect(ec2.describeSubnets({})).resolves.toMatchObject({ Subnets: [{ SubnetId: subnetId }, { SubnetId: nodeSubnet }] });
    expect(ec2.calls.get("DescribeSubnets")).toBe(3);
  });

  test("GIVEN consistency lag 3 WHEN an ENI was just created THEN some read may miss it, but after 3 further steps every read sees it", async () => {
    const { ec2, subnetId } = world({ consistencyLag: 3, seed: 11 });
    const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
    const visible: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const seen = (await ec2.describeNetworkInterfaces({ Filters: [{ Name: "subnet-id", Values: [subnetId] }] })).NetworkInterfaces!;
      visible.push(seen.some((n) => n.NetworkInterfaceId === a.NetworkInterfaceId));
    }
    expect(visible.slice(3).every(Boolean)).toBe(true);
    // Without lag the same reads always see it: the lag is what hides it.
    const { ec2: fresh, subnetId: s2 } = world({ consistencyLag: 0 });
    const b = (await fresh.createNetworkInterface({ SubnetId: s2 })).NetworkInterface!;
    expect((await fresh.describeNetworkInterfaces({})).NetworkInterfaces!.some((n) => n.NetworkInterfaceId === b.NetworkInterfaceId)).toBe(true);
  });

  test("GIVEN consistency lag WHEN many reads follow a create THEN at least one read misses the new ENI (the lag is real)", async () => {
    const misses = [];
    for (let seed = 1; seed <= 20; seed++) {
      const { ec2, subnetId } = world({ consistencyLag: 5, seed });
      const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
      const seen = (await ec2.describeNetworkInterfaces({})).NetworkInterfaces!;
      misses.push(!seen.some((n) => n.NetworkInterfaceId === a.NetworkInterfaceId));
    }
    expect(misses.some(Boolean)).toBe(true);
  });

  test("GIVEN instance lag WHEN an instance was just launched THEN some read answers InvalidInstanceID.NotFound, and after the lag every read finds it with its ENIs", async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const { ec2, nodeSubnet } = world({ instanceLag: 2, seed });
      const inst = ec2.launchInstance({ instanceType: "c5.2xlarge", subnetId: nodeSubnet });
      outcomes.push(await ec2.describeInstances({ InstanceIds: [inst.instanceId] }).then(() => "found", (e: Error) => e.name));
      await ec2.describeSubnets({});
      await ec2.describeSubnets({});
      const later = (await ec2.describeInstances({ InstanceIds: [inst.instanceId] })).Reservations![0]!.Instances![0]!;
      expect(later.NetworkInterfaces!.map((n) => n.Attachment!.DeviceIndex)).toEqual([0]);
    }
    expect(outcomes).toContain("InvalidInstanceID.NotFound");
    expect(outcomes).toContain("found");
  });

  test("GIVEN consistency lag WHEN an ENI is deleted THEN a lagged read may still list it, and later reads do not", async () => {
    const listedRightAfter: boolean[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const { ec2, subnetId } = world({ consistencyLag: 2, seed });
      const a = (await ec2.createNetworkInterface({ SubnetId: subnetId })).NetworkInterface!;
      await ec2.describeSubnets({});
      await ec2.describeSubnets({});
      await ec2.deleteNetworkInterface({ NetworkInterfaceId: a.NetworkInterfaceId });
      const lists = async () => (await ec2.describeNetworkInterfaces({})).NetworkInterfaces!.some((n) => n.NetworkInterfaceId === a.NetworkInterfaceId);
      listedRightAfter.push(await lists());
      await ec2.describeSubnets({});
      await ec2.describeSubnets({});
      expect(await lists()).toBe(false);
    }
    // Some read right after the delete still listed the ENI (the lag is real), and some did not.
    expect(listedRightAfter).toContain(true);
    expect(listedRightAfter).toContain(false);
  });
});
