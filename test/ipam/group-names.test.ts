import { fitName, karpenterNames, launcherName, nodeRoleName } from "../../ipam/group-names";

describe("ipam/group-names", () => {
  test("GIVEN each kind THEN its launcher name: the Auto Scaling group's as given, a NodePool's or EKS node group's lowercase DNS characters", () => {
    expect(launcherName("Prod_Cluster", { name: "Ng1", kind: "autoscaling" })).toBe("Prod_Cluster-Ng1");
    expect(launcherName("Prod_Cluster", { name: "Ng1", kind: "karpenter" })).toBe("prod-cluster-ng1");
    expect(launcherName("Prod_Cluster", { name: "Ng1", kind: "managed" })).toBe("prod-cluster-ng1");
  });

  test("GIVEN no iam THEN a karpenter group's role is fixed (<cluster>-<group>-node), the other kinds' a prefix", () => {
    expect(nodeRoleName("c1", { name: "burst", kind: "karpenter" }, {})).toEqual({ existing: false, name: "c1-burst-node", prefix: false });
    expect(nodeRoleName("c1", { name: "steady", kind: "managed" }, {})).toEqual({ existing: false, name: "steady-node", prefix: true });
  });

  test("GIVEN iam.roleName, roleUseNamePrefix or roleArn THEN they win over the defaults", () => {
    expect(nodeRoleName("c1", { name: "burst", kind: "karpenter" }, { roleName: "cnf-node" })).toEqual({ existing: false, name: "cnf-node", prefix: false });
    expect(nodeRoleName("c1", { name: "asg", kind: "autoscaling" }, { roleName: "cnf-node", roleUseNamePrefix: false })).toEqual({ existing: false, name: "cnf-node", prefix: false });
    const roleArn = "arn:aws:iam::111122223333:role/eks/KarpenterNodeRole";
    expect(nodeRoleName("c1", { name: "burst", kind: "karpenter" }, { roleArn })).toEqual({ existing: true, roleArn });
    expect(karpenterNames("c1", { name: "burst", kind: "karpenter" }, { roleArn })).toEqual({ nodePool: "c1-burst", nodeRole: "KarpenterNodeRole" });
  });

  test("GIVEN a prefixed role on a karpenter group THEN its name is unknown before apply: none is given", () => {
    expect(karpenterNames("c1", { name: "burst", kind: "karpenter" }, { roleUseNamePrefix: true })).toEqual({ nodePool: "c1-burst" });
  });

  test("GIVEN a name over the limit THEN cut with a hash of the whole, so two long names stay distinct", () => {
    const a = fitName(`${"x".repeat(70)}-a`, 64);
    const b = fitName(`${"x".repeat(70)}-b`, 64);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
    expect(fitName("short", 64)).toBe("short");
  });
});
