import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { EC2Client } from "@aws-sdk/client-ec2";

/**
 * SDK attempts per call. Throttling (RequestLimitExceeded, Throttling) is retried by the SDK's
 * adaptive retry mode, which also slows the client's own send rate after a throttle
 * (AWS SDKs and Tools reference guide, "Retry behavior": https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
export const SDK_MAX_ATTEMPTS = 8;

/** The real clients of the deployed function. */
export function createAwsClients(
  opts: { region?: string; maxAttempts?: number; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): { ec2: EC2Client; autoscaling: AutoScalingClient } {
  const common = {
    retryMode: "adaptive",
    maxAttempts: opts.maxAttempts ?? SDK_MAX_ATTEMPTS,
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  return { ec2: new EC2Client(common), autoscaling: new AutoScalingClient(common) };
}
