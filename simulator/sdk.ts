import type { EC2Client } from "@aws-sdk/client-ec2";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { AutoScalingModel } from "./autoscaling/model";
import { AutoScalingError } from "./autoscaling/model";
import type { Ec2Model } from "./ec2/model";
import { Ec2Error } from "./ec2/errors";

/** One SDK call on its way to a model. */
export interface SdkCall {
  readonly service: "ec2" | "autoscaling";
  /** The command's operation name, e.g. `CreateNetworkInterface`. */
  readonly operation: string;
  readonly input: unknown;
}

/**
 * Wraps every call: may delay it (an fc.scheduler or an interleaving step), count it, or fail
 * it; `next()` runs it against the model.
 */
export type SdkHook = (call: SdkCall, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * The SDK's own retry of throttled and server errors, which real clients do before the
 * caller sees an error: up to `maxAttempts` attempts, exponential backoff with full jitter
 * (AWS SDKs and Tools reference guide, "Retry behavior",
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). Each attempt
 * is a separate call through the hook.
 */
export interface SdkRetry {
  readonly maxAttempts: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** @default 100 */
  readonly baseDelayMs?: number;
}

export interface SdkClientOptions {
  readonly hook?: SdkHook;
  /** @default no retry (one attempt) */
  readonly retry?: SdkRetry;
}

/** Throttling codes the SDKs retry (a subset of @smithy/service-error-classification's list). */
const THROTTLING = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled", "EC2ThrottledException"]);

export function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string; $retryable?: unknown } | undefined;
  return !!e && (THROTTLING.has(e.name ?? "") || e.$fault === "server" || !!e.$retryable);
}

/** EC2 operations the model serves (the SDK command name without `Command`). */
export const EC2_OPERATIONS = [
  "CreateNetworkInterface",
  "AttachNetworkInterface",
  "DetachNetworkInterface",
  "ModifyNetworkInterfaceAttribute",
  "DeleteNetworkInterface",
  "DescribeNetworkInterfaces",
  "DescribeSubnets",
  "DescribeInstances",
  "DescribeInstanceTypes",
  "CreateTags",
  "CreateSubnetCidrReservation",
  "DeleteSubnetCidrReservation",
  "GetSubnetCidrReservations",
  "AssignPrivateIpAddresses",
  "UnassignPrivateIpAddresses",
] as const;

export const AUTOSCALING_OPERATIONS = [
  "CompleteLifecycleAction",
  "RecordLifecycleActionHeartbeat",
  "DescribeAutoScalingInstances",
  "DescribeLifecycleHooks",
] as const;

interface CommandLike {
  readonly input?: unknown;
  readonly constructor: { readonly name: string };
}

function operationOf(command: unknown): string {
  const name = (command as CommandLike | undefined)?.constructor?.name ?? "";
  return name.endsWith("Command") ? name.slice(0, -"Command".length) : name;
}

function methodName(operation: string): string {
  return operation.charAt(0).toLowerCase() + operation.slice(1);
}

function dispatcher(service: SdkCall["service"], target: object, operations: readonly string[], unknown: (op: string) => Error, opts: SdkClientOptions) {
  const { hook, retry } = opts;
  return {
    async send(command: unknown): Promise<unknown> {
      const operation = operationOf(command);
      if (!operations.includes(operation)) throw unknown(operation || String(command));
      const input = (command as CommandLike).input ?? {};
      const fn = (target as Record<string, (input: unknown) => Promise<unknown>>)[methodName(operation)]!;
      const next = () => fn.call(target, input);
      const once = () => (hook ? hook({ service, operation, input }, next) : next());
      const attempts = Math.max(1, retry?.maxAttempts ?? 1);
      for (let attempt = 1; ; attempt++) {
        try {
          return await once();
        } catch (err) {
          if (!retry || attempt >= attempts || !isRetryable(err)) throw err;
          await retry.sleep(Math.floor(retry.random() * Math.min(20_000, (retry.baseDelayMs ?? 100) * 2 ** attempt)));
        }
      }
    },
  };
}

/**
 * An EC2 client over the model: `send(new CreateNetworkInterfaceCommand(input))` runs
 * `model.createNetworkInterface(input)`. Commands are recognised by their class name, so the
 * real SDK's command classes work unchanged. An unmodelled command fails with `InvalidAction`.
 */
export function ec2Client(model: Ec2Model, opts: SdkClientOptions = {}): Pick<EC2Client, "send"> {
  const client = dispatcher(
    "ec2",
    model,
    EC2_OPERATIONS,
    (op) => new Ec2Error("InvalidAction", `The action ${op} is not valid for this web service.`),
    opts,
  );
  return client as unknown as Pick<EC2Client, "send">;
}

/** An Auto Scaling client over the Auto Scaling model, as `ec2Client`. */
export function autoScalingClient(model: AutoScalingModel, opts: SdkClientOptions = {}): Pick<AutoScalingClient, "send"> {
  const client = dispatcher(
    "autoscaling",
    model,
    AUTOSCALING_OPERATIONS,
    (op) => new AutoScalingError("InvalidAction", `The action ${op} is not valid for this web service.`),
    opts,
  );
  return client as unknown as Pick<AutoScalingClient, "send">;
}
