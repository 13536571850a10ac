import { PlanError } from "./errors";
import { NODE_NETWORK_PATHS } from "./node-network";
import { ENI_TAG_KEYS } from "./tags";

/**
 * Where the agent's container sees the host's multus-eni state and Multus's CNI configuration:
 * read-only hostPath mounts of NODE_NETWORK_PATHS.stateDir and the CNI configuration directory
 * (modules/kubernetes/objects/agent.ts mounts them here). /sys/class/net is the host's already,
 * the pod being on the host network.
 */
export const AGENT_HOST_MOUNTS = {
  stateDir: { host: NODE_NETWORK_PATHS.stateDir, container: `/host${NODE_NETWORK_PATHS.stateDir}` },
  cniConfigDir: { host: "/etc/cni/net.d", container: "/host/etc/cni/net.d" },
} as const;

/**
 * Environment variables the node agent reads. The Kubernetes module (modules/kubernetes/objects/
 * agent.ts) writes them with agentEnvironment() and NODE_NAME from the downward API; the
 * others are optional overrides a user may add.
 */
export const AGENT_ENV = {
  /** Required: the node this agent serves (`spec.nodeName` via the downward API). */
  nodeName: "NODE_NAME",
  /** Required: region of the node's ENIs. */
  region: "AWS_REGION",
  /** Seconds between full resyncs, 5..3600. @default 30 */
  syncPeriod: "SYNC_PERIOD_SECONDS",
  /** The node's instance id. @default from the node's providerID, else IMDSv2 */
  instanceId: "INSTANCE_ID",
  /** The node's instance type (gives the per-ENI limit). @default node label node.kubernetes.io/instance-type, else IMDSv2 */
  instanceType: "INSTANCE_TYPE",
  /** Tag key marking the multus ENIs. @default multus.eks.amazonaws.com/node-group */
  tagKey: "MULTUS_ENI_TAG_KEY",
  /** Only ENIs whose tag has this value (the node group's). @default any value */
  tagValue: "MULTUS_NODE_GROUP_TAG",
  /** Milliseconds of quiet after a pod event before a round, 0..60000. @default 500 */
  debounce: "DEBOUNCE_MILLISECONDS",
  /** multus-eni's state directory as the container sees it. @default /host/run/multus-eks */
  hostStateDir: "MULTUS_ENI_STATE_DIR",
  /** Multus's CNI configuration file as the container sees it. @default /host/etc/cni/net.d/00-multus.conf */
  multusCniConfig: "MULTUS_CNI_CONFIG",
  /** The host's network devices in sysfs. @default /sys/class/net */
  sysClassNet: "SYS_CLASS_NET",
} as const;

export interface AgentConfig {
  readonly nodeName: string;
  readonly region: string;
  readonly syncPeriodSeconds: number;
  readonly instanceId?: string;
  readonly instanceType?: string;
  readonly tagKey: string;
  readonly tagValue?: string;
  readonly debounceMs: number;
  /** Where the node's multus network state is read (the startup taint's readiness check). */
  readonly host: { readonly stateDir: string; readonly multusCniConfig: string; readonly sysClassNet: string };
}

/**
 * The agent's service account as the Kubernetes stack creates it (modules/kubernetes
 * objects/agent.ts defaults): the AWS stack associates the agent's own IAM role with it (EKS Pod
 * Identity) or trusts it (IRSA).
 */
export const AGENT_SERVICE_ACCOUNT = { namespace: "kube-system", name: "multus-node-agent" } as const;

/** Seconds between the agent's full resyncs. */
export const AGENT_SYNC_PERIOD = { min: 5, max: 3600, default: 30 } as const;

/**
 * Reads and checks the environment; a bad value throws a PlanError naming the variable and
 * the fix. The instance type is only checked for form here: the agent looks its limits up.
 */
export function parseAgentEnvironment(env: Readonly<Record<string, string | undefined>>): AgentConfig {
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v === "" ? undefined : v;
  };
  const nodeName = get(AGENT_ENV.nodeName);
  if (!nodeName) throw new PlanError(AGENT_ENV.nodeName, "is not set", "set it from the pod's spec.nodeName with the downward API (fieldRef)");
  // RFC 1123 subdomain: what Kubernetes accepts as a node name.
  if (nodeName.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(nodeName)) {
    throw new PlanError(AGENT_ENV.nodeName, `"${nodeName}" is not a node name`, "set it from spec.nodeName with the downward API");
  }
  const region = get(AGENT_ENV.region);
  if (!region) throw new PlanError(AGENT_ENV.region, "is not set", "set the region of the cluster, e.g. us-west-2");
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new PlanError(AGENT_ENV.region, `"${region}" is not an AWS region`, "give a region name such as us-west-2");
  const syncPeriodSeconds = integer(get(AGENT_ENV.syncPeriod), AGENT_ENV.syncPeriod, AGENT_SYNC_PERIOD.default, AGENT_SYNC_PERIOD.min, AGENT_SYNC_PERIOD.max, "seconds between full resyncs, e.g. 30");
  const debounceMs = integer(get(AGENT_ENV.debounce), AGENT_ENV.debounce, 500, 0, 60000, "milliseconds, e.g. 500");
  const instanceId = get(AGENT_ENV.instanceId);
  if (instanceId !== undefined && !/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new PlanError(AGENT_ENV.instanceId, `"${instanceId}" is not an EC2 instance id`, "give i-0123456789abcdef0, or unset it to read the node's providerID");
  }
  const instanceType = get(AGENT_ENV.instanceType);
  const tagKey = get(AGENT_ENV.tagKey) ?? ENI_TAG_KEYS.nodeGroup;
  if (tagKey.length > 128 || /^aws:/i.test(tagKey)) throw new PlanError(AGENT_ENV.tagKey, `"${tagKey}" is not a valid EC2 tag key`, "use 1-128 characters, not starting with aws:");
  const tagValue = get(AGENT_ENV.tagValue);
  if (tagValue !== undefined && tagValue.length > 256) throw new PlanError(AGENT_ENV.tagValue, "is longer than 256 characters", "give the node group's tag value");
  const path = (name: string, dflt: string) => {
    const v = get(name) ?? dflt;
    if (!v.startsWith("/")) throw new PlanError(name, `"${v}" is not an absolute path`, `give an absolute path, e.g. ${dflt}`);
    return v;
  };
  const host = {
    stateDir: path(AGENT_ENV.hostStateDir, AGENT_HOST_MOUNTS.stateDir.container),
    multusCniConfig: path(AGENT_ENV.multusCniConfig, `${AGENT_HOST_MOUNTS.cniConfigDir.container}/${NODE_NETWORK_PATHS.multusCniConfig.split("/").pop()}`),
    sysClassNet: path(AGENT_ENV.sysClassNet, "/sys/class/net"),
  };
  return {
    nodeName,
    region,
    syncPeriodSeconds,
    ...(instanceId ? { instanceId } : {}),
    ...(instanceType ? { instanceType } : {}),
    tagKey,
    ...(tagValue ? { tagValue } : {}),
    debounceMs,
    host,
  };
}

function integer(raw: string | undefined, name: string, dflt: number, min: number, max: number, fix: string): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new PlanError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`, `give ${fix}`);
  return n;
}

/** What a deployment of the agent sets; the node name comes from the downward API. */
export interface AgentDeployment {
  readonly region: string;
  /** @default AGENT_SYNC_PERIOD.default */
  readonly syncPeriodSeconds?: number;
  /** Only ENIs whose node-group tag has this value. @default any value */
  readonly nodeGroupTag?: string;
}

/** The variables a deployment writes (name, value), in a stable order; parseAgentEnvironment reads them back. */
export function agentEnvironment(d: AgentDeployment): { name: string; value: string }[] {
  return [
    { name: AGENT_ENV.region, value: d.region },
    { name: AGENT_ENV.syncPeriod, value: String(d.syncPeriodSeconds ?? AGENT_SYNC_PERIOD.default) },
    ...(d.nodeGroupTag !== undefined ? [{ name: AGENT_ENV.tagValue, value: d.nodeGroupTag }] : []),
  ];
}
