import { NETWORK_STATUS_ANNOTATION } from "../agent/annotation";
import type { AgentPod, KubeApi, NodeInfo, PodEvent, PodEventType, PodRef, Taint, WatchHandle } from "../agent/kube";

/** One multus attachment of a simulated pod. */
export interface SimAttachment {
  /** NetworkAttachmentDefinition, `namespace/name`. */
  readonly network: string;
  /** @default net1, net2, ... */
  readonly interface?: string;
  readonly ips: readonly string[];
}

/**
 * A network-status annotation as Multus writes it: the cluster network first with
 * `"default": true` (on EKS the VPC CNI, `aws-cni`, on `eth0`), then one entry per attachment
 * (shape: multus-cni docs/quickstart.md, "Network Status Annotations").
 */
export function networkStatusAnnotation(attachments: readonly SimAttachment[], clusterIp = "192.168.0.10"): string {
  const entries = [
    { name: "aws-cni", interface: "eth0", ips: [clusterIp], default: true, dns: {} },
    ...attachments.map((a, i) => ({
      name: a.network,
      interface: a.interface ?? `net${i + 1}`,
      ips: [...a.ips],
      mac: `02:00:00:00:${(i + 1).toString(16).padStart(2, "0")}:01`,
      dns: {},
    })),
  ];
  return JSON.stringify(entries, null, 4);
}

export interface FakeKubeFaults {
  /** Decides per listPods call whether it fails (an API server error). @default never */
  readonly listFails?: (nodeName: string, call: number) => boolean;
  /** Decides per createEvent call whether it fails. @default never */
  readonly eventFails?: (call: number) => boolean;
  /** Decides per node patch whether it fails (an API server error, not a conflict). @default never */
  readonly patchFails?: (nodeName: string, call: number) => boolean;
}

export interface RecordedEvent {
  readonly pod: PodRef;
  readonly reason: string;
  readonly message: string;
  readonly type: "Normal" | "Warning";
}

interface Watcher {
  readonly nodeName: string;
  readonly onEvent: (e: PodEvent) => void;
  readonly onClose: (err?: unknown) => void;
  open: boolean;
}

/**
 * An in-memory Kubernetes API behind the agent's `KubeApi`: pods bound to nodes with their
 * network-status annotations, watches per node, events, nodes with provider IDs. Test helpers
 * create, finish and delete pods (deleting is immediate, as after the grace period), inject
 * list and event failures, and drop watches.
 */
export class FakeKube implements KubeApi {
  private readonly pods = new Map<string, AgentPod>();
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly watchers: Watcher[] = [];
  private faults: FakeKubeFaults;
  private uids = 0;
  private clock = 0;
  private listCalls = 0;
  private eventCalls = 0;
  private patchCalls = 0;
  private versions = 0;
  readonly events: RecordedEvent[] = [];

  constructor(faults: FakeKubeFaults = {}) {
    this.faults = faults;
  }

  setFaults(faults: FakeKubeFaults): void {
    this.faults = faults;
  }

  // ------------------------------------------------------------------ simulator helpers

  addNode(name: string, info: { providerId?: string; labels?: Record<string, string>; taints?: readonly Taint[] } = {}): void {
    this.nodes.set(name, {
      ...(info.providerId ? { providerId: info.providerId } : {}),
      labels: { ...(info.labels ?? {}) },
      taints: (info.taints ?? []).map((t) => ({ ...t })),
      resourceVersion: String(++this.versions),
    });
  }

  /** The node's taints now. */
  nodeTaints(name: string): Taint[] {
    return (this.nodes.get(name)?.taints ?? []).map((t) => ({ ...t }));
  }

  /** Another controller changes the node's taints (a new version). */
  setNodeTaints(name: string, taints: readonly Taint[]): void {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    this.nodes.set(name, { ...node, taints: taints.map((t) => ({ ...t })), resourceVersion: String(++this.versions) });
  }

  /** Creates a running pod on a node with these multus attachments. Returns it. */
  addPod(input: { namespace?: string; name?: string; nodeName: string; attachments: readonly SimAttachment[]; phase?: string; annotations?: Record<string, string> }): AgentPod {
    const uid = `uid-${++this.uids}`;
    const pod: AgentPod = {
      namespace: input.namespace ?? "default",
      name: input.name ?? `pod-${this.uids}`,
      uid,
      nodeName: input.nodeName,
      phase: input.phase ?? "Running",
      terminating: false,
      createdAt: new Date(Date.UTC(2026, 0, 1) + ++this.clock * 1000).toISOString(),
      annotations: { [NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(input.attachments), ...(input.annotations ?? {}) },
    };
    this.pods.set(uid, pod);
    this.emit("ADDED", pod);
    return pod;
  }

  /** Changes a pod (phase, terminating, annotations). */
  updatePod(uid: string, change: Partial<Pick<AgentPod, "phase" | "terminating" | "annotations">>): AgentPod {
    const pod = this.pod(uid);
    const next: AgentPod = { ...pod, ...change };
    this.pods.set(uid, next);
    this.emit("MODIFIED", next);
    return next;
  }

  /** Removes a pod at once (its containers are gone and its addresses released). */
  deletePod(uid: string): void {
    const pod = this.pod(uid);
    this.pods.delete(uid);
    this.emit("DELETED", pod);
  }

  /** Every pod still in the API, on any node. */
  allPods(): AgentPod[] {
    return [...this.pods.values()];
  }

  /** Ends every open watch as the API server does on timeout or error. */
  dropWatches(err?: unknown): void {
    for (const w of this.watchers.splice(0)) {
      if (!w.open) continue;
      w.open = false;
      w.onClose(err);
    }
  }

  // ------------------------------------------------------------------ KubeApi

  async listPods(nodeName: string): Promise<AgentPod[]> {
    const call = this.listCalls++;
    if (this.faults.listFails?.(nodeName, call)) throw Object.assign(new Error("the server is currently unable to handle the request"), { statusCode: 503 });
    return [...this.pods.values()].filter((p) => p.nodeName === nodeName).map(clonePod);
  }

  async watchPods(nodeName: string, onEvent: (event: PodEvent) => void, onClose: (err?: unknown) => void): Promise<WatchHandle> {
    const w: Watcher = { nodeName, onEvent, onClose, open: true };
    this.watchers.push(w);
    return {
      stop: () => {
        w.open = false;
        const i = this.watchers.indexOf(w);
        if (i >= 0) this.watchers.splice(i, 1);
      },
    };
  }

  async createEvent(pod: PodRef, reason: string, message: string, type: "Normal" | "Warning" = "Normal"): Promise<void> {
    const call = this.eventCalls++;
    if (this.faults.eventFails?.(call)) throw Object.assign(new Error("events is forbidden"), { statusCode: 403 });
    this.events.push({ pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid }, reason, message, type });
  }

  async getNode(nodeName: string): Promise<NodeInfo> {
    const node = this.nodes.get(nodeName);
    if (!node) throw Object.assign(new Error(`nodes "${nodeName}" not found`), { statusCode: 404 });
    return { ...node, labels: { ...node.labels }, taints: (node.taints ?? []).map((t) => ({ ...t })) };
  }

  /** As the API server does with a merge patch carrying metadata.resourceVersion: 409 when the node changed since. */
  async removeNodeTaint(nodeName: string, key: string, seen: Pick<NodeInfo, "taints" | "resourceVersion">): Promise<void> {
    const call = this.patchCalls++;
    if (this.faults.patchFails?.(nodeName, call)) throw Object.assign(new Error("the server is currently unable to handle the request"), { statusCode: 503 });
    const node = this.nodes.get(nodeName);
    if (!node) throw Object.assign(new Error(`nodes "${nodeName}" not found`), { statusCode: 404 });
    if (seen.resourceVersion !== undefined && seen.resourceVersion !== node.resourceVersion) {
      throw Object.assign(new Error(`Operation cannot be fulfilled on nodes "${nodeName}": the object has been modified; please apply your changes to the latest version and try again`), { statusCode: 409 });
    }
    this.setNodeTaints(nodeName, (seen.taints ?? []).filter((t) => t.key !== key));
  }

  // ------------------------------------------------------------------ internals

  private pod(uid: string): AgentPod {
    const pod = this.pods.get(uid);
    if (!pod) throw new Error(`no pod with uid ${uid}`);
    return pod;
  }

  private emit(type: PodEventType, pod: AgentPod): void {
    for (const w of [...this.watchers]) if (w.open && w.nodeName === pod.nodeName) w.onEvent({ type, pod: clonePod(pod) });
  }
}

function clonePod(p: AgentPod): AgentPod {
  return { ...p, annotations: { ...p.annotations } };
}
