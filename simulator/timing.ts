import { PlanError } from "../contract/errors";

/**
 * Timing profiles: every latency, lag and timeout the models use, in simulated ms, with its
 * source. `aws` follows AWS's documentation where it gives a number and says `observed` or
 * `assumed` where it does not (the property tests sweep those: `SWEPT`). `instant` is the
 * simulator without time (no lag, no asynchronous states, no throttling buckets) for fast
 * unit tests.
 */

/** A uniform range, in ms unless named otherwise. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** How well a number is known. */
export type Basis = "documented" | "observed" | "assumed";

/** One number of the profile, with where it comes from. */
export interface Row<T> {
  readonly value: T;
  readonly basis: Basis;
  readonly source: string;
}

/** A token bucket: `capacity` tokens, refilled at `refillPerSecond` (EC2 request rate limiting). */
export interface Bucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Read lag of an eventually consistent Describe* call. */
export interface ReadLag {
  /** Share of reads that see an older state at all. */
  readonly probability: number;
  /** How old, for most lagging reads. */
  readonly typicalMs: Range;
  /** Share of lagging reads in the long tail. */
  readonly tailProbability: number;
  readonly tailMs: Range;
}

export interface TimingValues {
  /** Round trip of one SDK call. */
  readonly callLatencyMs: Range;
  /** AttachNetworkInterface: `attaching` until `attached`. */
  readonly attachMs: Range;
  /** DetachNetworkInterface: `detaching` until the ENI is `available`. */
  readonly detachMs: Range;
  /** A new instance's EC2 state stays `pending` this long (the launch hook is open meanwhile). */
  readonly pendingMs: Range;
  /** Share of the pending time, from the launch, in which AttachNetworkInterface is refused. */
  readonly attachRefusedShare: Range;
  /** DescribeInstances and DescribeNetworkInterfaces answer from an older state. */
  readonly readLag: ReadLag;
  /** Per-action token buckets on (true) or unlimited (false). */
  readonly throttling: boolean;
  /** `shutting-down` until `terminated` (ENIs stay attached meanwhile). */
  readonly shutdownMs: Range;
  /** From a lifecycle action's start to its event reaching the function. */
  readonly eventDeliveryMs: Range;
  /** Lambda's asynchronous retries of a failed or timed-out invocation: wait before each. */
  readonly lambdaRetryDelaysMs: readonly number[];
  /** An event delivered once more although nothing failed, and how much later. */
  readonly duplicateDelivery: { readonly probability: number; readonly delayMs: Range };
}

export type TimingName = "aws" | "instant";
export const TIMING_NAMES: readonly TimingName[] = ["aws", "instant"];

export interface TimingProfile extends TimingValues {
  readonly name: TimingName;
  /** Token bucket of one EC2 action; `unfiltered`: a Describe* without filters or pagination. */
  bucket(operation: string, unfiltered: boolean): Bucket | undefined;
}

const THROTTLING = "EC2 developer guide, \"Request throttling for the Amazon EC2 API\" (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html)";
const CONSISTENCY = "EC2 developer guide, \"Eventual consistency in the Amazon EC2 API\" (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html)";
const LAMBDA_ASYNC = "Lambda developer guide, \"How Lambda handles errors and retries with asynchronous invocation\" (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)";

/** The `aws` profile: each number with its basis and source. */
export const AWS_TIMING: { readonly [K in keyof TimingValues]: Row<TimingValues[K]> } = {
  callLatencyMs: {
    value: { min: 20, max: 200 },
    basis: "assumed",
    source: "AWS publishes no API latency; an in-Region Query API round trip from Lambda",
  },
  attachMs: {
    value: { min: 500, max: 3000 },
    basis: "observed",
    source: "EC2 API reference, NetworkInterfaceAttachment Status: attaching | attached | detaching | detached; durations not documented",
  },
  detachMs: {
    value: { min: 1000, max: 10_000 },
    basis: "observed",
    source: "as attachMs; a detach takes longer than an attach",
  },
  pendingMs: {
    value: { min: 5000, max: 40_000 },
    basis: "observed",
    source: "EC2 user guide, \"Amazon EC2 instance state changes\": pending before running; duration not documented",
  },
  attachRefusedShare: {
    value: { min: 0, max: 1 },
    basis: "assumed",
    source:
      "calls on a pending instance are refused in the wild as IncorrectInstanceState (hashicorp/terraform-provider-aws#19699, \"pending-instance-creation\") and as InvalidInstanceID (\"The pending instance ... is not in a valid state\"); for how long is not documented",
  },
  readLag: {
    value: { probability: 0.5, typicalMs: { min: 200, max: 3000 }, tailProbability: 0.05, tailMs: { min: 3000, max: 60_000 } },
    basis: "assumed",
    source: `${CONSISTENCY}: results are eventually consistent, back off "starting with a couple of seconds" up to "a few minutes", and InvalidInstanceID.NotFound after a launch "doesn't mean the instance does not exist"; the lag's distribution is not documented`,
  },
  throttling: {
    value: true,
    basis: "documented",
    source: `${THROTTLING}: a token bucket per account, Region and API action (EC2_REQUEST_BUCKETS)`,
  },
  shutdownMs: {
    value: { min: 5000, max: 60_000 },
    basis: "assumed",
    source: "EC2 user guide, \"Terminate Amazon EC2 instances\": shutting-down before terminated; duration not documented",
  },
  eventDeliveryMs: {
    value: { min: 100, max: 2000 },
    basis: "assumed",
    source: "EventBridge to Lambda's asynchronous queue to the function; no latency is documented",
  },
  lambdaRetryDelaysMs: {
    value: [60_000, 120_000],
    basis: "documented",
    source: `${LAMBDA_ASYNC}: "a one-minute wait between the first two attempts, and two minutes between the second and third"; timeouts count as function errors`,
  },
  duplicateDelivery: {
    value: { probability: 0.02, delayMs: { min: 0, max: 60_000 } },
    basis: "assumed",
    source: `${LAMBDA_ASYNC}: "Even if your function doesn't return an error, it's possible for it to receive the same event from Lambda multiple times"; how often and how late is not documented`,
  },
};

/** Rows the property tests sweep: the ones AWS gives no number for. */
export const SWEPT: readonly (keyof TimingValues)[] = (Object.keys(AWS_TIMING) as (keyof TimingValues)[]).filter((k) => AWS_TIMING[k].basis !== "documented");

/**
 * EC2 request token buckets for the actions the models serve (account and Region wide, one
 * per action). Source: THROTTLING, tables "Request token bucket sizes and refill rates" (the
 * categories and the uncategorized actions).
 */
export const EC2_REQUEST_BUCKETS: { readonly [category: string]: Bucket & { readonly actions: readonly string[] | "default" } } = {
  /** Describe*, List*, Search*, Get* not listed elsewhere. */
  "non-mutating": { capacity: 100, refillPerSecond: 20, actions: "default" },
  /**
   * DescribeInstances, DescribeNetworkInterfaces (among others) "when requested without
   * specifying either pagination or a filter". An id list is neither (assumed).
   */
  "unfiltered and unpaginated non-mutating": { capacity: 50, refillPerSecond: 10, actions: ["DescribeInstances", "DescribeNetworkInterfaces"] },
  /** Every mutating action not listed elsewhere: AttachNetworkInterface, DetachNetworkInterface, CreateVpc, CreateSubnet, ... */
  mutating: { capacity: 50, refillPerSecond: 5, actions: "default" },
  CreateNetworkInterface: { capacity: 100, refillPerSecond: 5, actions: ["CreateNetworkInterface"] },
  DeleteNetworkInterface: { capacity: 100, refillPerSecond: 5, actions: ["DeleteNetworkInterface"] },
  ModifyNetworkInterfaceAttribute: { capacity: 100, refillPerSecond: 5, actions: ["ModifyNetworkInterfaceAttribute"] },
  AssignPrivateIpAddresses: { capacity: 100, refillPerSecond: 5, actions: ["AssignPrivateIpAddresses"] },
  UnassignPrivateIpAddresses: { capacity: 100, refillPerSecond: 5, actions: ["UnassignPrivateIpAddresses"] },
  CreateTags: { capacity: 100, refillPerSecond: 10, actions: ["CreateTags"] },
  CreateSubnetCidrReservation: { capacity: 5, refillPerSecond: 1, actions: ["CreateSubnetCidrReservation"] },
  DeleteSubnetCidrReservation: { capacity: 5, refillPerSecond: 1, actions: ["DeleteSubnetCidrReservation"] },
  RunInstances: { capacity: 5, refillPerSecond: 2, actions: ["RunInstances"] },
  TerminateInstances: { capacity: 100, refillPerSecond: 5, actions: ["TerminateInstances"] },
};

const READ_PREFIXES = ["Describe", "Get", "List", "Search"];

/** The bucket an EC2 action draws from (THROTTLING's categories). */
export function ec2Bucket(operation: string, unfiltered: boolean): Bucket {
  const named = Object.entries(EC2_REQUEST_BUCKETS).find(([, b]) => b.actions !== "default" && b.actions.includes(operation));
  if (named && (named[0] !== "unfiltered and unpaginated non-mutating" || unfiltered)) return named[1];
  return READ_PREFIXES.some((p) => operation.startsWith(p)) ? EC2_REQUEST_BUCKETS["non-mutating"]! : EC2_REQUEST_BUCKETS.mutating!;
}

const INSTANT_VALUES: TimingValues = {
  callLatencyMs: AWS_TIMING.callLatencyMs.value,
  attachMs: { min: 0, max: 0 },
  detachMs: { min: 0, max: 0 },
  pendingMs: { min: 0, max: 0 },
  attachRefusedShare: { min: 0, max: 0 },
  readLag: { probability: 0, typicalMs: { min: 0, max: 0 }, tailProbability: 0, tailMs: { min: 0, max: 0 } },
  throttling: false,
  // The simulator's shutdown before timing profiles: ENIs stay attached for 30 s.
  shutdownMs: { min: 30_000, max: 30_000 },
  eventDeliveryMs: { min: 0, max: 0 },
  lambdaRetryDelaysMs: AWS_TIMING.lambdaRetryDelaysMs.value,
  duplicateDelivery: { probability: 0, delayMs: { min: 0, max: 0 } },
};

function awsValues(): TimingValues {
  return Object.fromEntries(Object.entries(AWS_TIMING).map(([k, row]) => [k, row.value])) as unknown as TimingValues;
}

/** A profile by name, with some values replaced (a property test's sweep of the `assumed` rows). */
export function timingProfile(name: TimingName, overrides: Partial<TimingValues> = {}): TimingProfile {
  const values = { ...(name === "aws" ? awsValues() : INSTANT_VALUES), ...overrides };
  return {
    ...values,
    name,
    bucket: (operation, unfiltered) => (values.throttling ? ec2Bucket(operation, unfiltered) : undefined),
  };
}

/** The profile without token buckets (a world set up at leisure, as Terraform does, before a run). */
export function withoutThrottling(profile: TimingProfile): TimingProfile {
  return { ...profile, throttling: false, bucket: () => undefined };
}

/** `--timing` as the CLI takes it: a bad name is bad input naming the choices. */
export function parseTiming(value: string, flag = "--timing"): TimingName {
  if ((TIMING_NAMES as readonly string[]).includes(value)) return value as TimingName;
  throw new PlanError(flag, `unknown timing profile "${value}"`, `use one of ${TIMING_NAMES.join(", ")} (aws: as slow and as lazy as AWS documents; instant: no simulated latency beyond the SDK round trip)`);
}

/** A draw from a range with the given random numbers. */
export function draw(range: Range, random: () => number): number {
  return range.max <= range.min ? range.min : Math.round(range.min + random() * (range.max - range.min));
}
