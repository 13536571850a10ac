import { AWS_TIMING, EC2_REQUEST_BUCKETS, SWEPT, TIMING_NAMES, ec2Bucket, parseTiming, timingProfile } from "../../simulator/timing";

describe("timing profiles", () => {
  test("GIVEN the aws table THEN every row gives a value, a basis and a source; the undocumented rows are the ones swept", () => {
    for (const [key, row] of Object.entries(AWS_TIMING)) {
      expect({ key, hasSource: row.source.length > 20, basis: ["documented", "observed", "assumed"].includes(row.basis) }).toEqual({ key, hasSource: true, basis: true });
    }
    expect(SWEPT).toEqual(expect.arrayContaining(["readLag", "attachRefusedShare", "duplicateDelivery", "pendingMs", "attachMs", "detachMs"]));
    expect(SWEPT).not.toContain("lambdaRetryDelaysMs");
    expect(SWEPT).not.toContain("throttling");
  });

  test("GIVEN the EC2 throttling page's numbers THEN each action the models serve draws from its documented bucket", () => {
    expect(ec2Bucket("DescribeNetworkInterfaces", false)).toMatchObject({ capacity: 100, refillPerSecond: 20 });
    expect(ec2Bucket("DescribeNetworkInterfaces", true)).toMatchObject({ capacity: 50, refillPerSecond: 10 });
    expect(ec2Bucket("DescribeSubnets", true)).toMatchObject({ capacity: 100, refillPerSecond: 20 });
    expect(ec2Bucket("AttachNetworkInterface", false)).toMatchObject({ capacity: 50, refillPerSecond: 5 });
    expect(ec2Bucket("DetachNetworkInterface", false)).toMatchObject({ capacity: 50, refillPerSecond: 5 });
    expect(ec2Bucket("CreateNetworkInterface", false)).toMatchObject({ capacity: 100, refillPerSecond: 5 });
    expect(ec2Bucket("CreateTags", false)).toMatchObject({ capacity: 100, refillPerSecond: 10 });
    expect(ec2Bucket("CreateSubnetCidrReservation", false)).toMatchObject({ capacity: 5, refillPerSecond: 1 });
    expect(ec2Bucket("CreateVpc", false)).toBe(EC2_REQUEST_BUCKETS.mutating);
  });

  test("GIVEN the instant profile THEN no asynchronous state, read lag or bucket; aws has all of them", () => {
    const instant = timingProfile("instant");
    expect(instant.bucket("AttachNetworkInterface", false)).toBeUndefined();
    expect([instant.attachMs.max, instant.detachMs.max, instant.pendingMs.max, instant.readLag.probability]).toEqual([0, 0, 0, 0]);
    const aws = timingProfile("aws");
    expect(aws.bucket("AttachNetworkInterface", false)).toMatchObject({ capacity: 50 });
    expect(aws.attachMs.max).toBeGreaterThan(0);
    expect(timingProfile("aws", { attachMs: { min: 1, max: 1 } }).attachMs).toEqual({ min: 1, max: 1 });
  });

  test("GIVEN an unknown --timing THEN the error names the flag and the choices", () => {
    expect(TIMING_NAMES.map((n) => parseTiming(n))).toEqual(["aws", "instant"]);
    expect(() => parseTiming("fast")).toThrow(/--timing: unknown timing profile "fast".*use one of aws, instant/);
  });
});
