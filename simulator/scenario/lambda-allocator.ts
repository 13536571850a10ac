import type { MultusConfig } from "../../ipam/config";
import { LambdaEnvironmentExtra, lambdaEnvironment } from "../../ipam/lambda-env";
import { parseLambdaGroups } from "../../contract/lambda-env";
import type { NetworkPlan } from "../../ipam/plan";
import { SDK_MAX_ATTEMPTS } from "../../lambda/clients";
import { createHandler } from "../../lambda/handler";
import { DEFAULT_GROUP_NAME } from "./runner";
import type { Allocator, AllocatorContext } from "./types";

/**
 * This project's lifecycle Lambda as a scenario allocator: the handler's own code
 * (lambda/handler.ts `createHandler`) over the simulator's clients, configured exactly as
 * deployed: the environment the AWS stack writes (`lambdaEnvironment`) read back by
 * `parseLambdaGroups`, as the function's cold start does. Its sleeps and random choices go
 * through the scenario, so the run stays replayable. A single group's Auto Scaling group name
 * defaults to the scenario's; several groups take theirs from `extra.groups`.
 */
export function lambdaAllocator(plan: NetworkPlan, config: MultusConfig, extra: LambdaEnvironmentExtra = {}): Allocator {
  const lambdaConfig = parseLambdaGroups(lambdaEnvironment(config, plan, { autoScalingGroupName: DEFAULT_GROUP_NAME, ...extra }));
  const allocator = (event: unknown, ctx: AllocatorContext) =>
    createHandler({
      ec2: ctx.ec2,
      autoscaling: ctx.autoscaling,
      config: lambdaConfig,
      sleep: ctx.sleep,
      random: ctx.random,
      now: ctx.now,
      log: ctx.log ?? (() => undefined),
    })(event, ctx.deadline === undefined ? undefined : { getRemainingTimeInMillis: () => ctx.deadline! - ctx.now() });
  // The deployed function's SDK clients retry throttling themselves (lambda/clients.ts).
  return Object.assign(allocator, { sdkMaxAttempts: SDK_MAX_ATTEMPTS });
}
