/**
 * Model-based test of the EC2 model (fc.commands): random sequences of creates (fixed and
 * DHCP), deletes, secondary assignments and reservations against a plain reference that says
 * what AWS documents should happen. After every command the model's addresses, its DHCP-free
 * count and the outcome (or error code) must match the reference.
 */
import fc from "fast-check";
import { intToIp, isAwsReserved, parseSubnet } from "../../../ipam";
import { DHCP_POLICIES, DhcpPolicy, Ec2Model } from "../../../simulator/ec2/model";

const CIDR = "10.0.4.0/26";
const SUBNET = parseSubnet(CIDR, "cidr");
const ID = "subnet-0c0ffee0c0ffee004";

interface Ref {
  /** ip → ENI id */
  used: Map<number, string>;
  /** ENI id → its addresses, primary first */
  enis: Map<string, number[]>;
  reservations: { first: number; last: number; type: "explicit" | "prefix" }[];
}

interface Real {
  ec2: Ec2Model;
}

const reservedKind = (ref: Ref, ip: number) => ref.reservations.find((r) => ip >= r.first && ip <= r.last)?.type;
const dhcpEligible = (ref: Ref, ip: number) => !isAwsReserved(SUBNET, ip) && !reservedKind(ref, ip) && !ref.used.has(ip);

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as Error).name;
  }
}

function check(ref: Ref, real: Real): void {
  const live = real.ec2.liveAddresses().filter((a) => a.subnetId === ID);
  const got = new Map(live.map((a) => [a.ip, a.eniId]));
  expect(got).toEqual(new Map([...ref.used].map(([ip, id]) => [intToIp(ip), id])));
  let eligible = 0;
  for (let ip = SUBNET.base; ip <= SUBNET.last; ip++) if (dhcpEligible(ref, ip)) eligible++;
  expect(real.ec2.dhcpFreeCount(ID)).toBe(eligible);
}

class CreateFixed implements fc.AsyncCommand<Ref, Real> {
  constructor(readonly offset: number) {}
  check = () => true;
  async run(ref: Ref, real: Real) {
    const ip = SUBNET.base + this.offset;
    const expected = isAwsReserved(SUBNET, ip) || reservedKind(ref, ip) === "prefix" ? "InvalidParameterValue" : ref.used.has(ip) ? "InvalidIPAddress.InUse" : "ok";
    let id = "";
    const got = await outcome(real.ec2.createNetworkInterface({ SubnetId: ID, PrivateIpAddress: intToIp(ip) }).then((o) => (id = o.NetworkInterface!.NetworkInterfaceId!)));
    expect(got).toBe(expected);
    if (got === "ok") {
      ref.used.set(ip, id);
      ref.enis.set(id, [ip]);
    }
    check(ref, real);
  }
  toString = () => `CreateFixed(.${this.offset})`;
}

class CreateDhcp implements fc.AsyncCommand<Ref, Real> {
  check = () => true;
  async run(ref: Ref, real: Real) {
    let eligible = 0;
    for (let ip = SUBNET.base; ip <= SUBNET.last; ip++) if (dhcpEligible(ref, ip)) eligible++;
    let ip = 0;
    let id = "";
    const got = await outcome(
      real.ec2.createNetworkInterface({ SubnetId: ID }).then((o) => {
        id = o.NetworkInterface!.NetworkInterfaceId!;
        ip = SUBNET.base + Number(o.NetworkInterface!.PrivateIpAddress!.split(".")[3]);
      }),
    );
    expect(got).toBe(eligible ? "ok" : "InsufficientFreeAddressesInSubnet");
    if (got === "ok") {
      expect(dhcpEligible(ref, ip)).toBe(true);
      ref.used.set(ip, id);
      ref.enis.set(id, [ip]);
    }
    check(ref, real);
  }
  toString = () => "CreateDhcp";
}

class Delete implements fc.AsyncCommand<Ref, Real> {
  constructor(readonly pick: number) {}
  check = (ref: Readonly<Ref>) => ref.enis.size > 0;
  async run(ref: Ref, real: Real) {
    const id = [...ref.enis.keys()][this.pick % ref.enis.size]!;
    await real.ec2.deleteNetworkInterface({ NetworkInterfaceId: id });
    for (const ip of ref.enis.get(id)!) ref.used.delete(ip);
    ref.enis.delete(id);
    check(ref, real);
  }
  toString = () => `Delete(#${this.pick})`;
}

class AssignSecondary implements fc.AsyncCommand<Ref, Real> {
  constructor(
    readonly pick: number,
    readonly offset: number,
    readonly reassign: boolean,
  ) {}
  check = (ref: Readonly<Ref>) => ref.enis.size > 0;
  async run(ref: Ref, real: Real) {
    const id = [...ref.enis.keys()][this.pick % ref.enis.size]!;
    const ip = SUBNET.base + this.offset;
    const holder = ref.used.get(ip);
    const holderIps = holder ? ref.enis.get(holder)! : [];
    let expected: string;
    if (isAwsReserved(SUBNET, ip) || reservedKind(ref, ip) === "prefix") expected = "InvalidParameterValue";
    else if (holder === undefined || holder === id) expected = "ok";
    else if (holderIps[0] === ip || !this.reassign) expected = "Resource.AlreadyAssigned";
    else expected = "ok";
    const got = await outcome(real.ec2.assignPrivateIpAddresses({ NetworkInterfaceId: id, PrivateIpAddresses: [intToIp(ip)], AllowReassignment: this.reassign }));
    expect(got).toBe(expected);
    if (got === "ok" && holder !== id) {
      if (holder !== undefined) ref.enis.set(holder, holderIps.filter((x) => x !== ip));
      ref.used.set(ip, id);
      ref.enis.get(id)!.push(ip);
    }
    check(ref, real);
  }
  toString = () => `AssignSecondary(#${this.pick}, .${this.offset}, reassign=${this.reassign})`;
}

class Reserve implements fc.AsyncCommand<Ref, Real> {
  constructor(
    readonly start: number,
    readonly prefix: number,
    readonly type: "explicit" | "prefix",
  ) {}
  check = () => true;
  async run(ref: Ref, real: Real) {
    const size = 2 ** (32 - this.prefix);
    const first = SUBNET.base + Math.floor(this.start / size) * size;
    const last = first + size - 1;
    const overlap = ref.reservations.some((r) => r.first <= last && first <= r.last);
    const got = await outcome(real.ec2.createSubnetCidrReservation({ SubnetId: ID, Cidr: `${intToIp(first)}/${this.prefix}`, ReservationType: this.type }));
    expect(got).toBe(overlap ? "InvalidParameterValue" : "ok");
    // Addresses in use stay assigned; only DHCP eligibility changes.
    if (got === "ok") ref.reservations.push({ first, last, type: this.type });
    check(ref, real);
  }
  toString = () => `Reserve(.${this.start}/${this.prefix} ${this.type})`;
}

const offset = fc.integer({ min: 0, max: SUBNET.size - 1 });
const commands = [
  offset.map((o) => new CreateFixed(o)),
  fc.constant(new CreateDhcp()),
  fc.constant(new CreateDhcp()),
  fc.nat(20).map((k) => new Delete(k)),
  fc.tuple(fc.nat(20), offset, fc.boolean()).map(([k, o, r]) => new AssignSecondary(k, o, r)),
  fc.tuple(offset, fc.integer({ min: 28, max: 32 }), fc.constantFrom<"explicit" | "prefix">("explicit", "prefix")).map(([o, p, t]) => new Reserve(o, p, t)),
];

describe("Ec2Model against a reference (fc.commands)", () => {
  test("GIVEN any sequence of creates, deletes, assignments and reservations WHEN run THEN outcomes, addresses and DHCP-free counts match the reference", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), fc.constantFrom<DhcpPolicy>(...DHCP_POLICIES), fc.nat(), async (cmds, dhcp, seed) => {
        const ec2 = new Ec2Model({ dhcp, seed });
        ec2.addSubnet({ cidr: CIDR, id: ID, availabilityZone: "us-west-2a" });
        await fc.asyncModelRun(() => ({ model: { used: new Map(), enis: new Map(), reservations: [] } as Ref, real: { ec2 } }), cmds);
      }),
      { numRuns: 60 },
    );
  });
});
