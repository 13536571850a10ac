import { PlanError } from "../../../ipam";
import { WHEREABOUTS_IMAGE } from "../versions";
import { K8sObject, ObjectList, checkImage, daemonSetAffinity, nodeNameEnv, priorityClass, resources } from "./common";

/**
 * whereabouts v0.9.4: a cluster-wide IPAM for multus networks. Its pools live in the API server
 * (IPPool objects updated with compare-and-swap), so every node allocates from one pool and no
 * two pods get one address. Objects follow k8snetworkplumbingwg/whereabouts v0.9.4
 * doc/crds/daemonset-install.yaml (install DaemonSet, RBAC, cron ConfigMap),
 * doc/crds/reconciler-deployment.yaml (ip-reconciler: frees addresses of deleted pods; since
 * v0.9.x a Deployment that reads its cron schedule from the ConfigMap, no longer a CronJob) and
 * doc/crds/whereabouts.cni.cncf.io_*.yaml (CRD schemas, descriptions shortened).
 */
export interface WhereaboutsObjectsProps {
  /** @default WHEREABOUTS_IMAGE (ghcr.io, tag v0.9.4) */
  readonly image?: string;
  /**
   * When the ip-reconciler frees addresses of pods that are gone, as a 5-field cron
   * expression (UTC). @default WHEREABOUTS_RECONCILER_SCHEDULE, every 5 minutes (upstream:
   * daily at 04:30)
   */
  readonly reconcilerSchedule?: string;
  /** Log level of ip-control-loop and ip-reconciler. @default "debug" as upstream */
  readonly logLevel?: "debug" | "verbose" | "error" | "panic";
  /** Deploy the ip-reconciler. @default true */
  readonly reconciler?: boolean;
  /**
   * Priority class of the install DaemonSet's pods; null for none (upstream has none).
   * @default "system-node-critical", as aws-node and kube-proxy
   */
  readonly priorityClassName?: string | null;
  /**
   * Run the install DaemonSet only on the multus node groups' nodes (label MULTUS_NODE_LABEL)
   * instead of every Linux node where the VPC CNI runs. Keep it the same as Multus's setting:
   * where Multus runs without whereabouts, pods fail with `failed to find plugin "whereabouts"`.
   * @default false (every such node)
   */
  readonly multusNodesOnly?: boolean;
}

export const WHEREABOUTS_NAMESPACE = "kube-system";

/**
 * Every 5 minutes rather than upstream's daily "30 4 * * *": whereabouts frees a pod's address
 * on CNI DEL, which never comes for the pods of a node that crashed or was terminated; only the
 * ip-reconciler frees those, once the pods are gone from the API (whereabouts #75). Until then
 * they hold pod-block addresses: daily, that is up to a day of a failed node's addresses;
 * the plan's `multus.podHeadroom` leaves room for them. One run lists the pods and the IP pools.
 */
export const WHEREABOUTS_RECONCILER_SCHEDULE = "*/5 * * * *";
export const WHEREABOUTS_GROUP = "whereabouts.cni.cncf.io";
const SA = "whereabouts";

type Schema = Record<string, unknown>;
const str = { type: "string" };

function crd(kind: string, plural: string, spec: Schema, extra: Schema = {}, required?: string[]): K8sObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${WHEREABOUTS_GROUP}` },
    spec: {
      group: WHEREABOUTS_GROUP,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: "Namespaced",
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: { apiVersion: str, kind: str, metadata: { type: "object" }, spec, ...extra },
              ...(required ? { required } : {}),
            },
          },
        },
      ],
    },
  };
}

/** The three whereabouts CRDs (group whereabouts.cni.cncf.io, v1alpha1, namespaced). */
export function whereaboutsCrds(): ObjectList {
  return [
    crd("IPPool", "ippools", {
      description: "One IP range and its allocations.",
      type: "object",
      properties: {
        allocations: {
          description: "Allocations by offset from the start of the range.",
          type: "object",
          additionalProperties: {
            type: "object",
            properties: { id: str, ifname: str, podref: str },
            required: ["id", "podref"],
          },
        },
        range: { ...str, description: "The range, a CIDR." },
      },
      required: ["allocations", "range"],
    }),
    crd(
      "OverlappingRangeIPReservation",
      "overlappingrangeipreservations",
      {
        description: "One address held across ranges that overlap.",
        type: "object",
        properties: { containerid: str, ifname: str, podref: str },
        required: ["podref"],
      },
      {},
      ["spec"],
    ),
    crd(
      "NodeSlicePool",
      "nodeslicepools",
      {
        description: "A range cut into per-node slices (Fast IPAM).",
        type: "object",
        properties: { range: str, sliceSize: str },
        required: ["range", "sliceSize"],
      },
      {
        status: {
          type: "object",
          properties: {
            allocations: {
              type: "array",
              items: { type: "object", properties: { nodeName: str, sliceRange: str }, required: ["nodeName", "sliceRange"] },
            },
          },
          required: ["allocations"],
        },
      },
    ),
  ];
}

// Minute, hour, day of month, month, day of week: each *, a number, a range, a list or a step.
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

export function checkCron(expr: unknown, field: string): string {
  const parts = typeof expr === "string" ? expr.trim().split(/\s+/) : [];
  if (parts.length !== 5 || !parts.every((p) => CRON_FIELD.test(p))) {
    throw new PlanError(field, `${JSON.stringify(expr)} is not a 5-field cron expression`, 'write minute hour day-of-month month day-of-week, e.g. "30 4 * * *"');
  }
  return expr as string;
}

export function whereaboutsObjects(props: WhereaboutsObjectsProps = {}): ObjectList {
  const image = checkImage(props.image ?? WHEREABOUTS_IMAGE, "whereabouts.image");
  const schedule = checkCron(props.reconcilerSchedule ?? WHEREABOUTS_RECONCILER_SCHEDULE, "whereabouts.reconcilerSchedule");
  const logLevel = props.logLevel ?? "debug";
  const namespaceEnv = { name: "WHEREABOUTS_NAMESPACE", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } } };
  const objects: ObjectList = [
    ...whereaboutsCrds(),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: WHEREABOUTS_NAMESPACE } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "whereabouts-cni" },
      rules: [
        {
          apiGroups: [WHEREABOUTS_GROUP],
          resources: ["ippools", "overlappingrangeipreservations", "nodeslicepools"],
          verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        // Leases: leader election around pool updates.
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["*"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch", "get"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["k8s.cni.cncf.io"], resources: ["network-attachment-definitions"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "update", "get"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "whereabouts" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "whereabouts-cni" },
      subjects: [{ kind: "ServiceAccount", name: SA, namespace: WHEREABOUTS_NAMESPACE }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "whereabouts-config",
        namespace: WHEREABOUTS_NAMESPACE,
        annotations: { "kubernetes.io/description": "Cron schedule (UTC) of the whereabouts ip-reconciler." },
      },
      data: { "cron-expression": schedule },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "whereabouts", namespace: WHEREABOUTS_NAMESPACE, labels: { tier: "node", app: "whereabouts" } },
      spec: {
        selector: { matchLabels: { name: "whereabouts" } },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels: { tier: "node", app: "whereabouts", name: "whereabouts" } },
          spec: {
            // Upstream has no affinity: its pods are created for Fargate and Windows nodes too and
            // stay Pending there. Where Multus runs and nowhere else (see objects/common.ts).
            affinity: daemonSetAffinity(props.multusNodesOnly ?? false),
            ...priorityClass(props.priorityClassName, "whereabouts.priorityClassName"),
            hostNetwork: true,
            serviceAccountName: SA,
            // Upstream tolerates NoSchedule taints only; Multus tolerates NoExecute ones too, and
            // on a node where Multus runs without whereabouts every multus pod fails with
            // `failed to find plugin "whereabouts"`.
            tolerations: [
              { operator: "Exists", effect: "NoSchedule" },
              { operator: "Exists", effect: "NoExecute" },
            ],
            containers: [
              {
                name: "whereabouts",
                // Installs the whereabouts binary and its kubeconfig on the host, keeps the
                // token fresh, and runs the control loop that frees addresses of deleted pods.
                command: ["/bin/sh"],
                args: ["-c", `SLEEP=false source /install-cni.sh\n/token-watcher.sh &\n/ip-control-loop -log-level ${logLevel}\n`],
                image,
                env: [nodeNameEnv("NODENAME"), namespaceEnv],
                resources: resources("100m", "100Mi", "200Mi"),
                securityContext: { privileged: true },
                volumeMounts: [
                  { name: "cnibin", mountPath: "/host/opt/cni/bin" },
                  { name: "cni-net-dir", mountPath: "/host/etc/cni/net.d" },
                ],
              },
            ],
            volumes: [
              { name: "cnibin", hostPath: { path: "/opt/cni/bin" } },
              { name: "cni-net-dir", hostPath: { path: "/etc/cni/net.d" } },
            ],
          },
        },
      },
    },
  ];
  if (props.reconciler ?? true) {
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "whereabouts-reconciler", namespace: WHEREABOUTS_NAMESPACE, labels: { tier: "node", app: "whereabouts-reconciler" } },
      spec: {
        // Upstream: no leader election, so more than one replica reconciles twice.
        replicas: 1,
        selector: { matchLabels: { name: "whereabouts-reconciler" } },
        template: {
          metadata: { labels: { tier: "node", app: "whereabouts-reconciler", name: "whereabouts-reconciler" } },
          spec: {
            serviceAccountName: SA,
            containers: [
              {
                name: "whereabouts-reconciler",
                command: ["/ip-reconciler"],
                args: ["-log-level", logLevel],
                image,
                env: [namespaceEnv],
                resources: resources("100m", "50Mi"),
                // The reconciler watches /cron-schedule/config for its schedule.
                volumeMounts: [{ name: "cron-scheduler-configmap", mountPath: "/cron-schedule" }],
              },
            ],
            volumes: [
              {
                name: "cron-scheduler-configmap",
                configMap: { name: "whereabouts-config", defaultMode: 0o744, items: [{ key: "cron-expression", path: "config" }] },
              },
            ],
          },
        },
      },
    });
  }
  return objects;
}
