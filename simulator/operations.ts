// The actions each simulated service serves, as tables from the action name to a function of
// the SDK input: what the in-process SDK clients (sdk.ts) and the HTTP endpoint (http/) call.
import type { AutoScalingApi } from "./autoscaling/fleet";
import { AutoScalingError } from "./autoscaling/model";
import type { Ec2Model } from "./ec2/model";
import { Ec2Error } from "./ec2/errors";
import { ParameterError } from "./http/query";
import type { QueryService } from "./http/protocol";
import { pagedInstances } from "./paging";

/** One action: SDK input in, SDK output (with or without `$metadata`) out; errors as the models throw them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Operation = (input: any) => Promise<object>;
export type Operations = ReadonlyMap<string, Operation>;

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
  "AssignIpv6Addresses",
  "UnassignIpv6Addresses",
] as const;

/** Auto Scaling operations one group's model serves. */
export const AUTOSCALING_OPERATIONS = [
  "CompleteLifecycleAction",
  "RecordLifecycleActionHeartbeat",
  "DescribeAutoScalingInstances",
  "DescribeLifecycleHooks",
] as const;

function methodName(operation: string): string {
  return operation.charAt(0).toLowerCase() + operation.slice(1);
}

/** The model's methods named after `operations` (`DescribeSubnets` → `describeSubnets`). */
export function methodTable(target: object, operations: readonly string[]): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const op of operations) {
    const fn = (target as Record<string, Operation>)[methodName(op)];
    if (typeof fn !== "function") throw new Error(`${target.constructor.name} has no ${methodName(op)} for ${op}`);
    out.set(op, (input) => fn.call(target, input));
  }
  return out;
}

/** The EC2 model's actions; DescribeInstances pages by MaxResults/NextToken as EC2 does. */
export function ec2Operations(model: Ec2Model): Map<string, Operation> {
  const ops = methodTable(model, EC2_OPERATIONS);
  ops.set("DescribeInstances", pagedInstances(ops.get("DescribeInstances")!));
  return ops;
}

/** One Auto Scaling group's actions. */
export function autoScalingOperations(model: AutoScalingApi): Map<string, Operation> {
  return methodTable(model, AUTOSCALING_OPERATIONS);
}

/** A protocol-level error either service answers (InvalidAction, MissingAction, ...). */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface ServiceErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

/**
 * What the service answers for an error a model, the request parser or a hook threw. An
 * error that is none of the simulator's is the service's fault: EC2's `InternalError` and
 * Auto Scaling's `InternalFailure`, HTTP 500 (the services' "Common errors" pages).
 */
export function asServiceError(service: QueryService, err: unknown): ServiceErrorInfo {
  if (err instanceof ParameterError) return { code: err.code, message: err.message, status: 400 };
  if (err instanceof QueryError) return { code: err.code, message: err.message, status: err.status };
  if (err instanceof Ec2Error || err instanceof AutoScalingError) return { code: err.Code, message: err.message, status: err.$metadata.httpStatusCode };
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  // An SDK-shaped error (a hook may throw one): keep its code and status.
  if (e && typeof e.name === "string" && e.$metadata && typeof e.$metadata.httpStatusCode === "number") {
    return { code: e.name, message: String(e.message ?? e.name), status: e.$metadata.httpStatusCode };
  }
  const detail = err instanceof Error ? err.message : String(err);
  return { code: service.name === "ec2" ? "InternalError" : "InternalFailure", message: `An internal error has occurred (${detail})`, status: 500 };
}
