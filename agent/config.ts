import { instanceLimits, multusPodsPerEni } from "../ipam/capacity";
import { PlanError } from "../ipam/errors";
import { ENI_TAG_KEYS } from "../ipam/lambda-env";
import { KubeApi, instanceIdFromProviderId } from "./kube";

/**
 * Environment variables the agent reads. The Kubernetes module (modules/kubernetes/objects/
 * agent.ts) sets NODE_NAME (downward API), AWS_REGION and SYNC_PERIOD_SECONDS; the others
 * are optional overrides.
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
}

/** Reads and checks the environment; a bad value throws a PlanError naming the variable and the fix. */
export function parseAgentEnv(env: Readonly<Record<string, string | undefined>>): AgentConfig {
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
  const syncPeriodSeconds = integer(get(AGENT_ENV.syncPeriod), AGENT_ENV.syncPeriod, 30, 5, 3600, "seconds between full resyncs, e.g. 30");
  const debounceMs = integer(get(AGENT_ENV.debounce), AGENT_ENV.debounce, 500, 0, 60000, "milliseconds, e.g. 500");
  const instanceId = get(AGENT_ENV.instanceId);
  if (instanceId !== undefined && !/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new PlanError(AGENT_ENV.instanceId, `"${instanceId}" is not an EC2 instance id`, "give i-0123456789abcdef0, or unset it to read the node's providerID");
  }
  const instanceType = get(AGENT_ENV.instanceType);
  if (instanceType !== undefined) instanceLimits(instanceType, AGENT_ENV.instanceType);
  const tagKey = get(AGENT_ENV.tagKey) ?? ENI_TAG_KEYS.nodeGroup;
  if (tagKey.length > 128 || /^aws:/i.test(tagKey)) throw new PlanError(AGENT_ENV.tagKey, `"${tagKey}" is not a valid EC2 tag key`, "use 1-128 characters, not starting with aws:");
  const tagValue = get(AGENT_ENV.tagValue);
  if (tagValue !== undefined && tagValue.length > 256) throw new PlanError(AGENT_ENV.tagValue, "is longer than 256 characters", "give the node group's tag value");
  return {
    nodeName,
    region,
    syncPeriodSeconds,
    ...(instanceId ? { instanceId } : {}),
    ...(instanceType ? { instanceType } : {}),
    tagKey,
    ...(tagValue ? { tagValue } : {}),
    debounceMs,
  };
}

function integer(raw: string | undefined, name: string, dflt: number, min: number, max: number, fix: string): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new PlanError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`, `give ${fix}`);
  return n;
}

/** Reads one IMDSv2 path (e.g. `meta-data/instance-id`). */
export type ImdsGet = (path: string) => Promise<string>;

export interface NodeIdentity {
  readonly instanceId: string;
  readonly instanceType?: string;
  /** Secondary addresses per multus ENI; undefined when the instance type is unknown (EC2 enforces it). */
  readonly podsPerEni?: number;
  /** Where each value came from, for the start-up log. */
  readonly sources: { readonly instanceId: string; readonly instanceType: string };
}

/**
 * The node's instance id and type: the environment first, then the Node object (providerID,
 * label node.kubernetes.io/instance-type, https://kubernetes.io/docs/reference/labels-annotations-taints/#nodekubernetesioinstance-type),
 * then IMDSv2. No instance id at all is an error; an unknown type only loses the limit.
 */
export async function resolveIdentity(config: AgentConfig, kube: Pick<KubeApi, "getNode">, imds: ImdsGet): Promise<NodeIdentity> {
  let instanceId = config.instanceId;
  let instanceType = config.instanceType;
  let idSource = instanceId ? "env" : "";
  let typeSource = instanceType ? "env" : "";
  if (!instanceId || !instanceType) {
    const node = await kube.getNode(config.nodeName).catch(() => undefined);
    const fromProvider = instanceIdFromProviderId(node?.providerId);
    if (!instanceId && fromProvider) [instanceId, idSource] = [fromProvider, "node providerID"];
    const label = node?.labels["node.kubernetes.io/instance-type"];
    if (!instanceType && label) [instanceType, typeSource] = [label, "node label"];
  }
  if (!instanceId) {
    instanceId = (await imds("meta-data/instance-id").catch(() => "")).trim();
    idSource = "IMDSv2";
    if (!/^i-[0-9a-f]+$/.test(instanceId)) {
      throw new PlanError(AGENT_ENV.instanceId, "could not be found (no providerID on the node, IMDSv2 unreachable)", "set INSTANCE_ID, or allow IMDSv2 from the host network (hop limit 1 is enough with hostNetwork)");
    }
  }
  if (!instanceType) {
    instanceType = (await imds("meta-data/instance-type").catch(() => "")).trim() || undefined;
    typeSource = instanceType ? "IMDSv2" : "unknown";
  }
  let podsPerEni: number | undefined;
  try {
    if (instanceType) podsPerEni = multusPodsPerEni(instanceLimits(instanceType));
  } catch {
    podsPerEni = undefined;
  }
  return { instanceId, ...(instanceType ? { instanceType } : {}), ...(podsPerEni !== undefined ? { podsPerEni } : {}), sources: { instanceId: idSource, instanceType: typeSource } };
}
