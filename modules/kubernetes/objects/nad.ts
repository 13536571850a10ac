import { CNI_MODES, CniType, DEFAULT_CNI_MODE, IpRange, NetworkPlan, PlanError, PlannedSubnet, nadIpam, parseCidr, parseIp } from "../../../ipam";
import { multusInterfaceName } from "../../../contract/node-network";
import { MULTUS_NODE_LABEL, ZONE_LABEL } from "../../../contract/node-label";
import { K8sObject, checkName, checkNamespace } from "./common";

export { CNI_MODES, type CniType } from "../../../ipam";

/*
 * CNI plugins a generated NetworkAttachmentDefinition can use (CNI_TYPES, CNI_MODES in
 * ipam/cluster-config.ts). Both put the pod's interface on the worker's multus ENI. ipvlan
 * shares the ENI's MAC address, which is what the VPC delivers to; macvlan gives every pod its
 * own MAC, which the VPC does not know, so on EC2 it only works where something else makes
 * those MACs reachable. ipvlan is the default (as in the reference).
 */

export type AmiFamily = "al2023" | "al2";

/**
 * The node interface of the ENI at `deviceIndex`: its alternative name `multus<N>`
 * (contract/node-network.ts), which the node's host configuration (modules/aws/host/multus-eni.sh)
 * gives it from IMDS on every AMI family and instance family. The kernel's own name follows the
 * PCI slot (ens6 on most Nitro types, ens34 on Graviton4, enp39s0 on 8th-generation Intel,
 * kubernetes/kops#18642; eth1 on AL2), so no kernel name is right everywhere.
 */
export function defaultMasterInterface(deviceIndex: number): string {
  return multusInterfaceName(deviceIndex);
}

/** Linux interface names: 1-15 bytes, no '/', ':' or whitespace (IFNAMSIZ, dev_valid_name). */
export function checkInterfaceName(name: unknown, field: string): string {
  if (typeof name !== "string" || name.length === 0 || name.length > 15 || /[\s/:]/.test(name) || name === "." || name === "..") {
    throw new PlanError(field, `${JSON.stringify(name)} is not a Linux interface name`, "give the node's interface name for this ENI, e.g. multus1 (the default) or ens6: 1-15 characters, no '/', ':' or spaces");
  }
  return name;
}

/** Options for one multus subnet's network; each defaults to the network-wide setting. */
export interface SubnetNetworkOptions {
  /** NAD name. @default `<type>-conf-<n>`, n = the subnet's 1-based position in the config */
  readonly name?: string;
  /** The node interface of this subnet's ENI. @default defaultMasterInterface(deviceIndex): multus<N> */
  readonly masterInterface?: string;
  readonly type?: CniType;
  readonly mode?: string;
}

export interface NadProps {
  /** OS family of the nodes. Interface names no longer depend on it (multus<N> on every family). @default "al2023" */
  readonly amiFamily?: AmiFamily;
  /** Namespace of the NADs; pods elsewhere refer to them as `<namespace>/<name>`. @default "default" */
  readonly namespace?: string;
  /** @default "ipvlan" */
  readonly type?: CniType;
  /** @default "l2" for ipvlan, "bridge" for macvlan */
  readonly mode?: string;
  /**
   * Put the VPC router (subnet base + 1) into the IPAM result as the gateway. It adds no route
   * by itself (the pod's default route stays on the VPC CNI interface); it is there for
   * `routes` entries without their own gateway. @default true
   */
  readonly gateway?: boolean;
  /** Extra routes via the multus interface, e.g. other VPC CIDRs. @default none */
  readonly routes?: { readonly dst: string; readonly gw?: string }[];
  /** @default "0.3.1", as the multus daemon config */
  readonly cniVersion?: "0.3.1" | "0.4.0" | "1.0.0";
  /** Per-subnet options, keyed by EC2 subnet id. */
  readonly subnets?: Readonly<Record<string, SubnetNetworkOptions>>;
}

/** A node selector term (core/v1 NodeSelectorTerm) with match expressions only. */
export interface NodeSelectorTerm {
  readonly matchExpressions: { readonly key: string; readonly operator: "In"; readonly values: string[] }[];
}

/** What one generated NAD is made of: the subnet, its names and the CNI config. */
export interface NetworkDefinition {
  readonly subnet: PlannedSubnet;
  /** The pod block its whereabouts pool covers. */
  readonly pods: IpRange;
  /** The node groups whose nodes can run its pods. */
  readonly groups: readonly string[];
  /**
   * Where a pod using it can run: the subnet's zone and, when other groups have nodes there,
   * nodes of these groups (MULTUS_NODE_LABEL, which every node group sets to its name). Cluster form only; the shorthand's one group has
   * every network, so its NADs keep the zone annotation alone.
   */
  readonly nodeSelectorTerm?: NodeSelectorTerm;
  readonly name: string;
  readonly namespace: string;
  readonly masterInterface: string;
  readonly cniConfig: CniConfig;
  readonly manifest: K8sObject;
}

/** The CNI config written into the NAD's spec.config. */
export interface CniConfig {
  readonly cniVersion: string;
  readonly name: string;
  readonly type: CniType;
  readonly master: string;
  readonly mode: string;
  /** An IPv4 subnet's pool in `range`, `range_start`, `range_end`; a dual-stack subnet's IPv4 and IPv6 pools in `ipRanges`. */
  readonly ipam: {
    readonly type: "whereabouts";
    readonly range?: string;
    readonly range_start?: string;
    readonly range_end?: string;
    readonly ipRanges?: readonly { readonly range: string; readonly range_start: string; readonly range_end: string }[];
    readonly gateway?: string;
    readonly routes?: { dst: string; gw?: string }[];
  };
}

export const NAD_API_VERSION = "k8s.cni.cncf.io/v1";
/** Annotations that tie a NAD to its subnet (for people and for the node agent). */
export const NAD_ANNOTATIONS = {
  subnetId: "multus-eks.io/subnet-id",
  availabilityZone: "multus-eks.io/availability-zone",
  deviceIndex: "multus-eks.io/device-index",
  /** Cluster form: the network the NAD is of. */
  network: "multus-eks.io/network",
  /** Cluster form: the node groups whose nodes have the network (comma-separated). */
  nodeGroups: "multus-eks.io/node-groups",
  /**
   * Cluster form: JSON of the node selector term a pod using the NAD needs (zone and node
   * group), for its `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
   * Multus itself does not place pods; the scheduler must be told
   * (k8snetworkplumbingwg/multus-cni#1244).
   */
  nodeSelectorTerm: "multus-eks.io/node-selector-term",
} as const;


/** One NAD to make: a planned subnet and one of its pod blocks, with the groups using it. */
interface NadSlot {
  readonly subnet: PlannedSubnet;
  /** Position of the subnet in the plan. */
  readonly index: number;
  readonly pods: IpRange;
  readonly groups: readonly string[];
  /** Per-group pod block: the group. */
  readonly group?: string;
}

/** The NADs to make: one per planned subnet, or per group on a network whose groups each have their own pod block. */
function slots(plan: NetworkPlan): NadSlot[] {
  return plan.subnets.flatMap((subnet, index) => {
    const net = plan.networks.find((n) => n.name === subnet.network);
    if (net?.podBlock === "group") {
      return subnet.groups.map((g) => ({ subnet, index, pods: subnet.podBlocks[g]!, groups: [g], group: g }));
    }
    return [{ subnet, index, pods: subnet.pods, groups: subnet.groups }];
  });
}

/**
 * One NetworkAttachmentDefinition per multus subnet (and pod block), IPAM whereabouts over
 * exactly the plan's pod block (nadIpam; on a dual-stack subnet its IPv4 and IPv6 pod blocks,
 * as `ipRanges`). No host-local: one NAD serves every node, and
 * host-local keeps its state per node, so one range hands out the same address on every node.
 * The shorthand's NADs are `<type>-conf-<n>`; a network's are named after it (`nad.name`),
 * with `-<group>` for a group's own pod block and `-<zone>` when the network spans zones, and
 * say where their pods can run (nodeSelectorTerm).
 */
export function networkDefinitions(plan: NetworkPlan, props: NadProps): NetworkDefinition[] {
  const cluster = plan.form === "cluster";
  const known = new Set(plan.subnets.map((s) => s.id));
  for (const id of Object.keys(props.subnets ?? {})) {
    if (!known.has(id)) {
      throw new PlanError(`networks.subnets.${id}`, "is not a multus subnet of the config", `use one of: ${[...known].join(", ")}`);
    }
  }
  (props.routes ?? []).forEach((r, i) => {
    parseCidr(r.dst, `networks.routes[${i}].dst`);
    if (r.gw !== undefined) parseIp(r.gw, `networks.routes[${i}].gw`);
  });
  const seen = new Map<string, string>();
  return slots(plan).map(({ subnet, index, pods, groups, group }) => {
    const net = plan.networks.find((n) => n.name === subnet.network);
    const own = props.subnets?.[subnet.id] ?? {};
    const fieldOf = (key: keyof SubnetNetworkOptions) => (own[key] !== undefined ? `networks.subnets.${subnet.id}.${key}` : `networks.${key}`);
    const type = own.type ?? (cluster ? net?.type : undefined) ?? props.type ?? "ipvlan";
    if (!Object.hasOwn(CNI_MODES, type)) {
      throw new PlanError(fieldOf("type"), `${JSON.stringify(type)} is not supported`, "use ipvlan or macvlan (generated NADs use whereabouts; host-local NADs collide across nodes)");
    }
    // The network-wide mode applies to subnets of the network-wide type only.
    const mode = own.mode ?? (cluster ? net?.mode : undefined) ?? (type === (props.type ?? "ipvlan") ? props.mode : undefined) ?? DEFAULT_CNI_MODE[type as CniType];
    if (!CNI_MODES[type as CniType].includes(mode)) {
      throw new PlanError(fieldOf("mode"), `${JSON.stringify(mode)} is not a ${type} mode`, `use one of: ${CNI_MODES[type as CniType].join(", ")}`);
    }
    const namespace = checkNamespace((cluster ? net?.nad.namespace : undefined) ?? props.namespace ?? "default", "networks.namespace");
    const spans = plan.subnets.filter((s) => s.network === subnet.network).length > 1;
    const base = own.name ?? (cluster ? [net?.nad.name ?? subnet.network, ...(group ? [group.toLowerCase()] : []), ...(spans && !own.name ? [subnet.availabilityZone] : [])].join("-") : `${type}-conf-${index + 1}`);
    const name = checkName(own.name && group ? `${own.name}-${group.toLowerCase()}` : base, fieldOf("name"));
    const clash = seen.get(`${namespace}/${name}`);
    if (clash) throw new PlanError(fieldOf("name"), `${name} is also the NAD name of subnet ${clash}`, "give each subnet's NAD its own name");
    seen.set(`${namespace}/${name}`, subnet.id);
    const master = checkInterfaceName(own.masterInterface ?? defaultMasterInterface(subnet.deviceIndex), fieldOf("masterInterface"));
    const { gateway, ...range } = nadIpam(subnet, pods, group);
    const cniConfig: CniConfig = {
      cniVersion: props.cniVersion ?? "0.3.1",
      name,
      type: type as CniType,
      master,
      mode,
      ipam: {
        type: "whereabouts",
        ...range,
        ...((props.gateway ?? true) ? { gateway } : {}),
        ...(props.routes?.length ? { routes: props.routes.map((r) => ({ ...r })) } : {}),
      },
    };
    // Other groups with nodes in the zone lack this network (or pod block): pin to these groups.
    const othersInZone = plan.groups.some((g) => !groups.includes(g.name) && g.availabilityZones.includes(subnet.availabilityZone));
    const nodeSelectorTerm: NodeSelectorTerm | undefined = cluster
      ? {
          matchExpressions: [
            { key: ZONE_LABEL, operator: "In", values: [subnet.availabilityZone] },
            ...(othersInZone ? [{ key: MULTUS_NODE_LABEL, operator: "In" as const, values: [...groups] }] : []),
          ],
        }
      : undefined;
    const manifest: K8sObject = {
      apiVersion: NAD_API_VERSION,
      kind: "NetworkAttachmentDefinition",
      metadata: {
        name,
        namespace,
        annotations: {
          [NAD_ANNOTATIONS.subnetId]: subnet.id,
          [NAD_ANNOTATIONS.availabilityZone]: subnet.availabilityZone,
          [NAD_ANNOTATIONS.deviceIndex]: String(subnet.deviceIndex),
          ...(nodeSelectorTerm
            ? {
                [NAD_ANNOTATIONS.network]: subnet.network,
                [NAD_ANNOTATIONS.nodeGroups]: groups.join(","),
                [NAD_ANNOTATIONS.nodeSelectorTerm]: JSON.stringify(nodeSelectorTerm),
              }
            : {}),
        },
      },
      spec: { config: JSON.stringify(cniConfig) },
    };
    return { subnet, pods, groups, ...(nodeSelectorTerm ? { nodeSelectorTerm } : {}), name, namespace, masterInterface: master, cniConfig, manifest };
  });
}
