import fc from "fast-check";
import { PlanError, cidrBounds, parseConfig, planNetwork } from "../../../ipam";
import { MultusSubnetReservations, ReservedSubnet } from "../../../modules/aws/reservations";
import { Json, resources, synthAwsStack, synthStack } from "./helpers";

function synthReservations(subnets: ReservedSubnet[]): Json {
  return synthStack((stack) => new MultusSubnetReservations(stack, "reservations", { subnets }));
}

/** Configs with one or two multus subnets of random size, strategy and load; infeasible ones are skipped. */
const configArb = fc.record({
  prefixes: fc.array(fc.integer({ min: 20, max: 27 }), { minLength: 1, maxLength: 2 }),
  strategy: fc.constantFrom("static", "reservation"),
  maxSize: fc.integer({ min: 1, max: 12 }),
  podsPerNode: fc.integer({ min: 1, max: 40 }),
  reserveWorkerBlock: fc.boolean(),
});

describe("MultusSubnetReservations", () => {
  test("GIVEN any feasible plan WHEN synthesized THEN the explicit reservations are exactly the plan's CIDRs, per subnet", () => {
    fc.assert(
      fc.property(configArb, ({ prefixes, strategy, maxSize, podsPerNode, reserveWorkerBlock }) => {
        let plan;
        try {
          plan = planNetwork(
            parseConfig({
              nodeGroup: { maxSize, minSize: 1, desiredSize: 1 },
              multus: {
                strategy,
                podsPerNode,
                reserveWorkerBlock,
                // Each subnet in its own /19 of the VPC so they never overlap.
                subnets: prefixes.map((p, i) => ({ cidr: `10.0.${32 * (i + 1)}.0/${p}`, id: `subnet-0c0ffee0c0ffee0${i}a`, availabilityZone: "us-west-2a" })),
              },
            }),
          );
        } catch (err) {
          if (err instanceof PlanError) return fc.pre(false);
          throw err;
        }
        const tf = synthReservations(plan.subnets);
        const got = resources(tf, "aws_ec2_subnet_cidr_reservation").map((r) => `${r.subnet_id} ${r.cidr_block} ${r.reservation_type}`);
        const want = plan.subnets.flatMap((s) => s.reservations.map((r) => `${s.id} ${r.cidr} explicit`));
        expect(got.sort()).toEqual(want.sort());
        // The pod block is reserved under every strategy; workers only for static with reserveWorkerBlock.
        for (const s of plan.subnets) {
          const purposes = new Set(s.reservations.map((r) => r.purpose));
          expect(purposes.has("pods")).toBe(true);
          expect(purposes.has("workers")).toBe(strategy === "static" && reserveWorkerBlock);
          const podAddresses = s.reservations.filter((r) => r.purpose === "pods").reduce((n, r) => n + (cidrBounds(r.cidr).last - cidrBounds(r.cidr).first + 1), 0);
          expect(podAddresses).toBe(s.pods.last - s.pods.first + 1);
        }
      }),
      { numRuns: 30 },
    );
  });

  test("GIVEN the default stack THEN every reservation says what it is for and which strategy made it", () => {
    const { tf, plan } = synthAwsStack();
    const descriptions = resources(tf, "aws_ec2_subnet_cidr_reservation").map((r) => r.description);
    const expected = plan.subnets.flatMap((s) => s.reservations.map((r) => `multus ${r.purpose} (${s.strategy})`));
    expect(descriptions.sort()).toEqual(expected.sort());
  });

  describe("GIVEN reservations that AWS would reject", () => {
    const subnet = { id: "subnet-0123456789abcdef0", subnet: { cidr: "10.0.4.0/24" }, strategy: "reservation" as const };
    test("WHEN a CIDR lies outside the subnet THEN the constructor throws naming it", () => {
      expect(() => synthReservations([{ ...subnet, reservations: [{ cidr: "10.0.5.0/28", purpose: "pods" }] }])).toThrow(
        /MultusSubnetReservations\.subnets\[0\]\.reservations\[0\]: 10\.0\.5\.0\/28 is not inside/,
      );
    });
    test("WHEN a CIDR covers an AWS-reserved address THEN the constructor throws", () => {
      expect(() => synthReservations([{ ...subnet, reservations: [{ cidr: "10.0.4.0/28", purpose: "workers" }] }])).toThrow(/not inside the usable addresses/);
    });
    test("WHEN two CIDRs overlap THEN the constructor throws naming the second", () => {
      expect(() =>
        synthReservations([{ ...subnet, reservations: [{ cidr: "10.0.4.64/26", purpose: "pods" }, { cidr: "10.0.4.96/27", purpose: "pods" }] }]),
      ).toThrow(/reservations\[1\]: 10\.0\.4\.96\/27 overlaps 10\.0\.4\.64\/26/);
    });
    const dual = (reservations: { cidr: string; purpose: "workers" | "pods" }[]) => [{ ...subnet, reservations: [], ipv6: { subnet: { cidr: "2001:db8:1234:1a04::/64" }, reservations } }];
    test("WHEN an IPv6 CIDR lies outside the subnet's /64 or holds an address AWS reserves THEN the constructor throws naming it", () => {
      expect(() => synthReservations(dual([{ cidr: "2001:db8:1234:1a05::/120", purpose: "pods" }]))).toThrow(/subnets\[0\]\.ipv6\.reservations\[0\]: 2001:db8:1234:1a05::\/120 is not inside the usable addresses of 2001:db8:1234:1a04::\/64/);
      expect(() => synthReservations(dual([{ cidr: "2001:db8:1234:1a04::/122", purpose: "pods" }]))).toThrow(/clear of its first four and last address/);
    });
    test("WHEN two IPv6 CIDRs overlap THEN the constructor throws; apart they are made as given", () => {
      expect(() => synthReservations(dual([{ cidr: "2001:db8:1234:1a04::40/122", purpose: "pods" }, { cidr: "2001:db8:1234:1a04::60/123", purpose: "pods" }]))).toThrow(/ipv6\.reservations\[1\]: 2001:db8:1234:1a04::60\/123 overlaps 2001:db8:1234:1a04::40\/122/);
      const tf = synthReservations(dual([{ cidr: "2001:db8:1234:1a04::40/122", purpose: "pods" }, { cidr: "2001:db8:1234:1a04:8000::/125", purpose: "workers" }]));
      expect(resources(tf, "aws_ec2_subnet_cidr_reservation").map((r) => [r.cidr_block, r.reservation_type, r.description])).toEqual([
        ["2001:db8:1234:1a04::40/122", "explicit", "multus IPv6 pods (reservation)"],
        ["2001:db8:1234:1a04:8000::/125", "explicit", "multus IPv6 workers (reservation)"],
      ]);
    });
    test("WHEN no subnet is given THEN the constructor throws", () => {
      expect(() => synthReservations([])).toThrow(/MultusSubnetReservations\.subnets: is empty/);
    });
  });
});
