import type { NetworkPlan } from "../../ipam/plan";
import { referenceAllocator } from "../baseline/reference-allocator";
import type { Allocator } from "./types";

/**
 * The reference system's allocator over a plan's subnets (in plan order, as its `SubnetIds`).
 * `useStaticIPs` defaults to the plan's strategy being `static`.
 */
export function baselineAllocator(plan: NetworkPlan, opts: { useStaticIPs?: boolean; securityGroupIds?: string[] } = {}): Allocator {
  const allocator = referenceAllocator({
    subnetIds: plan.subnets.map((s) => s.id),
    securityGroupIds: opts.securityGroupIds ?? ["sg-0c0ffee0c0ffee002"],
    useStaticIPs: opts.useStaticIPs ?? plan.subnets.every((s) => s.strategy === "static"),
  });
  // boto3's default (legacy) retry mode: 5 attempts, throttling errors such as
  // RequestLimitExceeded included (botocore/data/_retry.json; AWS SDKs and Tools reference
  // guide, "Retry behavior").
  return Object.assign(allocator, { sdkMaxAttempts: 5 });
}
