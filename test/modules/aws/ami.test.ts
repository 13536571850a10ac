import { eksAmiSsmParameter, instanceArchitecture } from "../../../modules/aws/ami";

describe("EKS AMI SSM parameter", () => {
  test.each([
    ["c5.2xlarge", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["m5n.large", "x86_64"],
    ["m7g.large", "arm64"],
    ["c6gn.xlarge", "arm64"],
    ["r8gd.2xlarge", "arm64"],
    ["a1.large", "arm64"],
  ])("GIVEN %s THEN the architecture is %s", (type, arch) => {
    expect(instanceArchitecture(type)).toBe(arch);
  });

  test("GIVEN AL2023 THEN the parameter names the version, the architecture and the standard variant", () => {
    expect(eksAmiSsmParameter("1.33", "al2023", "c5.2xlarge")).toBe("/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id");
    expect(eksAmiSsmParameter("1.32", "al2023", "m7g.large")).toBe("/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/standard/recommended/image_id");
  });

  test("GIVEN AL2 THEN the arm64 image has its own path", () => {
    expect(eksAmiSsmParameter("1.31", "al2", "c5.large")).toBe("/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/image_id");
    expect(eksAmiSsmParameter("1.31", "al2", "c6g.large")).toBe("/aws/service/eks/optimized-ami/1.31/amazon-linux-2-arm64/recommended/image_id");
  });
});
