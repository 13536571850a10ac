import { CoreV1Api, CoreV1Event, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from "@kubernetes/client-node";
import { AgentPod, ApiPod, KubeApi, NodeInfo, PodEvent, PodRef, WatchHandle, toAgentPod } from "./kube";

/** Name the agent reports events under (`kubectl describe pod` shows it as the source). */
export const EVENT_COMPONENT = "multus-node-agent";

/**
 * KubeApi on @kubernetes/client-node 1.x: the in-cluster service account (or KUBECONFIG when
 * run outside a cluster), pods selected by `spec.nodeName`, core/v1 events. RBAC needed:
 * pods list/watch, events create, nodes get (modules/kubernetes/objects/agent.ts grants it).
 */
export class KubeClient implements KubeApi {
  private readonly core: CoreV1Api;
  private readonly kc: KubeConfig;

  constructor(
    private readonly nodeName: string,
    kc?: KubeConfig,
  ) {
    this.kc = kc ?? defaultKubeConfig();
    this.core = this.kc.makeApiClient(CoreV1Api);
  }

  async listPods(nodeName: string): Promise<AgentPod[]> {
    const list = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
    return list.items.map((p) => toAgentPod(p as ApiPod)).filter((p): p is AgentPod => p !== undefined);
  }

  async watchPods(nodeName: string, onEvent: (event: PodEvent) => void, onClose: (err?: unknown) => void): Promise<WatchHandle> {
    let stopped = false;
    const controller = await new Watch(this.kc).watch(
      "/api/v1/pods",
      { fieldSelector: `spec.nodeName=${nodeName}`, allowWatchBookmarks: true },
      (phase, obj) => {
        if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED") return;
        const pod = toAgentPod(obj as ApiPod);
        if (pod) onEvent({ type: phase, pod });
      },
      (err) => {
        if (!stopped) onClose(err ?? undefined);
      },
    );
    return {
      stop: () => {
        stopped = true;
        controller.abort();
      },
    };
  }

  async createEvent(pod: PodRef, reason: string, message: string, type: "Normal" | "Warning" = "Normal"): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { generateName: `${pod.name}.`, namespace: pod.namespace },
      involvedObject: { apiVersion: "v1", kind: "Pod", namespace: pod.namespace, name: pod.name, uid: pod.uid },
      reason,
      message,
      type,
      source: { component: EVENT_COMPONENT, host: this.nodeName },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.core.createNamespacedEvent({ namespace: pod.namespace, body });
  }

  async getNode(nodeName: string): Promise<NodeInfo> {
    const node = await this.core.readNode({ name: nodeName });
    return {
      ...(node.spec?.providerID ? { providerId: node.spec.providerID } : {}),
      labels: { ...(node.metadata?.labels ?? {}) },
      taints: (node.spec?.taints ?? []).map((t) => ({
        key: t.key,
        effect: t.effect,
        ...(t.value !== undefined ? { value: t.value } : {}),
        ...(t.timeAdded !== undefined ? { timeAdded: new Date(t.timeAdded).toISOString() } : {}),
      })),
      ...(node.metadata?.resourceVersion ? { resourceVersion: node.metadata.resourceVersion } : {}),
    };
  }

  async removeNodeTaint(nodeName: string, key: string, seen: Pick<NodeInfo, "taints" | "resourceVersion">): Promise<void> {
    // A JSON merge patch replaces the whole list (RFC 7386); metadata.resourceVersion in it makes
    // it conditional: the API server stores the patched object with that version as a
    // precondition and answers 409 Conflict if the node changed since (kubernetes/kubernetes#63104;
    // controller-runtime's MergeFromWithOptimisticLock works the same way).
    const body = {
      metadata: seen.resourceVersion !== undefined ? { resourceVersion: seen.resourceVersion } : {},
      spec: { taints: (seen.taints ?? []).filter((t) => t.key !== key) },
    };
    await this.core.patchNode({ name: nodeName, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  }
}

/** In a pod: the service account; elsewhere KUBECONFIG or ~/.kube/config (client-node's loadFromDefault). */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
