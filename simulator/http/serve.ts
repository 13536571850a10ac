import type { MultusConfig } from "../../ipam/config";
import type { NetworkPlan } from "../../ipam/plan";
import type { LifecycleEvent } from "../autoscaling/model";
import type { DhcpPolicy } from "../ec2/model";
import { DiscreteClock, SimClock, WallClock } from "../clock";
import type { TimingName, TimingProfile } from "../timing";
import { SimWorld, buildConfigWorld } from "../world";
import { startServer } from "./server";

export interface ServeOptions {
  /** The world to build: the AWS stack of this config. Without one the account starts empty but for a VPC. */
  readonly config?: { readonly config: MultusConfig; readonly plan: NetworkPlan };
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "aws" */
  readonly timing?: TimingName | TimingProfile;
  /** Simulated ms per wall-clock ms under `aws` (a test that will not wait real minutes). @default 1 */
  readonly speed?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default "random" */
  readonly dhcp?: DhcpPolicy;
  /** Every lifecycle-action event, as EventBridge would deliver it. */
  readonly onEvent?: (event: LifecycleEvent) => void;
  /** Called once the port is open, before the config's group launches its first instances. */
  readonly onListening?: (url: string) => void;
  readonly log?: (line: Record<string, unknown>) => void;
  /** Wall clock, epoch ms (the `aws` clock follows it). @default Date.now */
  readonly now?: () => number;
}

export interface Serving {
  readonly url: string;
  readonly world: SimWorld;
  /** The config's Auto Scaling group, if a config was given. */
  readonly autoScalingGroupName?: string;
  close(): Promise<void>;
}

/**
 * The simulator as an endpoint: a world (from a config, or empty) served over HTTP. Under
 * `aws` the simulated clock follows the wall clock (a WallClock): attachments complete,
 * instances leave `pending`, shutdowns end and hooks time out on real timers, after the
 * profile's times, whether or not a request comes. Under `instant` it stands still, so
 * nothing happens that a request did not cause.
 */
export async function serve(opts: ServeOptions = {}): Promise<Serving> {
  const timing = opts.timing ?? "aws";
  const name = typeof timing === "object" ? timing.name : timing;
  const wall = opts.now ?? Date.now;
  const seed = opts.seed ?? 1;
  const clock: SimClock = name === "aws" ? new WallClock({ seed, wall, ...(opts.speed !== undefined ? { speed: opts.speed } : {}) }) : new DiscreteClock(seed);
  const world = new SimWorld({
    epochMs: wall(),
    seed,
    dhcp: opts.dhcp ?? "random",
    timing,
    clock,
    ...(opts.config ? { region: opts.config.config.region, vpc: opts.config.config.vpc } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
  const server = await startServer({
    endpoint: {
      operations: { ec2: world.ec2Operations, autoscaling: world.autoScalingOperations },
      // What fell due since the last timer fired happens before the request is answered.
      ...(clock instanceof WallClock ? { beforeRequest: () => clock.catchUp() } : {}),
    },
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    ...(opts.log ? { log: opts.log } : {}),
  });
  opts.onListening?.(server.url);
  let autoScalingGroupName: string | undefined;
  try {
    if (opts.config) autoScalingGroupName = (await buildConfigWorld(world, opts.config.config, opts.config.plan)).autoScalingGroupName;
  } catch (err) {
    if (clock instanceof WallClock) clock.stop();
    await server.close();
    throw err;
  }
  return {
    url: server.url,
    world,
    ...(autoScalingGroupName ? { autoScalingGroupName } : {}),
    close: async () => {
      if (clock instanceof WallClock) clock.stop();
      await server.close();
    },
  };
}
