import { DEFAULT_CONFIG, parseConfig, planNetwork, PlanError } from "../../ipam";

describe("parseConfig", () => {
  test("GIVEN nothing WHEN parsed THEN the reference example's defaults", () => {
    const c = parseConfig({});
    expect(c.vpc.cidr).toBe("10.0.0.0/16");
    expect(c.multus.subnets.map((s) => s.cidr)).toEqual(["10.0.4.0/24", "10.0.5.0/24"]);
    expect(c.nodeGroup.instanceType).toBe("c5.2xlarge");
    expect([c.nodeGroup.minSize, c.nodeGroup.maxSize]).toEqual([2, 3]);
    expect(c.multus.strategy).toBe("static");
  });

  test("GIVEN a partial object WHEN parsed THEN it merges over the defaults and arrays replace", () => {
    const c = parseConfig({ nodeGroup: { maxSize: 5 }, multus: { subnets: [{ cidr: "10.0.8.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2b" }] } });
    expect(c.nodeGroup.maxSize).toBe(5);
    expect(c.nodeGroup.instanceType).toBe(DEFAULT_CONFIG.nodeGroup.instanceType);
    expect(c.multus.subnets).toHaveLength(1);
  });

  test.each([
    [{ multus: { strategy: "dhcp" } }, /multus\.strategy: must be one of static, reservation/],
    [{ nodeGroup: { maxSize: 0 } }, /nodeGroup\.maxSize: must be a whole number from 1/],
    [{ nodeGroup: { minSize: 5 } }, /nodeGroup\.minSize: must be a whole number from 0 to 3/],
    [{ nodeGroup: { instanceType: "c5.enormous" } }, /nodeGroup\.instanceType: unknown instance type/],
    // The name is the multus node label's value, which may not end in '-'.
    [{ nodeGroup: { name: "ng-" } }, /nodeGroup\.name: "ng-" ends with "-".*node label/],
    [{ nodeGroup: { amiId: "ubuntu" } }, /nodeGroup\.amiId: "ubuntu" is not valid/],
    [{ multus: { subnets: [{ cidr: "10.1.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" }] } }, /multus\.subnets\[0\]\.cidr: 10\.1\.4\.0\/24 is not inside vpc\.cidr/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/29", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" }] } }, /multus\.subnets\[0\]\.cidr: .*\/16 to \/28/],
    [
      {
        multus: {
          subnets: [
            { cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" },
            { cidr: "10.0.4.128/25", id: "subnet-0123456789abcdef1", availabilityZone: "us-west-2a" },
          ],
        },
      },
      /multus\.subnets\[1\]\.cidr: 10\.0\.4\.128\/25 overlaps multus\.subnets\[0\]\.cidr/,
    ],
    [{ multus: { podsPerNode: "ten" } }, /multus\.podsPerNode: must be a whole number/],
    [{ multus: { sbunets: [] } }, /multus\.sbunets: is not a known field.*use one of/],
    [{ multus: { interfaceTags: { team: 5 } } }, /multus\.interfaceTags: must be an object of string values/],
  ])("GIVEN %j THEN the error names the field and the fix", (user, message) => {
    expect(() => parseConfig(user, "my.json")).toThrow(message);
    expect(() => parseConfig(user, "my.json")).toThrow(/Fix: /);
  });

  test("GIVEN a source file THEN the error says which file", () => {
    expect(() => parseConfig({ region: "mars" }, "conf/multus.json")).toThrow(/region: "mars" is not valid \(in conf\/multus.json\)/);
  });
});

describe("planNetwork", () => {
  test("GIVEN two multus subnets in one AZ THEN device indexes 1 and 2 and max-pods for the two ENIs left", () => {
    const plan = planNetwork(parseConfig({}));
    expect(plan.subnets.map((s) => s.deviceIndex)).toEqual([1, 2]);
    expect(plan.kubeletMaxPods).toBe((4 - 2) * (15 - 1) + 2);
    expect(plan.multusPodsPerEni).toBe(14);
  });

  test("GIVEN one subnet per AZ THEN each is device index 1", () => {
    const plan = planNetwork(
      parseConfig({
        multus: {
          subnets: [
            { cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" },
            { cidr: "10.0.5.0/24", id: "subnet-0123456789abcdef1", availabilityZone: "us-west-2b" },
          ],
        },
      }),
    );
    expect(plan.subnets.map((s) => s.deviceIndex)).toEqual([1, 1]);
    expect(plan.kubeletMaxPods).toBe(3 * 14 + 2);
  });

  test("GIVEN more pods per node than an ENI holds THEN a warning names the limit", () => {
    const plan = planNetwork(parseConfig({ multus: { podsPerNode: 20 } }));
    expect(plan.warnings.join("\n")).toMatch(/podsPerNode 20 exceeds the 14 secondary IPv4 addresses/);
  });

  test("GIVEN more multus subnets in one AZ than the type has spare ENIs THEN an infeasible error on multus.subnets", () => {
    const subnets = [4, 5, 6].map((n, i) => ({ cidr: `10.0.${n}.0/24`, id: `subnet-0123456789abcdef${i}`, availabilityZone: "us-west-2a" }));
    let err: unknown;
    try {
      planNetwork(parseConfig({ nodeGroup: { instanceType: "t3.medium" }, multus: { subnets } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).field).toBe("multus.subnets");
    expect((err as PlanError).kind).toBe("infeasible");
  });
});
