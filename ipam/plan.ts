import { InstanceLimits, checkRoomForPods, instanceLimits, kubeletMaxPods, multusPodsPerEni } from "./capacity";
import { MultusConfig } from "./config";
import { SubnetPlan, planSubnet, subnetPlanJson } from "./layout";

/** A multus subnet's plan with where it sits on the node. */
export interface PlannedSubnet extends SubnetPlan {
  readonly id: string;
  readonly availabilityZone: string;
  /** EC2 device index of its ENI (1, 2, ... in config order within the AZ). */
  readonly deviceIndex: number;
}

/** The address plan of a whole config: computed once, used by constructs, Lambda, NADs and simulator. */
export interface NetworkPlan {
  readonly subnets: PlannedSubnet[];
  readonly instance: InstanceLimits;
  /** kubelet --max-pods for the VPC CNI on the ENIs multus leaves it. */
  readonly kubeletMaxPods: number;
  /** Multus pods per node per subnet the node agent can route (IPv4 per ENI - 1). */
  readonly multusPodsPerEni: number;
  readonly warnings: string[];
}

/** Plans every multus subnet of a validated config. Throws PlanError on infeasible input. */
export function planNetwork(config: MultusConfig): NetworkPlan {
  const instance = instanceLimits(config.nodeGroup.instanceType, "nodeGroup.instanceType");
  const perEni = multusPodsPerEni(instance);
  // Size the pod block for the pods a node can route, not for more than its ENIs hold.
  const podsPerNode = Math.min(config.multus.podsPerNode, perEni);
  const perAz = new Map<string, number>();
  const subnets = config.multus.subnets.map((s, i): PlannedSubnet => {
    const deviceIndex = (perAz.get(s.availabilityZone) ?? 0) + 1;
    perAz.set(s.availabilityZone, deviceIndex);
    const plan = planSubnet({
      cidr: s.cidr,
      strategy: config.multus.strategy,
      maxNodes: config.nodeGroup.maxSize,
      podsPerNode,
      workerHeadroom: config.multus.workerHeadroom,
      podHeadroom: config.multus.podHeadroom,
      podRange: s.podRange,
      reserveWorkerBlock: config.multus.reserveWorkerBlock,
      field: `multus.subnets[${i}]`,
    });
    return { ...plan, id: s.id, availabilityZone: s.availabilityZone, deviceIndex };
  });
  const multusEnis = Math.max(...perAz.values());
  // Throws on field multus.subnets when the multus ENIs leave the VPC CNI none.
  const maxPods = kubeletMaxPods(instance, multusEnis);
  const warnings = subnets.flatMap((s) => s.warnings);
  warnings.push(...checkRoomForPods(instance, maxPods, "nodeGroup.instanceType"));
  if (config.multus.podsPerNode > perEni) {
    warnings.push(
      `multus.podsPerNode ${config.multus.podsPerNode} exceeds the ${perEni} secondary IPv4 addresses a ${instance.instanceType} ENI holds: the node agent can make only ${perEni} multus pods per node per subnet routable, so the pod blocks are sized for ${perEni} per node`,
    );
  }
  return { subnets, instance, kubeletMaxPods: maxPods, multusPodsPerEni: perEni, warnings };
}

/** The plan in the CLI's `plan --json` shape. */
export function networkPlanJson(plan: NetworkPlan) {
  return {
    instanceType: plan.instance.instanceType,
    kubeletMaxPods: plan.kubeletMaxPods,
    multusPodsPerEni: plan.multusPodsPerEni,
    subnets: plan.subnets.map((s) => ({
      id: s.id,
      availabilityZone: s.availabilityZone,
      deviceIndex: s.deviceIndex,
      ...subnetPlanJson(s),
    })),
    warnings: plan.warnings,
  };
}
