import { intToIp } from "../../contract/address";
import { nadIpam, podBlockOf } from "../../ipam/plan";
import { WhereaboutsError, WhereaboutsModel, whereaboutsConfig } from "../cni/whereabouts";
import type { PodIp } from "../invariants";
import type { NodeView, PodSource } from "./runner";

/**
 * Pods with cluster-wide unique addresses from each subnet's pod block (whereabouts-like):
 * `podsPerNode` per node per multus ENI, lowest free first.
 */
export function poolPods(podsPerNode: number): PodSource {
  return (nodes, { plan }) => {
    const next = new Map(plan.subnets.map((s) => [s.id, s.pods.first]));
    const out: PodIp[] = [];
    for (const n of nodes) {
      for (const eni of n.enis) {
        const s = plan.subnets.find((x) => x.id === eni.subnetId);
        if (!s) continue;
        for (let k = 0; k < podsPerNode; k++) {
          const ip = next.get(s.id)!;
          if (ip > s.pods.last) break;
          next.set(s.id, ip + 1);
          out.push({ ip: intToIp(ip), node: n.instanceId, subnet: s.id, name: `${n.instanceId}-p${k}` });
        }
      }
    }
    return out;
  };
}

/**
 * Pods as the reference example's host-local NAD gives them: the same range on every node,
 * each node starting at its first address, so nodes hand out the same addresses.
 */
export function sharedRangePods(podsPerNode: number): PodSource {
  return (nodes, { plan }) =>
    nodes.flatMap((n) =>
      n.enis.flatMap((eni) => {
        const s = plan.subnets.find((x) => x.id === eni.subnetId);
        if (!s) return [];
        return Array.from({ length: Math.min(podsPerNode, s.pods.last - s.pods.first + 1) }, (_, k) => ({
          ip: intToIp(s.pods.first + k),
          node: n.instanceId,
          subnet: s.id,
          name: `${n.instanceId}-p${k}`,
        }));
      }),
    );
}

/** Sandbox creations kubelet retries a pod whose CNI ADD failed, in this model. */
const KUBELET_SANDBOX_RETRIES = 20;

/**
 * A CNI ADD that fails (whereabouts gives up after its compare-and-swap retries under a herd
 * of nodes) fails the pod sandbox, and kubelet creates the sandbox again later: the pod is
 * delayed, not lost. Other errors (pool exhausted) stand.
 */
async function allocateWithKubeletRetry(add: () => Promise<string[]>): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await add();
    } catch (err) {
      const conflict = err instanceof WhereaboutsError && /conflicting updates/.test(err.message);
      if (!conflict || attempt >= KUBELET_SANDBOX_RETRIES) throw err;
      // Back off a few turns, more each time, so the herd spreads out.
      for (let t = 0; t <= attempt; t++) await new Promise<void>((r) => setImmediate(r));
    }
  }
}

/**
 * Pods addressed by the whereabouts model (simulator/cni) with the NAD ranges this project
 * generates (`nadIpam`: the whole subnet, range_start/range_end on the pod block; on a
 * dual-stack subnet its IPv6 pod block too, each pod then holding one address of each family):
 * `podsPerNode` pods per node per multus ENI. Nodes add their pods at the same time, each
 * node one pod after another (as one kubelet would), so the pools' compare-and-swap
 * conflicts happen without a thundering herd that whereabouts' 100 retries cannot absorb.
 */
export function whereaboutsPods(podsPerNode: number | ((node: NodeView) => number)): PodSource {
  return async (nodes, { plan }) => {
    const model = new WhereaboutsModel();
    // One NAD per pod block: the subnet's, or (several groups) the node group's own.
    const configs = new Map<string, ReturnType<typeof whereaboutsConfig>>();
    const configFor = (subnetId: string, group: string | undefined) => {
      const s = plan.subnets.find((x) => x.id === subnetId);
      if (!s) return undefined;
      const block = podBlockOf(s, group);
      const key = `${s.id}/${block.first}`;
      if (!configs.has(key)) configs.set(key, whereaboutsConfig({ type: "whereabouts", network_name: `multus-${s.id}`, ...nadIpam(s, block, group) }));
      return configs.get(key)!;
    };
    const yieldTurn = () => new Promise<void>((r) => setImmediate(r));
    const perNode = nodes.map(async (n) => {
      const out: PodIp[] = [];
      for (const eni of n.enis) {
        const config = configFor(eni.subnetId, n.group);
        if (!config) continue;
        const count = typeof podsPerNode === "number" ? podsPerNode : podsPerNode(n);
        for (let k = 0; k < count; k++) {
          const name = `${n.instanceId}-${eni.subnetId}-p${k}`;
          const ips = await allocateWithKubeletRetry(() =>
            model.allocate(config, { node: n.instanceId, containerId: name, podRef: `default/${name}` }, { betweenReadAndUpdate: yieldTurn }),
          );
          for (const ip of ips) out.push({ ip, node: n.instanceId, subnet: eni.subnetId, name });
        }
      }
      return out;
    });
    return (await Promise.all(perNode)).flat();
  };
}
