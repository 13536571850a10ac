import type { EC2Client } from "@aws-sdk/client-ec2";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";

/** What an allocator gets for one lifecycle event: SDK clients and the simulation's clock. */
export interface AllocatorContext {
  readonly ec2: EC2Client;
  readonly autoscaling: AutoScalingClient;
  /** Waits `ms` of simulated time (other invocations run meanwhile). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Seeded random numbers in [0, 1). */
  readonly random: () => number;
  /** Simulated wall clock in epoch ms. */
  readonly now: () => number;
  /** When the function's timeout cuts this invocation off, epoch ms (Lambda's getRemainingTimeInMillis, as a time). */
  readonly deadline?: number;
  readonly log?: (line: object) => void;
}

/**
 * Handles one EventBridge lifecycle event, like a Lambda invocation. A thrown error is a
 * failed invocation (the runner retries it as Lambda's asynchronous invocation does).
 */
export type Allocator = ((event: unknown, ctx: AllocatorContext) => Promise<unknown>) & {
  /**
   * Attempts per SDK call the allocator's real clients make (their built-in retry of
   * throttling). @default 1 (the allocator sees every throttle)
   */
  readonly sdkMaxAttempts?: number;
};

/**
 * The allocators the CLI and the benchmarks compare: `project`, this project's lifecycle
 * Lambda (`lambdaAllocator`), and `baseline`, the reference system's (`baselineAllocator`).
 */
export const ALLOCATOR_NAMES = ["project", "baseline"] as const;
export type AllocatorName = (typeof ALLOCATOR_NAMES)[number];
