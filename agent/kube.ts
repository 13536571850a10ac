/**
 * The agent's view of Kubernetes: the pods of one node, their changes, events on them, and
 * the node itself. `agent/kube-client.ts` implements it on @kubernetes/client-node;
 * `simulator/kube.ts` is an in-memory fake with fault injection for the property tests.
 */

/** Identifies a pod (for events and logs). */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What the agent needs of a pod. */
export interface AgentPod extends PodRef {
  readonly nodeName: string;
  /** Pending, Running, Succeeded, Failed or Unknown. */
  readonly phase: string;
  /** The pod has a deletionTimestamp: it is terminating but may still use its addresses. */
  readonly terminating: boolean;
  /** RFC 3339 creation time; orders pods when an ENI cannot hold them all. */
  readonly createdAt: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export type PodEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface PodEvent {
  readonly type: PodEventType;
  readonly pod: AgentPod;
}

/** A running watch. */
export interface WatchHandle {
  stop(): void;
}

/** A node taint (core/v1 Taint). */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
  /** RFC 3339; set by the API server on NoExecute taints. Kept as read when the list is written back. */
  readonly timeAdded?: string;
}

export interface NodeInfo {
  /** `spec.providerID`, on EKS `aws:///<az>/<instance-id>`. */
  readonly providerId?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.taints`. */
  readonly taints?: readonly Taint[];
  /** `metadata.resourceVersion`: the version the taints were read at. */
  readonly resourceVersion?: string;
}

export interface KubeApi {
  /** Every pod bound to `nodeName` (field selector `spec.nodeName`). */
  listPods(nodeName: string): Promise<AgentPod[]>;
  /**
   * Streams changes of the node's pods until stopped. `onClose` is called once when the watch
   * ends by itself (server timeout, error); the caller restarts it.
   */
  watchPods(nodeName: string, onEvent: (event: PodEvent) => void, onClose: (err?: unknown) => void): Promise<WatchHandle>;
  /** Posts an event on a pod (`kubectl describe pod` shows it). */
  createEvent(pod: PodRef, reason: string, message: string, type?: "Normal" | "Warning"): Promise<void>;
  getNode(nodeName: string): Promise<NodeInfo>;
  /**
   * Removes the taints with `key` from the node as it was read (`seen`): the other taints are
   * written back with the version read as a precondition, so a taint another controller added
   * meanwhile is not lost; a node changed since fails the call (HTTP 409 Conflict) and the
   * caller reads it again.
   */
  removeNodeTaint(nodeName: string, key: string, seen: Pick<NodeInfo, "taints" | "resourceVersion">): Promise<void>;
}

/** A pod as the Kubernetes API returns it, reduced to the fields read here. */
export interface ApiPod {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    creationTimestamp?: Date | string;
    deletionTimestamp?: Date | string;
  };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** Maps an API pod to an AgentPod; undefined when it lacks a name, namespace or uid. */
export function toAgentPod(pod: ApiPod): AgentPod | undefined {
  const m = pod.metadata;
  if (!m?.name || !m.namespace || !m.uid) return undefined;
  const created = m.creationTimestamp;
  return {
    namespace: m.namespace,
    name: m.name,
    uid: m.uid,
    nodeName: pod.spec?.nodeName ?? "",
    phase: pod.status?.phase ?? "Unknown",
    terminating: m.deletionTimestamp !== undefined && m.deletionTimestamp !== null,
    createdAt: created instanceof Date ? created.toISOString() : (created ?? ""),
    annotations: { ...(m.annotations ?? {}) },
  };
}

/**
 * A pod whose sandbox may still hold its addresses: anything but Succeeded or Failed. A
 * finished pod's sandbox is torn down and the CNI DEL releases its addresses
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase), so the
 * address may be handed to another pod.
 */
export function holdsAddresses(pod: AgentPod): boolean {
  return pod.phase !== "Succeeded" && pod.phase !== "Failed";
}

/**
 * The instance id in a node's provider ID: `aws:///<zone>/<id>`, `aws:////<id>` or a bare
 * `<id>` (kubernetes/cloud-provider-aws pkg/providers/v1, `KubernetesInstanceID` and
 * `MapToAWSInstanceID`). Fargate's `fargate-<ip>` is not an instance: undefined.
 */
export function instanceIdFromProviderId(providerId: string | undefined): string | undefined {
  const m = /^(?:aws:\/\/\/[^/]*\/)?(i-[0-9a-f]+)$/.exec(providerId ?? "");
  return m?.[1];
}
