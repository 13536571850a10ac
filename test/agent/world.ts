import { Ec2Model } from "../../simulator/ec2/model";
import { ec2Client, SdkHook } from "../../simulator/sdk";
import { FakeKube } from "../../simulator/kube";
import { ENI_TAG_KEYS } from "../../contract/tags";
import { bigToIp6, ipv6PodSpace, parseCidr6 } from "../../contract/address6";
import { instanceLimits, multusPodsPerEni } from "../../ipam/capacity";
import { AgentMemory, Ec2, LogLine, newAgentMemory, reconcileNode, ReconcileResult } from "../../agent/reconcile";

export const NODE_GROUP = "multus-ng";
export const AZ = "us-west-2a";

export interface SimNode {
  readonly name: string;
  readonly instanceId: string;
  readonly primaryEniId: string;
  /** Multus ENI per multus subnet index; undefined where the node has a foreign (untagged) ENI instead. */
  readonly enis: (string | undefined)[];
  memory: AgentMemory;
}

export interface World {
  readonly model: Ec2Model;
  readonly ec2: Ec2;
  readonly kube: FakeKube;
  readonly nodes: SimNode[];
  /** Multus subnets: id and the pod address pool (disjoint from worker addresses); dual-stack, the IPv6 pool in the pod space too. */
  readonly subnets: { id: string; cidr: string; podPool: string[]; ipv6Cidr?: string; podPool6?: string[] }[];
  readonly foreign: { eniId: string; secondary: string }[];
  readonly podsPerEni: number;
  readonly instanceType: string;
}

export interface WorldOptions {
  readonly nodes: number;
  /** @default "t3.medium" (3 ENIs, 6 IPv4 per ENI: 5 multus pods per ENI) */
  readonly instanceType?: string;
  readonly seed?: number;
  /** Nodes (by index) whose second multus ENI is a foreign, untagged one. @default [] */
  readonly foreignOn?: readonly number[];
  readonly hook?: SdkHook;
  /**
   * Dual-stack multus subnets (2001:db8:0:16::/64, 2001:db8:0:17::/64): each ENI gets its
   * worker IPv6 address in the upper /65, the IPv6 pod pool lies in the pod space
   * (ipv6PodSpace). @default false
   */
  readonly dualStack?: boolean;
}

/**
 * A small cluster on the simulated EC2: a node subnet, two multus subnets, and per node an
 * instance with one multus ENI per multus subnet, tagged as the lifecycle Lambda tags them
 * (ipam ENI_TAG_KEYS), with worker addresses at .10-.59 and pod pools at .100-.199.
 */
export async function makeWorld(opts: WorldOptions): Promise<World> {
  const instanceType = opts.instanceType ?? "t3.medium";
  const model = new Ec2Model({ seed: opts.seed ?? 1 });
  const nodeSubnet = model.addSubnet({ cidr: "10.0.0.0/20", availabilityZone: AZ });
  const cidrs = ["10.0.16.0/24", "10.0.17.0/24"];
  const subnets = cidrs.map((cidr, j) => {
    const ipv6Cidr = opts.dualStack ? `2001:db8:0:${16 + j}::/64` : undefined;
    const s = model.addSubnet({ cidr, availabilityZone: AZ, ...(ipv6Cidr ? { ipv6Cidr } : {}) });
    const base = cidr.split(".").slice(0, 3).join(".");
    const podPool6 = ipv6Cidr ? Array.from({ length: 100 }, (_, i) => bigToIp6(ipv6PodSpace(parseCidr6(ipv6Cidr, "v6")).first + BigInt(100 + i))) : undefined;
    return { id: s.subnetId, cidr, base, podPool: Array.from({ length: 100 }, (_, i) => `${base}.${100 + i}`), ...(ipv6Cidr ? { ipv6Cidr, podPool6 } : {}) };
  });
  const kube = new FakeKube();
  const nodes: SimNode[] = [];
  const foreign: { eniId: string; secondary: string }[] = [];
  let worker = 10;
  for (let i = 0; i < opts.nodes; i++) {
    const name = `ip-10-0-0-${i + 10}.us-west-2.compute.internal`;
    const inst = model.launchInstance({ instanceType, subnetId: nodeSubnet.subnetId });
    kube.addNode(name, { providerId: `aws:///${AZ}/${inst.instanceId}`, labels: { "node.kubernetes.io/instance-type": instanceType } });
    const enis: (string | undefined)[] = [];
    for (let j = 0; j < subnets.length; j++) {
      const s = subnets[j]!;
      const isForeign = j === 1 && (opts.foreignOn ?? []).includes(i);
      const tags = isForeign
        ? [{ Key: "team", Value: "other-tool" }]
        : [
            { Key: ENI_TAG_KEYS.nodeGroup, Value: NODE_GROUP },
            { Key: ENI_TAG_KEYS.instanceId, Value: inst.instanceId },
            { Key: ENI_TAG_KEYS.noManage, Value: "true" },
          ];
      const created = await model.createNetworkInterface({
        SubnetId: s.id,
        ...(s.ipv6Cidr ? { Ipv6Addresses: [{ Ipv6Address: bigToIp6(parseCidr6(s.ipv6Cidr, "v6").first + (1n << 63n) + BigInt(worker)) }] } : {}),
        PrivateIpAddress: `${s.base}.${worker++}`,
        TagSpecifications: [{ ResourceType: "network-interface", Tags: tags }],
      });
      const eniId = created.NetworkInterface!.NetworkInterfaceId!;
      await model.attachNetworkInterface({ NetworkInterfaceId: eniId, InstanceId: inst.instanceId, DeviceIndex: j + 1 });
      if (isForeign) {
        const secondary = `${s.base}.${60 + i}`;
        await model.assignPrivateIpAddresses({ NetworkInterfaceId: eniId, PrivateIpAddresses: [secondary] });
        foreign.push({ eniId, secondary });
        enis.push(undefined);
      } else enis.push(eniId);
    }
    nodes.push({ name, instanceId: inst.instanceId, primaryEniId: inst.primaryEniId, enis, memory: newAgentMemory() });
  }
  return {
    model,
    ec2: ec2Client(model, opts.hook ? { hook: opts.hook } : {}),
    kube,
    nodes,
    subnets: subnets.map(({ base: _b, ...rest }) => rest),
    foreign,
    podsPerEni: multusPodsPerEni(instanceLimits(instanceType)),
    instanceType,
  };
}

/**
 * One agent round on a node, as the DaemonSet pod on that node runs it. `knowsLimit: false`:
 * the agent does not know the instance type's limit and learns it from EC2's refusal.
 */
export function reconcile(world: World, node: SimNode, opts: { knowsLimit?: boolean; log?: (line: LogLine) => void } = {}): Promise<ReconcileResult> {
  const podsPerEni = opts.knowsLimit === false ? undefined : world.podsPerEni;
  return reconcileNode({
    ec2: world.ec2,
    kube: world.kube,
    nodeName: node.name,
    instanceId: node.instanceId,
    tagValue: NODE_GROUP,
    ...(podsPerEni !== undefined ? { podsPerEni } : {}),
    memory: node.memory,
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** IPv6 addresses of an ENI, now (not lagged). */
export function ipv6s(world: World, eniId: string): string[] {
  return (world.model.networkInterface(eniId)?.Ipv6Addresses ?? []).map((a) => a.Ipv6Address!);
}

/** Secondary addresses per ENI id, now (not lagged). */
export function secondaries(world: World, eniId: string): string[] {
  return (world.model.networkInterface(eniId)?.PrivateIpAddresses ?? []).filter((p) => !p.Primary).map((p) => p.PrivateIpAddress!);
}
