import { Construct } from "constructs";
import { Ec2SubnetCidrReservation } from "@cdktf/provider-aws/lib/ec2-subnet-cidr-reservation";
import { parseCidr, rangeInside, usableRange, overlaps } from "../../contract/address";
import { Subnet6, overlaps6, parseCidr6, parseSubnet6, rangeInside6, usableRange6 } from "../../contract/address6";
import { cidrBounds } from "../../ipam/cidr";
import type { Reservation } from "../../ipam/layout";
import type { PlannedSubnet } from "../../ipam/plan";
import { PropChecker } from "./common";

/** One multus subnet and what the plan reserves in it (a PlannedSubnet fits). */
export interface ReservedSubnet {
  /** EC2 subnet id (may be a Terraform reference). */
  readonly id: string;
  readonly subnet: { readonly cidr: string };
  readonly strategy: PlannedSubnet["strategy"];
  readonly reservations: readonly (Reservation & { readonly owner?: string })[];
  /** Node groups sharing the subnet: with several, each reservation's description names its owner. @default one */
  readonly groups?: readonly string[];
  /** A dual-stack subnet: its IPv6 /64 and the IPv6 CIDRs the plan reserves in it (PlannedSubnet.ipv6 fits). @default IPv4 only */
  readonly ipv6?: { readonly subnet: { readonly cidr: string }; readonly reservations: readonly (Reservation & { readonly owner?: string })[] };
}

export interface MultusSubnetReservationsProps {
  /** The plan's multus subnets (ipam `plan.subnets`). */
  readonly subnets: readonly ReservedSubnet[];
}

/**
 * An explicit subnet CIDR reservation for every CIDR the plan reserves: AWS DHCP never hands
 * out an address in an explicit reservation; only manual assignment uses it
 * (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html). The
 * reference left this to a manual `aws ec2 create-subnet-cidr-reservation`. A dual-stack
 * subnet's IPv6 blocks get theirs too: CreateSubnetCidrReservation takes an IPv4 or an IPv6
 * CIDR (EC2 API reference, CreateSubnetCidrReservation, `Cidr`), and so does the provider's
 * aws_ec2_subnet_cidr_reservation `cidr_block`.
 */
export class MultusSubnetReservations extends Construct {
  /** In plan order: per subnet, per reservation. */
  readonly reservations: { subnetId: string; cidr: string; purpose: Reservation["purpose"]; resource: Ec2SubnetCidrReservation }[] = [];

  constructor(scope: Construct, id: string, props: MultusSubnetReservationsProps) {
    super(scope, id);
    const c = new PropChecker("MultusSubnetReservations");
    if (!Array.isArray(props.subnets) || props.subnets.length === 0) c.fail("subnets", "is empty", "pass the plan's subnets (planNetwork(config).subnets)");
    props.subnets.forEach((s, i) => {
      c.str(s.id, `subnets[${i}].id`, /^subnet-[0-9a-f]{8,17}$/, "subnet-0123456789abcdef0");
      const subnet = parseCidr(s.subnet.cidr, `MultusSubnetReservations.subnets[${i}].subnet.cidr`);
      const usable = usableRange(subnet);
      const seen: { cidr: string; range: { first: number; last: number } }[] = [];
      s.reservations.forEach((r, j) => {
        const field = `subnets[${i}].reservations[${j}]`;
        const range = cidrBounds(r.cidr);
        // AWS rejects reserving outside the subnet; a plan never reserves AWS's own five.
        if (!rangeInside(range, usable)) c.fail(field, `${r.cidr} is not inside the usable addresses of ${subnet.cidr}`, "reserve only CIDRs inside the subnet, clear of its first four and last address");
        const clash = seen.find((o) => overlaps(o.range, range));
        if (clash) c.fail(field, `${r.cidr} overlaps ${clash.cidr}`, "reservations in a VPC cannot overlap; give disjoint CIDRs");
        seen.push({ cidr: r.cidr, range });
        const resource = new Ec2SubnetCidrReservation(this, `s${i}-${r.purpose}-${r.cidr.replace(/[./]/g, "_")}`, {
          subnetId: s.id,
          cidrBlock: r.cidr,
          reservationType: "explicit",
          description: (s.groups?.length ?? 1) > 1 && r.owner ? `multus ${r.purpose} of ${r.owner}` : `multus ${r.purpose} (${s.strategy})`,
        });
        this.reservations.push({ subnetId: s.id, cidr: r.cidr, purpose: r.purpose, resource });
      });
      if (!s.ipv6) return;
      const subnet6 = parseSubnet6(s.ipv6.subnet.cidr, `MultusSubnetReservations.subnets[${i}].ipv6.subnet.cidr`);
      const usable6 = usableRange6(subnet6);
      const seen6: Subnet6[] = [];
      s.ipv6.reservations.forEach((r, j) => {
        const field = `subnets[${i}].ipv6.reservations[${j}]`;
        const range = parseCidr6(r.cidr, `MultusSubnetReservations.${field}.cidr`);
        if (!rangeInside6(range, usable6)) c.fail(field, `${r.cidr} is not inside the usable addresses of ${subnet6.cidr}`, "reserve only CIDRs inside the subnet's /64, clear of its first four and last address");
        const clash = seen6.find((o) => overlaps6(o, range));
        if (clash) c.fail(field, `${r.cidr} overlaps ${clash.cidr}`, "reservations in a VPC cannot overlap; give disjoint CIDRs");
        seen6.push(range);
        const resource = new Ec2SubnetCidrReservation(this, `s${i}-${r.purpose}-${range.cidr.replace(/[:/]/g, "_")}`, {
          subnetId: s.id,
          cidrBlock: range.cidr,
          reservationType: "explicit",
          description: (s.groups?.length ?? 1) > 1 && r.owner ? `multus IPv6 ${r.purpose} of ${r.owner}` : `multus IPv6 ${r.purpose} (${s.strategy})`,
        });
        this.reservations.push({ subnetId: s.id, cidr: range.cidr, purpose: r.purpose, resource });
      });
    });
  }

  get ids(): string[] {
    return this.reservations.map((r) => r.resource.id);
  }
}
