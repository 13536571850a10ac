import { CreateNetworkInterfaceCommand } from "@aws-sdk/client-ec2";
import { contains, ipToInt } from "../../contract/address";
import { bigToIp6, contains6, ip6ToBig, ipv6PodSpace, ipv6WorkerAddress } from "../../contract/address6";
import { World, world } from "./world";

/** The multus ENIs of an instance with the plan's subnet of each. */
function multusOf(w: World, instanceId: string) {
  return w.enisOf(instanceId)
    .filter((e) => e.Attachment!.DeviceIndex! > 0)
    .map((e) => ({ eni: e, plan: w.plan.subnets.find((p) => p.id === e.SubnetId)! }));
}

const ipv6Of = (e: { Ipv6Addresses?: { Ipv6Address?: string }[] }) => (e.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!);

describe("launch on dual-stack multus subnets", () => {
  it("GIVEN the static strategy WHEN instances launch THEN each worker ENI gets the IPv6 address at its IPv4 address's offset in the IPv6 worker block, in the same create call", async () => {
    const w = await world({ ipv6: true });
    for (let i = 0; i < 3; i++) {
      const { instanceId, event } = w.launch();
      expect((await w.handler(event)).result).toBe("CONTINUE");
      for (const { eni, plan } of multusOf(w, instanceId)) {
        const w4 = plan.workerBlocks.ng1!;
        const w6 = plan.ipv6!.workerBlocks.ng1!;
        expect(ipv6Of(eni)).toEqual([bigToIp6(ipv6WorkerAddress(w4, w6, ipToInt(eni.PrivateIpAddress!)))]);
        expect(contains6(w6, ip6ToBig(ipv6Of(eni)[0]!))).toBe(true);
      }
    }
    const creates = w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand).map((c) => c.args[0].input);
    expect(creates.every((c) => c.Ipv6Addresses?.length === 1 && c.Ipv6AddressCount === undefined)).toBe(true);
    // The log says which IPv6 address each ENI got.
    expect((w.logs.at(-1)!.enis as { ipv6?: string }[]).every((e) => e.ipv6 !== undefined)).toBe(true);
  });

  it("GIVEN the reservation strategy WHEN an instance launches THEN each ENI asks for one IPv6 address, which AWS takes from the DHCP space, never the pod space", async () => {
    const w = await world({ ipv6: true, strategy: "reservation" });
    for (const policy of ["random", "lowest", "adversarial"] as const) {
      w.model.setDhcpPolicy(policy);
      const { instanceId, event } = w.launch();
      expect((await w.handler(event)).result).toBe("CONTINUE");
      for (const { eni, plan } of multusOf(w, instanceId)) {
        const [ip] = ipv6Of(eni);
        expect(plan.ipv6!.dhcp.some((r) => contains6(r, ip6ToBig(ip!)))).toBe(true);
        expect(contains6(ipv6PodSpace(plan.ipv6!.subnet), ip6ToBig(ip!))).toBe(false);
      }
    }
    const creates = w.ec2Mock.commandCalls(CreateNetworkInterfaceCommand).map((c) => c.args[0].input);
    expect(creates.every((c) => c.Ipv6AddressCount === 1)).toBe(true);
  });

  it("GIVEN another interface takes the chosen IPv6 partner first WHEN the create fails InUse THEN the handler retries with another pair of addresses and the pair still matches", async () => {
    const w = await world({ ipv6: true, subnets: 1 });
    const { instanceId, event } = w.launch();
    let stolen: string | undefined;
    w.ec2Mock
      .on(CreateNetworkInterfaceCommand)
      .callsFakeOnce(async (input) => {
        // Someone assigns the IPv6 address by hand between the handler's read and its create.
        stolen = input.Ipv6Addresses![0]!.Ipv6Address;
        await w.model.createNetworkInterface({ SubnetId: input.SubnetId, Ipv6Addresses: [{ Ipv6Address: stolen }] });
        return w.model.createNetworkInterface(input);
      })
      .callsFake((input) => w.model.createNetworkInterface(input));
    expect((await w.handler(event)).result).toBe("CONTINUE");
    const { eni, plan } = multusOf(w, instanceId)[0]!;
    expect(ipv6Of(eni)).not.toEqual([stolen]);
    expect(ipv6Of(eni)).toEqual([bigToIp6(ipv6WorkerAddress(plan.workerBlocks.ng1!, plan.ipv6!.workerBlocks.ng1!, ipToInt(eni.PrivateIpAddress!)))]);
    expect((w.logs[0]!.enis as { attempts: number }[])[0]!.attempts).toBe(2);
  });

  it("GIVEN an interface already holding the IPv6 partner of the first free worker address WHEN an instance launches THEN the handler sees the pair taken and picks the next one at once", async () => {
    const w = await world({ ipv6: true, subnets: 1 });
    const s = w.plan.subnets[0]!;
    const w4 = s.workerBlocks.ng1!;
    await w.model.createNetworkInterface({ SubnetId: s.id, Ipv6Addresses: [{ Ipv6Address: bigToIp6(ipv6WorkerAddress(w4, s.ipv6!.workerBlocks.ng1!, w4.first)) }] });
    const { instanceId, event } = w.launch();
    expect((await w.handler(event)).result).toBe("CONTINUE");
    const { eni } = multusOf(w, instanceId)[0]!;
    expect(ipToInt(eni.PrivateIpAddress!)).toBe(w4.first + 1);
    expect(contains(w4, ipToInt(eni.PrivateIpAddress!))).toBe(true);
    expect((w.logs[0]!.enis as { attempts: number }[])[0]!.attempts).toBe(1);
  });
});
