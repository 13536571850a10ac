import type { MultusConfig } from "../../ipam/config";
import type { NetworkPlan } from "../../ipam/plan";
import type { LifecycleEvent } from "../autoscaling/model";
import type { DhcpPolicy } from "../ec2/model";
import { SimWorld, TimingName, buildConfigWorld } from "../world";
import { startServer } from "./server";

export interface ServeOptions {
  /** The world to build: the AWS stack of this config. Without one the account starts empty but for a VPC. */
  readonly config?: { readonly config: MultusConfig; readonly plan: NetworkPlan };
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "aws" */
  readonly timing?: TimingName;
  /** @default 1 */
  readonly seed?: number;
  /** @default "random" */
  readonly dhcp?: DhcpPolicy;
  /** Every lifecycle-action event, as EventBridge would deliver it. */
  readonly onEvent?: (event: LifecycleEvent) => void;
  /** Called once the port is open, before the config's group launches its first instances. */
  readonly onListening?: (url: string) => void;
  readonly log?: (line: Record<string, unknown>) => void;
  /** Wall clock, epoch ms (timing `aws` follows it). @default Date.now */
  readonly now?: () => number;
}

export interface Serving {
  readonly url: string;
  readonly world: SimWorld;
  /** The config's Auto Scaling group, if a config was given. */
  readonly autoScalingGroupName?: string;
  close(): Promise<void>;
}

/** How often the `aws` clock catches up with wall time between requests (hook timeouts fire on it). */
const TICK_MS = 1000;

/**
 * The simulator as an endpoint: a world (from a config, or empty) served over HTTP. With
 * timing `aws` the simulated clock runs at wall-clock speed (it catches up before every
 * request and every second); with `instant` it stands still, so nothing happens that a
 * request did not cause.
 */
export async function serve(opts: ServeOptions = {}): Promise<Serving> {
  const timing = opts.timing ?? "aws";
  const wall = opts.now ?? Date.now;
  const started = wall();
  const world = new SimWorld({
    epochMs: started,
    seed: opts.seed ?? 1,
    dhcp: opts.dhcp ?? "random",
    timing,
    ...(opts.config ? { region: opts.config.config.region, vpc: opts.config.config.vpc } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const catchUp = () => {
    if (timing === "aws") world.advance(wall() - started - world.now);
  };
  const server = await startServer({
    endpoint: { operations: { ec2: world.ec2Operations, autoscaling: world.autoScalingOperations }, beforeRequest: catchUp },
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    ...(opts.log ? { log: opts.log } : {}),
  });
  opts.onListening?.(server.url);
  let autoScalingGroupName: string | undefined;
  try {
    if (opts.config) autoScalingGroupName = (await buildConfigWorld(world, opts.config.config, opts.config.plan)).autoScalingGroupName;
  } catch (err) {
    await server.close();
    throw err;
  }
  const tick = timing === "aws" ? setInterval(catchUp, TICK_MS) : undefined;
  tick?.unref();
  return {
    url: server.url,
    world,
    ...(autoScalingGroupName ? { autoScalingGroupName } : {}),
    close: async () => {
      if (tick) clearInterval(tick);
      await server.close();
    },
  };
}
