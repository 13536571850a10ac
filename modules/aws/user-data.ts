import { stringify } from "yaml";

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
}

/** The MIME boundary of the AL2023 user data. */
export const MIME_BOUNDARY = "MULTUSBOUNDARY";

/**
 * Shell run on every node before the pods start:
 * - rp_filter 0: multus pods (ipvlan/macvlan) send and receive on the secondary ENIs while the
 *   node's default route leaves through the primary one; strict reverse-path filtering drops
 *   that traffic. The `*` line covers interfaces attached later: systemd-sysctl re-applies
 *   sysctl.d per new interface (systemd sysctl.d(5), "glob"), so a later file wins over the
 *   distribution's 50-default.conf.
 * - link up: the lifecycle Lambda attaches the ENIs while the instance waits in the launch hook,
 *   possibly after this script ran; a udev rule brings each new interface up when it appears,
 *   the loop those already present. (The reference slept 30 s and wrote rc.local.)
 * No `${` in here: Terraform would read it as an interpolation.
 */
export function multusHostScript(): string {
  return [
    "#!/bin/bash",
    "set -uo pipefail",
    "cat > /etc/sysctl.d/99-multus.conf <<'CONF'",
    "net.ipv4.conf.all.rp_filter = 0",
    "net.ipv4.conf.default.rp_filter = 0",
    "net.ipv4.conf.*.rp_filter = 0",
    "CONF",
    "sysctl --system >/dev/null || true",
    "cat > /etc/udev/rules.d/99-multus-link-up.rules <<'RULE'",
    'ACTION=="add", SUBSYSTEM=="net", KERNEL!="lo", RUN+="/usr/sbin/ip link set dev $name up"',
    "RULE",
    "udevadm control --reload-rules || true",
    'for dev in /sys/class/net/*; do ip link set dev "$(basename "$dev")" up || true; done',
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
 * nodeadm's NodeConfig (AL2023): cluster details so nodeadm makes no DescribeCluster call, and
 * kubelet maxPods from the plan, which nodeadm would otherwise derive from every ENI of the
 * instance type, and the node labels and extra flags as kubelet flags (appended to nodeadm's own). Format: https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/ (NodeConfig,
 * node.eks.aws/v1alpha1).
 */
export function nodeConfig(input: UserDataInput): string {
  const flags = kubeletFlagList(input);
  const doc = {
    apiVersion: "node.eks.aws/v1alpha1",
    kind: "NodeConfig",
    spec: {
      cluster: {
        name: input.clusterName,
        apiServerEndpoint: input.clusterEndpoint,
        certificateAuthority: input.clusterCertificateAuthority,
        cidr: input.clusterServiceCidr,
      },
      kubelet: { config: { maxPods: input.maxPods }, ...(flags.length ? { flags } : {}) },
    },
  };
  // lineWidth 0: never fold the long certificate line.
  return `---\n${stringify(doc, { lineWidth: 0 })}`;
}

/**
 * User data for the node's AMI family (before base64):
 * - al2023: MIME multipart, a NodeConfig part for nodeadm and the host script
 *   (https://docs.aws.amazon.com/eks/latest/userguide/al2023.html);
 * - al2: the host script, then /etc/eks/bootstrap.sh with --use-max-pods false, and --max-pods
 *   and the node labels in the kubelet args (awslabs/amazon-eks-ami al2 branch, templates/al2/runtime/bootstrap.sh).
 */
export function nodeUserData(input: UserDataInput): string {
  if (input.amiFamily === "al2023") {
    return [
      "MIME-Version: 1.0",
      `Content-Type: multipart/mixed; boundary="${MIME_BOUNDARY}"`,
      "",
      `--${MIME_BOUNDARY}`,
      "Content-Type: application/node.eks.aws",
      "",
      nodeConfig(input),
      `--${MIME_BOUNDARY}`,
      'Content-Type: text/x-shellscript; charset="us-ascii"',
      "",
      multusHostScript(),
      `--${MIME_BOUNDARY}--`,
      "",
    ].join("\n");
  }
  const kubeletArgs = [`--max-pods=${input.maxPods}`, ...kubeletFlagList(input)].join(" ");
  return [
    multusHostScript(),
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
}
