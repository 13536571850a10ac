import { EC2Client } from "@aws-sdk/client-ec2";
import { PlanError } from "../contract/errors";
import { startAgent } from "./agent";
import { parseAgentEnv } from "./config";
import { imdsV2 } from "./imds";
import { KubeClient } from "./kube-client";
import type { LogLine } from "./reconcile";

/** One JSON object per line on stdout (what `kubectl logs` and log shippers read best). */
function log(line: LogLine): void {
  const { level = "info", msg, ...rest } = line;
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...rest })}\n`);
}

/**
 * The DaemonSet's entry point: validates the environment (exit 2 with the variable named),
 * starts the agent, and stops it on SIGTERM/SIGINT (the kubelet's termination signal) after
 * the round in progress, within the pod's grace period.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = parseAgentEnv(env);
  } catch (err) {
    if (err instanceof PlanError) {
      log({ level: "error", msg: err.message, variable: err.field });
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  // Adaptive retry: the SDK backs off on throttling before the agent sees an error
  // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
  const ec2 = new EC2Client({ region: config.region, retryMode: "adaptive", maxAttempts: 5 });
  const kube = new KubeClient(config.nodeName);
  const agent = await startAgent({ config, ec2, kube, imds: imdsV2(), log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ msg: "signal received; stopping", signal });
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log({ level: "error", msg: "stopping failed", error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    log({ level: "error", msg: "agent failed to start", error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    process.exit(1);
  });
}
