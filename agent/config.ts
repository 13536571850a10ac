import { instanceLimits, multusPodsPerEni } from "../ipam/capacity";
import { PlanError } from "../contract/errors";
import { AGENT_ENV, AgentConfig, parseAgentEnvironment } from "../contract/agent-env";
import { KubeApi, instanceIdFromProviderId } from "./kube";


/** Reads and checks the agent's environment, the instance type against the ENI table too. */
export function parseAgentEnv(env: Readonly<Record<string, string | undefined>>): AgentConfig {
  const config = parseAgentEnvironment(env);
  if (config.instanceType !== undefined) instanceLimits(config.instanceType, AGENT_ENV.instanceType);
  return config;
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
