import { PlanError, awsReserved6, bigToIp6, canonicalIp6, formatRange6, ip6ToBig, isAwsReserved6, parseCidr6, parseSubnet6, subtractRanges6, usableRange6 } from "../../ipam";

describe("IPv6 addresses (contract/address6.ts)", () => {
  test("GIVEN addresses in any text form THEN one integer, printed as EC2 prints them (RFC 5952)", () => {
    expect(ip6ToBig("2001:DB8:0:0:0:0:0:5")).toBe(ip6ToBig("2001:db8::5"));
    expect(canonicalIp6("2001:0db8:1234:1a00:0000:0000:0000:0010")).toBe("2001:db8:1234:1a00::10");
    expect(bigToIp6(ip6ToBig("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(bigToIp6(ip6ToBig("2001:db8:1234:1a00:8000::"))).toBe("2001:db8:1234:1a00:8000::");
  });

  test("GIVEN a subnet's IPv6 CIDR THEN a /64 written without host bits is taken, anything else is refused naming the field", () => {
    const s = parseSubnet6("2001:DB8:1234:1A00::/64", "f");
    expect([s.cidr, s.prefix]).toEqual(["2001:db8:1234:1a00::/64", 64]);
    expect(s.last - s.first + 1n).toBe(2n ** 64n);
    expect(() => parseSubnet6("2001:db8:1234:1a00::/56", "f")).toThrow(/^f: 2001:db8:1234:1a00::\/56 is a \/56; a multus subnet's IPv6 CIDR is the \/64/);
    expect(() => parseSubnet6("2001:db8:1234:1a00::7/64", "f")).toThrow(/^f: "2001:db8:1234:1a00::7\/64" has host bits set.*Fix: write it as 2001:db8:1234:1a00::\/64/);
    expect(() => parseSubnet6("10.0.4.0/24", "f")).toThrow(PlanError);
    expect(parseCidr6("2001:db8::7/120", "f").cidr).toBe("2001:db8::/120");
  });

  test("GIVEN a /64 THEN AWS reserves its first four and its last address, as the VPC user guide lists them", () => {
    // VPC user guide, "Subnet CIDR blocks": 2001:db8:1234:1a00::, ::1, ::2, ::3 and :ffff:ffff:ffff:ffff.
    const s = parseSubnet6("2001:db8:1234:1a00::/64", "f");
    expect(awsReserved6(s).map(bigToIp6)).toEqual(["2001:db8:1234:1a00::", "2001:db8:1234:1a00::1", "2001:db8:1234:1a00::2", "2001:db8:1234:1a00::3", "2001:db8:1234:1a00:ffff:ffff:ffff:ffff"]);
    expect(isAwsReserved6(s, s.first + 4n)).toBe(false);
    expect(usableRange6(s)).toEqual({ first: s.first + 4n, last: s.last - 1n });
  });

  test("GIVEN ranges THEN the difference keeps what no cut holds, and JSON gives counts past 2^53 exactly", () => {
    const s = parseSubnet6("2001:db8::/64", "f");
    const left = subtractRanges6(usableRange6(s), [parseCidr6("2001:db8::100/120", "c"), parseCidr6("2001:db8:0:0:8000::/125", "c")]);
    expect(left.map((r) => [bigToIp6(r.first), bigToIp6(r.last)])).toEqual([
      ["2001:db8::4", "2001:db8::ff"],
      ["2001:db8::200", "2001:db8::7fff:ffff:ffff:ffff"],
      ["2001:db8::8000:0:0:8", "2001:db8::ffff:ffff:ffff:fffe"],
    ]);
    // A cut wider than what is left takes all of it, or the part it covers.
    expect(subtractRanges6({ first: 10n, last: 20n }, [{ first: 0n, last: 100n }])).toEqual([]);
    expect(subtractRanges6({ first: 10n, last: 20n }, [{ first: 0n, last: 15n }])).toEqual([{ first: 16n, last: 20n }]);
    expect(formatRange6(usableRange6(s)).count).toBe((2n ** 64n - 5n).toString());
    expect(formatRange6(parseCidr6("2001:db8::100/120", "c"))).toEqual({ first: "2001:db8::100", last: "2001:db8::1ff", count: "256", cidr: "2001:db8::100/120" });
  });
});
