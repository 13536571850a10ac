import { IpRange, Subnet, contains, formatRange, intToIp, parseRange, parseSubnet, usableRange } from "./address";
import { Subnet6, parseCidr6, parseSubnet6, rangeInside6, usableRange6 } from "./address6";
import { PlanError } from "./errors";
import { isObject } from "./json";
import { DEFAULT_HOOKS, HEARTBEAT_TIMEOUT_RANGE, NODE_GROUP_KINDS, NODE_GROUP_NAME_PATTERN, NodeGroupKind, STRATEGIES, Strategy } from "./lifecycle";
import { TAG_TEXT, checkInterfaceTags } from "./tags";

/** The environment variables the lifecycle Lambda reads. */
export const LAMBDA_ENV = {
  /** Value of the ENI_TAG_KEYS.nodeGroup tag. */
  nodeGroupTag: "MULTUS_NODE_GROUP_TAG",
  /** The Auto Scaling group whose lifecycle actions the function handles. */
  autoScalingGroup: "MULTUS_ASG_NAME",
  /** `static` or `reservation`. */
  strategy: "MULTUS_STRATEGY",
  /**
   * Compact JSON: `[{"id","az","cidr","dev","workers"?,"v6"?,"w6"?}]`, workers as `FIRST-LAST`
   * (static only); a dual-stack subnet's IPv6 /64 as `v6` and its IPv6 worker block as the CIDR `w6` (static only).
   */
  subnets: "MULTUS_SUBNETS",
  /** Comma-separated security group ids of the multus ENIs. */
  securityGroups: "MULTUS_SECURITY_GROUPS",
  /** Compact JSON object of user tags for every multus ENI. */
  interfaceTags: "MULTUS_INTERFACE_TAGS",
  /** `true` (EC2's default, no call) or `false` (the Lambda disables the check). */
  sourceDestCheck: "MULTUS_SOURCE_DEST_CHECK",
  /** Static strategy: CreateNetworkInterface attempts per ENI (InvalidIPAddress.InUse retries). */
  ipAttempts: "MULTUS_IP_ATTEMPTS",
  /** Compact JSON `{"type","maxEnis"}` of the launch template's type: saves a DescribeInstanceTypes. */
  instanceLimits: "MULTUS_INSTANCE_LIMITS",
  /** The launch hook's heartbeat timeout in seconds: a launch's retries end in time for it. */
  launchHookTimeout: "MULTUS_LAUNCH_HOOK_TIMEOUT",
  /** `autoscaling` (also when unset, as functions deployed before wrote none), `karpenter` or `managed`: for the last two MULTUS_ASG_NAME then names the NodePool or EKS node group its instances are tagged with. */
  groupKind: "MULTUS_GROUP_KIND",
} as const;

/**
 * Total size of a Lambda function's environment variables (keys and values): 4 KB.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENV_MAX_BYTES = 4096;

/** One multus subnet as the Lambda needs it. */
export interface LambdaSubnet {
  readonly id: string;
  readonly availabilityZone: string;
  readonly cidr: string;
  /** EC2 device index of its ENI (1, 2, ... in config order within the AZ). */
  readonly deviceIndex: number;
  /** `static`: the worker block the Lambda assigns fixed addresses from. */
  readonly workers?: IpRange;
  /**
   * A dual-stack subnet: its IPv6 /64, and (`static`) the group's IPv6 worker block, where a
   * worker's IPv6 address sits at the offset of its IPv4 one (contract/address6.ts
   * ipv6WorkerAddress). Without a worker block the ENI asks EC2 for one IPv6 address.
   */
  readonly ipv6?: { readonly cidr: string; readonly workers?: Subnet6 };
  /** The multus network the subnet belongs to (several groups). */
  readonly network?: string;
  /** Security groups of this subnet's ENIs. @default the group's securityGroupIds */
  readonly securityGroupIds?: string[];
  /** Source/destination check of this subnet's ENIs. @default the group's sourceDestCheck */
  readonly sourceDestCheck?: boolean;
  /** Tags on this subnet's ENIs. @default the group's interfaceTags */
  readonly interfaceTags?: Record<string, string>;
}

/** Everything the lifecycle Lambda is configured with for one Auto Scaling group. */
export interface LambdaConfig {
  /** The node group's name (several groups: it keys the worker blocks). */
  readonly name?: string;
  readonly nodeGroupTag: string;
  /**
   * Events of another group are ignored. A `karpenter` or `managed` group: the NodePool or EKS
   * node group name, the value of its instances' tag (contract/state-change.ts GROUP_INSTANCE_TAG).
   */
  readonly autoScalingGroupName: string;
  /** Who launches the group's instances. @default "autoscaling" */
  readonly kind?: NodeGroupKind;
  readonly strategy: Strategy;
  readonly subnets: LambdaSubnet[];
  readonly securityGroupIds: string[];
  readonly interfaceTags: Record<string, string>;
  /** Source/destination check wanted on the ENIs. */
  readonly sourceDestCheck: boolean;
  /** Static strategy: CreateNetworkInterface attempts per ENI. */
  readonly ipAttempts: number;
  /** ENI limit of the launch template's instance type (on its default network card), when known at plan time. */
  readonly instanceLimits?: { readonly type: string; readonly maxEnis: number };
  /** The launch hook's heartbeat timeout, seconds. */
  readonly launchHookTimeoutSeconds: number;
}

/** Static strategy: CreateNetworkInterface attempts per ENI unless told otherwise. */
export const DEFAULT_IP_ATTEMPTS = 8;
const ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{8,17}$`);
const AZ = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/** Serialises a LambdaConfig into the function's environment variables. */
export function lambdaConfigEnvironment(c: LambdaConfig): Record<string, string> {
  const env: Record<string, string> = {
    [LAMBDA_ENV.nodeGroupTag]: c.nodeGroupTag,
    [LAMBDA_ENV.autoScalingGroup]: c.autoScalingGroupName,
    [LAMBDA_ENV.strategy]: c.strategy,
    [LAMBDA_ENV.subnets]: JSON.stringify(
      c.subnets.map((s) => ({
        id: s.id,
        az: s.availabilityZone,
        cidr: s.cidr,
        dev: s.deviceIndex,
        ...(s.workers ? { workers: `${intToIp(s.workers.first)}-${intToIp(s.workers.last)}` } : {}),
        ...ipv6Entry(s, (w6) => ({ w6 })),
      })),
    ),
    [LAMBDA_ENV.securityGroups]: c.securityGroupIds.join(","),
    [LAMBDA_ENV.interfaceTags]: JSON.stringify(c.interfaceTags),
    [LAMBDA_ENV.sourceDestCheck]: String(c.sourceDestCheck),
    [LAMBDA_ENV.ipAttempts]: String(c.ipAttempts),
    [LAMBDA_ENV.launchHookTimeout]: String(c.launchHookTimeoutSeconds),
  };
  if (c.instanceLimits) env[LAMBDA_ENV.instanceLimits] = JSON.stringify(c.instanceLimits);
  env[LAMBDA_ENV.groupKind] = c.kind ?? "autoscaling";
  return checkSize(env, "multus.subnets", "use fewer multus subnets or interface tags");
}

/** The `v6` key of a dual-stack subnet's entry, and its worker block as `key` gives it. */
function ipv6Entry(s: LambdaSubnet, workers: (cidr: string) => Record<string, unknown>): Record<string, unknown> {
  if (!s.ipv6) return {};
  return { v6: s.ipv6.cidr, ...(s.ipv6.workers ? workers(s.ipv6.workers.cidr) : {}) };
}

const DEPLOY_FIX = "deploy the function with the environment ipam/lambda-env.ts lambdaEnvironment() writes (the node group module does)";

function fail(variable: string, problem: string, fix = DEPLOY_FIX): never {
  throw new PlanError(variable, problem, fix);
}

function required(env: Record<string, string | undefined>, variable: string): string {
  const v = env[variable];
  if (v === undefined || v.trim() === "") fail(variable, "is not set");
  return v;
}

function json(env: Record<string, string | undefined>, variable: string): unknown {
  const text = required(env, variable);
  try {
    return JSON.parse(text);
  } catch (err) {
    return fail(variable, `is not valid JSON (${(err as Error).message})`);
  }
}

type Env = Record<string, string | undefined>;

/** `fn` with any PlanError it throws renamed to `variable` (its problem kept). */
function as<T>(variable: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    return fail(variable, err instanceof PlanError ? err.problem : String(err));
  }
}

function checkTagValue(value: string, variable: string): string {
  if (value.length > 256 || !TAG_TEXT.test(value)) fail(variable, `"${value}" is not a valid EC2 tag value`);
  return value;
}

function checkGroupName(value: string, variable: string): string {
  if (value.length > 255 || value.includes(":")) fail(variable, `"${value}" is not an Auto Scaling group name`);
  return value;
}

function checkStrategy(value: unknown, variable: string): Strategy {
  if (!STRATEGIES.includes(value as Strategy)) fail(variable, `must be one of ${STRATEGIES.join(", ")}, got ${JSON.stringify(value)}`);
  return value as Strategy;
}

/** One subnet entry `{id, az, cidr, dev}` of a JSON list. */
function parseSubnetEntry(raw: unknown, at: string, shape: string) {
  if (!isObject(raw)) fail(at, `must be an object ${shape}`);
  const { id, az, cidr, dev } = raw;
  if (typeof id !== "string" || !ID("subnet").test(id)) fail(`${at}.id`, `${JSON.stringify(id)} is not a subnet id`);
  if (typeof az !== "string" || !AZ.test(az)) fail(`${at}.az`, `${JSON.stringify(az)} is not an availability zone`);
  const subnet = as(`${at}.cidr`, () => parseSubnet(cidr, `${at}.cidr`));
  if (typeof dev !== "number" || !Number.isInteger(dev) || dev < 1 || dev > 31) fail(`${at}.dev`, `${JSON.stringify(dev)} is not a device index (1..31)`);
  return { raw, subnet, entry: { id, availabilityZone: az, cidr: subnet.cidr, deviceIndex: dev } };
}

/** A worker block `FIRST-LAST` inside the usable addresses of `subnet`. */
function parseWorkers(text: unknown, at: string, subnet: Subnet): IpRange {
  const block = as(at, () => parseRange(text, at));
  const usable = usableRange(subnet);
  if (!contains(usable, block.first) || !contains(usable, block.last)) {
    const f = formatRange(usable);
    fail(at, `${String(text)} is not inside the usable addresses ${f.first}-${f.last} of ${subnet.cidr}`);
  }
  return block;
}

/**
 * The IPv6 side of a subnet entry: `v6` a /64, and a worker block (`w6`, or the group's in a
 * cluster entry) that is one CIDR inside its usable addresses.
 */
function parseIpv6Entry(v6: unknown, w6: unknown, at: string, w6Field: string): NonNullable<LambdaSubnet["ipv6"]> | undefined {
  if (v6 === undefined) {
    if (w6 !== undefined) fail(w6Field, "is set but the subnet has no IPv6 CIDR (v6)");
    return undefined;
  }
  const subnet = as(`${at}.v6`, () => parseSubnet6(v6, `${at}.v6`));
  if (w6 === undefined) return { cidr: subnet.cidr };
  const workers = as(w6Field, () => parseCidr6(w6, w6Field));
  if (!rangeInside6(workers, usableRange6(subnet))) fail(w6Field, `${String(w6)} is not inside the usable addresses of ${subnet.cidr}`);
  return { cidr: subnet.cidr, workers };
}

/** No subnet twice, no device index twice in one AZ. */
function checkSubnetList(subnets: readonly LambdaSubnet[], at: (i: number) => string): void {
  subnets.forEach((s, i) => {
    if (subnets.findIndex((o) => o.id === s.id) !== i) fail(`${at(i)}.id`, `${s.id} is listed twice`);
    if (subnets.findIndex((o) => o.availabilityZone === s.availabilityZone && o.deviceIndex === s.deviceIndex) !== i) {
      fail(`${at(i)}.dev`, `device index ${s.deviceIndex} is used twice in ${s.availabilityZone}`);
    }
  });
}

function parseSecurityGroups(text: string, variable: string): string[] {
  const ids = text.split(",").map((s) => s.trim());
  ids.forEach((g) => {
    if (!ID("sg").test(g)) fail(variable, `"${g}" is not a security group id`);
  });
  return ids;
}

function parseTags(tags: unknown, variable: string): Record<string, string> {
  if (!isObject(tags)) fail(variable, 'must be a JSON object {"key": "value"}');
  try {
    checkInterfaceTags(tags as Record<string, string>, variable);
  } catch (err) {
    if (err instanceof PlanError) fail(err.field, err.problem, err.fix);
    throw err;
  }
  return tags as Record<string, string>;
}

function parseIpAttempts(env: Env): number {
  const attemptsText = env[LAMBDA_ENV.ipAttempts] ?? String(DEFAULT_IP_ATTEMPTS);
  const ipAttempts = Number(attemptsText);
  if (!/^\d+$/.test(attemptsText) || ipAttempts < 1 || ipAttempts > 50) fail(LAMBDA_ENV.ipAttempts, `must be a whole number from 1 to 50, got "${attemptsText}"`);
  return ipAttempts;
}

/** A launch hook's heartbeat timeout in seconds (text of a variable, or a JSON number); unset: the default hook's. */
function parseHookTimeout(value: unknown, variable: string): number {
  if (value === undefined) return DEFAULT_HOOKS.launch.heartbeatTimeout;
  const text = String(value);
  const seconds = Number(text);
  const { min, max } = HEARTBEAT_TIMEOUT_RANGE;
  if ((typeof value !== "string" && typeof value !== "number") || !/^\d+$/.test(text) || seconds < min || seconds > max) {
    fail(variable, `must be a whole number of seconds from ${min} to ${max} (the hook's HeartbeatTimeout), got ${JSON.stringify(value)}`);
  }
  return seconds;
}

function parseKind(value: unknown, variable: string): NodeGroupKind {
  if (value === undefined) return "autoscaling";
  if (typeof value !== "string" || !(NODE_GROUP_KINDS as readonly string[]).includes(value)) fail(variable, `must be one of ${NODE_GROUP_KINDS.join(", ")}, got ${JSON.stringify(value)}`);
  return value as NodeGroupKind;
}

function parseLimits(l: unknown, variable: string): NonNullable<LambdaConfig["instanceLimits"]> {
  if (!isObject(l) || typeof l.type !== "string" || typeof l.maxEnis !== "number" || !Number.isInteger(l.maxEnis) || l.maxEnis < 1) {
    fail(variable, 'must be a JSON object {"type": "c5.2xlarge", "maxEnis": 4}');
  }
  return { type: l.type, maxEnis: l.maxEnis };
}

/**
 * Reads and validates the Lambda's configuration from its environment (one Auto Scaling group,
 * the variables of LAMBDA_ENV). Throws PlanError naming the variable (and the element of a JSON
 * list) and the fix.
 */
export function parseLambdaEnvironment(env: Env): LambdaConfig {
  const nodeGroupTag = checkTagValue(required(env, LAMBDA_ENV.nodeGroupTag), LAMBDA_ENV.nodeGroupTag);
  const autoScalingGroupName = checkGroupName(required(env, LAMBDA_ENV.autoScalingGroup), LAMBDA_ENV.autoScalingGroup);
  const strategy = checkStrategy(required(env, LAMBDA_ENV.strategy), LAMBDA_ENV.strategy);

  const rawSubnets = json(env, LAMBDA_ENV.subnets);
  if (!Array.isArray(rawSubnets) || rawSubnets.length === 0) fail(LAMBDA_ENV.subnets, "must be a non-empty JSON list of subnets");
  const subnets = rawSubnets.map((raw: unknown, i): LambdaSubnet => {
    const at = `${LAMBDA_ENV.subnets}[${i}]`;
    const { raw: obj, subnet, entry } = parseSubnetEntry(raw, at, "{id, az, cidr, dev, workers?, v6?, w6?}");
    if (obj.workers === undefined && strategy === "static") fail(`${at}.workers`, "is missing; the static strategy assigns worker addresses from it");
    const ipv6 = parseIpv6Entry(obj.v6, obj.w6, at, `${at}.w6`);
    if (ipv6 && !ipv6.workers && strategy === "static") fail(`${at}.w6`, "is missing; the static strategy assigns worker IPv6 addresses from it");
    return { ...entry, ...(obj.workers !== undefined ? { workers: parseWorkers(obj.workers, `${at}.workers`, subnet) } : {}), ...(ipv6 ? { ipv6 } : {}) };
  });
  checkSubnetList(subnets, (i) => `${LAMBDA_ENV.subnets}[${i}]`);

  const securityGroupIds = parseSecurityGroups(required(env, LAMBDA_ENV.securityGroups), LAMBDA_ENV.securityGroups);
  const tags = parseTags(env[LAMBDA_ENV.interfaceTags] === undefined ? {} : json(env, LAMBDA_ENV.interfaceTags), LAMBDA_ENV.interfaceTags);
  const sdc = env[LAMBDA_ENV.sourceDestCheck] ?? "true";
  if (sdc !== "true" && sdc !== "false") fail(LAMBDA_ENV.sourceDestCheck, `must be true or false, got "${sdc}"`);
  const ipAttempts = parseIpAttempts(env);
  const instanceLimits = env[LAMBDA_ENV.instanceLimits] !== undefined ? parseLimits(json(env, LAMBDA_ENV.instanceLimits), LAMBDA_ENV.instanceLimits) : undefined;

  const launchHookTimeoutSeconds = parseHookTimeout(env[LAMBDA_ENV.launchHookTimeout], LAMBDA_ENV.launchHookTimeout);
  const kind = parseKind(env[LAMBDA_ENV.groupKind], LAMBDA_ENV.groupKind);

  return {
    ...(kind !== "autoscaling" ? { kind } : {}),
    nodeGroupTag,
    autoScalingGroupName,
    strategy,
    subnets,
    securityGroupIds,
    interfaceTags: tags,
    sourceDestCheck: sdc === "true",
    ipAttempts,
    ...(instanceLimits ? { instanceLimits } : {}),
    launchHookTimeoutSeconds,
  };
}

/**
 * The environment of a function serving several Auto Scaling groups (or one group whose
 * networks differ in security groups, source/destination check or tags). With these set, the
 * variables of LAMBDA_ENV but MULTUS_IP_ATTEMPTS are not written.
 */
export const LAMBDA_CLUSTER_ENV = {
  /**
   * Compact JSON, the groups by Auto Scaling group name:
   * `{"<asg>":{"name","kind"?,"tag"?,"strategy","networks":[...],"azs":[...],"limits"?:{"type","maxEnis"},"hook"?:300}}`;
   * `tag` (the ENI node-group tag) is left out when it is the Auto Scaling group name, `hook`
   * (the launch hook's heartbeat timeout, seconds) when it is the default, and `networks` is in
   * device order.
   */
  groups: "MULTUS_GROUPS",
  /**
   * Compact JSON, the networks by name: `{"<network>":{"sg":"sg-..,sg-..","sdc"?:false,"tags"?:{...},
   * "subnets":[{"id","az","cidr","dev","workers"?:{"<group>":"FIRST-LAST"},"v6"?,"workers6"?:{"<group>":"CIDR"}}]}}`:
   * per subnet the worker block of each static group; a dual-stack subnet's /64 and each
   * static group's IPv6 worker block.
   */
  networks: "MULTUS_NETWORKS",
} as const;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameTags = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** True when every subnet of the group uses the group's own ENI settings (the single-group variables can say it all). */
function uniform(c: LambdaConfig): boolean {
  return c.subnets.every(
    (s) =>
      (s.securityGroupIds === undefined || sameList(s.securityGroupIds, c.securityGroupIds)) &&
      (s.sourceDestCheck === undefined || s.sourceDestCheck === c.sourceDestCheck) &&
      (s.interfaceTags === undefined || sameTags(s.interfaceTags, c.interfaceTags)),
  );
}

function checkSize(env: Record<string, string>, field: string, fix: string): Record<string, string> {
  const bytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > LAMBDA_ENV_MAX_BYTES) {
    throw new PlanError(field, `the Lambda environment needs ${bytes} bytes; Lambda allows ${LAMBDA_ENV_MAX_BYTES} in total`, fix, "infeasible");
  }
  return env;
}

/**
 * Serialises the configuration of every group a function serves. One group whose subnets share
 * its ENI settings: the single-group variables (lambdaConfigEnvironment). Otherwise
 * LAMBDA_CLUSTER_ENV: per network its settings and subnets with each group's worker block,
 * the groups by Auto Scaling group name. Every group needs `name`, every subnet `network`.
 */
export function lambdaGroupsEnvironment(groups: readonly LambdaConfig[]): Record<string, string> {
  if (groups.length === 0) throw new PlanError("nodeGroups", "is empty", "give the function at least one node group");
  if (groups.length === 1 && uniform(groups[0]!)) return lambdaConfigEnvironment(groups[0]!);
  const nets: Record<string, { sg: string; sdc?: false; tags?: Record<string, string>; subnets: Record<string, unknown>[] }> = {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const g of groups) {
    if (!g.name) throw new PlanError("name", `the Lambda configuration of ${g.autoScalingGroupName} has no group name`, "give every group its name (ipam/lambda-env.ts lambdaConfigs does)");
    const networks: string[] = [];
    for (const s of g.subnets) {
      if (!s.network) throw new PlanError(`${g.name}.subnets`, `subnet ${s.id} names no network`, "give every subnet its network (ipam/lambda-env.ts lambdaConfigs does)");
      if (!networks.includes(s.network)) networks.push(s.network);
      const sg = (s.securityGroupIds ?? g.securityGroupIds).join(",");
      const sdc = s.sourceDestCheck ?? g.sourceDestCheck;
      const tags = s.interfaceTags ?? g.interfaceTags;
      const net = (nets[s.network] ??= { sg, ...(sdc ? {} : { sdc: false as const }), ...(Object.keys(tags).length ? { tags } : {}), subnets: [] });
      let entry = net.subnets.find((e) => e.id === s.id);
      if (!entry) {
        entry = { id: s.id, az: s.availabilityZone, cidr: s.cidr, dev: s.deviceIndex, ...ipv6Entry(s, () => ({})) };
        net.subnets.push(entry);
      }
      if (s.workers) entry.workers = { ...(entry.workers as object), [g.name]: `${intToIp(s.workers.first)}-${intToIp(s.workers.last)}` };
      if (s.ipv6?.workers) entry.workers6 = { ...(entry.workers6 as object), [g.name]: s.ipv6.workers.cidr };
    }
    const azs = [...new Set(g.subnets.map((s) => s.availabilityZone))];
    out[g.autoScalingGroupName] = {
      name: g.name,
      ...(g.kind && g.kind !== "autoscaling" ? { kind: g.kind } : {}),
      ...(g.nodeGroupTag !== g.autoScalingGroupName ? { tag: g.nodeGroupTag } : {}),
      strategy: g.strategy,
      networks,
      azs,
      ...(g.instanceLimits ? { limits: g.instanceLimits } : {}),
      ...(g.launchHookTimeoutSeconds !== DEFAULT_HOOKS.launch.heartbeatTimeout ? { hook: g.launchHookTimeoutSeconds } : {}),
    };
  }
  const env = {
    [LAMBDA_CLUSTER_ENV.groups]: JSON.stringify(out),
    [LAMBDA_CLUSTER_ENV.networks]: JSON.stringify(nets),
    [LAMBDA_ENV.ipAttempts]: String(groups[0]!.ipAttempts),
  };
  return checkSize(env, "nodeGroups", "serve fewer node groups or networks from one function, or use fewer interface tags");
}

/** The networks of LAMBDA_CLUSTER_ENV.networks, their subnets as each group would see them. */
function parseNetworks(env: Env) {
  const v = LAMBDA_CLUSTER_ENV.networks;
  const raw = json(env, v);
  if (!isObject(raw) || Object.keys(raw).length === 0) fail(v, "must be a non-empty JSON object of networks by name");
  return Object.entries(raw).map(([name, n]) => {
    const at = `${v}.${name}`;
    if (!isObject(n)) fail(at, 'must be an object {"sg", "sdc"?, "tags"?, "subnets"}');
    if (typeof n.sg !== "string") fail(`${at}.sg`, "must be a comma-separated string of security group ids");
    const securityGroupIds = parseSecurityGroups(n.sg, `${at}.sg`);
    if (n.sdc !== undefined && typeof n.sdc !== "boolean") fail(`${at}.sdc`, `must be true or false, got ${JSON.stringify(n.sdc)}`);
    const interfaceTags = parseTags(n.tags ?? {}, `${at}.tags`);
    if (!Array.isArray(n.subnets) || n.subnets.length === 0) fail(`${at}.subnets`, "must be a non-empty JSON list of subnets");
    const subnets = n.subnets.map((s: unknown, i) => {
      const sat = `${at}.subnets[${i}]`;
      const { raw: obj, subnet, entry } = parseSubnetEntry(s, sat, '{id, az, cidr, dev, workers?: {"<group>": "FIRST-LAST"}, v6?, workers6?: {"<group>": "CIDR"}}');
      if (obj.workers !== undefined && !isObject(obj.workers)) fail(`${sat}.workers`, 'must be a JSON object {"<group>": "FIRST-LAST"}');
      if (obj.workers6 !== undefined && !isObject(obj.workers6)) fail(`${sat}.workers6`, 'must be a JSON object {"<group>": "CIDR"}');
      const workers = Object.fromEntries(Object.entries((obj.workers ?? {}) as Record<string, unknown>).map(([g, text]) => [g, parseWorkers(text, `${sat}.workers.${g}`, subnet)]));
      if (obj.workers6 !== undefined && obj.v6 === undefined) fail(`${sat}.workers6`, "is set but the subnet has no IPv6 CIDR (v6)");
      const ipv6 = parseIpv6Entry(obj.v6, undefined, sat, `${sat}.workers6`);
      const workers6 = Object.fromEntries(
        Object.entries((obj.workers6 ?? {}) as Record<string, unknown>).map(([g, text]) => [g, parseIpv6Entry(obj.v6, text, sat, `${sat}.workers6.${g}`)!.workers!]),
      );
      return { ...entry, network: name, securityGroupIds, sourceDestCheck: n.sdc !== false, interfaceTags, workers, ...(ipv6 ? { ipv6: { cidr: ipv6.cidr } } : {}), workers6 };
    });
    return { name, securityGroupIds, sourceDestCheck: n.sdc !== false, interfaceTags, subnets };
  });
}

/**
 * Reads the configuration of every group the function serves: the LAMBDA_CLUSTER_ENV variables
 * when set, else the single-group variables (parseLambdaEnvironment) as one group. Throws
 * PlanError naming the variable (and the key inside it) and the fix.
 */
export function parseLambdaGroups(env: Env): LambdaConfig[] {
  if (env[LAMBDA_CLUSTER_ENV.groups] === undefined) return [parseLambdaEnvironment(env)];
  const v = LAMBDA_CLUSTER_ENV.groups;
  const raw = json(env, v);
  if (!isObject(raw) || Object.keys(raw).length === 0) fail(v, "must be a non-empty JSON object of groups by Auto Scaling group name");
  const networks = parseNetworks(env);
  const ipAttempts = parseIpAttempts(env);
  const groups = Object.entries(raw).map(([asg, g]): LambdaConfig => {
    const at = `${v}.${asg}`;
    checkGroupName(asg, at);
    if (!isObject(g)) fail(at, 'must be an object {"name", "tag"?, "strategy", "networks", "azs", "limits"?, "hook"?}');
    if (typeof g.name !== "string" || !NODE_GROUP_NAME_PATTERN.test(g.name)) fail(`${at}.name`, `${JSON.stringify(g.name)} is not a node group name`);
    const name = g.name;
    const nodeGroupTag = g.tag === undefined ? asg : typeof g.tag === "string" ? checkTagValue(g.tag, `${at}.tag`) : fail(`${at}.tag`, "must be a string");
    const strategy = checkStrategy(g.strategy, `${at}.strategy`);
    const kind = parseKind(g.kind, `${at}.kind`);
    if (!Array.isArray(g.networks) || g.networks.length === 0) fail(`${at}.networks`, "must be a non-empty list of network names");
    if (!Array.isArray(g.azs) || g.azs.length === 0 || g.azs.some((z) => typeof z !== "string" || !AZ.test(z))) fail(`${at}.azs`, "must be a non-empty list of availability zones");
    const azs = g.azs as string[];
    const subnets = g.networks.flatMap((n: unknown, k): LambdaSubnet[] => {
      const net = networks.find((x) => x.name === n);
      if (!net) fail(`${at}.networks[${k}]`, `${JSON.stringify(n)} is not a network of ${LAMBDA_CLUSTER_ENV.networks}`);
      return net.subnets
        .filter((s) => azs.includes(s.availabilityZone))
        .map(({ workers, workers6, ...s }) => {
          const block = workers[name];
          if (!block && strategy === "static") fail(`${LAMBDA_CLUSTER_ENV.networks}.${net.name}.subnets.${s.id}.workers.${name}`, "is missing; the static strategy assigns worker addresses from it");
          const block6 = workers6[name];
          if (s.ipv6 && !block6 && strategy === "static") fail(`${LAMBDA_CLUSTER_ENV.networks}.${net.name}.subnets.${s.id}.workers6.${name}`, "is missing; the static strategy assigns worker IPv6 addresses from it");
          return { ...s, ...(block ? { workers: block } : {}), ...(s.ipv6 ? { ipv6: { cidr: s.ipv6.cidr, ...(block6 ? { workers: block6 } : {}) } } : {}) };
        });
    });
    checkSubnetList(subnets, (i) => `${at}.subnets[${i}]`);
    const first = subnets[0] ?? fail(`${at}.azs`, `no subnet of the group's networks is in ${azs.join(", ")}`);
    return {
      name,
      ...(kind !== "autoscaling" ? { kind } : {}),
      nodeGroupTag,
      autoScalingGroupName: asg,
      strategy,
      subnets,
      securityGroupIds: first.securityGroupIds!,
      interfaceTags: first.interfaceTags!,
      sourceDestCheck: first.sourceDestCheck!,
      ipAttempts,
      ...(g.limits !== undefined ? { instanceLimits: parseLimits(g.limits, `${at}.limits`) } : {}),
      launchHookTimeoutSeconds: parseHookTimeout(g.hook, `${at}.hook`),
    };
  });
  groups.forEach((g, i) => {
    const k = groups.findIndex((o) => o.name === g.name);
    if (k !== i) fail(`${v}.${g.autoScalingGroupName}.name`, `"${g.name}" also names the group of ${groups[k]!.autoScalingGroupName}`);
  });
  return groups;
}
