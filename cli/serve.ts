import { appendFileSync, closeSync, openSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { PlanError, planNetwork } from "../ipam";
import { DHCP_POLICIES, DhcpPolicy } from "../simulator/ec2/model";
import type { LifecycleEvent } from "../simulator/autoscaling/model";
import type { TimingName } from "../simulator/timing";
import { EXIT, parseIntFlag, reportError, timingOption } from "./common";
import { loadConfig } from "./config-file";

export interface ServeFlags {
  config?: string;
  port: number;
  host: string;
  events?: string;
  timing: TimingName;
  seed: number;
  dhcp: DhcpPolicy;
  empty?: boolean;
}

/**
 * The endpoint pulls in both SDK clients' schemas (~70 MB, a second or more to load): load it
 * only when serving, so the other commands start fast.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const endpoint = (): typeof import("../simulator/http/serve") => require("../simulator/http/serve");

/** The default port: free of LocalStack's 4566 and moto's 5000, so they can run side by side. */
export const DEFAULT_PORT = 4599;

function portFlag(value: string): number {
  const n = parseIntFlag("--port", 0)(value);
  if (n > 65535) throw new InvalidArgumentError(`--port takes 0 to 65535, got "${value}"`);
  return n;
}

/** Where the lifecycle events go: one JSON line each, appended to a file, or stdout for `-`. */
function eventSink(target: string | undefined): ((e: LifecycleEvent) => void) | undefined {
  if (target === undefined) return undefined;
  if (target === "-") return (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
  try {
    closeSync(openSync(target, "a"));
  } catch (err) {
    throw new PlanError("--events", `cannot write ${target}: ${(err as Error).message}`, "give a writable file path, or - for stdout");
  }
  return (e) => appendFileSync(target, `${JSON.stringify(e)}\n`);
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("Serve the simulated EC2 and Auto Scaling Query APIs over HTTP, with the config's VPC, subnets, reservations, security groups and Auto Scaling group")
    .option("--config <file>", "multus config (default: MULTUS_CONFIG, ./multus.config.json, else the embedded defaults)")
    .option("--port <n>", `TCP port; 0 picks a free one (default ${DEFAULT_PORT})`, portFlag, DEFAULT_PORT)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--events <file>", 'append every lifecycle-action event (EventBridge shape) as one JSON line; "-" for stdout')
    .addOption(timingOption("aws: as slow and as lazy as AWS documents, on the wall clock (attachments, pending instances, read lag, throttling, shutdowns, hook timeouts); instant: none of it, and the clock stands still"))
    .option("--seed <n>", "seed of DHCP picks and ids", parseIntFlag("--seed", 0), 1)
    .addOption(new Option("--dhcp <policy>", "how the simulated DHCP picks addresses").choices(DHCP_POLICIES).default("random"))
    .option("--empty", "start with an empty account (one VPC, 10.0.0.0/16), not the config's world")
    .addHelpText(
      "after",
      "\nExample:\n  multus-sim serve --port 4599 --events events.jsonl\n" +
        "  AWS_ENDPOINT_URL=http://127.0.0.1:4599 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-west-2 aws ec2 describe-subnets\n\n" +
        "The first line on stdout is `listening on http://HOST:PORT`. SIGTERM or SIGINT stops it (exit 0). Exit 2: bad input; 1: infeasible config.",
    )
    .action(async (flags: ServeFlags) => {
      try {
        const onEvent = eventSink(flags.events);
        const config = flags.empty ? undefined : loadConfig(flags.config).config;
        const serving = await endpoint().serve({
          ...(config ? { config: { config, plan: planNetwork(config) } } : {}),
          host: flags.host,
          port: flags.port,
          timing: flags.timing,
          seed: flags.seed,
          dhcp: flags.dhcp,
          ...(onEvent ? { onEvent } : {}),
          onListening: (url) => process.stdout.write(`listening on ${url}\n`),
          log: (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
        });
        if (serving.autoScalingGroupName) process.stderr.write(`serving Auto Scaling group ${serving.autoScalingGroupName} (timing ${flags.timing})\n`);
        const stop = () => {
          void serving.close().then(() => process.exit(EXIT.ok));
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === "EADDRINUSE" || e.code === "EADDRNOTAVAIL" || e.code === "EACCES") {
          process.exitCode = reportError(new PlanError(e.code === "EADDRINUSE" ? "--port" : "--host", `cannot listen on ${flags.host}:${flags.port}: ${e.code}`, "pick another --port (0 for a free one) or a local --host"));
        } else process.exitCode = reportError(err);
      }
    });
}
