import { EKS_ADDON_REGISTRY_ACCOUNTS, REGION_PATTERN, checkAvailabilityZone, eksAddonRegistry, nearest } from "../../ipam";

describe("EKS add-on registries", () => {
  test("GIVEN the table THEN every region is a region name and every account twelve digits", () => {
    for (const [region, account] of Object.entries(EKS_ADDON_REGISTRY_ACCOUNTS)) {
      expect(region).toMatch(REGION_PATTERN);
      expect(account).toMatch(/^\d{12}$/);
    }
  });

  test.each([
    ["us-west-2", "602401143452.dkr.ecr.us-west-2.amazonaws.com"],
    ["me-central-1", "759879836304.dkr.ecr.me-central-1.amazonaws.com"],
    ["cn-northwest-1", "961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn"],
    ["eusc-de-east-1", "877088126301.dkr.ecr.eusc-de-east-1.amazonaws.eu"],
    ["us-gov-west-1", "013241004608.dkr.ecr.us-gov-west-1.amazonaws.com"],
  ])("GIVEN %s THEN its registry host", (region, host) => {
    expect(eksAddonRegistry(region)).toBe(host);
  });

  test("GIVEN a region with no registry THEN none", () => {
    expect(eksAddonRegistry("us-west-9")).toBeUndefined();
  });
});

describe("checkAvailabilityZone", () => {
  test("GIVEN a zone of the region THEN accepted; of another region THEN refused naming both", () => {
    expect(checkAvailabilityZone("us-west-2c", "us-west-2", "az")).toBe("us-west-2c");
    expect(() => checkAvailabilityZone("us-east-1a", "us-west-2", "az")).toThrow(/^az: us-east-1a is not in region us-west-2\. Fix: .*or set region to us-east-1/);
    expect(() => checkAvailabilityZone("us-west-21a", "us-west-2", "az")).toThrow(/not in region us-west-2/);
  });
});

describe("nearest", () => {
  test("GIVEN a typo THEN the closest names come first, not the alphabetical ones", () => {
    expect(nearest(["m5.24xlarge", "m5.2xlarge", "m5.large", "m5.xlarge", "c5.large"], "m5.larg", 2)).toEqual(["m5.large", "m5.xlarge"]);
  });
});
