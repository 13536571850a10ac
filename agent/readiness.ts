import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { errorText } from "../contract/aws-errors";
import { PlanError } from "../contract/errors";
import { EniRecord, NODE_NETWORK_PATHS, STARTUP_TAINT, parseEniRecord, parseExpectedDevices } from "../contract/node-network";
import { KubeApi, NodeInfo } from "./kube";
import type { LogLine, NodeEni } from "./reconcile";

/**
 * The startup taint: a multus node registers with STARTUP_TAINT (the user data's kubelet
 * registerWithTaints), so no pod lands before its extra interfaces can be made; the agent lifts
 * it once every multus ENI the node expects is attached (EC2), named, up and recorded by
 * multus-eni (the host), and Multus's CNI configuration is on the node.
 */

/** A host interface as sysfs shows it. */
export interface HostLink {
  readonly mac: string;
  /** IFF_UP: administratively up. */
  readonly up: boolean;
}

/** What the agent reads of the host (files; the simulator gives a model instead). */
export interface HostNetworkView {
  /** The device indexes multus-eni expects on this node; undefined until it has run. */
  expectedDevices(): Promise<number[] | undefined>;
  /** multus-eni's records, and the ones it could not read. */
  eniRecords(): Promise<{ records: EniRecord[]; unreadable: string[] }>;
  link(iface: string): Promise<HostLink | undefined>;
  /** Whether Multus has written its CNI configuration. */
  multusConfigured(): Promise<boolean>;
}

export interface HostPaths {
  readonly stateDir: string;
  readonly multusCniConfig: string;
  readonly sysClassNet: string;
}

/** The host as files: multus-eni's state directory, sysfs, Multus's configuration file. */
export function fileHostView(paths: HostPaths): HostNetworkView {
  const text = (file: string) => readFile(file, "utf8").catch(() => undefined);
  return {
    async expectedDevices() {
      const file = join(paths.stateDir, "expected");
      const t = await text(file);
      return t === undefined ? undefined : parseExpectedDevices(t, file);
    },
    async eniRecords() {
      const dir = join(paths.stateDir, "enis");
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
      const records: EniRecord[] = [];
      const unreadable: string[] = [];
      for (const n of names) {
        const file = join(dir, n);
        const t = await text(file);
        try {
          if (t !== undefined) records.push(parseEniRecord(t, file));
        } catch (err) {
          unreadable.push(err instanceof PlanError ? err.message : String(err));
        }
      }
      return { records, unreadable };
    },
    async link(iface) {
      const dir = join(paths.sysClassNet, iface);
      const [mac, flags] = await Promise.all([text(join(dir, "address")), text(join(dir, "flags"))]);
      if (mac === undefined || flags === undefined) return undefined;
      // include/uapi/linux/if.h: IFF_UP = 0x1.
      return { mac: mac.trim().toLowerCase(), up: (Number.parseInt(flags.trim(), 16) & 0x1) === 1 };
    },
    async multusConfigured() {
      // Multus writes it 0600 as root: its existence is all a non-root agent can check.
      return stat(paths.multusCniConfig).then(
        (s) => s.isFile(),
        () => false,
      );
    },
  };
}

export interface ReadinessInput {
  readonly expected?: readonly number[];
  readonly records: readonly EniRecord[];
  readonly unreadable?: readonly string[];
  /** The host's interfaces by name (those the records name). */
  readonly links: ReadonlyMap<string, HostLink>;
  readonly multusConfigured: boolean;
  /** The node's multus ENIs as EC2 describes them (tagged, attached to this instance). */
  readonly enis: readonly NodeEni[];
}

export interface Readiness {
  readonly ready: boolean;
  /** What is missing, one line each; empty when ready. */
  readonly waitingFor: string[];
}

/** Pure: whether the node's multus network is ready, and if not, what it waits for. */
export function networkReadiness(input: ReadinessInput): Readiness {
  const waitingFor: string[] = [];
  if (input.expected === undefined) {
    waitingFor.push(`multus-eni has not run on the node yet (no ${NODE_NETWORK_PATHS.stateDir}/expected)`);
  }
  for (const line of input.unreadable ?? []) waitingFor.push(line);
  for (const device of input.expected ?? []) {
    const eni = input.enis.find((e) => e.deviceIndex === device);
    const record = input.records.find((r) => r.device === device);
    if (!eni) waitingFor.push(`device ${device}: no multus ENI of this node is attached at device index ${device} in EC2`);
    else if (eni.attachmentStatus !== undefined && eni.attachmentStatus !== "attached") waitingFor.push(`device ${device}: ${eni.eniId} is ${eni.attachmentStatus}`);
    if (!record) {
      waitingFor.push(`device ${device}: multus-eni has not named it yet`);
      continue;
    }
    if (eni?.macAddress !== undefined && eni.macAddress !== record.mac) {
      waitingFor.push(`device ${device}: the host named ${record.interface} (${record.mac}), but EC2 has ${eni.eniId} (${eni.macAddress}) there`);
    }
    const link = input.links.get(record.interface);
    if (!link || link.mac !== record.mac) waitingFor.push(`device ${device}: interface ${record.interface} (${record.mac}) is gone from the host`);
    else if (!link.up) waitingFor.push(`device ${device}: interface ${record.interface} is down`);
  }
  if (!input.multusConfigured) waitingFor.push(`Multus has not written ${NODE_NETWORK_PATHS.multusCniConfig} yet`);
  return { ready: waitingFor.length === 0, waitingFor };
}

/** Reads the host's side of the readiness check. */
export async function readHost(host: HostNetworkView): Promise<Omit<ReadinessInput, "enis">> {
  const [expected, { records, unreadable }, multusConfigured] = await Promise.all([host.expectedDevices(), host.eniRecords(), host.multusConfigured()]);
  const links = new Map<string, HostLink>();
  for (const r of records) {
    const link = await host.link(r.interface);
    if (link) links.set(r.interface, link);
  }
  return { ...(expected !== undefined ? { expected } : {}), records, unreadable, links, multusConfigured };
}

/** What the agent remembers between rounds about the taint. */
export interface TaintMemory {
  /** The taint is gone (lifted by us or never there): nothing more to do in this agent run. */
  done: boolean;
  /** The last reasons logged, so a node that keeps waiting logs once per change. */
  lastWaiting?: string;
}

export function newTaintMemory(): TaintMemory {
  return { done: false };
}

export type TaintOutcome = "absent" | "lifted" | "waiting" | "failed";

export interface TaintDeps {
  readonly kube: Pick<KubeApi, "getNode" | "removeNodeTaint">;
  readonly nodeName: string;
  readonly host: HostNetworkView;
  readonly memory: TaintMemory;
  readonly log?: (line: LogLine) => void;
}

/**
 * One readiness round: if the node still has the startup taint and its multus network is
 * ready (`enis`: what this round's DescribeNetworkInterfaces returned), removes the taint.
 * A failed read or patch (a 409 when the node changed meanwhile) is retried next round.
 */
export async function liftStartupTaint(deps: TaintDeps, enis: readonly NodeEni[]): Promise<TaintOutcome> {
  const log = deps.log ?? (() => undefined);
  if (deps.memory.done) return "absent";
  let node: NodeInfo;
  try {
    node = await deps.kube.getNode(deps.nodeName);
  } catch (err) {
    log({ level: "warn", msg: "reading the node for its startup taint failed; retried next round", error: errorText(err) });
    return "failed";
  }
  if (!(node.taints ?? []).some((t) => t.key === STARTUP_TAINT.key)) {
    deps.memory.done = true;
    return "absent";
  }
  const readiness = networkReadiness({ ...(await readHost(deps.host)), enis });
  if (!readiness.ready) {
    const text = readiness.waitingFor.join("; ");
    if (text !== deps.memory.lastWaiting) log({ msg: "startup taint stays: the node's multus network is not ready", waitingFor: readiness.waitingFor });
    deps.memory.lastWaiting = text;
    return "waiting";
  }
  try {
    await deps.kube.removeNodeTaint(deps.nodeName, STARTUP_TAINT.key, node);
  } catch (err) {
    log({ level: "warn", msg: "removing the startup taint failed; retried next round", error: errorText(err) });
    return "failed";
  }
  deps.memory.done = true;
  log({ msg: "startup taint lifted: multus ENIs attached, named and up, Multus configured", taint: STARTUP_TAINT.key, devices: enis.map((e) => e.deviceIndex) });
  return "lifted";
}
