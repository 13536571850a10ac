import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PlanError, parseConfig, planNetwork } from "../../ipam";
import { nodeAgentIam, groupIam, kubeletMaySetLabel } from "../../ipam/node-options";
import { unknownNodeConfigFields } from "../../ipam/nodeadm";

const PRODUCTION = JSON.parse(readFileSync(join(__dirname, "../../examples/production.config.json"), "utf8"));
type Json = Record<string, any>;
/** The production example with one change. */
const variant = (edit: (c: Json) => void): Json => {
  const c = JSON.parse(JSON.stringify(PRODUCTION));
  edit(c);
  return c;
};
const dpdk = (edit: (g: Json) => void) => variant((c) => edit(c.nodeGroups[1]));

/** The PlanError parseConfig throws, as `field: problem`. */
function refusal(user: unknown): string {
  try {
    planNetwork(parseConfig(user));
  } catch (err) {
    if (err instanceof PlanError) return `${err.field}: ${err.problem}`;
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("node group production options in the config", () => {
  test("GIVEN the production example THEN it is valid, and the dpdk group keeps both instance types with the smallest kubelet max-pods", () => {
    const config = parseConfig(PRODUCTION);
    const plan = planNetwork(config);
    const g = plan.groups.find((x) => x.name === "dpdk")!;
    expect(g.instances.map((i) => i.instanceType)).toEqual(["c5.4xlarge", "c5.2xlarge"]);
    // (ENIs - 1 multus ENI) x (IPv4 per ENI - 1) + 2: c5.4xlarge (8, 30) gives 205, c5.2xlarge (4, 15) gives 44.
    expect(g.kubeletMaxPods).toBe(44);
    expect(g.instance.instanceType).toBe("c5.2xlarge");
    expect(g.multusPodsPerEni).toBe(14);
    // The launch template's type is the first.
    expect(config.nodeGroups[1]!.instanceType).toBe("c5.4xlarge");
  });

  test.each<[string, Json, RegExp]>([
    ["a KMS key that is not an ARN", dpdk((g) => (g.volume.kmsKeyId = "alias/ebs")), /^nodeGroups\[1\]\.volume\.kmsKeyId: "alias\/ebs" is not a KMS key ARN$/],
    ["a KMS key id without the ARN", dpdk((g) => (g.extraVolumes[0].kmsKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab")), /^nodeGroups\[1\]\.extraVolumes\[0\]\.kmsKeyId: .* is not a KMS key ARN$/],
    ["a placement strategy that is not one of three", dpdk((g) => (g.placementGroup.strategy = "rack")), /^nodeGroups\[1\]\.placementGroup\.strategy: must be one of cluster, partition, spread, got "rack"$/],
    ["an instance type missing from the ENI table", dpdk((g) => (g.instanceTypes = ["c5.4xlarge", "c5.mega"])), /^nodeGroups\[1\]\.instanceTypes\[1\]: unknown instance type "c5\.mega"$/],
    ["a spot percentage above 100", dpdk((g) => (g.spot.onDemandPercentageAboveBaseCapacity = 150)), /^nodeGroups\[1\]\.spot\.onDemandPercentageAboveBaseCapacity: must be a whole number from 0 to 100, got 150$/],
    ["a negative spot percentage", dpdk((g) => (g.spot.onDemandPercentageAboveBaseCapacity = -1)), /^nodeGroups\[1\]\.spot\.onDemandPercentageAboveBaseCapacity: must be a whole number from 0 to 100/],
    ["an On-Demand base above maxSize", dpdk((g) => (g.spot.onDemandBaseCapacity = 7)), /^nodeGroups\[1\]\.spot\.onDemandBaseCapacity: must be a whole number from 0 to 6, got 7$/],
    ["an unknown spot allocation strategy", dpdk((g) => (g.spot.allocationStrategy = "cheapest")), /^nodeGroups\[1\]\.spot\.allocationStrategy: must be one of price-capacity-optimized/],
    ["a cluster placement group over two zones", variant((c) => (c.nodeGroups[0].placementGroup = { strategy: "cluster" })), /^nodeGroups\[0\]\.placementGroup\.strategy: "cluster" keeps instances in one availability zone, but the group has 2$/],
    ["a spread placement group too small for maxSize", dpdk((g) => ((g.placementGroup = { strategy: "spread" }), (g.maxSize = 8))), /^nodeGroups\[1\]\.placementGroup\.strategy: "spread" holds at most 7 running instances per availability zone/],
    ["partitions on a cluster group", dpdk((g) => (g.placementGroup.partitionCount = 3)), /^nodeGroups\[1\]\.placementGroup\.partitionCount: is set on a cluster placement group$/],
    ["instance types of two architectures", dpdk((g) => (g.instanceTypes = ["c5.4xlarge", "c6g.4xlarge"])), /^nodeGroups\[1\]\.instanceTypes\[1\]: c6g\.4xlarge is arm64 but c5\.4xlarge is x86_64/],
    ["instanceType beside instanceTypes, not their first", dpdk((g) => (g.instanceType = "m5.large")), /^nodeGroups\[1\]\.instanceType: "m5\.large" is not the first of nodeGroups\[1\]\.instanceTypes$/],
    ["throughput on an io2 volume", dpdk((g) => (g.volume = { type: "io2", iops: 10000, throughput: 500 })), /^nodeGroups\[1\]\.volume\.throughput: is set on a io2 volume; only gp3 takes it$/],
    ["an io1 volume without iops", dpdk((g) => (g.extraVolumes[0] = { deviceName: "/dev/xvdb", type: "io1", size: 100 })), /^nodeGroups\[1\]\.extraVolumes\[0\]\.iops: is required for a io1 volume$/],
    ["st1 as the root volume", dpdk((g) => (g.volume = { type: "st1" })), /^nodeGroups\[1\]\.volume\.type: must be one of gp3, gp2, io1, io2, standard/],
    ["gp3 IOPS below its baseline", dpdk((g) => (g.volume.iops = 1000)), /^nodeGroups\[1\]\.volume\.iops: must be a whole number from 3000 to 80000, got 1000$/],
    ["a label the kubelet may not set", dpdk((g) => (g.labels = { "kubernetes.io/role": "dpdk" })), /^nodeGroups\[1\]\.labels\.kubernetes\.io\/role: is in the kubernetes\.io or k8s\.io namespace/],
    ["the node group label", dpdk((g) => (g.labels = { "multus.eks.amazonaws.com/node-group": "x" })), /^nodeGroups\[1\]\.labels\.multus\.eks\.amazonaws\.com\/node-group: is the label the node group sets to its name$/],
    ["the startup taint", dpdk((g) => (g.taints = [{ key: "multus.eks.amazonaws.com/network-not-ready", effect: "NoSchedule" }])), /^nodeGroups\[1\]\.taints\[0\]\.key: is the startup taint/],
    ["a taint effect kubelet does not know", dpdk((g) => (g.taints[0].effect = "NoRun")), /^nodeGroups\[1\]\.taints\[0\]\.effect: must be one of NoSchedule, PreferNoSchedule, NoExecute/],
    ["a NodeConfig field nodeadm does not have", dpdk((g) => (g.nodeConfig = { kubelet: { confg: {} } })), /^nodeGroups\[1\]\.nodeConfig\.kubelet\.confg: is not a field \(or value\) of nodeadm's NodeConfig spec \(node\.eks\.aws\/v1alpha1\)$/],
    ["a feature gate nodeadm does not have", dpdk((g) => (g.nodeConfig = { featureGates: { FastImagePull: true, Turbo: true } })), /^nodeGroups\[1\]\.nodeConfig\.featureGates: is not a field \(or value\)/],
    ["maxPods in the extra NodeConfig", dpdk((g) => (g.nodeConfig.kubelet.config.maxPods = 110)), /^nodeGroups\[1\]\.nodeConfig\.kubelet\.config\.maxPods: is the address plan's kubelet max-pods$/],
    ["registerWithTaints in the extra NodeConfig", dpdk((g) => (g.nodeConfig.kubelet.config.registerWithTaints = [])), /^nodeGroups\[1\]\.nodeConfig\.kubelet\.config\.registerWithTaints: would replace the node group's taints/],
    ["--register-with-taints in the extra flags", dpdk((g) => g.nodeConfig.kubelet.flags.push("--register-with-taints=a=b:NoSchedule")), /^nodeGroups\[1\]\.nodeConfig\.kubelet\.flags: sets --register-with-taints/],
    ["the cluster in the extra NodeConfig", dpdk((g) => (g.nodeConfig.cluster = { name: "other" })), /^nodeGroups\[1\]\.nodeConfig\.cluster: is written by the node group/],
    ["a NodeConfig on AL2", dpdk((g) => (g.amiFamily = "al2")), /^nodeGroups\[1\]\.nodeConfig: is nodeadm's configuration, which only AL2023 reads/],
    ["an instance profile without its role", dpdk((g) => (g.iam = { instanceProfileArn: "arn:aws:iam::111122223333:instance-profile/x" })), /^nodeGroups\[1\]\.iam\.instanceProfileArn \(or iam\.instanceProfileArn\): is set without roleArn$/],
    ["an existing role with the top-level additional policies", variant((c) => (c.nodeGroups[0].iam = { roleArn: "arn:aws:iam::111122223333:role/eks-node" })), /^nodeGroups\[0\]\.iam\.additionalPolicyArns \(or iam\.additionalPolicyArns\): would attach policies to the existing role roleArn$/],
    ["a permissions boundary that is not a policy ARN", dpdk((g) => (g.iam.permissionsBoundary = "telco-boundary")), /^nodeGroups\[1\]\.iam\.permissionsBoundary: "telco-boundary" is not an ARN of policy$/],
    ["IRSA without the OIDC provider", variant((c) => (c.iam.nodeAgent = { credentials: "irsa" })), /^iam\.nodeAgent\.oidcProviderArn: undefined is not an ARN of oidc provider$/],
    ["a hook named as a multus hook", dpdk((g) => (g.lifecycleHooks[0].name = "multus-terminate")), /^nodeGroups\[1\]\.lifecycleHooks\[0\]\.name: "multus-terminate" is a multus hook's name$/],
    ["a hook target without a role", dpdk((g) => delete g.lifecycleHooks[0].roleArn), /^nodeGroups\[1\]\.lifecycleHooks\[0\]\.roleArn: is required with notificationTargetArn$/],
    ["an S3 bucket name S3 refuses", variant((c) => (c.lambda.s3Bucket = "Multus_Artifacts")), /^lambda\.s3Bucket: "Multus_Artifacts" is not valid$/],
    ["a tag key in the aws: namespace", variant((c) => (c.tags = { "aws:owner": "x" })), /^tags\.aws:owner: is not a valid tag key$/],
    ["an unknown resource tag kind", dpdk((g) => (g.resourceTags.subnet = {})), /^nodeGroups\[1\]\.resourceTags\.subnet: is not a known field$/],
    ["a max instance lifetime under a day", dpdk((g) => (g.maxInstanceLifetime = 3600)), /^nodeGroups\[1\]\.maxInstanceLifetime: must be a whole number from 86400 to 31536000, got 3600$/],
    ["a metric Auto Scaling does not have", dpdk((g) => g.enabledMetrics.push("GroupCpu")), /^nodeGroups\[1\]\.enabledMetrics\[2\]: must be one of GroupMinSize/],
    ["a termination policy that is neither a policy nor a Lambda ARN", dpdk((g) => (g.terminationPolicies = ["Random"])), /^nodeGroups\[1\]\.terminationPolicies\[0\]: must be one of Default/],
    ["checkpoints that do not end at 100", dpdk((g) => (g.instanceRefresh.checkpointPercentages = [20, 50])), /^nodeGroups\[1\]\.instanceRefresh\.checkpointPercentages: \[20,50\] is not ascending to 100$/],
    ["a pre-bootstrap script holding the MIME boundary", dpdk((g) => (g.preBootstrapScript = "echo a\n--MULTUSBOUNDARY--\necho b")), /^nodeGroups\[1\]\.preBootstrapScript: contains the user data's MIME boundary line$/],
  ])("GIVEN %s THEN the config is refused naming the field", (_what, user, expected) => {
    expect(refusal(user)).toMatch(expected);
  });

  test("GIVEN a group whose instance types do not all fit its multus ENIs THEN the plan names the type that does not", () => {
    // c5.large has 3 ENIs: with three networks none is left for the VPC CNI.
    const user = variant((c) => {
      c.networks.push(
        { name: "midhaul", subnets: [{ cidr: "10.0.6.0/24", id: "subnet-0c0ffee0c0ffee006", availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"] },
        { name: "backhaul", subnets: [{ cidr: "10.0.7.0/24", id: "subnet-0c0ffee0c0ffee007", availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"] },
      );
      c.nodeGroups[1].networks = ["fronthaul", "midhaul", "backhaul"];
      c.nodeGroups[1].instanceTypes = ["c5.4xlarge", "c5.large"];
    });
    expect(refusal(user)).toMatch(/^nodeGroups\[1\]\.instanceTypes\[1\]: group "dpdk": c5\.large has 3 ENIs; its 3 networks per node/);
  });

  test("GIVEN the shorthand WHEN its nodeGroup takes the options THEN they are checked there too, naming nodeGroup", () => {
    expect(refusal({ nodeGroup: { placementGroup: { strategy: "ring" } } })).toMatch(/^nodeGroup\.placementGroup\.strategy: must be one of cluster, partition, spread/);
    expect(refusal({ nodeGroup: { instanceTypes: ["c5.2xlarge", "c5.xlarge"], spot: { onDemandPercentageAboveBaseCapacity: 101 } } })).toMatch(/^nodeGroup\.spot\.onDemandPercentageAboveBaseCapacity/);
    const ok = parseConfig({ nodeGroup: { instanceTypes: ["c5.xlarge", "c5.2xlarge"] } });
    expect(ok.nodeGroups[0]!.instanceType).toBe("c5.xlarge");
  });

  test("GIVEN attachCniPolicy false on a group THEN the node agent gets its own role (Pod Identity by default); the top-level iam is every group's default", () => {
    const config = parseConfig(PRODUCTION);
    expect(nodeAgentIam(config)).toEqual({ credentials: "pod-identity" });
    expect(groupIam(config.iam, config.nodeGroups[0]!.iam)).toEqual({ additionalPolicyArns: ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"] });
    expect(groupIam(config.iam, config.nodeGroups[1]!.iam).attachCniPolicy).toBe(false);
    expect(nodeAgentIam(parseConfig(variant((c) => delete c.nodeGroups[1].iam.attachCniPolicy)))).toBeUndefined();
  });

  test("GIVEN the kubelet's label namespaces THEN only its own kubernetes.io labels pass", () => {
    expect(["example.com/a", "node.kubernetes.io/role", "kubelet.kubernetes.io/x", "topology.kubernetes.io/zone", "plain"].every(kubeletMaySetLabel)).toBe(true);
    expect(["kubernetes.io/role", "node-role.kubernetes.io/worker", "k8s.io/x", "foo.k8s.io/y"].some(kubeletMaySetLabel)).toBe(false);
  });

  test("GIVEN NodeConfig specs THEN unknownNodeConfigFields lists what nodeadm's API (v20260724) does not have", () => {
    expect(unknownNodeConfigFields({ kubelet: { config: { anything: 1 }, flags: [] }, instance: { localStorage: { strategy: "RAID0" } }, featureGates: { InstanceIdNodeName: true } })).toEqual([]);
    expect(unknownNodeConfigFields({ instance: { localStorage: { strategy: "RAID5" }, network: { dns: [] } }, containers: {} })).toEqual(["instance.localStorage.strategy", "instance.network.dns", "containers"]);
  });
});
