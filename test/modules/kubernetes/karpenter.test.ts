import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { parseConfig, planNetwork } from "../../../ipam";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { GROUP_INSTANCE_TAG } from "../../../contract/state-change";
import { parseLambdaGroups } from "../../../contract/lambda-env";
import { only, statements, synthConfigStack } from "../aws/helpers";
import { buildKubernetesStacks } from "../../../modules/kubernetes/stacks";
import { K8sObject } from "../../../modules/kubernetes/objects/common";
import { find, manifestsOf, newApp, synthJson } from "./helpers";

/** CRD schemas and objects, read loosely. */
type Json = any;

const CRDS = join(__dirname, "../../../modules/kubernetes/crds/karpenter");
const MIXED = JSON.parse(readFileSync(join(__dirname, "../../../examples/mixed.config.json"), "utf8"));

/**
 * A CRD version's schema as the API server applies it to a write: fields it does not name are
 * pruned (a typo would be lost silently), so they are errors here: every object schema with
 * properties and no additionalProperties or x-kubernetes-preserve-unknown-fields is closed.
 */
function structural(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(structural);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Json = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === "properties" ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, structural(s as Json)])) : structural(v as Json)]));
  if (out.type === "object" && out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  return out;
}

function validator(file: string, version: string) {
  const crd = parse(readFileSync(join(CRDS, file), "utf8")) as Json;
  const v = (crd.spec.versions as Json[]).find((x) => x.name === version)!;
  // Kubernetes' own keywords (x-kubernetes-*) are not JSON Schema: not strict. CEL rules are not evaluated.
  // Formats (int64, date-time) are Kubernetes' and not checked by the API server's schema either.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(structural(v.schema.openAPIV3Schema));
}
const validNodeClass = validator("karpenter.k8s.aws_ec2nodeclasses.yaml", "v1");
const validNodePool = validator("karpenter.sh_nodepools.yaml", "v1");

function errors(validate: ReturnType<typeof validator>, obj: K8sObject): string[] {
  return validate(obj) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

describe("GIVEN the mixed example's karpenter group", () => {
  const config = parseConfig(MIXED);
  const plan = planNetwork(config);
  const stacks = buildKubernetesStacks(newApp(), config, plan);
  const objects = manifestsOf(synthJson(stacks.networks));
  const nodeClass = find(objects, "EC2NodeClass", "eks-multus-cluster-burst");
  const nodePool = find(objects, "NodePool", "eks-multus-cluster-burst");
  const burst = plan.groups.find((g) => g.name === "burst")!;

  test("THEN the networks stack holds one EC2NodeClass and one NodePool, both valid against Karpenter v1.14.1's CRD schemas", () => {
    expect(objects.filter((o) => o.kind === "EC2NodeClass" || o.kind === "NodePool")).toHaveLength(2);
    expect(errors(validNodeClass, nodeClass)).toEqual([]);
    expect(errors(validNodePool, nodePool)).toEqual([]);
  });

  test("THEN the NodePool carries the startup taint, limits.nodes = maxSize, and only the group's instance types and zones", () => {
    const spec = nodePool.spec as Json;
    expect(spec.template.spec.startupTaints).toEqual([{ ...STARTUP_TAINT }]);
    expect(spec.limits).toEqual({ nodes: 6 });
    expect(spec.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "eks-multus-cluster-burst" });
    expect(spec.template.spec.requirements).toContainEqual({ key: "node.kubernetes.io/instance-type", operator: "In", values: ["c5.2xlarge", "c5.4xlarge", "m5.2xlarge"] });
    expect(spec.template.spec.requirements).toContainEqual({ key: "topology.kubernetes.io/zone", operator: "In", values: ["us-west-2a", "us-west-2b"] });
    expect(spec.template.metadata.labels["multus.eks.amazonaws.com/node-group"]).toBe("burst");
  });

  test("THEN the NodePool runs on the group's capacity types, spot and on-demand (the example lists spot first; the requirement's order is fixed)", () => {
    expect(MIXED.nodeGroups[1].capacityTypes).toEqual(["spot", "on-demand"]);
    expect((nodePool.spec as Json).template.spec.requirements).toContainEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand", "spot"] });
  });

  test("THEN the EC2NodeClass: AL2023 by AMI id, subnets by id, node role by name, kubelet maxPods from the plan, user data with the host networking part", () => {
    const spec = nodeClass.spec as Json;
    expect(spec.amiFamily).toBe("AL2023");
    expect(spec.subnetSelectorTerms).toEqual(MIXED.nodeGroups[1].subnetIds.map((id: string) => ({ id })));
    expect(spec.role).toBe("eks-multus-cluster-burst-node");
    expect(spec.kubelet.maxPods).toBe(burst.kubeletMaxPods);
    expect(spec.userData).toMatch(/multus-eni/);
    expect(spec.userData).toMatch(new RegExp(`maxPods: ${burst.kubeletMaxPods}`));
    // Karpenter's CEL rules that ajv does not run: exactly one of role / instanceProfile; amiFamily without an alias; no restricted tag.
    expect("instanceProfile" in spec).toBe(false);
    expect(spec.tags["karpenter.sh/nodepool"]).toBeUndefined();
  });

  test("THEN a misspelt field fails the CRD check (the API server would prune it)", () => {
    const bad = structuredClone(nodePool) as Json;
    bad.spec.template.spec.startupTaint = bad.spec.template.spec.startupTaints;
    expect(errors(validNodePool, bad as K8sObject).join()).toMatch(/additionalProperty.*startupTaint"/);
  });
});

describe("GIVEN a karpenter group whose capacityTypes are left out", () => {
  const user = structuredClone(MIXED);
  delete user.nodeGroups[1].capacityTypes;
  const config = parseConfig(user);
  const nodePool = find(manifestsOf(synthJson(buildKubernetesStacks(newApp(), config, planNetwork(config)).networks)), "NodePool", "eks-multus-cluster-burst");

  test("THEN the NodePool runs on on-demand only, and still validates against the CRD", () => {
    expect((nodePool.spec as Json).template.spec.requirements).toContainEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] });
    expect(errors(validNodePool, nodePool)).toEqual([]);
  });
});

describe("GIVEN the AWS stack and the Kubernetes stacks synthesized from one cluster config", () => {
  /** A Terraform reference `${aws_iam_role.<id>.name}` read back to the role's name in the synthesized JSON; a literal as is. */
  const roleName = (tf: Json, value: string): string => {
    const ref = /^\$\{aws_iam_role\.([^.]+)\.name\}$/.exec(value);
    return ref ? tf.resource.aws_iam_role[ref[1]!].name : value;
  };

  test.each([
    ["the example as it is", () => {}],
    ["a top-level iam.roleName", (x: Json) => (x.iam = { roleName: "cnf-node" })],
    ["the group's own iam.roleName", (x: Json) => (x.nodeGroups[1].iam = { roleName: "burst-role", roleUseNamePrefix: false })],
    ["an existing role (iam.roleArn)", (x: Json) => (x.nodeGroups[1].iam = { roleArn: "arn:aws:iam::111122223333:role/eks/KarpenterNodeRole-burst" })],
    ["a long cluster name", (x: Json) => (x.cluster.name = "a-cluster-name-that-is-long-enough-to-be-cut-to-fit-iam")],
  ])("WHEN it has %s THEN the EC2NodeClass names the AWS stack's node role, and the NodePool is the name the Lambda selects instances by", (_what, edit) => {
    const user = structuredClone(MIXED);
    edit(user);
    const { tf, config, plan } = synthConfigStack(user);
    const objects = manifestsOf(synthJson(buildKubernetesStacks(newApp(), config, plan).networks));
    const nodeClass = find(objects, "EC2NodeClass");
    const nodePool = find(objects, "NodePool");

    // The role: the AWS stack's own output for the group, read back to the aws_iam_role it names.
    const role = roleName(tf, tf.output.karpenter_node_role_names.value.burst);
    expect((nodeClass.spec as Json).role).toBe(role);
    if (!user.nodeGroups[1].iam?.roleArn) expect(Object.values(tf.resource.aws_iam_role as Record<string, Json>).filter((r) => r.name === role)).toHaveLength(1);

    // The NodePool: the value the Lambda's environment and its attach permission select the group's instances by.
    const burst = parseLambdaGroups(only(tf, "aws_lambda_function").environment.variables).find((g) => g.kind === "karpenter")!;
    expect(nodePool.metadata.name).toBe(burst.autoScalingGroupName);
    const attach = statements(tf).filter((st) => String(st.sid).startsWith("AttachToHooklessInstances")).find((st) => st.condition[0].variable === `aws:ResourceTag/${GROUP_INSTANCE_TAG.karpenter}`)!;
    expect(attach.condition[0].values).toEqual([nodePool.metadata.name]);
    expect((nodePool.spec as Json).template.spec.nodeClassRef.name).toBe(nodeClass.metadata.name);
  });
});
