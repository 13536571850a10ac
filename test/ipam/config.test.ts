import { DEFAULT_CONFIG, asShorthand, ipToInt, parseConfig, planNetwork, PlanError, rangeSize } from "../../ipam";
import { planError } from "./setup";

describe("parseConfig", () => {
  test("GIVEN nothing WHEN parsed THEN the reference example's defaults", () => {
    const c = asShorthand(parseConfig({}));
    expect(c.vpc.cidr).toBe("10.0.0.0/16");
    expect(c.multus.subnets.map((s) => s.cidr)).toEqual(["10.0.4.0/24", "10.0.5.0/24"]);
    expect(c.nodeGroup.instanceType).toBe("c5.2xlarge");
    expect([c.nodeGroup.minSize, c.nodeGroup.maxSize]).toEqual([2, 3]);
    expect(c.multus.strategy).toBe("static");
  });

  test("GIVEN a partial object WHEN parsed THEN it merges over the defaults and arrays replace", () => {
    const c = asShorthand(parseConfig({ nodeGroup: { maxSize: 5 }, multus: { subnets: [{ cidr: "10.0.8.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2b" }] } }));
    expect(c.nodeGroup.maxSize).toBe(5);
    expect(c.nodeGroup.instanceType).toBe(DEFAULT_CONFIG.nodeGroup.instanceType);
    expect(c.multus.subnets).toHaveLength(1);
  });

  test("GIVEN multus.podHeadroom WHEN planned THEN every subnet's pod block holds maxSize x podsPerNode plus it", () => {
    const plan = planNetwork(parseConfig({ multus: { podHeadroom: 10 } }));
    for (const s of plan.subnets) expect(s.pods.last - s.pods.first + 1).toBeGreaterThanOrEqual(3 * 10 + 10);
  });

  test.each([
    [{ multus: { strategy: "dhcp" } }, /multus\.strategy: must be one of static, reservation/],
    [{ multus: { podHeadroom: -3 } }, /multus\.podHeadroom: must be a whole number from 0/],
    [{ nodeGroup: { maxSize: 0 } }, /nodeGroup\.maxSize: must be a whole number from 1/],
    [{ nodeGroup: { minSize: 5 } }, /nodeGroup\.minSize: 5 is above nodeGroup\.maxSize 3.*Fix: lower nodeGroup\.minSize or raise nodeGroup\.maxSize/],
    [{ nodeGroup: { desiredSize: 4 } }, /nodeGroup\.desiredSize: 4 is outside nodeGroup\.minSize 2 \.\. nodeGroup\.maxSize 3/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-east-1a" }] } }, /multus\.subnets\[0\]\.availabilityZone: us-east-1a is not in region us-west-2.*Fix: use a zone of us-west-2/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2" }] } }, /multus\.subnets\[0\]\.availabilityZone: "us-west-2" is not an availability zone name/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a", podRange: "10.0.4.0/33" }] } }, /multus\.subnets\[0\]\.podRange: "10\.0\.4\.0\/33" is not an IPv4 CIDR/],
    [{ region: "us-wset-2" }, /region: EKS publishes no add-on images in us-wset-2.*nearest: us-west-2/],
    [{ multus: { image: "multus-cni" } }, /multus\.image: "multus-cni" is not a pinned image reference/],
    [{ whereabouts: { image: "ghcr.io/k8snetworkplumbingwg/whereabouts:latest" } }, /whereabouts\.image: .* is not a pinned image reference/],
    [{ agent: { image: "<account>.dkr.ecr.<region>.amazonaws.com/multus-node-agent:<tag>" } }, /agent\.image: .* is not a pinned image reference/],
    [{ agent: { imgae: "x" } }, /agent\.imgae: is not a known field/],
    [{ nodeGroup: { instanceType: "m5.larg" } }, /nodeGroup\.instanceType: unknown instance type "m5\.larg".*Fix: use one of the nearest known names: m5\.large,/],
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

  describe("GIVEN vpc.ipv6Cidr (the VPC's IPv6 block)", () => {
    const sub = (i: number, ipv6Cidr: string) => ({ cidr: `10.0.${4 + i}.0/24`, id: `subnet-0123456789abcdef${i}`, availabilityZone: "us-west-2a", ipv6Cidr });

    test("WHEN every multus subnet's /64 lies inside it (a /56 from Amazon, or a /44 or /60 from IPAM) THEN accepted and kept", () => {
      for (const vpc6 of ["2001:db8:1234:1a00::/56", "2001:db8:1230::/44", "2001:db8:1234:1a00::/60"]) {
        const c = parseConfig({ vpc: { ipv6Cidr: vpc6 }, multus: { subnets: [sub(0, "2001:db8:1234:1a04::/64"), sub(1, "2001:db8:1234:1a05::/64")] } });
        expect(c.vpc.ipv6Cidr).toBe(vpc6);
      }
    });

    test("WHEN a subnet's /64 lies outside it THEN the error names that subnet's ipv6Cidr, both blocks and the fix", () => {
      const user = { vpc: { ipv6Cidr: "2001:db8:1234:1a00::/56" }, multus: { subnets: [sub(0, "2001:db8:1234:1a04::/64"), sub(1, "2001:db8:1234:1b05::/64")] } };
      const err = planError(() => parseConfig(user));
      expect(err.field).toBe("multus.subnets[1].ipv6Cidr");
      expect(err.message).toMatch(/multus\.subnets\[1\]\.ipv6Cidr: 2001:db8:1234:1b05::\/64 is not inside vpc\.ipv6Cidr 2001:db8:1234:1a00::\/56.*Fix: use a \/64 of the VPC's IPv6 block, or correct vpc\.ipv6Cidr/);
    });

    test("WHEN no subnet has an ipv6Cidr THEN it checks nothing; WHEN it is absent THEN any /64 is taken as before", () => {
      expect(() => parseConfig({ vpc: { ipv6Cidr: "2001:db8:1234:1a00::/56" } })).not.toThrow();
      expect(() => parseConfig({ multus: { subnets: [sub(0, "2001:db8:ffff:1b05::/64")] } })).not.toThrow();
    });

    test.each([
      ["a /64 (a subnet's size)", "2001:db8:1234:1a00::/64", /vpc\.ipv6Cidr: 2001:db8:1234:1a00::\/64 is a \/64; a VPC's IPv6 block is a \/44, \/48, \/52, \/56, \/60.*Fix: give the VPC's IPv6 CIDR/],
      ["a /50 (not a /4 step)", "2001:db8:1234:c000::/50", /vpc\.ipv6Cidr: .* is a \/50/],
      ["host bits", "2001:db8:1234:1a01::/56", /vpc\.ipv6Cidr: "2001:db8:1234:1a01::\/56" has host bits set.*Fix: write it as 2001:db8:1234:1a00::\/56/],
      ["IPv4", "10.0.0.0/16", /vpc\.ipv6Cidr: "10\.0\.0\.0\/16" is not an IPv6 CIDR/],
    ])("WHEN it is %s THEN refused on vpc.ipv6Cidr with the fix", (_what, ipv6Cidr, message) => {
      expect(() => parseConfig({ vpc: { ipv6Cidr } })).toThrow(message);
      expect(planError(() => parseConfig({ vpc: { ipv6Cidr } })).field).toBe("vpc.ipv6Cidr");
    });
  });

  test("GIVEN a source file THEN the error says which file, for checks of the config and of its parts alike", () => {
    expect(() => parseConfig({ region: "mars" }, "conf/multus.json")).toThrow(/region: "mars" is not valid \(in conf\/multus.json\)/);
    expect(() => parseConfig({ vpc: { cidr: "10.0.0.0/33" } }, "conf/multus.json")).toThrow(/vpc\.cidr: .* \(in conf\/multus.json\)\. Fix/);
    expect(() => parseConfig({ multus: { subnets: [{ cidr: "10.0.4.0/29", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a" }] } }, "c.json")).toThrow(/\/16 to \/28 \(in c\.json\)/);
  });

  test("GIVEN a region outside the registry table WHEN multus.image is given THEN it is accepted", () => {
    const c = parseConfig({
      region: "xx-test-1",
      multus: { image: "registry.example.com/multus-cni:v4.1.4-eksbuild.3_thick", subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "xx-test-1a" }] },
    });
    expect(c.multus?.image).toBe("registry.example.com/multus-cni:v4.1.4-eksbuild.3_thick");
  });

  test("GIVEN podRange as a CIDR THEN it is accepted", () => {
    const c = parseConfig({ multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a", podRange: "10.0.4.128/25" }] } });
    expect(planNetwork(c).subnets[0]!.pods).toMatchObject({ last: ipToInt("10.0.4.254"), first: ipToInt("10.0.4.128") });
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

  test("GIVEN more pods per node than an ENI holds THEN a warning names the limit, and the pod block is sized for what a node can route", () => {
    const plan = planNetwork(parseConfig({ multus: { podsPerNode: 20 } }));
    expect(plan.warnings.join("\n")).toMatch(/podsPerNode 20 exceeds the 14 secondary IPv4 addresses.*sized for 14 per node/);
    const exact = planNetwork(parseConfig({ multus: { podsPerNode: 20, subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0123456789abcdef0", availabilityZone: "us-west-2a", podRange: "10.0.4.200-10.0.4.241" }] } }));
    // 3 nodes x 14 routable = 42 addresses fit the range; 3 x 20 = 60 would not.
    expect(rangeSize(exact.subnets[0]!.pods)).toBe(42);
  });

  test("GIVEN an instance type whose max-pods the DaemonSets fill THEN infeasible, with the count; GIVEN little room THEN a warning with the count", () => {
    let err: unknown;
    try {
      planNetwork(parseConfig({ nodeGroup: { instanceType: "t3.small" } }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).field).toBe("nodeGroup.instanceType");
    expect((err as PlanError).kind).toBe("infeasible");
    expect((err as PlanError).problem).toMatch(/t3\.small gets kubelet max-pods 5 .* the 5 DaemonSet pods every node runs \(aws-node, kube-proxy, kube-multus-ds, whereabouts, multus-node-agent\) fill it/);
    const small = planNetwork(parseConfig({ nodeGroup: { instanceType: "t3.medium" } }));
    expect(small.kubeletMaxPods).toBe(7);
    expect(small.warnings.join("\n")).toMatch(/t3\.medium: kubelet max-pods 7 leaves 2 pods per node for workloads after the 5 DaemonSet pods/);
    expect(planNetwork(parseConfig({})).warnings).toEqual([]);
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
