import { NetworkPlan, PlanError, PlannedSubnet, nadIpamRange, parseCidr, parseIp } from "../../../ipam";
import { multusInterfaceName } from "../../../contract/node-network";
import { K8sObject, checkName, checkNamespace } from "./common";

/**
 * CNI plugins a generated NetworkAttachmentDefinition can use. Both put the pod's interface on
 * the worker's multus ENI. ipvlan shares the ENI's MAC address, which is what the VPC delivers
 * to; macvlan gives every pod its own MAC, which the VPC does not know, so on EC2 it only works
 * where something else makes those MACs reachable. ipvlan is the default (as in the reference).
 */
export type CniType = "ipvlan" | "macvlan";

/** Modes each plugin accepts (containernetworking/plugins plugins/main/{ipvlan,macvlan}). */
export const CNI_MODES: Record<CniType, readonly string[]> = {
  ipvlan: ["l2", "l3", "l3s"],
  macvlan: ["bridge", "private", "vepa", "passthru"],
};
const DEFAULT_MODE: Record<CniType, string> = { ipvlan: "l2", macvlan: "bridge" };

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

/** What one generated NAD is made of: the subnet, its names and the CNI config. */
export interface NetworkDefinition {
  readonly subnet: PlannedSubnet;
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
  readonly ipam: {
    readonly type: "whereabouts";
    readonly range: string;
    readonly range_start: string;
    readonly range_end: string;
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
} as const;


/**
 * One NetworkAttachmentDefinition per multus subnet, IPAM whereabouts over exactly the plan's
 * pod block (nadIpamRange). No host-local: one NAD serves every node, and host-local keeps its
 * state per node, so one range hands out the same address on every node.
 */
export function networkDefinitions(plan: NetworkPlan, props: NadProps): NetworkDefinition[] {
  const namespace = checkNamespace(props.namespace ?? "default", "networks.namespace");
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
  return plan.subnets.map((subnet, i) => {
    const own = props.subnets?.[subnet.id] ?? {};
    const fieldOf = (key: keyof SubnetNetworkOptions) => (own[key] !== undefined ? `networks.subnets.${subnet.id}.${key}` : `networks.${key}`);
    const type = own.type ?? props.type ?? "ipvlan";
    if (!Object.hasOwn(CNI_MODES, type)) {
      throw new PlanError(fieldOf("type"), `${JSON.stringify(type)} is not supported`, "use ipvlan or macvlan (generated NADs use whereabouts; host-local NADs collide across nodes)");
    }
    // The network-wide mode applies to subnets of the network-wide type only.
    const mode = own.mode ?? (type === (props.type ?? "ipvlan") ? props.mode : undefined) ?? DEFAULT_MODE[type];
    if (!CNI_MODES[type].includes(mode)) {
      throw new PlanError(fieldOf("mode"), `${JSON.stringify(mode)} is not a ${type} mode`, `use one of: ${CNI_MODES[type].join(", ")}`);
    }
    const name = checkName(own.name ?? `${type}-conf-${i + 1}`, fieldOf("name"));
    const clash = seen.get(name);
    if (clash) throw new PlanError(fieldOf("name"), `${name} is also the NAD name of subnet ${clash}`, "give each subnet's NAD its own name");
    seen.set(name, subnet.id);
    const master = checkInterfaceName(own.masterInterface ?? defaultMasterInterface(subnet.deviceIndex), fieldOf("masterInterface"));
    const { gateway, ...range } = nadIpamRange(subnet);
    const cniConfig: CniConfig = {
      cniVersion: props.cniVersion ?? "0.3.1",
      name,
      type,
      master,
      mode,
      ipam: {
        type: "whereabouts",
        ...range,
        ...((props.gateway ?? true) ? { gateway } : {}),
        ...(props.routes?.length ? { routes: props.routes.map((r) => ({ ...r })) } : {}),
      },
    };
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
        },
      },
      spec: { config: JSON.stringify(cniConfig) },
    };
    return { subnet, name, namespace, masterInterface: master, cniConfig, manifest };
  });
}
