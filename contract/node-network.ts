import { PlanError } from "./errors";

/**
 * What the node's host configuration (modules/aws/host/multus-eni.sh, installed by the user
 * data), the NetworkAttachmentDefinitions and the node agent agree on about a node's multus
 * network.
 */

/**
 * The alternative name a multus ENI gets on every node: `multus<device index>`. The kernel's
 * own name follows the PCI slot and differs by instance family (ens6 on most Nitro types, ens34
 * on Graviton4, enp39s0 on 8th-generation Intel; kubernetes/kops#18642), so NADs name the ENI by
 * this instead. ipvlan and macvlan resolve an alternative name as `master` (the kernel looks
 * names up through altnames too: `ip link property add dev X altname NAME`).
 *
 * Not the `device-number-N` altname of amazon-ec2-net-utils: that one is added by its
 * setup-policy-routes (lib/lib.sh `add_altnames`), run from udev/99-vpc-policy-routes.rules,
 * which the EKS AL2023 AMI masks (awslabs/amazon-eks-ami templates/al2023/provisioners/
 * install-worker.sh, `touch /etc/udev/rules.d/99-vpc-policy-routes.rules`), and since
 * amazon-ec2-net-utils v2.5.0 it reads `device-number-N.C` on instance types with network cards
 * (commit c5b4cd4). systemd's AlternativeNamesPolicy only knows database, onboard, slot, path
 * and mac (systemd.link(5)): it gives enp0s6-like names, never the device number.
 */
export const MULTUS_INTERFACE_PREFIX = "multus";

/** Linux interface names (and altnames used as names) hold at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAMSIZ_MAX = 15;

export function multusInterfaceName(deviceIndex: number): string {
  if (!Number.isInteger(deviceIndex) || deviceIndex < 1 || deviceIndex > 99) {
    throw new PlanError("deviceIndex", `${deviceIndex} is not a multus ENI's device index`, "use 1..99 (device 0 is the primary ENI)");
  }
  return `${MULTUS_INTERFACE_PREFIX}${deviceIndex}`;
}

/**
 * The taint a multus node registers with (kubelet `registerWithTaints`, written by the user
 * data) and the node agent removes once the node's multus ENIs are attached, named and up and
 * Multus's configuration is on the node. NoSchedule keeps every pod without a toleration off
 * the node until then; our DaemonSets (the agent, Multus, whereabouts) tolerate it.
 */
export const STARTUP_TAINT = { key: "multus.eks.amazonaws.com/network-not-ready", value: "true", effect: "NoSchedule" } as const;

/** The taint as kubelet's `--register-with-taints` flag value (AL2's bootstrap.sh). */
export function startupTaintFlag(): string {
  return `${STARTUP_TAINT.key}=${STARTUP_TAINT.value}:${STARTUP_TAINT.effect}`;
}

/** Host paths of the multus ENI configuration. */
export const NODE_NETWORK_PATHS = {
  /** What the user data writes: `host-address none|dhcp` and `eni <device> <subnet-id> <zone>` lines. */
  config: "/etc/multus-eks/multus-eni.conf",
  /** The script, run by udev through `multus-eni@<iface>.service`. */
  script: "/usr/local/sbin/multus-eni",
  /** tmpfs: state is rebuilt on every boot (udev replays "add" for every interface). */
  stateDir: "/run/multus-eks",
  /**
   * Multus thick writes its CNI configuration here once its daemon runs
   * (k8snetworkplumbingwg/multus-cni pkg/server/config/manager.go v4.1.4: `00-multus.conf` in
   * the CNI config directory, mode 0600: the agent checks that it exists, it cannot read it).
   */
  multusCniConfig: "/etc/cni/net.d/00-multus.conf",
} as const;

/** What the script records per named ENI, in `<stateDir>/enis/<device index>`. */
export interface EniRecord {
  readonly device: number;
  /** The kernel's name (ens6, enp40s0, eth1, ...). */
  readonly interface: string;
  /** multusInterfaceName(device). */
  readonly altname: string;
  readonly mac: string;
  readonly subnet: string;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Reads one `key=value` record; a wrong or missing key throws a PlanError naming `source`. */
export function parseEniRecord(text: string, source: string): EniRecord {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const get = (k: string) => {
    const v = fields.get(k);
    if (!v) throw new PlanError(source, `has no ${k}=`, "let multus-eni rewrite it: systemctl restart multus-eni@<iface>");
    return v;
  };
  const device = Number(get("device"));
  if (!Number.isInteger(device) || device < 1) throw new PlanError(source, `device=${get("device")} is not a device index`, "let multus-eni rewrite it");
  const mac = get("mac").toLowerCase();
  if (!MAC.test(mac)) throw new PlanError(source, `mac=${mac} is not a MAC address`, "let multus-eni rewrite it");
  const altname = get("altname");
  if (altname !== multusInterfaceName(device)) throw new PlanError(source, `altname=${altname} is not ${multusInterfaceName(device)}`, "let multus-eni rewrite it");
  return { device, interface: get("interface"), altname, mac, subnet: get("subnet") };
}

/** The `expected` file: the device indexes of the node's zone, separated by spaces. */
export function parseExpectedDevices(text: string, source: string): number[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out = words.map(Number);
  if (out.some((n) => !Number.isInteger(n) || n < 1)) throw new PlanError(source, `${JSON.stringify(text.trim())} is not a list of device indexes`, "let multus-eni rewrite it");
  return [...new Set(out)].sort((a, b) => a - b);
}
