import { PlanError } from "../contract/errors";
import { isObject } from "../contract/json";

/**
 * nodeadm's NodeConfig API (`node.eks.aws/v1alpha1`), the fields of its spec, as
 * awslabs/amazon-eks-ami declares them in nodeadm/api/v1alpha1/nodeconfig_types.go at release
 * v20260724 (commit 81fec2e8): `true` for a field whose value is free (a map nodeadm merges
 * or passes on, a list, a scalar), a nested table for a struct. nodeadm reads every
 * `application/node.eks.aws` part of a MIME multipart user data and merges them in order,
 * later over earlier (nodeadm/internal/configprovider/mime.go, internal/api/merge.go: mergo
 * with override; kubelet flags are appended, `kubelet.config` and containerd's TOML are
 * deep-merged).
 */
export const NODECONFIG_SPEC_FIELDS: NodeConfigFields = {
  cluster: { name: true, apiServerEndpoint: true, certificateAuthority: true, cidr: true, enableOutpost: true, id: true },
  containerd: { config: true, baseRuntimeSpec: true },
  instance: {
    localStorage: { strategy: true, mountPath: true, disabledMounts: true },
    environment: true,
    network: { nameservers: true, domains: true },
  },
  kubelet: { config: true, flags: true, maxPodsExpression: true },
  featureGates: true,
};
export interface NodeConfigFields {
  readonly [field: string]: true | NodeConfigFields;
}

/** The NodeConfig API version of the release above. */
export const NODECONFIG_API_VERSION = "node.eks.aws/v1alpha1";

/** Values nodeadm's enums accept (kubebuilder:validation:Enum in the same file). */
export const NODECONFIG_ENUMS: Readonly<Record<string, readonly string[]>> = {
  "instance.localStorage.strategy": ["RAID0", "RAID10", "Mount"],
  "instance.localStorage.disabledMounts[]": ["Containerd", "PodLogs", "SOCI"],
  "featureGates{}": ["InstanceIdNodeName", "FastImagePull"],
};

/**
 * Paths (`a.b.c`) of every field in `spec` that NodeConfig does not have, or whose enum
 * value it does not accept. An empty list: nodeadm's decoder takes the document.
 */
export function unknownNodeConfigFields(spec: unknown, fields: NodeConfigFields = NODECONFIG_SPEC_FIELDS, at = ""): string[] {
  if (!isObject(spec)) return [at || "spec"];
  const out: string[] = [];
  for (const [k, v] of Object.entries(spec)) {
    const path = at ? `${at}.${k}` : k;
    const known = fields[k];
    if (known === undefined) {
      out.push(path);
      continue;
    }
    if (known !== true) {
      out.push(...unknownNodeConfigFields(v, known, path));
      continue;
    }
    const listEnum = NODECONFIG_ENUMS[`${path}[]`];
    if (listEnum && (!Array.isArray(v) || v.some((x) => !listEnum.includes(x as string)))) out.push(path);
    const mapEnum = NODECONFIG_ENUMS[`${path}{}`];
    if (mapEnum && (!isObject(v) || Object.keys(v).some((x) => !mapEnum.includes(x)))) out.push(path);
    const scalarEnum = NODECONFIG_ENUMS[path];
    if (scalarEnum && !scalarEnum.includes(v as string)) out.push(path);
  }
  return out;
}

/**
 * What the node group's own NodeConfig sets and an extra one may not change: the cluster's
 * coordinates, kubelet max-pods (the address plan's), the startup taint and node labels the
 * node agent depends on. A later `--register-with-taints` flag would replace the kubelet's
 * configured taints (flags win over the config file), a `registerWithTaints` list would replace
 * ours (nodeadm merges lists by replacing them), so taints go in the node group's `taints`.
 */
export function checkExtraNodeConfig(spec: unknown, field: string, reservedLabel: string): void {
  const unknown = unknownNodeConfigFields(spec);
  if (unknown.length) {
    throw new PlanError(
      `${field}.${unknown[0]}`,
      `is not a field (or value) of nodeadm's NodeConfig spec (${NODECONFIG_API_VERSION})`,
      `use the NodeConfig spec fields: ${Object.keys(NODECONFIG_SPEC_FIELDS).join(", ")} (https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/)`,
    );
  }
  const s = spec as Record<string, any>;
  if (s.cluster !== undefined) throw new PlanError(`${field}.cluster`, "is written by the node group from the cluster's settings", "remove it; set cluster.* in the config");
  const kubelet = (s.kubelet ?? {}) as Record<string, unknown>;
  const config = kubelet.config;
  if (config !== undefined && !isObject(config)) throw new PlanError(`${field}.kubelet.config`, "must be an object (a partial KubeletConfiguration)", 'write it as {"field": value}');
  if (isObject(config)) {
    if (config.maxPods !== undefined) throw new PlanError(`${field}.kubelet.config.maxPods`, "is the address plan's kubelet max-pods", "remove it; it follows the instance types and multus networks");
    if (config.registerWithTaints !== undefined) throw new PlanError(`${field}.kubelet.config.registerWithTaints`, "would replace the node group's taints and its startup taint", "put the taints in the node group's taints instead");
  }
  if (kubelet.maxPodsExpression !== undefined) throw new PlanError(`${field}.kubelet.maxPodsExpression`, "has no effect: the node group's maxPods takes precedence over it", "remove it");
  const flags = kubelet.flags;
  if (flags !== undefined && (!Array.isArray(flags) || flags.some((f) => typeof f !== "string" || !f.startsWith("--")))) {
    throw new PlanError(`${field}.kubelet.flags`, "must be a list of kubelet flags (--name=value)", 'write e.g. ["--v=2"]');
  }
  for (const flag of (flags ?? []) as string[]) {
    if (/^--max-pods\b/.test(flag)) throw new PlanError(`${field}.kubelet.flags`, "sets --max-pods, which comes from the address plan", "remove it");
    if (/^--register-with-taints\b/.test(flag)) throw new PlanError(`${field}.kubelet.flags`, "sets --register-with-taints, which would replace the startup taint", "put the taints in the node group's taints instead");
    if (flag.startsWith("--node-labels=") && flag.slice("--node-labels=".length).split(",").some((l) => l.split("=")[0] === reservedLabel)) {
      throw new PlanError(`${field}.kubelet.flags`, `sets the node label ${reservedLabel}, which the node group sets to its name`, "remove it");
    }
  }
}
