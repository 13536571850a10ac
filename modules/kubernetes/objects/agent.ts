import { AGENT_ENV, AGENT_HOST_MOUNTS, AGENT_SERVICE_ACCOUNT, AGENT_SYNC_PERIOD, agentEnvironment } from "../../../contract/agent-env";
import { PlanError } from "../../../contract/errors";
import { AGENT_IMAGE_PLACEHOLDER } from "../versions";
import { K8sObject, ObjectList, checkImage, checkName, checkNamespace, checkRoleArn, daemonSetAffinity, nodeNameEnv, priorityClass } from "./common";

/**
 * How the node agent gets AWS credentials (it assigns pod IPs to the node's ENIs):
 * - `nodeRole`: the node's instance profile via IMDS. The agent runs with hostNetwork, so the
 *   default IMDSv2 hop limit of 1 reaches it. The node role needs the agent's EC2 permissions.
 * - `irsa`: IAM roles for service accounts: the role ARN goes on the service account as
 *   `eks.amazonaws.com/role-arn` (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
 * - `podIdentity`: EKS Pod Identity: the association lives in AWS (aws_eks_pod_identity_association
 *   for this namespace and service account), nothing on the service account.
 */
export type AgentIam = { readonly mode: "nodeRole" } | { readonly mode: "irsa"; readonly roleArn: string } | { readonly mode: "podIdentity" };

export interface AgentObjectsProps {
  /**
   * The agent image, built from agent/Dockerfile and pushed to your registry. No default: there
   * is no public image. (The constructs turn a missing image into a Terraform variable.)
   */
  readonly image: string;
  /** AWS region of the ENIs. */
  readonly region: string;
  /** Seconds between full resyncs of the node's pods against its ENIs. @default 30 */
  readonly syncPeriodSeconds?: number;
  /** @default { mode: "nodeRole" } */
  readonly iam?: AgentIam;
  /** @default "kube-system" */
  readonly namespace?: string;
  /** Name of the DaemonSet, service account and cluster role. @default "multus-node-agent" */
  readonly name?: string;
  /**
   * Run only on the multus node groups' nodes: those with the label MULTUS_NODE_LABEL, which
   * MultusNodeGroup's kubelet sets. false: every Linux node where the VPC CNI runs, each agent
   * calling DescribeNetworkInterfaces every sync period, multus node or not. @default true
   */
  readonly multusNodesOnly?: boolean;
  /** Run only on nodes that also have these labels (e.g. one node group's `MULTUS_NODE_LABEL: "ng1"`). @default no further labels */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * Priority class of the agent's pods; null for none. Multus pods of a node stay unroutable
   * until its agent runs. @default "system-node-critical", as aws-node and kube-proxy
   */
  readonly priorityClassName?: string | null;
  /**
   * Only manage ENIs whose node-group tag (ENI_TAG_KEYS.nodeGroup) has this value, as the
   * lifecycle Lambda writes it. @default any value (the agent only looks at its own instance's ENIs)
   */
  readonly nodeGroupTag?: string;
  /** More environment variables for the agent (contract/agent-env.ts lists the optional ones). @default none */
  readonly env?: Readonly<Record<string, string>>;
}

// The setting that writes each variable, for the message when agent.env tries to set it too.
const SETTING_OF: Record<string, string> = {
  [AGENT_ENV.syncPeriod]: "syncPeriodSeconds",
  [AGENT_ENV.region]: "region",
  [AGENT_ENV.tagValue]: "nodeGroupTag",
};

export const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * The agent container's memory, from bench/agent-memory.ts (figures in bench/agent-memory.json;
 * a test holds the request at or above the measured idle peak and the limit above the peak
 * with 1,000 pods on the node). Measured on Node 20, the bundle's target; the image runs
 * Node 22.
 */
export const AGENT_MEMORY = { request: "128Mi", limit: "256Mi" } as const;

export function agentObjects(props: AgentObjectsProps): ObjectList {
  if (props.image === AGENT_IMAGE_PLACEHOLDER || /[<>]/.test(props.image)) {
    throw new PlanError("agent.image", `${JSON.stringify(props.image)} is a placeholder`, "build agent/Dockerfile, push it to your registry and give its REGISTRY/REPOSITORY:TAG");
  }
  // A Terraform reference (the image variable) passes here; the variable validates itself.
  const image = checkImage(props.image, "agent.image");
  const name = checkName(props.name ?? AGENT_SERVICE_ACCOUNT.name, "agent.name");
  const namespace = checkNamespace(props.namespace ?? AGENT_SERVICE_ACCOUNT.namespace, "agent.namespace");
  const period = props.syncPeriodSeconds ?? AGENT_SYNC_PERIOD.default;
  if (!Number.isInteger(period) || period < AGENT_SYNC_PERIOD.min || period > AGENT_SYNC_PERIOD.max) {
    throw new PlanError("agent.syncPeriodSeconds", `must be a whole number from ${AGENT_SYNC_PERIOD.min} to ${AGENT_SYNC_PERIOD.max}, got ${String(period)}`, `set a resync period in seconds, e.g. ${AGENT_SYNC_PERIOD.default}`);
  }
  const iam = props.iam ?? { mode: "nodeRole" };
  if (iam.mode === "irsa") checkRoleArn(iam.roleArn, "agent.iam.roleArn", "give arn:aws:iam::<account>:role/<name>");
  const reserved = new Set<string>([AGENT_ENV.nodeName, ...Object.keys(SETTING_OF)]);
  for (const key of Object.keys(props.env ?? {})) {
    if (reserved.has(key)) throw new PlanError(`agent.env.${key}`, "is set by the module", `remove it; use the ${SETTING_OF[key] ?? "node name"} setting instead`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new PlanError(`agent.env.${key}`, "is not an environment variable name", "use letters, digits and '_'");
  }
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "node-agent" };
  const serviceAccount: K8sObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace, ...(iam.mode === "irsa" ? { annotations: { [IRSA_ANNOTATION]: iam.roleArn } } : {}) },
  };
  return [
    serviceAccount,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name },
      rules: [
        // What agent/kube-client.ts calls, nothing more. The pods of its node (list and watch
        // with a spec.nodeName field selector; it never reads one pod by name).
        { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
        // core/v1 events on pods when an address cannot be assigned (each posted once: no patch).
        { apiGroups: [""], resources: ["events"], verbs: ["create"] },
        // The node's provider ID (its instance id) and instance type label; patch: removing the
        // startup taint (contract/node-network.ts STARTUP_TAINT) once the node's multus network is
        // ready. RBAC cannot limit it to the agent's own node; the agent patches no other.
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            // Host network: IMDS within the default hop limit, and no dependency on the pod
            // network the agent helps to route.
            hostNetwork: true,
            // The node's resolver (the VPC's): the agent resolves only EC2's endpoint (the API
            // server is KUBERNETES_SERVICE_HOST, an IP), so it needs no CoreDNS, which may
            // itself wait for nodes like this one to become ready.
            dnsPolicy: "Default",
            affinity: daemonSetAffinity(props.multusNodesOnly ?? true),
            ...(props.nodeSelector ? { nodeSelector: { ...props.nodeSelector } } : {}),
            ...priorityClass(props.priorityClassName, "agent.priorityClassName"),
            // Every multus node needs its agent, whatever its taints, the startup taint it lifts
            // first (the affinity keeps it off the nodes where it can never run, so the rollout
            // cannot wait for them).
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "agent",
                image,
                env: [
                  nodeNameEnv(AGENT_ENV.nodeName),
                  ...agentEnvironment({ region: props.region, syncPeriodSeconds: period, ...(props.nodeGroupTag !== undefined ? { nodeGroupTag: props.nodeGroupTag } : {}) }),
                  ...Object.entries(props.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
                ],
                // No CPU limit: throttling would only delay routing. Memory from bench/agent-memory.ts
                // (AGENT_MEMORY).
                resources: { requests: { cpu: "10m", memory: AGENT_MEMORY.request }, limits: { memory: AGENT_MEMORY.limit } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                  // The image's user (agent/Dockerfile: USER 65532, distroless "nonroot").
                  runAsNonRoot: true,
                  runAsUser: 65532,
                  runAsGroup: 65532,
                  seccompProfile: { type: "RuntimeDefault" },
                },
                // The readiness check reads what multus-eni recorded and whether Multus wrote its
                // CNI configuration (agent/readiness.ts); read-only.
                volumeMounts: [
                  { name: "multus-eni-state", mountPath: AGENT_HOST_MOUNTS.stateDir.container, readOnly: true },
                  { name: "cni-config", mountPath: AGENT_HOST_MOUNTS.cniConfigDir.container, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "multus-eni-state", hostPath: { path: AGENT_HOST_MOUNTS.stateDir.host, type: "DirectoryOrCreate" } },
              { name: "cni-config", hostPath: { path: AGENT_HOST_MOUNTS.cniConfigDir.host, type: "DirectoryOrCreate" } },
            ],
            terminationGracePeriodSeconds: 10,
          },
        },
      },
    },
  ];
}
