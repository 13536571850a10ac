import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { NODE_NETWORK_PATHS, STARTUP_TAINT } from "../../contract/node-network";
import type { NodeTaint } from "../../ipam/node-options";
import { NODECONFIG_API_VERSION } from "../../ipam/nodeadm";

export type AmiFamily = "al2023" | "al2";
export const AMI_FAMILIES: readonly AmiFamily[] = ["al2023", "al2"];

export interface UserDataInput {
  readonly amiFamily: AmiFamily;
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** Base64 certificate authority data. */
  readonly clusterCertificateAuthority: string;
  readonly clusterServiceCidr: string;
  /** kubelet max-pods: the VPC CNI's capacity on the ENIs multus leaves it (ipam kubeletMaxPods). */
  readonly maxPods: number;
  /** Extra kubelet flags separated by spaces, e.g. `--node-labels=cnf=xyz`. */
  readonly kubeletFlags: string;
  /** Labels the kubelet puts on its node, as one `--node-labels` flag before kubeletFlags. @default none */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** The multus ENIs of the node group, per zone (the plan's subnets). */
  readonly multusEnis: readonly MultusEniSpec[];
  /** @default "none" */
  readonly hostAddress?: HostAddress;
  /** Register the node with STARTUP_TAINT, which the node agent lifts. @default true */
  readonly startupTaint?: boolean;
  /** More taints the node registers with, after the startup taint. @default [] */
  readonly taints?: readonly NodeTaint[];
  /** Shell run first (AL2023: a MIME part before nodeadm's NodeConfig; AL2: before the host script). @default none */
  readonly preBootstrapScript?: string;
  /** Shell run last (AL2023: the last part, before nodeadm starts the kubelet; AL2: after bootstrap.sh). @default none */
  readonly postBootstrapScript?: string;
  /** A NodeConfig spec of the caller's, as a second NodeConfig part that nodeadm merges over ours (AL2023). @default none */
  readonly extraNodeConfig?: Readonly<Record<string, unknown>>;
}

/** The MIME boundary of the AL2023 user data. */
export const MIME_BOUNDARY = "MULTUSBOUNDARY";

/** A multus ENI the node expects: the plan's device index for a subnet in a zone. */
export interface MultusEniSpec {
  readonly deviceIndex: number;
  readonly subnetId: string;
  readonly availabilityZone: string;
}

/**
 * What the host gives a multus ENI besides the link: `none` (no address, no route: ipvlan and
 * macvlan need only the link), or `dhcp` (its primary address by DHCP, without a gateway or
 * routes, for host processes that talk on the multus subnet).
 */
export type HostAddress = "none" | "dhcp";
export const HOST_ADDRESSES: readonly HostAddress[] = ["none", "dhcp"];

/** The host configuration script (bash), installed as NODE_NETWORK_PATHS.script. */
export const MULTUS_ENI_SCRIPT = readFileSync(join(__dirname, "host", "multus-eni.sh"), "utf8");

/** multus-eni's configuration: the host address mode, then one `eni <device> <subnet> <zone>` line per multus ENI. */
export function multusEniConfig(enis: readonly MultusEniSpec[], hostAddress: HostAddress = "none"): string {
  return [`host-address ${hostAddress}`, ...enis.map((e) => `eni ${e.deviceIndex} ${e.subnetId} ${e.availabilityZone}`), ""].join("\n");
}

const SCRIPT_ENV = `MULTUS_ENI_CONF=${NODE_NETWORK_PATHS.config} MULTUS_ENI_STATE_DIR=${NODE_NETWORK_PATHS.stateDir}`;

/**
 * systemd unit udev starts per new interface. Type=simple rather than oneshot: AL2's systemd
 * 219 refuses Restart= on oneshot units. Restarts cover IMDS not answering yet; the start limit
 * bounds them.
 */
export const MULTUS_ENI_UNIT = [
  "[Unit]",
  "Description=multus-eks host configuration of ENI %i",
  "After=systemd-networkd.service network.target",
  "",
  "[Service]",
  "Type=simple",
  `Environment=${SCRIPT_ENV}`,
  `ExecStart=${NODE_NETWORK_PATHS.script} %i`,
  "Restart=on-failure",
  "RestartSec=5",
  "StartLimitInterval=600",
  "StartLimitBurst=30",
  "",
].join("\n");

/**
 * udev: every new ENA, ixgbevf or Xen vif interface starts the unit, without blocking udev (the
 * way awslabs/amazon-eks-ami templates/al2023/runtime/rootfs/etc/udev/rules.d/90-eks.rules starts
 * nodeadm's udev-net-manager, and amazon-ec2-net-utils its policy-routes unit). DRIVERS matches
 * the parent device, so the VPC CNI's pod veths never start it. A removed interface's record goes.
 */
export const MULTUS_ENI_RULES = [
  `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="ena|ixgbevf|vif", RUN+="/usr/bin/systemctl start --no-block multus-eni@$name.service"`,
  `SUBSYSTEM=="net", ACTION=="remove", KERNEL!="lo", RUN+="/usr/bin/env ${SCRIPT_ENV} ${NODE_NETWORK_PATHS.script} --forget $name"`,
  "",
].join("\n");

export interface HostScriptInput {
  readonly multusEnis: readonly MultusEniSpec[];
  /** @default "none" */
  readonly hostAddress?: HostAddress;
}

/**
 * Shell run on every node before the kubelet starts (cloud-init; nodeadm's run phase and AL2's
 * bootstrap.sh come after it). One host configuration for the multus ENIs, whenever they attach:
 * the lifecycle Lambda attaches them while the instance boots, so an ENI may appear before
 * nodeadm's run marker (/run/nodeadm/init), when nodeadm's udev-net-manager gives it a
 * systemd-networkd DHCP configuration with a route table and rule, or after it, when nodeadm
 * leaves it to the CNI, unconfigured and DOWN (awslabs/amazon-eks-ami
 * nodeadm/cmd/nodeadm-internal/udev/broker.go and net_manager.go, PR #2419, AMIs from v20251002;
 * issue #2180). multus-eni (modules/aws/host/multus-eni.sh) gives both the same result: the name
 * multus<N>, link up, rp_filter off, and on AL2023 a networkd file that sorts before nodeadm's.
 * - the udev rule and unit catch ENIs attached from now on; `--all` the ones already there;
 * - rp_filter 0 also as sysctl.d for every interface (the reference set all and default): pods
 *   send and receive on the secondary ENIs while the node's default route leaves through the
 *   primary one, and strict reverse-path filtering drops that traffic. systemd-sysctl applies
 *   the `*` line to each new interface (sysctl.d(5)), after the distribution's 50-default.conf.
 * - AL2 (no networkd): names, link up and rp_filter as on AL2023; ec2-net-utils keeps giving
 *   the ENI its DHCP address, as with the reference (which slept 30 s and wrote rc.local).
 * No `${` in here: Terraform would read it as an interpolation.
 */
export function multusHostScript(input: HostScriptInput): string {
  return [
    "#!/bin/bash",
    "set -uo pipefail",
    `mkdir -p ${dirname(NODE_NETWORK_PATHS.config)} ${dirname(NODE_NETWORK_PATHS.script)}`,
    `cat > ${NODE_NETWORK_PATHS.config} <<'CONF'`,
    multusEniConfig(input.multusEnis, input.hostAddress).trimEnd(),
    "CONF",
    `cat > ${NODE_NETWORK_PATHS.script} <<'SCRIPT'`,
    MULTUS_ENI_SCRIPT.trimEnd(),
    "SCRIPT",
    `chmod 0755 ${NODE_NETWORK_PATHS.script}`,
    "cat > /etc/systemd/system/multus-eni@.service <<'UNIT'",
    MULTUS_ENI_UNIT.trimEnd(),
    "UNIT",
    "cat > /etc/udev/rules.d/61-multus-eni.rules <<'RULE'",
    MULTUS_ENI_RULES.trimEnd(),
    "RULE",
    "cat > /etc/sysctl.d/99-multus.conf <<'CONF'",
    "net.ipv4.conf.all.rp_filter = 0",
    "net.ipv4.conf.default.rp_filter = 0",
    "net.ipv4.conf.*.rp_filter = 0",
    "CONF",
    "sysctl --system >/dev/null || true",
    "systemctl daemon-reload || true",
    "udevadm control --reload-rules || true",
    `${SCRIPT_ENV} ${NODE_NETWORK_PATHS.script} --all || echo "multus-eni: not every multus ENI is configured yet; udev configures each one when it attaches"`,
    "",
  ].join("\n");
}

/** Kubelet flags as a list; empty input gives none. */
export function splitFlags(flags: string): string[] {
  return flags.split(/\s+/).filter((f) => f.length > 0);
}

/**
 * The node labels flag, then the extra flags. The kubelet adds up repeated `--node-labels`
 * flags (k8s.io/component-base cli/flag MapStringString: "Multiple flag invocations are
 * supported"), so the user's own `--node-labels` still applies.
 */
export function kubeletFlagList(input: Pick<UserDataInput, "kubeletFlags" | "nodeLabels">): string[] {
  const labels = Object.entries(input.nodeLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [...(labels.length ? [`--node-labels=${labels.join(",")}`] : []), ...splitFlags(input.kubeletFlags)];
}

/**
 * nodeadm's NodeConfig (AL2023): cluster details so nodeadm makes no DescribeCluster call,
 * kubelet maxPods from the plan, which nodeadm would otherwise derive from every ENI of the
 * instance type, the startup taint as KubeletConfiguration `registerWithTaints` (nodeadm merges
 * `kubelet.config` into the kubelet's configuration file), and the node labels and extra flags
 * as kubelet flags (appended to nodeadm's own). Format: https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/ (NodeConfig,
 * node.eks.aws/v1alpha1).
 */
export function nodeConfig(input: UserDataInput): string {
  const flags = kubeletFlagList(input);
  const taints = registerTaints(input);
  const doc = {
    apiVersion: NODECONFIG_API_VERSION,
    kind: "NodeConfig",
    spec: {
      cluster: {
        name: input.clusterName,
        apiServerEndpoint: input.clusterEndpoint,
        certificateAuthority: input.clusterCertificateAuthority,
        cidr: input.clusterServiceCidr,
      },
      kubelet: {
        config: { maxPods: input.maxPods, ...(taints.length ? { registerWithTaints: taints } : {}) },
        ...(flags.length ? { flags } : {}),
      },
    },
  };
  // lineWidth 0: never fold the long certificate line.
  return `---\n${stringify(doc, { lineWidth: 0 })}`;
}

/**
 * The taints the node registers with: the startup taint (unless switched off), then the
 * caller's. One list in KubeletConfiguration `registerWithTaints` (AL2023) or one
 * `--register-with-taints` flag (AL2): a second one would replace the first.
 */
export function registerTaints(input: Pick<UserDataInput, "startupTaint" | "taints">): { key: string; value?: string; effect: string }[] {
  return [...((input.startupTaint ?? true) ? [{ ...STARTUP_TAINT }] : []), ...(input.taints ?? []).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }))];
}

/** The caller's NodeConfig spec as a document of its own, merged by nodeadm after ours. */
export function extraNodeConfig(spec: Readonly<Record<string, unknown>>): string {
  return `---\n${stringify({ apiVersion: NODECONFIG_API_VERSION, kind: "NodeConfig", spec }, { lineWidth: 0 })}`;
}

/** A MIME multipart/mixed document of the given parts (RFC 2046), as cloud-init and nodeadm read it. */
export function mimeMultipart(parts: readonly { contentType: string; body: string }[]): string {
  return [
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`,
    "",
    ...parts.flatMap((p) => [`--${MIME_BOUNDARY}`, `Content-Type: ${p.contentType}`, "", p.body]),
    `--${MIME_BOUNDARY}--`,
    "",
  ].join("\n");
}

const SHELL = 'text/x-shellscript; charset="us-ascii"';

/** A caller's script as a part of its own: a shebang unless it has one. */
function scriptPart(script: string): { contentType: string; body: string } {
  return { contentType: SHELL, body: script.startsWith("#!") ? script : `#!/bin/bash\n${script}` };
}

/**
 * User data for the node's AMI family (before base64):
 * - al2023: MIME multipart, a NodeConfig part for nodeadm and the host script
 *   (https://docs.aws.amazon.com/eks/latest/userguide/al2023.html);
 * - al2: the host script, then /etc/eks/bootstrap.sh with --use-max-pods false, and --max-pods
 *   the startup taint (--register-with-taints) and the node labels in the kubelet args (awslabs/amazon-eks-ami al2 branch, templates/al2/runtime/bootstrap.sh).
 */
export function nodeUserData(input: UserDataInput): string {
  const pre = input.preBootstrapScript ? [scriptPart(input.preBootstrapScript)] : [];
  const post = input.postBootstrapScript ? [scriptPart(input.postBootstrapScript)] : [];
  if (input.amiFamily === "al2023") {
    // cloud-init runs the shell parts in order after nodeadm's config phase and before its run
    // phase starts the kubelet (nodeadm-config.service, nodeadm-run.service After=cloud-final).
    return mimeMultipart([
      ...pre,
      { contentType: "application/node.eks.aws", body: nodeConfig(input) },
      ...(input.extraNodeConfig ? [{ contentType: "application/node.eks.aws", body: extraNodeConfig(input.extraNodeConfig) }] : []),
      { contentType: SHELL, body: multusHostScript(input) },
      ...post,
    ]);
  }
  const taints = registerTaints(input);
  const taintFlag = taints.length ? [`--register-with-taints=${taints.map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).join(",")}`] : [];
  const kubeletArgs = [`--max-pods=${input.maxPods}`, ...taintFlag, ...kubeletFlagList(input)].join(" ");
  const main = [
    multusHostScript(input),
    [
      "/etc/eks/bootstrap.sh",
      `'${input.clusterName}'`,
      `--apiserver-endpoint '${input.clusterEndpoint}'`,
      `--b64-cluster-ca '${input.clusterCertificateAuthority}'`,
      `--service-ipv4-cidr '${input.clusterServiceCidr}'`,
      "--use-max-pods false",
      `--kubelet-extra-args '${kubeletArgs}'`,
    ].join(" "),
    "",
  ].join("\n");
  // AL2's cloud-init runs a multipart's shell parts in order, so the caller's come before and after bootstrap.sh.
  return pre.length || post.length ? mimeMultipart([...pre, { contentType: SHELL, body: main }, ...post]) : main;
}
