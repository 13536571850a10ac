import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { TerraformStack } from "cdktf";
import {
  AGENT_IMAGE_PLACEHOLDER,
  AGENT_IMAGE_VARIABLE,
  IRSA_ANNOTATION,
  K8sObject,
  KubernetesStacksOptions,
  MULTUS_IMAGE,
  NETWORKS_ANNOTATION,
  addKubernetesStacks,
  agentObjects,
  buildKubernetesStacks,
  escapeTerraform,
  unescapeTerraform,
} from "../../../modules/kubernetes";
import { parseAgentEnv } from "../../../agent/config";
import { AGENT_ENV } from "../../../contract/agent-env";
import { DEFAULT, configAndPlan, find, manifestsOf, newApp, resourcesOf, synthJson, validateObject } from "./helpers";

type Json = Record<string, unknown>;
const AGENT_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/multus-node-agent:v0.1.0";
const ROLE = "arn:aws:iam::123456789012:role/ng1-NodeInstanceRole";

function synth(opts: KubernetesStacksOptions = {}, made = DEFAULT) {
  const stacks = buildKubernetesStacks(newApp(), made.config, made.plan, opts);
  const addons = synthJson(stacks.addons);
  const networks = synthJson(stacks.networks);
  return { stacks, addons, networks, addonObjects: manifestsOf(addons), networkObjects: manifestsOf(networks) };
}

const podSpec = (o: Json) => ((o.spec as Json).template as Json).spec as Json;

describe("addKubernetesStacks", () => {
  it("GIVEN the default config WHEN added to an app THEN it returns the addons stack, then the networks stack that depends on it", () => {
    const app = newApp();
    const [addons, networks] = addKubernetesStacks(app, DEFAULT.config, DEFAULT.plan);
    expect([addons.node.id, networks.node.id]).toEqual(["multus-k8s-addons", "multus-k8s-networks"]);
    expect(networks.dependencies).toContain(addons);
    expect(addons.dependencies).not.toContain(networks);
  });

  it("GIVEN the default config THEN CRDs and addons are in the first stack and only NADs (no custom resource) in the second, so each plans against kinds that exist", () => {
    const { addonObjects, networkObjects } = synth();
    const crds = addonObjects.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
    expect(crds).toContain("network-attachment-definitions.k8s.cni.cncf.io");
    expect(addonObjects.every((o) => ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1"].includes(o.apiVersion))).toBe(true);
    expect(networkObjects.map((o) => o.kind)).toEqual(DEFAULT.plan.subnets.map(() => "NetworkAttachmentDefinition"));
  });

  it("GIVEN the cluster in the config THEN both providers reach its endpoint with its CA and a token from aws eks get-token", () => {
    const { addons, networks } = synth();
    for (const json of [addons, networks]) {
      const [provider] = (json.provider as Json).kubernetes as Json[];
      expect(provider).toMatchObject({
        host: DEFAULT.config.cluster.endpoint,
        cluster_ca_certificate: `\${base64decode("${DEFAULT.config.cluster.certificateAuthority}")}`,
        exec: [{ api_version: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", DEFAULT.config.cluster.name, "--region", DEFAULT.config.region] }],
      });
    }
  });

  it("GIVEN a profile and a role, or a kubeconfig THEN the provider uses them", () => {
    const viaRole = synth({ connection: { awsProfile: "ops", roleArn: ROLE } }).addons;
    const [p] = (viaRole.provider as Json).kubernetes as Json[];
    expect((p!.exec as Json[])[0]).toMatchObject({ args: expect.arrayContaining(["--role-arn", ROLE]), });
    expect((p!.exec as Json[])[0]!.args).toEqual(["eks", "get-token", "--cluster-name", DEFAULT.config.cluster.name, "--region", DEFAULT.config.region, "--role-arn", ROLE, "--profile", "ops"]);
    expect((p!.exec as Json[])[0]!.env).toBeUndefined();
    const viaFile = synth({ connection: { configPath: "~/.kube/config", configContext: "eks" } }).networks;
    expect(((viaFile.provider as Json).kubernetes as Json[])[0]).toEqual({ config_path: "~/.kube/config", config_context: "eks" });
  });

  it("GIVEN DaemonSets and Deployments THEN they wait for rollout and depend on their service account, RBAC and config", () => {
    const { addons } = synth({ agent: { image: AGENT_IMAGE } });
    const resources = resourcesOf(addons, "kubernetes_manifest");
    const workloads = Object.entries(resources).filter(([, r]) => ["DaemonSet", "Deployment"].includes(String((r.manifest as Json).kind)));
    expect(workloads.length).toBe(4);
    for (const [, r] of workloads) {
      expect(r.wait).toEqual({ rollout: true });
      const deps = (r.depends_on as string[]).map((d) => (resources[d.replace("kubernetes_manifest.", "")]!.manifest as Json).kind);
      expect(deps).toEqual(expect.arrayContaining(["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]));
    }
  });

  it.each([
    ["eu-west-1", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.3_thick"],
    ["af-south-1", "877085696533.dkr.ecr.af-south-1.amazonaws.com/eks/multus-cni:v4.1.4-eksbuild.3_thick"],
    ["cn-north-1", "918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/eks/multus-cni:v4.1.4-eksbuild.3_thick"],
  ])("GIVEN region %s and no multus image WHEN synthesized THEN the DaemonSet pulls the Multus image EKS publishes in that region", (region, expected) => {
    const made = configAndPlan({ region, multus: { subnets: [{ cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: `${region}a` }] } });
    const ds = find(synth({}, made).addonObjects, "DaemonSet", "kube-multus-ds");
    expect((podSpec(ds).containers as Json[]).map((c) => c.image)).toEqual([expected]);
    expect((podSpec(ds).initContainers as Json[]).map((c) => c.image)).toEqual([expected]);
    expect(expected).not.toBe(MULTUS_IMAGE);
  });

  it("GIVEN multus.image, whereabouts.image and agent.image in the config WHEN synthesized THEN each DaemonSet takes its image, and the agent asks for no variable", () => {
    const images = {
      multus: "registry.example.com/mirror/multus-cni:v4.1.4-eksbuild.3_thick",
      whereabouts: "registry.example.com/mirror/whereabouts:v0.9.4",
      agent: AGENT_IMAGE,
    };
    const made = configAndPlan({ multus: { image: images.multus }, whereabouts: { image: images.whereabouts }, agent: { image: images.agent } });
    const { addons, addonObjects } = synth({}, made);
    const imageOf = (name: string) => (podSpec(find(addonObjects, "DaemonSet", name)).containers as Json[])[0]!.image;
    expect([imageOf("kube-multus-ds"), imageOf("whereabouts"), imageOf("multus-node-agent")]).toEqual([images.multus, images.whereabouts, images.agent]);
    expect(addons.variable).toBeUndefined();
  });

  it("GIVEN switches off THEN multus, whereabouts and the agent are left out; aws-auth and the sample are off unless asked", () => {
    const off = synth({ multus: { create: false }, whereabouts: { create: false }, agent: { create: false } });
    expect(off.addonObjects).toEqual([]);
    expect(off.addons.variable).toBeUndefined();
    const defaults = synth();
    expect(defaults.addonObjects.some((o) => o.metadata.name === "aws-auth")).toBe(false);
    expect(defaults.networkObjects.some((o) => o.kind === "Pod")).toBe(false);
  });
});

describe("node agent", () => {
  it("GIVEN no image WHEN synthesized THEN the DaemonSet takes its image from a required Terraform variable", () => {
    const { addons, addonObjects } = synth();
    const variable = (addons.variable as Json)[AGENT_IMAGE_VARIABLE] as Json;
    expect(variable).toMatchObject({ type: "string" });
    expect(variable.default).toBeUndefined();
    const ds = find(addonObjects, "DaemonSet", "multus-node-agent");
    expect((podSpec(ds).containers as Json[])[0]!.image).toBe(`\${var.${AGENT_IMAGE_VARIABLE}}`);
  });

  it("GIVEN an image THEN one agent per multus node on the host network, tolerating every taint, with node name, region and sync period, and its RBAC", () => {
    const { addons, addonObjects } = synth({ agent: { image: AGENT_IMAGE, syncPeriodSeconds: 45, env: { LOG_LEVEL: "debug" } } });
    expect(addons.variable).toBeUndefined();
    const spec = podSpec(find(addonObjects, "DaemonSet", "multus-node-agent"));
    expect(spec).toMatchObject({ hostNetwork: true, tolerations: [{ operator: "Exists" }], serviceAccountName: "multus-node-agent" });
    const [container] = spec.containers as Json[];
    expect(container!.image).toBe(AGENT_IMAGE);
    expect(container!.env).toEqual([
      { name: AGENT_ENV.nodeName, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } } },
      { name: AGENT_ENV.region, value: DEFAULT.config.region },
      { name: AGENT_ENV.syncPeriod, value: "45" },
      { name: "LOG_LEVEL", value: "debug" },
    ]);
    const role = find(addonObjects, "ClusterRole", "multus-node-agent");
    const allowed = (role.rules as Json[]).flatMap((r) => (r.apiGroups as string[]).flatMap((g) => (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => `${g}/${res}:${v}`))));
    expect(allowed.sort()).toEqual(["/pods:list", "/pods:watch", "/events:create", "/nodes:get", "/nodes:patch"].sort());
    expect(find(addonObjects, "ServiceAccount", "multus-node-agent").metadata.annotations).toBeUndefined();
  });

  it("GIVEN IRSA THEN the service account carries the role ARN; GIVEN Pod Identity THEN nothing (the association is in AWS)", () => {
    const irsa = agentObjects({ image: AGENT_IMAGE, region: "us-west-2", iam: { mode: "irsa", roleArn: ROLE } });
    expect(find(irsa, "ServiceAccount").metadata.annotations).toEqual({ [IRSA_ANNOTATION]: ROLE });
    const pid = agentObjects({ image: AGENT_IMAGE, region: "us-west-2", iam: { mode: "podIdentity" } });
    expect(find(pid, "ServiceAccount").metadata.annotations).toBeUndefined();
  });

  it("GIVEN the DaemonSet's environment as a node would resolve it THEN the agent's own config parser reads node, region, period and tag from it", () => {
    const ds = find(agentObjects({ image: AGENT_IMAGE, region: "eu-central-1", syncPeriodSeconds: 45, nodeGroupTag: "ng1" }), "DaemonSet");
    const nodeName = "ip-10-0-1-23.eu-central-1.compute.internal";
    const env = Object.fromEntries(
      ((podSpec(ds).containers as Json[])[0]!.env as Json[]).map((e) => [String(e.name), e.valueFrom ? nodeName : String(e.value)]),
    );
    expect(parseAgentEnv(env)).toMatchObject({ nodeName, region: "eu-central-1", syncPeriodSeconds: 45, tagValue: "ng1" });
  });

  it("GIVEN the node group's ENI tag value THEN the agent gets it as MULTUS_NODE_GROUP_TAG", () => {
    const ds = find(agentObjects({ image: AGENT_IMAGE, region: "us-west-2", nodeGroupTag: "eks-multus-cluster-ng1" }), "DaemonSet");
    expect((podSpec(ds).containers as Json[])[0]!.env).toContainEqual({ name: AGENT_ENV.tagValue, value: "eks-multus-cluster-ng1" });
    expect(() => agentObjects({ image: AGENT_IMAGE, region: "us-west-2", env: { [AGENT_ENV.tagValue]: "x" } })).toThrow(/agent.env.MULTUS_NODE_GROUP_TAG.*nodeGroupTag/);
  });

  it("GIVEN pinned references with a registry port, a tag or a digest THEN they are taken as given", () => {
    for (const image of ["registry.example.com:5000/team/agent:v1.2.3", `registry.example.com/agent@sha256:${"0f".repeat(32)}`, AGENT_IMAGE]) {
      const ds = find(agentObjects({ image, region: "us-west-2" }), "DaemonSet");
      expect((podSpec(ds).containers as Json[])[0]!.image).toBe(image);
    }
  });

  it.each<[string, Partial<Parameters<typeof agentObjects>[0]>, RegExp]>([
    ["the placeholder image", { image: AGENT_IMAGE_PLACEHOLDER }, /agent.image.*placeholder.*agent\/Dockerfile/],
    ["an image without a tag", { image: "registry.example.com/agent" }, /agent.image.*not a pinned image/],
    ["a :latest image", { image: "registry.example.com/agent:latest" }, /agent.image.*not a pinned image/],
    ["a registry port but no tag", { image: "registry.example.com:5000/agent" }, /agent.image.*not a pinned image/],
    ["an instance profile ARN for IRSA", { iam: { mode: "irsa", roleArn: "arn:aws:iam::123456789012:instance-profile/x" } }, /agent.iam.roleArn.*not an IAM role ARN/],
    ["a sync period of 0", { syncPeriodSeconds: 0 }, /agent.syncPeriodSeconds.*5 to 3600/],
    ["an env var the module sets", { env: { AWS_REGION: "eu-west-1" } }, /agent.env.AWS_REGION.*set by the module.*region/],
  ])("GIVEN %s THEN it is refused naming the field", (_, props, message) => {
    expect(() => agentObjects({ image: AGENT_IMAGE, region: "us-west-2", ...props })).toThrow(message);
  });
});

describe("aws-auth and the sample pod", () => {
  it("GIVEN awsAuth with the node role THEN kube-system/aws-auth maps it to system:nodes as the reference did", () => {
    const cm = find(synth({ awsAuth: { nodeRoleArn: ROLE } }).addonObjects, "ConfigMap", "aws-auth");
    expect(cm.metadata.namespace).toBe("kube-system");
    const mapRoles = (cm.data as Record<string, string>).mapRoles!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const roles = (require("yaml") as typeof import("yaml")).parse(mapRoles) as Json[];
    expect(roles).toEqual([{ rolearn: ROLE, username: "system:node:{{EC2PrivateDNSName}}", groups: ["system:bootstrappers", "system:nodes"] }]);
  });

  it("GIVEN awsAuth in patch mode THEN the existing aws-auth's mapRoles key is taken over instead of the map being created", () => {
    const { addons, addonObjects } = synth({ awsAuth: { nodeRoleArn: ROLE, manage: "patch" } });
    expect(addonObjects.some((o) => o.metadata.name === "aws-auth")).toBe(false);
    const [data] = Object.values(resourcesOf(addons, "kubernetes_config_map_v1_data"));
    expect(data).toMatchObject({ metadata: { name: "aws-auth", namespace: "kube-system" }, force: true });
    expect(String((data!.data as Json).mapRoles)).toContain(ROLE);
    // The typed resource, read back as the ConfigMap it patches, validates like the manifests.
    const asManifest = { apiVersion: "v1", kind: "ConfigMap", metadata: data!.metadata as K8sObject["metadata"], data: data!.data };
    expect(validateObject(asManifest)).toEqual([]);
    expect(() => synth({ awsAuth: { nodeRoleArn: "arn:aws:iam::123456789012:instance-profile/ng1" } })).toThrow(/awsAuth.nodeRoleArn.*not an IAM role ARN/);
  });

  it("GIVEN the sample switched on THEN one pod attaches every NAD of the first subnet's zone, stays in that zone and waits for the NADs", () => {
    const made = configAndPlan({
      multus: {
        subnets: [
          { cidr: "10.0.4.0/24", id: "subnet-0c0ffee0c0ffee004", availabilityZone: "us-west-2a" },
          { cidr: "10.0.5.0/24", id: "subnet-0c0ffee0c0ffee005", availabilityZone: "us-west-2b" },
          { cidr: "10.0.6.0/24", id: "subnet-0c0ffee0c0ffee006", availabilityZone: "us-west-2a" },
        ],
      },
    });
    const { networks, networkObjects } = synth({ sample: { create: true } }, made);
    const pod = find(networkObjects, "Pod", "sampleapp-1");
    expect((pod.metadata.annotations as Record<string, string>)[NETWORKS_ANNOTATION]).toBe("ipvlan-conf-1, ipvlan-conf-3");
    expect((pod.spec as Json).nodeSelector).toEqual({ "topology.kubernetes.io/zone": "us-west-2a" });
    const resources = resourcesOf(networks, "kubernetes_manifest");
    const podResource = Object.values(resources).find((r) => (r.manifest as Json).kind === "Pod")!;
    expect((podResource.depends_on as string[]).length).toBe(3);
  });
});

describe("Terraform escaping of manifests", () => {
  it("GIVEN any JSON value WHEN escaped for Terraform THEN no interpolation or directive remains and unescaping gives it back", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom("${x}", "%{if a}", "$${y}", "a$b{c}"), (value, tricky) => {
        const input = { value, tricky, list: [tricky, { [tricky]: tricky }] };
        const escaped = JSON.stringify(escapeTerraform(input));
        expect(escaped.replace(/\$\$\{/g, "").replace(/%%\{/g, "")).not.toMatch(/\$\{|%\{/);
        expect(unescapeTerraform(escapeTerraform(input))).toEqual(input);
      }),
    );
  });
});

describe("Terraform escaping in the synthesized stack", () => {
  it("GIVEN a literal ${...} in a manifest and a variable reference WHEN synthesized THEN the literal is escaped and the reference is left to Terraform", () => {
    const { addons, addonObjects } = synth({ agent: { env: { GREETING: "${HOME} %{if}" } } });
    const raw = JSON.stringify(addons);
    expect(raw).toContain('"value":"$${HOME} %%{if}"');
    expect(raw).toContain(`"image":"\${var.${AGENT_IMAGE_VARIABLE}}"`);
    const env = ((podSpec(find(addonObjects, "DaemonSet", "multus-node-agent")).containers as Json[])[0]!.env as Json[]).find((e) => e.name === "GREETING");
    expect(env!.value).toBe("${HOME} %{if}");
  });
});

const terraform = (() => {
  try {
    execFileSync("terraform", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!terraform) process.stdout.write("skipping the agent image variable's validation in Terraform: terraform is not on PATH (install terraform 1.11)\n");

(terraform ? describe : describe.skip)("the agent image variable's validation, evaluated by Terraform", () => {
  it("GIVEN candidate images THEN Terraform accepts pushed, pinned references and refuses the placeholder, untagged and :latest ones", () => {
    const stacks = buildKubernetesStacks(newApp(), DEFAULT.config, DEFAULT.plan);
    const variable = ((synthJson(stacks.addons as TerraformStack).variable as Json)[AGENT_IMAGE_VARIABLE] as Json).validation as Json[];
    const condition = String(variable[0]!.condition).replace(/^\$\{/, "").replace(/\}$/, "");
    const cases: [string, boolean][] = [
      [AGENT_IMAGE, true],
      [`registry.example.com:5000/team/agent@sha256:${"ab".repeat(32)}`, true],
      [AGENT_IMAGE_PLACEHOLDER, false],
      ["registry.example.com/agent", false],
      ["registry.example.com:5000/agent", false],
      ["registry.example.com/agent:latest", false],
    ];
    // `terraform console` reading a pipe evaluates one expression: all cases go in one list.
    const input = `jsonencode([${cases.map(([image]) => `(${condition.split(`var.${AGENT_IMAGE_VARIABLE}`).join(JSON.stringify(image))})`).join(", ")}])\n`;
    const out = execFileSync("terraform", ["console"], { input, cwd: tmpdir(), encoding: "utf8", stdio: ["pipe", "pipe", "ignore"] });
    expect(JSON.parse(JSON.parse(out.trim()) as string)).toEqual(cases.map(([, ok]) => ok));
  });
});
