import { App, TerraformStack } from "cdktf";
import { RelativeLocalBackend } from "../backend";
import { MultusConfig, NetworkPlan, PlanError } from "../../ipam";
import { AwsAuth, AwsAuthProps, MultusAddon, MultusAddonProps, MultusNetwork, NodeAgent, NodeAgentProps, SampleWorkload, WhereaboutsAddon, WhereaboutsAddonProps } from "./constructs";
import { NadProps } from "./objects/nad";
import { ManifestSet } from "./manifest";
import { karpenterObjects } from "./objects/karpenter";
import { SampleProps } from "./objects/sample";
import { KubernetesConnectionOptions, kubernetesProvider } from "./provider";

/** Switches and settings of the Kubernetes stacks. Everything has a default. */
export interface KubernetesStacksOptions {
  /** @default "multus-k8s-addons" */
  readonly addonsStackName?: string;
  /** @default "multus-k8s-networks" */
  readonly networksStackName?: string;
  /** How Terraform reaches the cluster. @default endpoint and CA from config, `aws eks get-token` */
  readonly connection?: KubernetesConnectionOptions;
  /** Multus thick plugin. `create: false` when it is installed otherwise (e.g. the EKS add-on). @default created, image from config multus.image or the region's EKS registry */
  readonly multus?: Omit<MultusAddonProps, "region"> & { readonly create?: boolean };
  /** whereabouts. `create: false` when it is installed otherwise. @default created, on the nodes Multus runs on */
  readonly whereabouts?: WhereaboutsAddonProps & { readonly create?: boolean };
  /** The node agent DaemonSet. @default created, image asked for by a Terraform variable */
  readonly agent?: Omit<NodeAgentProps, "region"> & { readonly create?: boolean };
  /** The aws-auth mapping for the node role. @default not created (use an EKS access entry) */
  readonly awsAuth?: AwsAuthProps & { readonly create?: boolean };
  /** The generated NADs. @default ipvlan l2 in "default" (or each network's settings), interface names from the groups' amiFamily */
  readonly networks?: Omit<NadProps, "amiFamily"> & { readonly amiFamily?: NadProps["amiFamily"] };
  /** The sample pod. @default not created */
  readonly sample?: SampleProps & { readonly create?: boolean };
}

/** What addKubernetesStacks made, for callers that add to it. */
export interface KubernetesStacks {
  readonly addons: TerraformStack;
  readonly networks: TerraformStack;
  readonly multus?: MultusAddon;
  readonly whereabouts?: WhereaboutsAddon;
  readonly agent?: NodeAgent;
  readonly awsAuth?: AwsAuth;
  readonly network: MultusNetwork;
  readonly sample?: SampleWorkload;
  /** Each `karpenter` group's EC2NodeClass and NodePool, in the networks stack (Karpenter's CRDs must be installed). */
  readonly karpenter?: ManifestSet;
}

/**
 * Two stacks, because a NetworkAttachmentDefinition cannot be planned before its CRD exists
 * (kubernetes_manifest reads the kind's schema from the API server at plan time):
 * - addons: Multus (with the NAD CRD), whereabouts (with its CRDs), the node agent, aws-auth;
 * - networks: the NADs and the sample pod; depends on addons, so `cdktf deploy` applies it after.
 */
export function buildKubernetesStacks(app: App, config: MultusConfig, plan: NetworkPlan, opts: KubernetesStacksOptions = {}): KubernetesStacks {
  const addons = new TerraformStack(app, opts.addonsStackName ?? "multus-k8s-addons");
  new RelativeLocalBackend(addons);
  kubernetesProvider(addons, "kubernetes", config, opts.connection);
  const { create: createMultus = true, ...multusProps } = opts.multus ?? {};
  const multus = createMultus ? new MultusAddon(addons, "multus", { ...multusProps, image: multusProps.image ?? config.multus?.image, region: config.region }) : undefined;
  const { create: createWhereabouts = true, ...whereaboutsProps } = opts.whereabouts ?? {};
  // whereabouts goes wherever Multus goes unless told otherwise: Multus without it fails every
  // whereabouts NAD on that node.
  const whereabouts = createWhereabouts
    ? new WhereaboutsAddon(addons, "whereabouts", {
        ...whereaboutsProps,
        image: whereaboutsProps.image ?? config.whereabouts?.image,
        multusNodesOnly: whereaboutsProps.multusNodesOnly ?? multusProps.multusNodesOnly,
      })
    : undefined;
  const { create: createAgent = true, ...agentProps } = opts.agent ?? {};
  const agent = createAgent ? new NodeAgent(addons, "node-agent", { ...agentProps, image: agentProps.image ?? config.agent?.image, region: config.region }) : undefined;
  let awsAuth: AwsAuth | undefined;
  if (opts.awsAuth && (opts.awsAuth.create ?? true)) {
    const { create: _create, ...awsAuthProps } = opts.awsAuth;
    if (!awsAuthProps.nodeRoleArn) throw new PlanError("awsAuth.nodeRoleArn", "is required to create the aws-auth mapping", "give the node role's ARN, or leave awsAuth out");
    awsAuth = new AwsAuth(addons, "aws-auth", awsAuthProps);
  }

  const networks = new TerraformStack(app, opts.networksStackName ?? "multus-k8s-networks");
  new RelativeLocalBackend(networks);
  networks.addDependency(addons);
  kubernetesProvider(networks, "kubernetes", config, opts.connection);
  // Interface names default to the family of each network's groups (the shorthand: its one group).
  const network = new MultusNetwork(networks, "networks", { ...opts.networks, plan });
  const { create: createSample = false, ...sampleProps } = opts.sample ?? {};
  const sample = createSample ? new SampleWorkload(networks, "sample", { ...sampleProps, networks: network }) : undefined;
  // Karpenter's objects need its CRDs at plan time, as the NADs need theirs: the second stack.
  const pools = config.nodeGroups.filter((g) => g.kind === "karpenter");
  const karpenter = pools.length ? new ManifestSet(networks, "karpenter", { objects: pools.flatMap((g) => karpenterObjects(config, plan, g)) }) : undefined;
  return { addons, networks, multus, whereabouts, agent, awsAuth, network, sample, karpenter };
}

/**
 * Adds the Kubernetes stacks for `config` to `app` and returns them, addons first. Deploy in
 * that order: `cdktf deploy multus-k8s-addons multus-k8s-networks` (or `cdktf deploy '*'`:
 * networks declares its dependency on addons).
 */
export function addKubernetesStacks(app: App, config: MultusConfig, plan: NetworkPlan, opts?: KubernetesStacksOptions): [TerraformStack, TerraformStack] {
  const { addons, networks } = buildKubernetesStacks(app, config, plan, opts);
  return [addons, networks];
}
