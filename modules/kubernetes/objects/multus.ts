import { MULTUS_IMAGE } from "../versions";
import { K8sObject, ObjectList, checkImage, daemonSetAffinity, nodeNameEnv, priorityClass, resources } from "./common";

/**
 * The objects of the Multus thick plugin as AWS ships it for EKS:
 * aws/amazon-vpc-cni-k8s config/multus/v4.1.4-eksbuild.3/multus-daemonset-thick.yml as of
 * commit fa2dfdaf4868 (2025-06-25; unchanged at the v1.23.1 release commit b52188387f2e).
 * Thick plugin: a daemon per node (multus-daemon) does the work; a small shim binary, copied
 * into /opt/cni/bin by the init container, forwards CNI calls to it over a socket.
 */
export interface MultusObjectsProps {
  /** @default MULTUS_IMAGE (us-west-2 registry; see versions.ts for other regions) */
  readonly image?: string;
  /** multus-daemon log level (panic, error, verbose, debug). @default "verbose" as upstream */
  readonly logLevel?: "panic" | "error" | "verbose" | "debug";
  /**
   * Priority class of the Multus pods; null for none (upstream has none).
   * @default "system-node-critical", as aws-node and kube-proxy
   */
  readonly priorityClassName?: string | null;
  /**
   * Run only on the multus node groups' nodes (label MULTUS_NODE_LABEL) instead of every Linux
   * node where the VPC CNI runs. Pods on other nodes then get no extra interfaces.
   * @default false (every such node, as upstream)
   */
  readonly multusNodesOnly?: boolean;
}

export const MULTUS_NAMESPACE = "kube-system";
const NAME = "multus";
const LABELS = { tier: "node", app: "multus" };

/** The NetworkAttachmentDefinition CRD (group k8s.cni.cncf.io, v1), as in the AWS manifest. */
export function nadCrd(): K8sObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "network-attachment-definitions.k8s.cni.cncf.io" },
    spec: {
      group: "k8s.cni.cncf.io",
      scope: "Namespaced",
      names: {
        plural: "network-attachment-definitions",
        singular: "network-attachment-definition",
        kind: "NetworkAttachmentDefinition",
        shortNames: ["net-attach-def"],
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              description: "Intent to attach pods to an extra network (k8snetworkplumbingwg multi-net-spec).",
              type: "object",
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: {
                  type: "object",
                  properties: {
                    config: { type: "string", description: "CNI configuration as a JSON string." },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** multus-daemon's configuration: delegate to the VPC CNI's conflist as the cluster network. */
export function multusDaemonConfig(logLevel: string): Record<string, unknown> {
  return {
    chrootDir: "/hostroot",
    confDir: "/host/etc/cni/net.d",
    logFile: "/var/log/multus.log",
    logLevel,
    socketDir: "/host/run/multus/",
    cniVersion: "0.3.1",
    logToStderr: true,
    cniConfigDir: "/host/etc/cni/net.d",
    multusConfigFile: "auto",
    multusAutoconfigDir: "/host/etc/cni/net.d",
    // The VPC CNI's config file on EKS nodes; multus wraps it as the default network.
    multusMasterCNI: "10-aws.conflist",
  };
}

export function multusObjects(props: MultusObjectsProps = {}): ObjectList {
  const image = checkImage(props.image ?? MULTUS_IMAGE, "multus.image");
  const logLevel = props.logLevel ?? "verbose";
  const hostPath = (name: string, path: string) => ({ name, hostPath: { path } });
  return [
    nadCrd(),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: NAME },
      rules: [
        { apiGroups: ["k8s.cni.cncf.io"], resources: ["*"], verbs: ["*"] },
        { apiGroups: [""], resources: ["pods", "pods/status"], verbs: ["get", "list", "update", "watch"] },
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "update"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: NAME },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAME },
      subjects: [{ kind: "ServiceAccount", name: NAME, namespace: MULTUS_NAMESPACE }],
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: NAME, namespace: MULTUS_NAMESPACE } },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "multus-daemon-config", namespace: MULTUS_NAMESPACE, labels: LABELS },
      data: { "daemon-config.json": JSON.stringify(multusDaemonConfig(logLevel), null, 4) + "\n" },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "kube-multus-ds", namespace: MULTUS_NAMESPACE, labels: { ...LABELS, name: NAME } },
      spec: {
        selector: { matchLabels: { name: NAME } },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels: { ...LABELS, name: NAME } },
          spec: {
            // Upstream: Linux and not Fargate. Also not hybrid or Auto Mode nodes, where aws-node
            // (the VPC CNI, the delegate in 10-aws.conflist) does not run either.
            affinity: daemonSetAffinity(props.multusNodesOnly ?? false),
            ...priorityClass(props.priorityClassName, "multus.priorityClassName"),
            hostNetwork: true,
            hostPID: true,
            tolerations: [
              { operator: "Exists", effect: "NoSchedule" },
              { operator: "Exists", effect: "NoExecute" },
            ],
            serviceAccountName: NAME,
            containers: [
              {
                name: "kube-multus",
                image,
                command: ["/usr/src/multus-cni/bin/multus-daemon"],
                // 200Mi since aws/amazon-vpc-cni-k8s fa2dfdaf4868: 50Mi got the daemon OOM-killed.
                resources: resources("100m", "200Mi"),
                securityContext: { privileged: true },
                terminationMessagePolicy: "FallbackToLogsOnError",
                volumeMounts: [
                  { name: "cni", mountPath: "/host/etc/cni/net.d" },
                  // multus-daemon needs the CNI bin directory at the same path as on the host.
                  { name: "cnibin", mountPath: "/opt/cni/bin" },
                  { name: "host-run", mountPath: "/host/run" },
                  { name: "host-var-lib-cni-multus", mountPath: "/var/lib/cni/multus" },
                  { name: "host-var-lib-kubelet", mountPath: "/var/lib/kubelet", mountPropagation: "HostToContainer" },
                  { name: "host-run-k8s-cni-cncf-io", mountPath: "/run/k8s.cni.cncf.io" },
                  { name: "host-run-netns", mountPath: "/run/netns", mountPropagation: "HostToContainer" },
                  { name: "multus-daemon-config", mountPath: "/etc/cni/net.d/multus.d", readOnly: true },
                  { name: "hostroot", mountPath: "/hostroot", mountPropagation: "HostToContainer" },
                ],
                env: [nodeNameEnv("MULTUS_NODE_NAME")],
              },
            ],
            initContainers: [
              {
                name: "install-multus-binary",
                image,
                // -f since fa2dfdaf4868: without it the copy hangs after a node reboot when the shim exists.
                command: ["cp", "-f", "/usr/src/multus-cni/bin/multus-shim", "/host/opt/cni/bin/multus-shim"],
                resources: { requests: { cpu: "10m", memory: "15Mi" } },
                securityContext: { privileged: true },
                terminationMessagePolicy: "FallbackToLogsOnError",
                volumeMounts: [{ name: "cnibin", mountPath: "/host/opt/cni/bin", mountPropagation: "Bidirectional" }],
              },
            ],
            terminationGracePeriodSeconds: 10,
            volumes: [
              hostPath("cni", "/etc/cni/net.d"),
              hostPath("cnibin", "/opt/cni/bin"),
              hostPath("hostroot", "/"),
              {
                name: "multus-daemon-config",
                configMap: { name: "multus-daemon-config", items: [{ key: "daemon-config.json", path: "daemon-config.json" }] },
              },
              hostPath("host-run", "/run"),
              hostPath("host-var-lib-cni-multus", "/var/lib/cni/multus"),
              hostPath("host-var-lib-kubelet", "/var/lib/kubelet"),
              hostPath("host-run-k8s-cni-cncf-io", "/run/k8s.cni.cncf.io"),
              hostPath("host-run-netns", "/run/netns/"),
            ],
          },
        },
      },
    },
  ];
}
