import type { AgentConfig } from "../contract/agent-env";
import { ImdsGet, resolveIdentity } from "./config";
import { KubeApi, WatchHandle } from "./kube";
import { ReconcileLoop, Timers, doublingBackoffMs } from "./loop";
import { HostNetworkView, fileHostView, liftStartupTaint, newTaintMemory } from "./readiness";
import { Ec2, IPV6_MOVE_RETRY_MS, LogLine, newAgentMemory, reconcileNode } from "./reconcile";

export interface AgentDeps {
  readonly config: AgentConfig;
  readonly ec2: Ec2;
  readonly kube: KubeApi;
  readonly imds: ImdsGet;
  readonly log: (line: LogLine) => void;
  readonly timers?: Timers;
  /** The host's multus network state. @default files at config.host */
  readonly host?: HostNetworkView;
}

/**
 * Rounds while the node waits for its multus network, instead of every sync period: ENIs
 * attach and Multus starts within seconds to a minute of the kubelet registering. Each round is
 * one DescribeNetworkInterfaces and one node GET, only until the taint is gone.
 */
export const STARTUP_ROUND_MS = 5000;

export interface RunningAgent {
  readonly loop: ReconcileLoop;
  /** Stops the watch and the loop, waiting for a round in progress. */
  stop(): Promise<void>;
}

/** Backoff before re-opening a watch that ended, and its cap. */
const WATCH_RETRY = { minMs: 1000, maxMs: 30000 };

/**
 * Starts the agent: finds the node's instance, then reconciles at once, on every pod event
 * of the node (debounced) and every sync period. A watch that ends is re-opened (with
 * backoff when it fails to open) and followed by a round, since events may have been missed
 * while it was down.
 */
export async function startAgent(deps: AgentDeps): Promise<RunningAgent> {
  const { config, log } = deps;
  const timers = deps.timers ?? { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
  const identity = await resolveIdentity(config, deps.kube, deps.imds);
  log({
    msg: "starting",
    node: config.nodeName,
    instanceId: identity.instanceId,
    instanceType: identity.instanceType ?? "unknown",
    podsPerEni: identity.podsPerEni ?? "unknown (EC2 enforces it)",
    sources: identity.sources,
    tag: config.tagValue === undefined ? config.tagKey : `${config.tagKey}=${config.tagValue}`,
    syncPeriodSeconds: config.syncPeriodSeconds,
  });
  const memory = newAgentMemory();
  const taint = newTaintMemory();
  const host = deps.host ?? fileHostView(config.host);
  const loop = new ReconcileLoop({
    run: async () => {
      const r = await reconcileNode({
        ec2: deps.ec2,
        kube: deps.kube,
        nodeName: config.nodeName,
        instanceId: identity.instanceId,
        tagKey: config.tagKey,
        ...(config.tagValue !== undefined ? { tagValue: config.tagValue } : {}),
        ...(identity.podsPerEni !== undefined ? { podsPerEni: identity.podsPerEni } : {}),
        memory,
        log,
      });
      if (r.assigned.length || r.unassigned.length || r.errors.length) {
        log({ msg: "reconciled", assigned: r.assigned.length, unassigned: r.unassigned.length, errors: r.errors.length });
      }
      const outcome = await liftStartupTaint({ kube: deps.kube, nodeName: config.nodeName, host, memory: taint, log }, r.enis);
      // A pod's IPv6 address still on its old node's ENI: come back soon rather than a sync period later.
      const again = Math.min(outcome === "waiting" || outcome === "failed" ? STARTUP_ROUND_MS : Infinity, r.waiting.length ? IPV6_MOVE_RETRY_MS : Infinity);
      return again < Infinity ? { againInMs: again } : undefined;
    },
    resyncMs: config.syncPeriodSeconds * 1000,
    debounceMs: config.debounceMs,
    retry: { minMs: 1000, maxMs: config.syncPeriodSeconds * 1000 },
    timers,
    log,
  });

  let stopped = false;
  let watch: WatchHandle | undefined;
  let watchFailures = 0;
  let reopen: unknown;
  const openWatch = async (): Promise<void> => {
    if (stopped) return;
    try {
      watch = await deps.kube.watchPods(config.nodeName, () => loop.trigger(), (err) => {
        watch = undefined;
        if (stopped) return;
        if (err) log({ level: "warn", msg: "pod watch ended", error: String(err) });
        loop.trigger();
        // A short pause, so a server that keeps closing the watch cannot make it spin.
        reopen = timers.setTimeout(() => void openWatch(), WATCH_RETRY.minMs);
      });
      watchFailures = 0;
      if (stopped) watch.stop();
    } catch (err) {
      watchFailures++;
      const wait = doublingBackoffMs(watchFailures, WATCH_RETRY);
      log({ level: "warn", msg: "opening the pod watch failed; retrying", error: String(err), retryInMs: wait });
      reopen = timers.setTimeout(() => void openWatch(), wait);
    }
  };
  await openWatch();
  loop.start();

  return {
    loop,
    stop: async () => {
      stopped = true;
      if (reopen !== undefined) timers.clearTimeout(reopen);
      watch?.stop();
      await loop.stop();
      log({ msg: "stopped", rounds: loop.rounds });
    },
  };
}
