import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { CONFIG_SCHEMA_FILE, PlanError, parseConfig, placeholderFields, refusePlaceholders } from "../../ipam";
import { configSchemaText } from "../../cli/schema";

const ROOT = join(__dirname, "../..");
const schemaText = readFileSync(join(ROOT, CONFIG_SCHEMA_FILE), "utf8");
const readExample = (name: string) => JSON.parse(readFileSync(join(ROOT, "examples", name), "utf8"));
const example = readExample("multus.config.json");
const exampleFiles = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".config.json")).sort();
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(schemaText));
const schemaErrors = () => (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("; ");

/** The JSON pointer of the field a validator message (as a pattern) names first: `networks\[0\]\.vlan:` is /networks/0/vlan. */
const fieldPointer = (message: RegExp) => `/${message.source.split(":")[0]!.replace(/\\/g, "").replace(/\[(\d+)\]/g, ".$1").split(".").join("/")}`;

/** The schema refuses it at the field the validator names, or at an object holding it (not only at the top). */
function schemaRefusesAt(bad: unknown, message: RegExp): void {
  expect(validate(bad)).toBe(false);
  const at = fieldPointer(message);
  const near = (validate.errors ?? []).filter((e) => at === e.instancePath || at.startsWith(`${e.instancePath}/`)).filter((e) => e.instancePath !== "" || at.split("/").length === 2);
  expect(near.length ? at : schemaErrors()).toBe(at);
}

/** A small valid cluster form: one network, one group attaching it. */
const cluster = (network: Record<string, unknown> = {}, group: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  networks: [{ name: "data", subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }], securityGroupIds: ["sg-0c0ffee0c0ffee002"], ...network }],
  nodeGroups: [{ name: "cnf", subnetIds: ["subnet-0c0ffee0c0ffee002"], availabilityZones: ["us-west-2a"], networks: ["data"], ...group }],
  ...top,
});

describe("multus.config.schema.json", () => {
  test("GIVEN the shipped schema THEN it is what the validator's fields generate (npm run schema)", () => {
    expect(schemaText).toBe(configSchemaText());
  });

  test("GIVEN the examples folder THEN it holds the shorthand and every cluster-form example", () => {
    expect(exampleFiles).toEqual(["cluster.config.json", "dual-stack.config.json", "mixed.config.json", "multus.config.json", "production.config.json"]);
  });

  test.each(exampleFiles)("GIVEN examples/%s THEN the schema and the validator both accept it, and it points at the schema", (file) => {
    const config = readExample(file);
    expect(config.$schema).toBe(`../${CONFIG_SCHEMA_FILE}`);
    expect(validate(config) || schemaErrors()).toBe(true);
    expect(() => parseConfig(config, `examples/${file}`)).not.toThrow();
  });

  test("GIVEN the example's ids THEN they are placeholders: npm start refuses it until they are real", () => {
    expect(placeholderFields(parseConfig(example)).length).toBeGreaterThan(5);
    expect(() => refusePlaceholders(parseConfig(example), "examples/multus.config.json")).toThrow(PlanError);
  });

  test("GIVEN a small cluster form, a Karpenter group and a macvlan network THEN both accept them", () => {
    for (const good of [
      cluster(),
      cluster({ type: "macvlan", mode: "bridge", nad: { name: "data-net", namespace: "cnf" } }, { kind: "karpenter", maxSize: 4, instanceTypes: ["c5.2xlarge"] }),
      cluster({}, { kind: "managed", strategy: "reservation", workerHeadroom: 2 }, { multus: { image: "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.1_thick" } }),
      cluster({}, { kind: "karpenter", maxSize: 4, capacityTypes: ["spot", "on-demand"] }),
      cluster({}, { kind: "managed", capacityTypes: ["spot"] }),
    ]) {
      expect(validate(good) || schemaErrors()).toBe(true);
      expect(() => parseConfig(good)).not.toThrow();
    }
  });

  test.each([
    [{ multus: { sbunets: [] } }, /multus\.sbunets: is not a known field/],
    [{ nodeGroup: { maxSize: 0 } }, /nodeGroup\.maxSize: must be a whole number from 1 to 1000/],
    [{ multus: { strategy: "dhcp" } }, /multus\.strategy: must be one of/],
    [{ multus: { workerHeadroom: 70000 } }, /multus\.workerHeadroom: must be a whole number from 0 to 65000/],
    [{ vpc: { id: "vpc-xyz" } }, /vpc\.id: "vpc-xyz" is not valid/],
    [{ nodeGroup: { name: "ng-" } }, /nodeGroup\.name: "ng-" ends with "-"/],
    [{ multus: { subnets: [{ cidr: "10.0.4.0/24", availabilityZone: "us-west-2a" }] } }, /multus\.subnets\[0\]\.id: must be a non-empty string/],
    [{ cluster: { version: "v1.33" } }, /cluster\.version: "v1\.33" is not valid/],
    [{ tags: { "aws:team": "x" } }, /tags\.aws:team: is not a valid tag key/],
    [{ lambda: { s3Bucket: "my-artifacts" } }, /lambda\.s3Key: must be a non-empty string/],
    [{ nodeGroup: { taints: [{ key: "dedicated" }] } }, /nodeGroup\.taints\[0\]\.effect: must be one of/],
    [{ nodeGroup: { lifecycleHooks: [{ name: "drain notifier", transition: "terminate" }] } }, /nodeGroup\.lifecycleHooks\[0\]\.name: "drain notifier" is not valid/],
    [{ nodeGroup: { iam: { rolePath: "telco" } } }, /nodeGroup\.iam\.rolePath: "telco" is not valid/],
    [{ vpc: { ipv6Cidr: "2001:db8:1234:1a00::/64" } }, /vpc\.ipv6Cidr: 2001:db8:1234:1a00::\/64 is a \/64; a VPC's IPv6 block/],
  ])("GIVEN the shorthand %j THEN the schema refuses what the validator refuses", (bad, message) => {
    schemaRefusesAt(bad, message);
    expect(() => parseConfig(bad)).toThrow(message);
  });

  test.each([
    ["an unknown field in a network", cluster({ vlan: 12 }), /networks\[0\]\.vlan: is not a known field/],
    ["an unknown field in a network's NAD", cluster({ nad: { label: "x" } }), /networks\[0\]\.nad\.label: is not a known field/],
    ["an unknown field in a node group", cluster({}, { podsPerENI: 4 }), /nodeGroups\[0\]\.podsPerENI: is not a known field/],
    ["a bad kind", cluster({}, { kind: "fargate" }), /nodeGroups\[0\]\.kind: must be one of autoscaling, karpenter, managed/],
    ["a bad strategy", cluster({}, { strategy: "dhcp" }), /nodeGroups\[0\]\.strategy: must be one of static, reservation/],
    ["a subnet id that is not subnet-...", cluster({ subnets: [{ cidr: "10.0.4.0/24", id: "sn-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" }] }), /networks\[0\]\.subnets\[0\]\.id: "sn-0c0ffee0c0ffee004" is not valid/],
    ["a network's subnet without its id", cluster({ subnets: [{ cidr: "10.0.4.0/24", availabilityZone: "us-west-2a" }] }), /networks\[0\]\.subnets\[0\]\.id: must be a non-empty string/],
    ["a primary subnet id that is not subnet-...", cluster({}, { subnetIds: ["subnet-xyz"] }), /nodeGroups\[0\]\.subnetIds\[0\]: "subnet-xyz" is not valid/],
    ["nodeGroup beside nodeGroups", cluster({}, {}, { nodeGroup: { name: "ng1" } }), /nodeGroup: is the single-group shorthand and cannot be mixed/],
    ["multus subnets beside networks", cluster({}, {}, { multus: { subnets: [] } }), /multus\.subnets: is the single-group shorthand and cannot be mixed/],
    ["networks without nodeGroups", { networks: cluster().networks }, /nodeGroups: must be a list of at least 1/],
    ["an empty networks list", cluster({}, {}, { networks: [] }), /networks: must be a list of at least 1/],
    ["a network without securityGroupIds", cluster({ securityGroupIds: undefined }), /networks\[0\]\.securityGroupIds: must be a list of at least 1/],
    ["a network name with capitals", cluster({ name: "Data" }, { networks: ["Data"] }), /networks\[0\]\.name: "Data" is not valid/],
    ["a mode of another CNI type", cluster({ type: "macvlan", mode: "l2" }), /networks\[0\]\.mode: "l2" is not a macvlan mode/],
    ["a macvlan mode on the default type (ipvlan)", cluster({ mode: "bridge" }), /networks\[0\]\.mode: "bridge" is not a ipvlan mode/],
    ["a bad podBlock", cluster({ podBlock: "node" }), /networks\[0\]\.podBlock: must be one of network, group/],
    ["a NAD namespace that is no DNS label", cluster({ nad: { namespace: "Kube_System" } }), /networks\[0\]\.nad\.namespace: "Kube_System" is not valid/],
    ["a group without availabilityZones", cluster({}, { availabilityZones: undefined }), /nodeGroups\[0\]\.availabilityZones: must be a list of at least 1/],
    ["an availability zone listed twice", cluster({}, { availabilityZones: ["us-west-2a", "us-west-2a"] }), /nodeGroups\[0\]\.availabilityZones\[1\]: us-west-2a is listed twice/],
    ["a network listed twice on a group", cluster({}, { networks: ["data", "data"] }), /nodeGroups\[0\]\.networks\[1\]: group "cnf" lists network "data" twice/],
    ["podsPerNode out of bounds", cluster({}, { podsPerNode: 0 }), /nodeGroups\[0\]\.podsPerNode: must be a whole number from 1 to 65000/],
    ["an Auto Scaling option on a managed group", cluster({}, { kind: "managed", spot: {} }), /nodeGroups\[0\]\.spot: is an Auto Scaling group option; a managed group has none/],
    ["a minimum size on a Karpenter group", cluster({}, { kind: "karpenter", maxSize: 4, minSize: 1 }), /nodeGroups\[0\]\.minSize: has no meaning for a Karpenter NodePool/],
    ["a Karpenter group without maxSize", cluster({}, { kind: "karpenter" }), /nodeGroups\[0\]\.maxSize: is not set/],
    ["an interface tag the Lambda sets itself", cluster({ interfaceTags: { "multus.eks.amazonaws.com/node-group": "x" } }), /networks\[0\]\.interfaceTags\.multus\.eks\.amazonaws\.com\/node-group: is a tag the Lambda sets itself/],
    ["an instance type listed twice", cluster({}, { instanceTypes: ["c5.2xlarge", "c5.2xlarge"] }), /nodeGroups\[0\]\.instanceTypes\[1\]: c5\.2xlarge is listed twice/],
    ["a bad production option on a group", cluster({}, { volume: { type: "st1" } }), /nodeGroups\[0\]\.volume\.type: must be one of gp3/],
    ["capacity types on an autoscaling group", cluster({}, { capacityTypes: ["spot"] }), /nodeGroups\[0\]\.capacityTypes: is the capacity of a karpenter or managed group.*Fix: use nodeGroups\[0\]\.spot/],
    ["two capacity types on a managed group", cluster({}, { kind: "managed", capacityTypes: ["spot", "on-demand"] }), /nodeGroups\[0\]\.capacityTypes: lists 2 capacity types; an EKS managed node group runs on one/],
    ["EKS's spelling of a capacity type", cluster({}, { kind: "managed", capacityTypes: ["SPOT"] }), /nodeGroups\[0\]\.capacityTypes\[0\]: must be one of on-demand, spot/],
    ["Karpenter's reserved capacity type", cluster({}, { kind: "karpenter", maxSize: 4, capacityTypes: ["reserved"] }), /nodeGroups\[0\]\.capacityTypes\[0\]: "reserved" launches only into capacity reservations/],
    ["a capacity type listed twice", cluster({}, { kind: "karpenter", maxSize: 4, capacityTypes: ["spot", "spot"] }), /nodeGroups\[0\]\.capacityTypes\[1\]: spot is listed twice/],
  ])("GIVEN the cluster form with %s THEN the schema refuses what the validator refuses, at the same field", (_what, bad, message) => {
    schemaRefusesAt(bad, message);
    expect(() => parseConfig(bad)).toThrow(message);
  });

  // Containment of one CIDR in another is beyond JSON Schema: the validator alone refuses it.
  test.each([
    [
      "the shorthand",
      { vpc: { ipv6Cidr: "2001:db8:1234:1a00::/56" }, multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a", ipv6Cidr: "2001:db8:1234:1b04::/64" }] } },
      /multus\.subnets\[0\]\.ipv6Cidr: 2001:db8:1234:1b04::\/64 is not inside vpc\.ipv6Cidr/,
    ],
    [
      "the cluster form",
      cluster({ subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a", ipv6Cidr: "2001:db8:1234:1b04::/64" }] }, {}, { vpc: { id: "vpc-0c0ffee0c0ffee001", cidr: "10.0.0.0/16", ipv6Cidr: "2001:db8:1234:1a00::/56" } }),
      /networks\[0\]\.subnets\[0\]\.ipv6Cidr: 2001:db8:1234:1b04::\/64 is not inside vpc\.ipv6Cidr/,
    ],
  ])("GIVEN %s with a subnet's ipv6Cidr outside vpc.ipv6Cidr THEN the schema accepts the shape and the validator refuses it at the subnet's field", (_what, bad, message) => {
    expect(validate(bad) || schemaErrors()).toBe(true);
    expect(() => parseConfig(bad)).toThrow(message);
  });
});
