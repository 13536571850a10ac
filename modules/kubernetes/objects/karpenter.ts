import { MultusConfig, NetworkPlan } from "../../../ipam";
import { NodeGroupConfig, capacityTypesOf } from "../../../ipam/cluster-config";
import { karpenterNames } from "../../../ipam/group-names";
import { groupIam } from "../../../ipam/node-options";
import { MULTUS_NODE_LABEL } from "../../../contract/node-label";
import { STARTUP_TAINT } from "../../../contract/node-network";
import { KARPENTER_SECURITY_GROUP_TAG } from "../../aws/node-group";
import { nodeUserData } from "../../aws/user-data";
import { K8sObject } from "./common";

/** The API groups and versions written (Karpenter v1; the CRDs vendored in ../crds/karpenter). */
export const KARPENTER_API = { nodeClass: "karpenter.k8s.aws/v1", nodePool: "karpenter.sh/v1" } as const;

/** Well-known labels Karpenter's requirements take (karpenter.sh/v1; Kubernetes well-known labels). */
const LABELS = { instanceType: "node.kubernetes.io/instance-type", zone: "topology.kubernetes.io/zone", capacityType: "karpenter.sh/capacity-type" } as const;

/**
 * A `karpenter` group's EC2NodeClass and NodePool, named after the group's NodePool name
 * (ipam/group-names.ts karpenterNames, as the AWS stack names its role and wires the Lambda:
 * the value of the `karpenter.sh/nodepool` tag the Lambda selects instances by; Karpenter sets
 * that tag itself and forbids it in spec.tags).
 * - EC2NodeClass: the group's AMI (by id, amiFamily AL2023 or AL2), its primary subnets by id,
 *   the cluster's security group by id and the group's node security group by tag (its id is
 *   known only after the AWS stack's apply), its node role by name (the config's top-level and
 *   group iam, resolved as the AWS stack resolves them), user data with the host
 *   networking part, kubelet maxPods from the plan (the VPC CNI's capacity on the ENIs multus
 *   leaves it, smallest over the group's types).
 * - NodePool: the startup taint the node agent lifts, the group's labels and taints, limits.nodes
 *   = maxSize (what the plan sized the worker block for), and requirements kept to the group's
 *   instance types (each one the plan checked has room for the multus ENIs), zones and capacity
 *   types (capacityTypes, default on-demand).
 */
export function karpenterObjects(config: MultusConfig, plan: NetworkPlan, group: NodeGroupConfig): K8sObject[] {
  const planned = plan.groups.find((g) => g.name === group.name)!;
  const names = karpenterNames(config.cluster.name, group, groupIam(config.iam, group.iam));
  const name = names.nodePool;
  const labels = { ...group.labels, [MULTUS_NODE_LABEL]: group.name };
  const userData = nodeUserData({
    amiFamily: group.amiFamily,
    clusterName: config.cluster.name,
    clusterEndpoint: config.cluster.endpoint,
    clusterCertificateAuthority: config.cluster.certificateAuthority,
    clusterServiceCidr: config.cluster.serviceCidr,
    maxPods: planned.kubeletMaxPods,
    kubeletFlags: group.bootstrapArguments,
    nodeLabels: labels,
    multusEnis: planned.subnets.map((s) => ({ deviceIndex: s.deviceIndex, subnetId: s.id, availabilityZone: s.availabilityZone })),
    taints: group.taints,
    preBootstrapScript: group.preBootstrapScript,
    postBootstrapScript: group.postBootstrapScript,
    extraNodeConfig: group.nodeConfig,
  });
  const nodeClass: K8sObject = {
    apiVersion: KARPENTER_API.nodeClass,
    kind: "EC2NodeClass",
    metadata: { name, labels: { [MULTUS_NODE_LABEL]: group.name } },
    spec: {
      amiFamily: group.amiFamily === "al2023" ? "AL2023" : "AL2",
      amiSelectorTerms: [{ id: group.amiId }],
      subnetSelectorTerms: group.subnetIds.map((id) => ({ id })),
      securityGroupSelectorTerms: [{ id: config.cluster.securityGroupId }, { tags: { [KARPENTER_SECURITY_GROUP_TAG]: `${config.cluster.name}-${group.name}` } }],
      role: names.nodeRole!,
      userData,
      kubelet: { maxPods: planned.kubeletMaxPods },
      tags: { ...config.tags, ...group.tags, [`kubernetes.io/cluster/${config.cluster.name}`]: "owned" },
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 },
    },
  };
  const nodePool: K8sObject = {
    apiVersion: KARPENTER_API.nodePool,
    kind: "NodePool",
    metadata: { name },
    spec: {
      template: {
        metadata: { labels },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name },
          startupTaints: [{ ...STARTUP_TAINT }],
          ...(group.taints?.length ? { taints: group.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })) } : {}),
          requirements: [
            { key: LABELS.instanceType, operator: "In", values: planned.instances.map((i) => i.instanceType) },
            { key: LABELS.zone, operator: "In", values: [...group.availabilityZones] },
            { key: LABELS.capacityType, operator: "In", values: capacityTypesOf(group) },
          ],
        },
      },
      limits: { nodes: group.maxSize },
    },
  };
  return [nodeClass, nodePool];
}
