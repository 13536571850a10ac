import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

/**
 * EC2 error codes the Lambda and the agent act on (EC2 API reference, "Error codes for the
 * Amazon EC2 API": https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 * They say what happened to a resource, so no generic classification knows them; throttling
 * and transient faults are the SDK's business (`isTransientFault`).
 */
export const EC2_ERROR_CODES = {
  /** "The specified IP address is already in use." */
  ipAddressInUse: "InvalidIPAddress.InUse",
  /** "The specified subnet does not contain enough free private IP addresses to fulfill your request." */
  insufficientFreeAddresses: "InsufficientFreeAddressesInSubnet",
  /** "The instance is not in the correct state for this operation." */
  incorrectInstanceState: "IncorrectInstanceState",
  /** The instance does not exist, or a read does not show it yet (eventual consistency). */
  instanceNotFound: "InvalidInstanceID.NotFound",
  /** "The pending instance ... is not in a valid state for this operation" (observed for calls on a launching instance). */
  pendingInstance: "InvalidInstanceID",
  networkInterfaceNotFound: "InvalidNetworkInterfaceID.NotFound",
  /** The ENI is attached (or still detaching). */
  networkInterfaceInUse: "InvalidNetworkInterface.InUse",
  attachmentNotFound: "InvalidAttachmentID.NotFound",
  invalidParameterValue: "InvalidParameterValue",
  /** The ENI holds as many addresses as its instance type allows. */
  privateIpAddressLimitExceeded: "PrivateIpAddressLimitExceeded",
  /** "The specified private IP address is already assigned to a resource. Unassign the private IP first, or use a different private IP address." */
  resourceAlreadyAssigned: "Resource.AlreadyAssigned",
} as const;

/** The AWS error code of an SDK v3 error (its `name`), or the error's text. */
export function errorCode(err: unknown): string {
  if (err && typeof err === "object" && "name" in err && typeof (err as { name: unknown }).name === "string") return (err as { name: string }).name;
  return String(err);
}

/** `Code: message` of an SDK v3 error (just the code when the message says nothing more), for logs and reasons. */
export function errorText(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : "";
  return message && message !== code ? `${code}: ${message}` : code;
}

/**
 * Throttling, transient and server faults, as the SDK's own retry strategy classifies them
 * (@smithy/core/retry, formerly @smithy/service-error-classification): the same call may
 * well succeed later. Anything else is an answer about the request.
 */
export function isTransientFault(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const e = err as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(e) || isTransientError(e) || isServerError(e);
}
