import { IpRange, contains, formatRange, intToIp, parseRange, parseSubnet, usableRange } from "./address";
import { PlanError } from "./errors";
import { isObject } from "./json";
import { DEFAULT_HOOKS, HEARTBEAT_TIMEOUT_RANGE, STRATEGIES, Strategy } from "./lifecycle";
import { TAG_TEXT, checkInterfaceTags } from "./tags";

/** The environment variables the lifecycle Lambda reads. */
export const LAMBDA_ENV = {
  /** Value of the ENI_TAG_KEYS.nodeGroup tag. */
  nodeGroupTag: "MULTUS_NODE_GROUP_TAG",
  /** The Auto Scaling group whose lifecycle actions the function handles. */
  autoScalingGroup: "MULTUS_ASG_NAME",
  /** `static` or `reservation`. */
  strategy: "MULTUS_STRATEGY",
  /** Compact JSON: `[{"id","az","cidr","dev","workers"?}]`, workers as `FIRST-LAST` (static only). */
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
}

/** Everything the lifecycle Lambda is configured with. */
export interface LambdaConfig {
  readonly nodeGroupTag: string;
  /** Events of another group are ignored. */
  readonly autoScalingGroupName: string;
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
      })),
    ),
    [LAMBDA_ENV.securityGroups]: c.securityGroupIds.join(","),
    [LAMBDA_ENV.interfaceTags]: JSON.stringify(c.interfaceTags),
    [LAMBDA_ENV.sourceDestCheck]: String(c.sourceDestCheck),
    [LAMBDA_ENV.ipAttempts]: String(c.ipAttempts),
    [LAMBDA_ENV.launchHookTimeout]: String(c.launchHookTimeoutSeconds),
  };
  if (c.instanceLimits) env[LAMBDA_ENV.instanceLimits] = JSON.stringify(c.instanceLimits);
  const bytes = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > LAMBDA_ENV_MAX_BYTES) {
    throw new PlanError(
      "multus.subnets",
      `the Lambda environment needs ${bytes} bytes; Lambda allows ${LAMBDA_ENV_MAX_BYTES} in total`,
      "use fewer multus subnets or interface tags",
      "infeasible",
    );
  }
  return env;
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

/**
 * Reads and validates the Lambda's configuration from its environment. Throws PlanError naming
 * the variable (and the element of a JSON list) and the fix.
 */
export function parseLambdaEnvironment(env: Record<string, string | undefined>): LambdaConfig {
  const nodeGroupTag = required(env, LAMBDA_ENV.nodeGroupTag);
  if (nodeGroupTag.length > 256 || !TAG_TEXT.test(nodeGroupTag)) fail(LAMBDA_ENV.nodeGroupTag, `"${nodeGroupTag}" is not a valid EC2 tag value`);
  const autoScalingGroupName = required(env, LAMBDA_ENV.autoScalingGroup);
  if (autoScalingGroupName.length > 255 || autoScalingGroupName.includes(":")) fail(LAMBDA_ENV.autoScalingGroup, `"${autoScalingGroupName}" is not an Auto Scaling group name`);

  const strategy = required(env, LAMBDA_ENV.strategy) as Strategy;
  if (!STRATEGIES.includes(strategy)) fail(LAMBDA_ENV.strategy, `must be one of ${STRATEGIES.join(", ")}, got "${strategy}"`);

  const rawSubnets = json(env, LAMBDA_ENV.subnets);
  if (!Array.isArray(rawSubnets) || rawSubnets.length === 0) fail(LAMBDA_ENV.subnets, "must be a non-empty JSON list of subnets");
  const subnets = rawSubnets.map((raw: unknown, i): LambdaSubnet => {
    const at = `${LAMBDA_ENV.subnets}[${i}]`;
    if (!isObject(raw)) fail(at, "must be an object {id, az, cidr, dev, workers?}");
    const { id, az, cidr, dev, workers } = raw;
    if (typeof id !== "string" || !ID("subnet").test(id)) fail(`${at}.id`, `${JSON.stringify(id)} is not a subnet id`);
    if (typeof az !== "string" || !AZ.test(az)) fail(`${at}.az`, `${JSON.stringify(az)} is not an availability zone`);
    let subnet;
    try {
      subnet = parseSubnet(cidr, `${at}.cidr`);
    } catch (err) {
      return fail(`${at}.cidr`, err instanceof PlanError ? err.problem : String(err));
    }
    if (typeof dev !== "number" || !Number.isInteger(dev) || dev < 1 || dev > 31) fail(`${at}.dev`, `${JSON.stringify(dev)} is not a device index (1..31)`);
    let block: IpRange | undefined;
    if (workers !== undefined) {
      try {
        block = parseRange(workers, `${at}.workers`);
      } catch (err) {
        return fail(`${at}.workers`, err instanceof PlanError ? err.problem : String(err));
      }
      const usable = usableRange(subnet);
      if (!contains(usable, block.first) || !contains(usable, block.last)) {
        const f = formatRange(usable);
        fail(`${at}.workers`, `${String(workers)} is not inside the usable addresses ${f.first}-${f.last} of ${subnet.cidr}`);
      }
    } else if (strategy === "static") {
      fail(`${at}.workers`, "is missing; the static strategy assigns worker addresses from it");
    }
    return { id, availabilityZone: az, cidr: subnet.cidr, deviceIndex: dev, ...(block ? { workers: block } : {}) };
  });
  subnets.forEach((s, i) => {
    if (subnets.findIndex((o) => o.id === s.id) !== i) fail(`${LAMBDA_ENV.subnets}[${i}].id`, `${s.id} is listed twice`);
    if (subnets.findIndex((o) => o.availabilityZone === s.availabilityZone && o.deviceIndex === s.deviceIndex) !== i) {
      fail(`${LAMBDA_ENV.subnets}[${i}].dev`, `device index ${s.deviceIndex} is used twice in ${s.availabilityZone}`);
    }
  });

  const securityGroupIds = required(env, LAMBDA_ENV.securityGroups).split(",").map((s) => s.trim());
  securityGroupIds.forEach((g) => {
    if (!ID("sg").test(g)) fail(LAMBDA_ENV.securityGroups, `"${g}" is not a security group id`);
  });

  const tags = env[LAMBDA_ENV.interfaceTags] === undefined ? {} : json(env, LAMBDA_ENV.interfaceTags);
  if (!isObject(tags)) fail(LAMBDA_ENV.interfaceTags, 'must be a JSON object {"key": "value"}');
  try {
    checkInterfaceTags(tags as Record<string, string>, LAMBDA_ENV.interfaceTags);
  } catch (err) {
    if (err instanceof PlanError) fail(err.field, err.problem, err.fix);
    throw err;
  }

  const sdc = env[LAMBDA_ENV.sourceDestCheck] ?? "true";
  if (sdc !== "true" && sdc !== "false") fail(LAMBDA_ENV.sourceDestCheck, `must be true or false, got "${sdc}"`);

  const attemptsText = env[LAMBDA_ENV.ipAttempts] ?? String(DEFAULT_IP_ATTEMPTS);
  const ipAttempts = Number(attemptsText);
  if (!/^\d+$/.test(attemptsText) || ipAttempts < 1 || ipAttempts > 50) fail(LAMBDA_ENV.ipAttempts, `must be a whole number from 1 to 50, got "${attemptsText}"`);

  let instanceLimits: LambdaConfig["instanceLimits"];
  if (env[LAMBDA_ENV.instanceLimits] !== undefined) {
    const l = json(env, LAMBDA_ENV.instanceLimits);
    if (!isObject(l) || typeof l.type !== "string" || typeof l.maxEnis !== "number" || !Number.isInteger(l.maxEnis) || l.maxEnis < 1) {
      fail(LAMBDA_ENV.instanceLimits, 'must be a JSON object {"type": "c5.2xlarge", "maxEnis": 4}');
    }
    instanceLimits = { type: l.type, maxEnis: l.maxEnis };
  }

  const hookText = env[LAMBDA_ENV.launchHookTimeout] ?? String(DEFAULT_HOOKS.launch.heartbeatTimeout);
  const launchHookTimeoutSeconds = Number(hookText);
  const { min, max } = HEARTBEAT_TIMEOUT_RANGE;
  if (!/^\d+$/.test(hookText) || launchHookTimeoutSeconds < min || launchHookTimeoutSeconds > max) {
    fail(LAMBDA_ENV.launchHookTimeout, `must be a whole number of seconds from ${min} to ${max} (the hook's HeartbeatTimeout), got "${hookText}"`);
  }

  return {
    nodeGroupTag,
    autoScalingGroupName,
    strategy,
    subnets,
    securityGroupIds,
    interfaceTags: tags as Record<string, string>,
    sourceDestCheck: sdc === "true",
    ipAttempts,
    ...(instanceLimits ? { instanceLimits } : {}),
    launchHookTimeoutSeconds,
  };
}
