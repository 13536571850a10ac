/**
 * Errors shaped like the AWS SDK v3's: `name` is the AWS error code, `$fault` and
 * `$metadata` as on a ServiceException. The static `shapeId` is the one the SDK gives
 * EC2ServiceException, so `err instanceof EC2ServiceException` holds for these too (smithy's
 * ServiceException matches by shapeId) without loading the SDK here.
 */
export class Ec2Error extends Error {
  static readonly shapeId = "smithy.ts.sdk.synthetic.com.amazonaws.ec2#EC2ServiceException";
  readonly $fault: "client" | "server";
  readonly $metadata: { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number };
  readonly $retryable?: { throttling: boolean };
  /** The AWS error code again, as the query protocol's `Code`. */
  readonly Code: string;

  constructor(code: string, message: string, opts: { status?: number; requestId?: string; throttling?: boolean } = {}) {
    super(message);
    this.name = code;
    this.Code = code;
    this.$fault = (opts.status ?? 400) >= 500 ? "server" : "client";
    this.$metadata = { httpStatusCode: opts.status ?? 400, requestId: opts.requestId ?? "sim", attempts: 1, totalRetryDelay: 0 };
    if (opts.throttling) this.$retryable = { throttling: true };
  }
}

/** The EC2 error codes the model throws. Messages follow AWS's (sources in model.ts). */
export const EC2_ERRORS = [
  "InvalidIPAddress.InUse",
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "InsufficientFreeAddressesInSubnet",
  "AttachmentLimitExceeded",
  "PrivateIpAddressLimitExceeded",
  "RequestLimitExceeded",
  "InvalidNetworkInterfaceID.NotFound",
  "InvalidNetworkInterface.InUse",
  "InvalidInstanceID.NotFound",
  "InvalidInstanceID",
  "InvalidSubnetID.NotFound",
  "InvalidAttachmentID.NotFound",
  "InvalidSubnetCidrReservationID.NotFound",
  "IncorrectInstanceState",
  "IncorrectState",
  "InvalidInstanceType",
  "OperationNotPermitted",
  "Resource.AlreadyAssigned",
  "MissingParameter",
] as const;
export type Ec2ErrorCode = (typeof EC2_ERRORS)[number];
