import { isIpv4 } from "../contract/address";
import { canonicalIp6, ip6ToBig, isIpv6 } from "../contract/address6";

/**
 * The pod annotation in which Multus reports every attachment it made: a JSON array of
 * `{name, interface, ips, mac, mtu, default, dns, device-info, gateway}` (Go struct
 * `NetworkStatus`, k8snetworkplumbingwg/network-attachment-definition-client
 * pkg/apis/k8s.cni.cncf.io/v1/types.go, constant `NetworkStatusAnnot`). `ips` hold bare
 * addresses (written with Go's `net.IP.String()` in pkg/utils/net-attach-def.go), and the
 * cluster network's entry (on EKS the VPC CNI, `aws-cni`) carries `"default": true`.
 */
export const NETWORK_STATUS_ANNOTATION = "k8s.v1.cni.cncf.io/network-status";

/**
 * The name older Multus releases wrote (multus-cni docs/quickstart.md showed it before it was
 * renamed); read only when the current one is absent.
 */
export const LEGACY_NETWORK_STATUS_ANNOTATION = "k8s.v1.cni.cncf.io/networks-status";

/** One secondary (multus) attachment of a pod, with its usable IPv4 and IPv6 addresses. */
export interface MultusAttachment {
  /** The NetworkAttachmentDefinition, `namespace/name` (or `name`) as Multus reports it. */
  readonly network: string;
  /** Interface name inside the pod (e.g. `net1`), when reported. */
  readonly interface?: string;
  readonly ips: readonly string[];
  /** IPv6 addresses (a dual-stack NAD), in the text form EC2 prints (canonicalIp6). */
  readonly ips6: readonly string[];
}

/** What a pod's network-status annotation says about its multus addresses. */
export interface NetworkStatus {
  readonly attachments: readonly MultusAttachment[];
  /** Addresses or entries left out, each with the reason (unspecified, link-local, not an address). */
  readonly skipped: readonly string[];
}

/** An annotation that cannot be read at all: the pod's addresses are unknown. */
export class NetworkStatusError extends Error {
  override readonly name = "NetworkStatusError";
}

/**
 * Reads a network-status annotation. `undefined` (no annotation yet: Multus writes it after
 * the sandbox is up) gives no attachments. The default network's entry is left out: its
 * address belongs to the cluster network, never to a multus ENI. IPv6 addresses are kept
 * apart (`ips6`, canonical text); the unspecified addresses 0.0.0.0 (it appears in published
 * EKS annotations) and ::, and IPv6 link-local ones (fe80::/10, never an ENI's), are skipped
 * with a reason. Throws NetworkStatusError when the text is not a JSON array of
 * objects with a string `name`.
 */
export function parseNetworkStatus(text: string | undefined): NetworkStatus {
  if (text === undefined || text.trim() === "") return { attachments: [], skipped: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new NetworkStatusError(`${NETWORK_STATUS_ANNOTATION} is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw new NetworkStatusError(`${NETWORK_STATUS_ANNOTATION} must be a JSON array of attachments, got ${typeName(doc)}`);
  const attachments: MultusAttachment[] = [];
  const skipped: string[] = [];
  doc.forEach((entry: unknown, i) => {
    const where = `${NETWORK_STATUS_ANNOTATION}[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new NetworkStatusError(`${where} must be an object, got ${typeName(entry)}`);
    }
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== "string" || e.name === "") throw new NetworkStatusError(`${where}.name must be a non-empty string`);
    if (e.default !== undefined && typeof e.default !== "boolean") throw new NetworkStatusError(`${where}.default must be true or false`);
    if (e.default === true) return;
    if (e.ips !== undefined && (!Array.isArray(e.ips) || e.ips.some((ip) => typeof ip !== "string"))) {
      throw new NetworkStatusError(`${where}.ips must be an array of strings`);
    }
    const ips: string[] = [];
    const ips6: string[] = [];
    for (const raw of (e.ips as string[] | undefined) ?? []) {
      const ip = raw.trim();
      if (ip.includes(":")) {
        if (!isIpv6(ip)) skipped.push(`${e.name}: "${raw}" is not an IP address`);
        else if (ip6ToBig(ip) === 0n) skipped.push(`${e.name}: :: is the unspecified address`);
        else if (ip6ToBig(ip) >> 118n === 0x3fan) skipped.push(`${e.name}: ${ip} is link-local (fe80::/10), never an ENI's address`);
        else if (!ips6.includes(canonicalIp6(ip))) ips6.push(canonicalIp6(ip));
      } else if (!isIpv4(ip)) skipped.push(`${e.name}: "${raw}" is not an IP address`);
      else if (ip === "0.0.0.0") skipped.push(`${e.name}: 0.0.0.0 is the unspecified address`);
      else if (!ips.includes(ip)) ips.push(ip);
    }
    attachments.push({ network: e.name, ...(typeof e.interface === "string" ? { interface: e.interface } : {}), ips, ips6 });
  });
  return { attachments, skipped };
}

/** The network-status text of a pod's annotations (current name first, then the legacy one). */
export function networkStatusText(annotations: Readonly<Record<string, string>> | undefined): string | undefined {
  return annotations?.[NETWORK_STATUS_ANNOTATION] ?? annotations?.[LEGACY_NETWORK_STATUS_ANNOTATION];
}

/** Every multus IPv4 address of a pod, in annotation order, without duplicates. */
export function multusIps(status: NetworkStatus): string[] {
  return [...new Set(status.attachments.flatMap((a) => a.ips))];
}

/** Every multus IPv6 address of a pod (canonical text), in annotation order, without duplicates. */
export function multusIps6(status: NetworkStatus): string[] {
  return [...new Set(status.attachments.flatMap((a) => a.ips6))];
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}
