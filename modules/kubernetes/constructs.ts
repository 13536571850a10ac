import { ConfigMapV1Data } from "@cdktf/provider-kubernetes/lib/config-map-v1-data";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { NetworkPlan } from "../../ipam";
import { DEFAULT_ROLLOUT_TIMEOUT, ManifestSet, checkDuration } from "./manifest";
import { AgentObjectsProps, agentObjects } from "./objects/agent";
import { AwsAuthRole, awsAuthConfigMap, mapRolesYaml, nodeRoleMapping } from "./objects/aws-auth";
import { ObjectList } from "./objects/common";
import { MultusObjectsProps, multusObjects } from "./objects/multus";
import { NadProps, NetworkDefinition, networkDefinitions } from "./objects/nad";
import { SampleProps, samplePod } from "./objects/sample";
import { WhereaboutsObjectsProps, whereaboutsObjects } from "./objects/whereabouts";
import { selectMultusImage } from "./images";
import { AGENT_IMAGE_PLACEHOLDER } from "./versions";

/** How an apply waits for a component's DaemonSets and Deployments. */
export interface RolloutProps {
  /**
   * Wait until they run on every node they select. They select only nodes they can run on
   * (Linux, not Fargate, hybrid or Auto Mode; the agent only multus nodes), and carry
   * system-node-critical, so a healthy cluster finishes. @default true
   */
  readonly waitForRollout?: boolean;
  /** How long the apply waits before it fails (a Go duration). @default "10m" */
  readonly rolloutTimeout?: string;
}

function rollout(props: RolloutProps, field: string) {
  return { waitForRollout: props.waitForRollout, rolloutTimeout: checkDuration(props.rolloutTimeout ?? DEFAULT_ROLLOUT_TIMEOUT, `${field}.rolloutTimeout`) };
}

export interface MultusAddonProps extends MultusObjectsProps, RolloutProps {
  /**
   * The cluster's region: without `image`, the Multus image EKS publishes in that region's
   * add-on registry (ipam/regions.ts). @default the us-west-2 image
   */
  readonly region?: string;
}

/** Multus thick plugin: NAD CRD, RBAC, service account, daemon config, DaemonSet (kube-system). */
export class MultusAddon extends Construct {
  readonly objects: ObjectList;
  readonly resources: Manifest[];

  constructor(scope: Construct, id: string, props: MultusAddonProps = {}) {
    super(scope, id);
    const image = props.region === undefined ? props.image : selectMultusImage(props.region, props.image);
    const set = new ManifestSet(this, "objects", { objects: multusObjects({ ...props, image }), ...rollout(props, "multus") });
    this.objects = set.objects;
    this.resources = set.resources;
  }
}

export interface WhereaboutsAddonProps extends WhereaboutsObjectsProps, RolloutProps {}

/** whereabouts: CRDs, RBAC, install DaemonSet and ip-reconciler (kube-system). */
export class WhereaboutsAddon extends Construct {
  readonly objects: ObjectList;
  readonly resources: Manifest[];

  constructor(scope: Construct, id: string, props: WhereaboutsAddonProps = {}) {
    super(scope, id);
    const set = new ManifestSet(this, "objects", { objects: whereaboutsObjects(props), ...rollout(props, "whereabouts") });
    this.objects = set.objects;
    this.resources = set.resources;
  }
}

/** Name of the Terraform variable that asks for the agent image when no image is given. */
export const AGENT_IMAGE_VARIABLE = "node_agent_image";

export interface NodeAgentProps extends Omit<AgentObjectsProps, "image">, RolloutProps {
  /**
   * The agent image (built from agent/Dockerfile, pushed to your registry).
   * @default none: the stack gets a required Terraform variable `node_agent_image`, validated
   *   at plan time to be a pinned reference and not the placeholder
   */
  readonly image?: string;
}

/**
 * The node agent (agent/) as a DaemonSet: one per multus node (label MULTUS_NODE_LABEL), host
 * network, every taint tolerated, system-node-critical, a service account allowed pods
 * list/watch, core events create and nodes get.
 */
export class NodeAgent extends Construct {
  readonly objects: ObjectList;
  readonly resources: Manifest[];
  /** The variable that asks for the image, when `image` was not given. */
  readonly imageVariable?: TerraformVariable;
  readonly serviceAccountName: string;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: NodeAgentProps) {
    super(scope, id);
    let image = props.image;
    if (image === undefined) {
      const variable = new TerraformVariable(this, "image", {
        type: "string",
        description: `Node agent image: build agent/Dockerfile, push it, and give REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (e.g. ${AGENT_IMAGE_PLACEHOLDER}).`,
        validation: [
          {
            // No placeholder brackets or spaces, and a tag or a digest (no implied :latest).
            condition: `\${length(regexall("^[^<>\\\\s]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.${AGENT_IMAGE_VARIABLE})) > 0 && !endswith(var.${AGENT_IMAGE_VARIABLE}, ":latest")}`,
            errorMessage: "node_agent_image must be a pushed image reference with a tag (not latest) or a digest, not the placeholder.",
          },
        ],
      });
      variable.overrideLogicalId(AGENT_IMAGE_VARIABLE);
      this.imageVariable = variable;
      image = variable.stringValue;
    }
    const objects = agentObjects({ ...props, image });
    const set = new ManifestSet(this, "objects", { objects, ...rollout(props, "agent") });
    this.objects = set.objects;
    this.resources = set.resources;
    this.serviceAccountName = objects[0]!.metadata.name;
    this.namespace = objects[0]!.metadata.namespace!;
  }
}

export interface AwsAuthProps {
  /** The node role's ARN (not the instance profile's). */
  readonly nodeRoleArn: string;
  /** More mapRoles entries kept next to the node role's. @default none */
  readonly additionalRoles?: AwsAuthRole[];
  /**
   * `create`: write kube-system/aws-auth (it must not exist yet; the reference situation, a
   * cluster with self-managed nodes only). `patch`: take over the `mapRoles` key of an existing
   * aws-auth (e.g. made by EKS for managed node groups), leaving its other keys; list every
   * role the key must keep in `additionalRoles`. @default "create"
   */
  readonly manage?: "create" | "patch";
}

/** The aws-auth mapping that lets the node role join the cluster. */
export class AwsAuth extends Construct {
  readonly roles: AwsAuthRole[];

  constructor(scope: Construct, id: string, props: AwsAuthProps) {
    super(scope, id);
    this.roles = [nodeRoleMapping(props.nodeRoleArn), ...(props.additionalRoles ?? [])];
    if ((props.manage ?? "create") === "create") {
      new ManifestSet(this, "objects", { objects: [awsAuthConfigMap(this.roles)] });
    } else {
      new ConfigMapV1Data(this, "map-roles", {
        metadata: { name: "aws-auth", namespace: "kube-system" },
        data: { mapRoles: mapRolesYaml(this.roles) },
        // Take the key over from whoever wrote it last (EKS writes it for managed node groups).
        force: true,
      });
    }
  }
}

export interface MultusNetworkProps extends NadProps {
  readonly plan: NetworkPlan;
}

/**
 * One NetworkAttachmentDefinition per multus subnet, whereabouts IPAM over exactly the plan's
 * pod block. Needs the NAD CRD at plan time: put it in a stack applied after MultusAddon.
 */
export class MultusNetwork extends Construct {
  readonly networks: NetworkDefinition[];
  readonly resources: Manifest[];

  constructor(scope: Construct, id: string, props: MultusNetworkProps) {
    super(scope, id);
    this.networks = networkDefinitions(props.plan, props);
    this.resources = new ManifestSet(this, "objects", { objects: this.networks.map((n) => n.manifest) }).resources;
  }
}

export interface SampleWorkloadProps extends SampleProps {
  readonly networks: MultusNetwork;
}

/** The reference's sample pod, attached to the first zone's networks. */
export class SampleWorkload extends Construct {
  readonly resource: Manifest;

  constructor(scope: Construct, id: string, props: SampleWorkloadProps) {
    super(scope, id);
    const set = new ManifestSet(this, "objects", { objects: [samplePod(props.networks.networks, props)], dependsOn: props.networks.resources });
    this.resource = set.resources[0]!;
  }
}
