import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";
import { HttpResponse } from "@smithy/core/protocols";
import { DEFAULT_RETRY_DELAY_BASE, MAXIMUM_RETRY_DELAY, THROTTLING_RETRY_DELAY_BASE, defaultRetryDecider, isServerError, isThrottlingError } from "@smithy/core/retry";
import { operation } from "@smithy/core/schema";
import type { AbsoluteLocation, InitializeHandlerOptions, InitializeMiddleware, MetadataBearer, MiddlewareStack, SdkError } from "@smithy/types";
import { AUTOSCALING_SERVICE, EC2_SERVICE, QueryService, ServiceName, operationOfCommand, operationSchema } from "./http/protocol";
import { errorXml } from "./http/xml";
import { Operations, QueryError, asServiceError, autoScalingOperations, ec2Operations } from "./operations";
import type { AutoScalingApi } from "./autoscaling/fleet";
import type { Ec2Model } from "./ec2/model";

export { AUTOSCALING_OPERATIONS, EC2_OPERATIONS } from "./operations";

/** One SDK call on its way to a model. */
export interface SdkCall {
  readonly service: ServiceName;
  /** The command's operation name, e.g. `CreateNetworkInterface`. */
  readonly operation: string;
  readonly input: unknown;
}

/**
 * Wraps every attempt of a call: may delay it (an fc.scheduler or an interleaving step),
 * count it, or fail it; `next()` runs it against the model.
 */
export type SdkHook = (call: SdkCall, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * The SDK's own retry of throttled, transient and server errors, which real clients do
 * before the caller sees an error, as a middleware sleeping on the simulated clock: up to
 * `maxAttempts` attempts, the SDK's classification (@smithy/core/retry) and its backoff
 * (full jitter, base 100 ms, 500 ms after a throttle, cap 20 s: AWS SDKs and Tools reference
 * guide, "Retry behavior", https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 * Each attempt is a separate call through the hook.
 */
export interface SdkRetry {
  readonly maxAttempts: number;
  /** Waits on the simulated clock. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Jitter, seeded so a run replays. */
  readonly random: () => number;
}

export interface SdkClientOptions {
  readonly hook?: SdkHook;
  /** @default no retry (one attempt) */
  readonly retry?: SdkRetry;
  /** @default "us-west-2" */
  readonly region?: string;
  /** Sees every error the caller gets, after the retries (to count throttles that got through, say). */
  readonly onError?: (err: unknown) => void;
}

/** Whether the SDK's standard retry would try `err` again. */
export function isRetryable(err: unknown): boolean {
  return !!err && typeof err === "object" && (defaultRetryDecider(err as SdkError) || isServerError(err as SdkError));
}

type Metadata = MetadataBearer["$metadata"];

/**
 * Deserialised output carries no undefined members and shares nothing with the model (its
 * lagged reads hand out stored views). On the hot path of every simulated call: loops, no
 * intermediate arrays.
 */
function detach(value: unknown): unknown {
  if (typeof value !== "object" || value === null || value instanceof Date || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = detach(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  const from = value as Record<string, unknown>;
  for (const k in from) {
    const v = from[k];
    if (v !== undefined) out[k] = detach(v);
  }
  return out;
}

const RETRY_STEP: InitializeHandlerOptions & AbsoluteLocation = { step: "initialize", priority: "normal", name: "simulatedRetry", override: true };
const MODEL_STEP: InitializeHandlerOptions & AbsoluteLocation = { step: "initialize", priority: "low", name: "simulatorModel", override: true };

/**
 * A real SDK client whose last middleware hands each command, by `context.commandName`, to
 * the model and answers what the SDK's deserializer would: the output without undefined
 * members and with `$metadata`, or the service's exception exactly as the SDK's protocol
 * parses it from the service's error document (EC2ServiceException or an
 * AutoScalingServiceException subclass, with `$metadata`, `$fault`, `Code`). Nothing goes
 * over the network; the SDK's paginators and `instanceof` checks work as with AWS.
 */
function simulatedClient<C extends EC2Client | AutoScalingClient>(client: C, service: QueryService, ops: Operations, opts: SdkClientOptions): C {
  const { hook, retry } = opts;
  let requests = 0;
  // The service's exception, parsed by the client's own protocol from the error document.
  const serviceError = async (action: string, err: unknown, context: object): Promise<Error> => {
    const { code, message, status } = asServiceError(service, err);
    const requestId = `sim-${service.name}-${++requests}`;
    // The error document parses the same for every action: one the SDK lacks borrows another's schema.
    const schema = operationSchema(service, action) ?? operationSchema(service, service.name === "ec2" ? "DescribeSubnets" : "DescribeAutoScalingGroups")!;
    const [, ns, n, t, i, o] = schema;
    const body = new TextEncoder().encode(errorXml(service, code, message, requestId, status));
    const response = new HttpResponse({ statusCode: status, headers: { "x-amzn-requestid": requestId }, body });
    const config = client.config as unknown as { protocol: { deserializeResponse(op: unknown, ctx: unknown, res: HttpResponse): Promise<unknown> } };
    try {
      await config.protocol.deserializeResponse(operation(ns, n, t, i, o), { ...client.config, ...context }, response);
    } catch (parsed) {
      return parsed as Error;
    }
    return new Error(`${code}: ${message}`);
  };

  const model: InitializeMiddleware<object, MetadataBearer> = (_next, context) => async (args) => {
    const action = operationOfCommand(context.commandName ?? "");
    const run = ops.get(action);
    const input = args.input ?? {};
    try {
      if (!run) throw new QueryError("InvalidAction", `The action ${action || "(none)"} is not valid for this web service.`);
      const next = () => run(input);
      const out = (await (hook ? hook({ service: service.name, operation: action, input }, next) : next())) as Record<string, unknown>;
      const { $metadata: m, ...members } = out ?? {};
      const requestId = (m as Metadata | undefined)?.requestId ?? `sim-${service.name}-${++requests}`;
      const $metadata: Metadata = { httpStatusCode: 200, requestId, extendedRequestId: undefined, cfId: undefined };
      return { output: { ...(detach(members) as object), $metadata }, response: undefined };
    } catch (err) {
      throw await serviceError(action, err, context);
    }
  };

  const retrying: InitializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const attempts = Math.max(1, retry?.maxAttempts ?? 1);
    let totalRetryDelay = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await next(args);
        Object.assign(out.output.$metadata, { attempts: attempt, totalRetryDelay });
        return out;
      } catch (err) {
        const e = err as SdkError;
        if (e && typeof e === "object" && e.$metadata) Object.assign(e.$metadata, { attempts: attempt, totalRetryDelay });
        if (!retry || attempt >= attempts || !isRetryable(err)) {
          opts.onError?.(err);
          throw err;
        }
        const base = isThrottlingError(e) ? THROTTLING_RETRY_DELAY_BASE : DEFAULT_RETRY_DELAY_BASE;
        const delay = Math.floor(retry.random() * Math.min(MAXIMUM_RETRY_DELAY, base * 2 ** (attempt - 1)));
        totalRetryDelay += delay;
        await retry.sleep(delay);
      }
    }
  };

  const stack = client.middlewareStack as unknown as MiddlewareStack<object, MetadataBearer>;
  stack.add(retrying, RETRY_STEP);
  stack.add(model, MODEL_STEP);
  return client;
}

/** Fake credentials: the simulated services sign nothing, but the SDK wants some. */
const CREDENTIALS = { accessKeyId: "AKIDSIMULATOR", secretAccessKey: "simulator" };

/** An EC2Client over the EC2 model (or any operation table, e.g. a world's). Unmodelled actions fail with `InvalidAction`. */
export function ec2Client(target: Ec2Model | Operations, opts: SdkClientOptions = {}): EC2Client {
  const ops = target instanceof Map ? (target as Operations) : ec2Operations(target as Ec2Model);
  const client = new EC2Client({ region: opts.region ?? "us-west-2", credentials: CREDENTIALS, maxAttempts: 1 });
  return simulatedClient(client, EC2_SERVICE, ops, opts);
}

/** An AutoScalingClient over an Auto Scaling model (one group, or a fleet of groups) or an operation table, as `ec2Client`. */
export function autoScalingClient(target: AutoScalingApi | Operations, opts: SdkClientOptions = {}): AutoScalingClient {
  const ops = target instanceof Map ? (target as Operations) : autoScalingOperations(target as AutoScalingApi);
  const client = new AutoScalingClient({ region: opts.region ?? "us-west-2", credentials: CREDENTIALS, maxAttempts: 1 });
  return simulatedClient(client, AUTOSCALING_SERVICE, ops, opts);
}
