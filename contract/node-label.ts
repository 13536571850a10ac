/**
 * The label every multus node carries, set by its own kubelet (`--node-labels`, written into the
 * user data by modules/aws MultusNodeGroup), with the node group's name as the value. The node
 * agent, and Multus and whereabouts when asked, run only on nodes that have it. The kubelet may
 * set labels of any prefix but kubernetes.io and k8s.io (NodeRestriction,
 * https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction).
 */
export const MULTUS_NODE_LABEL = "multus.eks.amazonaws.com/node-group";

/** The well-known zone label kubelet sets on every node (https://kubernetes.io/docs/reference/labels-annotations-taints/#topologykubernetesiozone). */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

// Label values: at most 63 characters, alphanumerics with '-', '_' and '.' inside
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set).
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** True when `value` may be a label value. */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}
