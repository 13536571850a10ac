import { awsReserved, intToIp, ipToInt, isAwsReserved, parseSubnet, usableRange } from "../../contract/address";
import { PlanError } from "../../contract/errors";

describe("parseSubnet", () => {
  test("GIVEN a /24 WHEN parsed THEN bounds and size are the subnet's", () => {
    const s = parseSubnet("10.0.4.0/24", "cidr");
    expect(intToIp(s.base)).toBe("10.0.4.0");
    expect(intToIp(s.last)).toBe("10.0.4.255");
    expect(s.size).toBe(256);
  });

  test.each(["10.0.4.0/29", "10.0.0.0/15", "10.0.4.0/32"])("GIVEN %s (outside /16../28) THEN it throws naming the field", (cidr) => {
    expect(() => parseSubnet(cidr, "--subnet")).toThrow(/--subnet: .*\/16 to \/28/);
  });

  test("GIVEN host bits set THEN the error gives the canonical form", () => {
    expect(() => parseSubnet("10.0.4.7/24", "multus.subnets[0].cidr")).toThrow(/write it as 10\.0\.4\.0\/24/);
  });

  test("GIVEN garbage THEN a PlanError of kind input", () => {
    let err: unknown;
    try {
      parseSubnet("ten.0.4.0/24", "cidr");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).kind).toBe("input");
  });
});

describe("awsReserved", () => {
  test("GIVEN 10.0.0.0/24 THEN .0 .1 .2 .3 and .255 (VPC user guide, subnet sizing)", () => {
    const s = parseSubnet("10.0.0.0/24", "cidr");
    expect(awsReserved(s).map(intToIp)).toEqual(["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255"]);
    expect(isAwsReserved(s, ipToInt("10.0.0.3"))).toBe(true);
    expect(isAwsReserved(s, ipToInt("10.0.0.4"))).toBe(false);
    expect(intToIp(usableRange(s).first)).toBe("10.0.0.4");
    expect(intToIp(usableRange(s).last)).toBe("10.0.0.254");
  });
});
