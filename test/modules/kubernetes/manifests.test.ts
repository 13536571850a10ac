import { TerraformStack } from "cdktf";
import { parseNad } from "../../../simulator/cni/nad";
import {
  K8sObject,
  MULTUS_IMAGE,
  WHEREABOUTS_IMAGE,
  buildKubernetesStacks,
  multusObjects,
  whereaboutsObjects,
  agentObjects,
  nadCrd,
} from "../../../modules/kubernetes";
import { ipToInt } from "../../../ipam";
import { DEFAULT, configAndPlan, find, manifestsOf, newApp, schemaErrors, structuralErrors, synthJson, unknownFields, validateObject } from "./helpers";

type Json = Record<string, unknown>;
const AGENT_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/multus-node-agent:v0.1.0";

function everything(): { addons: K8sObject[]; networks: K8sObject[] } {
  const app = newApp();
  const stacks = buildKubernetesStacks(app, DEFAULT.config, DEFAULT.plan, {
    agent: { image: AGENT_IMAGE },
    awsAuth: { nodeRoleArn: "arn:aws:iam::123456789012:role/ng1-NodeInstanceRole" },
    sample: { create: true },
  });
  return { addons: manifestsOf(synthJson(stacks.addons)), networks: manifestsOf(synthJson(stacks.networks as TerraformStack)) };
}

/** Objects of one component as the API server sees them after apply, grouped by owner. */
function podSpecOf(obj: K8sObject): Json {
  const spec = obj.spec as Json;
  return obj.kind === "Pod" ? spec : ((spec.template as Json).spec as Json);
}

/** Every name a component's objects refer to exists in the component (or is built in). */
function danglingReferences(objects: K8sObject[]): string[] {
  const has = (kind: string, name: string, ns?: string) => objects.some((o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns));
  const problems: string[] = [];
  for (const o of objects) {
    if (o.kind === "ClusterRoleBinding") {
      const ref = o.roleRef as Json;
      if (!has("ClusterRole", String(ref.name))) problems.push(`${o.metadata.name}: roleRef ${String(ref.name)} missing`);
      for (const s of o.subjects as Json[]) if (!has("ServiceAccount", String(s.name), String(s.namespace))) problems.push(`${o.metadata.name}: subject ${String(s.namespace)}/${String(s.name)} missing`);
    }
    if (["DaemonSet", "Deployment"].includes(o.kind)) {
      const spec = podSpecOf(o);
      if (!has("ServiceAccount", String(spec.serviceAccountName), o.metadata.namespace)) problems.push(`${o.metadata.name}: service account ${String(spec.serviceAccountName)} missing`);
      const volumes = new Map(((spec.volumes as Json[]) ?? []).map((v) => [String(v.name), v]));
      for (const c of [...((spec.containers as Json[]) ?? []), ...((spec.initContainers as Json[]) ?? [])]) {
        for (const m of (c.volumeMounts as Json[]) ?? []) if (!volumes.has(String(m.name))) problems.push(`${o.metadata.name}/${String(c.name)}: mount of undeclared volume ${String(m.name)}`);
      }
      for (const v of volumes.values()) {
        const cm = v.configMap as Json | undefined;
        if (!cm) continue;
        const target = objects.find((x) => x.kind === "ConfigMap" && x.metadata.name === cm.name && x.metadata.namespace === o.metadata.namespace);
        if (!target) problems.push(`${o.metadata.name}: config map ${String(cm.name)} missing`);
        for (const item of (cm.items as Json[]) ?? []) if (target && !(String(item.key) in (target.data as Json))) problems.push(`${o.metadata.name}: key ${String(item.key)} not in ${String(cm.name)}`);
      }
      const selector = ((o.spec as Json).selector as Json).matchLabels as Record<string, string>;
      const labels = (((o.spec as Json).template as Json).metadata as Json).labels as Record<string, string>;
      for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) problems.push(`${o.metadata.name}: selector ${k}=${v} does not match the pod labels`);
    }
  }
  return problems;
}

describe("generated manifests against the Kubernetes schemas", () => {
  const { addons, networks } = everything();

  it("GIVEN every component switched on WHEN synthesized THEN each object validates against its kind's schema", () => {
    const all = [...addons, ...networks];
    expect(all.map((o) => o.kind)).toEqual(expect.arrayContaining(["CustomResourceDefinition", "DaemonSet", "Deployment", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "ConfigMap", "NetworkAttachmentDefinition", "Pod"]));
    const problems = all.flatMap(validateObject);
    expect(problems).toEqual([]);
  });

  it("GIVEN the built-in objects THEN none has a field that Kubernetes does not define", () => {
    const builtIn = [...addons, ...networks].filter((o) => o.kind !== "NetworkAttachmentDefinition");
    expect(builtIn.length).toBeGreaterThan(15);
    expect(unknownFields(builtIn)).toEqual([]);
  });

  it("GIVEN the installed CRDs THEN their schemas are structural (every node typed)", () => {
    const crds = addons.filter((o) => o.kind === "CustomResourceDefinition");
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "ippools.whereabouts.cni.cncf.io",
      "network-attachment-definitions.k8s.cni.cncf.io",
      "nodeslicepools.whereabouts.cni.cncf.io",
      "overlappingrangeipreservations.whereabouts.cni.cncf.io",
    ]);
    for (const crd of crds) {
      for (const v of (crd.spec as Json).versions as Json[]) expect(structuralErrors((v.schema as Json).openAPIV3Schema as Json)).toEqual([]);
    }
  });

  it("GIVEN each addon's objects THEN every service account, role, volume, config map key and selector they refer to is among them", () => {
    expect(danglingReferences(multusObjects())).toEqual([]);
    expect(danglingReferences(whereaboutsObjects())).toEqual([]);
    expect(danglingReferences(agentObjects({ image: AGENT_IMAGE, region: "us-west-2" }))).toEqual([]);
    expect(danglingReferences(addons)).toEqual([]);
  });

  it("GIVEN a generated NAD THEN spec.config is CNI JSON: cniVersion, the NAD's name, a main plugin on a master interface and whereabouts IPAM", () => {
    const nads = networks.filter((o) => o.kind === "NetworkAttachmentDefinition");
    expect(nads).toHaveLength(DEFAULT.plan.subnets.length);
    for (const nad of nads) {
      const config = (nad.spec as Json).config;
      expect(typeof config).toBe("string");
      const cni = JSON.parse(config as string) as Json;
      expect(cni).toMatchObject({ cniVersion: "0.3.1", name: nad.metadata.name, type: "ipvlan", mode: "l2" });
      expect(cni.master).toMatch(/^[a-z][a-z0-9]{1,14}$/);
      expect((cni.ipam as Json).type).toBe("whereabouts");
      // The simulator's NAD parser (multus' reading of spec.config) takes it as whereabouts IPAM.
      const parsed = parseNad(JSON.stringify(nad), "nad.json");
      expect(parsed.map((p) => p.ipam.type)).toEqual(["whereabouts"]);
    }
  });

  it("GIVEN the multus DaemonSet THEN it runs the pinned thick image, the daemon and the shim installer, as the AWS manifest", () => {
    const ds = find(addons, "DaemonSet", "kube-multus-ds");
    const spec = podSpecOf(ds);
    const [daemon] = spec.containers as Json[];
    const [init] = spec.initContainers as Json[];
    expect(daemon).toMatchObject({ image: MULTUS_IMAGE, command: ["/usr/src/multus-cni/bin/multus-daemon"] });
    expect(init).toMatchObject({ image: MULTUS_IMAGE, command: ["cp", "-f", "/usr/src/multus-cni/bin/multus-shim", "/host/opt/cni/bin/multus-shim"] });
    expect(spec).toMatchObject({ hostNetwork: true, hostPID: true, serviceAccountName: "multus" });
    const cm = find(addons, "ConfigMap", "multus-daemon-config");
    const daemonConfig = JSON.parse((cm.data as Record<string, string>)["daemon-config.json"]!) as Json;
    expect(daemonConfig).toMatchObject({ multusMasterCNI: "10-aws.conflist", cniVersion: "0.3.1", multusConfigFile: "auto" });
  });

  it("GIVEN whereabouts THEN the DaemonSet and the ip-reconciler run the release-tagged image and the reconciler reads the configured schedule", () => {
    const objects = whereaboutsObjects({ reconcilerSchedule: "*/15 * * * *" });
    for (const name of ["whereabouts", "whereabouts-reconciler"]) {
      const w = objects.find((o) => o.metadata.name === name && ["DaemonSet", "Deployment"].includes(o.kind))!;
      for (const c of podSpecOf(w).containers as Json[]) expect(c.image).toBe(WHEREABOUTS_IMAGE);
    }
    expect(WHEREABOUTS_IMAGE).not.toMatch(/:latest$/);
    expect(find(objects, "ConfigMap", "whereabouts-config").data).toEqual({ "cron-expression": "*/15 * * * *" });
    expect(whereaboutsObjects({ reconciler: false }).some((o) => o.kind === "Deployment")).toBe(false);
    expect(() => whereaboutsObjects({ reconcilerSchedule: "daily" })).toThrow(/whereabouts.reconcilerSchedule.*cron/);
  });

  it("GIVEN no schedule THEN the ip-reconciler runs every 5 minutes, not upstream's daily, so a failed node's pod addresses come back within minutes", () => {
    expect(find(whereaboutsObjects(), "ConfigMap", "whereabouts-config").data).toEqual({ "cron-expression": "*/5 * * * *" });
  });
});

describe("synthesized NADs against the plan", () => {
  it("GIVEN subnets in two zones and the reservation strategy WHEN synthesized THEN each NAD's IPAM range, parsed from its JSON config, is its subnet's pod block, on that zone's device", () => {
    const made = configAndPlan({
      multus: {
        strategy: "reservation",
        subnets: [
          { cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" },
          { cidr: "10.0.8.0/22", id: "subnet-0c0ffee0c0ffee008", availabilityZone: "us-west-2b" },
          { cidr: "10.0.5.0/24", id: "subnet-0c0ffee0c0ffee005", availabilityZone: "us-west-2a", podRange: "10.0.5.100-10.0.5.199" },
        ],
      },
    });
    const stacks = buildKubernetesStacks(newApp(), made.config, made.plan, { agent: { create: false } });
    const nads = manifestsOf(synthJson(stacks.networks)).filter((o) => o.kind === "NetworkAttachmentDefinition");
    expect(nads).toHaveLength(3);
    const masters: Record<string, string> = {};
    for (const nad of nads) {
      const subnetId = (nad.metadata.annotations as Record<string, string>)["multus-eks.io/subnet-id"]!;
      const subnet = made.plan.subnets.find((s) => s.id === subnetId)!;
      const cni = JSON.parse((nad.spec as Json).config as string) as { master: string; ipam: Record<string, string> };
      expect([ipToInt(cni.ipam.range_start!), ipToInt(cni.ipam.range_end!)]).toEqual([subnet.pods.first, subnet.pods.last]);
      expect(cni.ipam.range).toBe(subnet.subnet.cidr);
      masters[subnetId] = cni.master;
    }
    // Device indexes count per zone: the second subnet of us-west-2a is the node's second multus ENI.
    expect(masters).toEqual({ "subnet-0c0ffee0c0ffee004": "multus1", "subnet-0c0ffee0c0ffee008": "multus1", "subnet-0c0ffee0c0ffee005": "multus2" });
    expect(made.plan.subnets.find((s) => s.id === "subnet-0c0ffee0c0ffee005")!.pods).toEqual({ first: ipToInt("10.0.5.100"), last: ipToInt("10.0.5.199") });
  });
});

describe("the validation itself catches mistakes", () => {
  it("GIVEN a DaemonSet with a wrongly typed field WHEN validated THEN it is reported", () => {
    const ds = structuredClone(multusObjects().find((o) => o.kind === "DaemonSet")!) as unknown as Json;
    ((((ds.spec as Json).template as Json).spec as Json).containers as Json[])[0]!.image = 42;
    expect(validateObject(ds as unknown as K8sObject).join()).toMatch(/image must be string/);
  });

  it("GIVEN a DaemonSet with a misspelled field WHEN its fields are checked THEN the unknown field is reported", () => {
    const ds = structuredClone(multusObjects().find((o) => o.kind === "DaemonSet")!) as unknown as Json;
    const mounts = ((((ds.spec as Json).template as Json).spec as Json).containers as Json[])[0]!.volumeMounts as Json[];
    mounts[4] = { ...mounts[4], mountPropogation: "HostToContainer" };
    expect(unknownFields([ds as unknown as K8sObject])).toEqual([
      "DaemonSet/kube-multus-ds.spec.template.spec.containers[0].volumeMounts[4].mountPropogation: not a field of V1VolumeMount",
    ]);
  });

  it("GIVEN a NAD with a misspelled spec field WHEN validated against the CRD schema THEN the pruned field is reported", () => {
    const nad = { apiVersion: "k8s.cni.cncf.io/v1", kind: "NetworkAttachmentDefinition", metadata: { name: "x", namespace: "default" }, spec: { confg: "{}" } };
    expect(validateObject(nad)).toEqual([".spec.confg: unknown field (the API server would prune it)"]);
    expect(validateObject({ ...nad, spec: { config: 1 } }).join()).toMatch(/config: must be string/);
  });

  it("GIVEN a schema node without a type THEN the structural check reports it", () => {
    const schema = structuredClone(((nadCrd().spec as Json).versions as Json[])[0]!.schema as Json).openAPIV3Schema as Json;
    delete (((schema.properties as Json).spec as Json).properties as Json as Record<string, Json>).config!.type;
    expect(structuralErrors(schema)).toEqual(["openAPIV3Schema.properties.spec.properties.config: no type"]);
    expect(schemaErrors({ type: "object", required: ["spec"] }, {})).toEqual(["(root): missing required field spec"]);
  });
});
