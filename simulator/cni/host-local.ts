/**
 * A model of the `host-local` CNI IPAM plugin, precise enough that the real binary
 * (containernetworking/plugins v1.1.1, Debian `containernetworking-plugins`) hands out the
 * same addresses for the same sequence of ADD and DEL (test/simulator/cni/host-local-real.test.ts).
 *
 * Sources (containernetworking/plugins, tag v1.1.1; unchanged in logic up to v1.9):
 * - plugins/ipam/host-local/backend/allocator/config.go  LoadIPAMConfig: the old single-range
 *   form (`subnet`, `rangeStart`, ...) is prepended to `ranges`; one address per range set.
 * - plugins/ipam/host-local/backend/allocator/range.go   Range.Canonicalize: defaults
 *   (gateway = network+1, rangeStart = network+1, rangeEnd = broadcast-1) and checks.
 * - plugins/ipam/host-local/backend/allocator/range_set.go  ranges within a set must not overlap.
 * - plugins/ipam/host-local/backend/allocator/allocator.go  Get/GetIter/RangeIter.Next: the
 *   search starts after the last reserved address of the range set (round robin), wraps over
 *   the set's ranges, skips the gateway, and stops where it started.
 * - plugins/ipam/host-local/backend/disk/backend.go  one file per address under
 *   dataDir/<network name>, `last_reserved_ip.<range set index>` kept on release.
 *
 * The state lives on each node's disk: nothing is shared between nodes. That is why one
 * host-local range used on several nodes hands out the same addresses twice.
 */
import { PlanError, Subnet, intToIp, isIpv4, ipToInt, parseCidr } from "../../ipam";
import { JsonObject as Json, isObject } from "../../contract/json";

/** Default data directory of host-local (backend/disk/backend.go `defaultDataDir`). */
export const HOST_LOCAL_DEFAULT_DATA_DIR = "/var/lib/cni/networks";

/** One canonical range: all bounds are 32-bit address numbers. */
export interface HostLocalRange {
  readonly subnet: Subnet;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly gateway: number;
}

/** A validated host-local IPAM config: one address per range set. */
export interface HostLocalConfig {
  /** The CNI network name (`name` of the CNI config): the store directory under dataDir. */
  readonly name: string;
  readonly dataDir: string;
  readonly rangeSets: readonly (readonly HostLocalRange[])[];
}


function ipField(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !isIpv4(value)) {
    throw new PlanError(field, `"${String(value)}" is not an IPv4 address`, "give a dotted-quad address such as 10.0.4.70");
  }
  return ipToInt(value);
}

function inRange(r: { subnet: Subnet; rangeStart?: number; rangeEnd?: number }, ip: number): boolean {
  return ip >= r.subnet.base && ip <= r.subnet.last && (r.rangeStart === undefined || ip >= r.rangeStart) && (r.rangeEnd === undefined || ip <= r.rangeEnd);
}

/** Range.Canonicalize (range.go), with errors naming the field. */
function canonicalRange(raw: Json, field: string): HostLocalRange {
  if (typeof raw.subnet !== "string") {
    throw new PlanError(`${field}.subnet`, "is missing", 'give the subnet as a CIDR, e.g. "subnet": "10.0.4.0/24"');
  }
  const subnet = parseCidr(raw.subnet, `${field}.subnet`);
  // range.go: "Network %s too small to allocate from" for /31 and /32.
  if (subnet.prefix > 30) throw new PlanError(`${field}.subnet`, `${subnet.cidr} is too small to allocate from`, "use a /30 or larger subnet");
  if (intToIp(subnet.base) !== raw.subnet.split("/")[0]) {
    throw new PlanError(`${field}.subnet`, `"${raw.subnet}" has host bits set`, `write it as ${subnet.cidr}`);
  }
  const gateway = ipField(raw.gateway, `${field}.gateway`) ?? subnet.base + 1;
  const start = ipField(raw.rangeStart, `${field}.rangeStart`);
  const end = ipField(raw.rangeEnd, `${field}.rangeEnd`);
  // range.go checks rangeStart with Contains() while rangeEnd is already set, so a start
  // past the end fails as "not in network" too.
  if (start !== undefined && !inRange({ subnet, rangeEnd: end }, start)) {
    throw new PlanError(`${field}.rangeStart`, `${intToIp(start)} is not in ${subnet.cidr}${end !== undefined ? ` before rangeEnd ${intToIp(end)}` : ""}`, `pick an address inside ${subnet.cidr}, at or before rangeEnd`);
  }
  const rangeStart = start ?? subnet.base + 1;
  if (end !== undefined && !inRange({ subnet, rangeStart }, end)) {
    throw new PlanError(`${field}.rangeEnd`, `${intToIp(end)} is not in ${subnet.cidr} at or after rangeStart ${intToIp(rangeStart)}`, `pick an address inside ${subnet.cidr}, at or after rangeStart`);
  }
  // lastIP(): broadcast - 1 for IPv4.
  const rangeEnd = end ?? subnet.last - 1;
  return { subnet, rangeStart, rangeEnd, gateway };
}

function rangesOverlap(a: HostLocalRange, b: HostLocalRange): boolean {
  // Range.Overlaps (range.go): either range contains the other's start or end.
  const c = (r: HostLocalRange, ip: number) => inRange(r, ip);
  return c(a, b.rangeStart) || c(a, b.rangeEnd) || c(b, a.rangeStart) || c(b, a.rangeEnd);
}

/**
 * Validates a host-local `ipam` object as the plugin's LoadIPAMConfig does. `name` is the CNI
 * network name (the plugin refuses to run without it in practice: it names the store).
 * `field` prefixes error fields, e.g. `nad.yaml: spec.config.ipam`.
 */
export function hostLocalConfig(ipam: unknown, name: string, field = "ipam"): HostLocalConfig {
  if (!isObject(ipam)) throw new PlanError(field, "is not an object", "give the IPAM settings as a JSON object");
  const sets: HostLocalRange[][] = [];
  if (ipam.subnet !== undefined) sets.push([canonicalRange(ipam, field)]);
  if (ipam.ranges !== undefined) {
    if (!Array.isArray(ipam.ranges)) throw new PlanError(`${field}.ranges`, "is not a list", 'write "ranges": [[{"subnet": "10.0.4.0/24"}]] (a list of range sets, each a list of ranges)');
    ipam.ranges.forEach((set, i) => {
      const at = `${field}.ranges[${i}]`;
      if (!Array.isArray(set) || set.length === 0) throw new PlanError(at, "is not a non-empty list of ranges", 'each range set is a list: [{"subnet": ...}]');
      const ranges = set.map((r, j) => {
        if (!isObject(r)) throw new PlanError(`${at}[${j}]`, "is not an object", 'give {"subnet": ..., "rangeStart": ..., "rangeEnd": ...}');
        return canonicalRange(r, `${at}[${j}]`);
      });
      for (let a = 0; a < ranges.length; a++)
        for (let b = a + 1; b < ranges.length; b++)
          if (rangesOverlap(ranges[a]!, ranges[b]!)) throw new PlanError(at, `ranges ${a} and ${b} overlap`, "make the ranges of a set disjoint");
      sets.push(ranges);
    });
  }
  if (sets.length === 0) throw new PlanError(field, "has no IP ranges (no subnet, no ranges)", 'add "subnet", "rangeStart", "rangeEnd" or a "ranges" list');
  for (let a = 0; a < sets.length; a++)
    for (let b = a + 1; b < sets.length; b++)
      if (sets[a]!.some((x) => sets[b]!.some((y) => rangesOverlap(x, y)))) {
        throw new PlanError(field, `range set ${a} overlaps range set ${b}`, "make the range sets disjoint");
      }
  const dataDir = typeof ipam.dataDir === "string" && ipam.dataDir !== "" ? ipam.dataDir : HOST_LOCAL_DEFAULT_DATA_DIR;
  return { name, dataDir, rangeSets: sets };
}

/** Addresses a range set can hand out, in the plugin's order from a fresh store. */
export function hostLocalAddresses(set: readonly HostLocalRange[]): number[] {
  const out: number[] = [];
  for (const r of set) for (let ip = r.rangeStart; ip <= r.rangeEnd; ip++) if (ip !== r.gateway) out.push(ip);
  return out;
}

/** A failed ADD, worded like the plugin's error. */
export class HostLocalError extends Error {
  override readonly name = "HostLocalError";
}

interface Owner {
  readonly containerId: string;
  readonly ifName: string;
}

/** One node's store directory (dataDir/name): an owner per address and the last reserved address per range set. */
class Store {
  readonly owners = new Map<number, Owner>();
  readonly lastReserved = new Map<number, number>();
}

export interface HostLocalAllocation {
  readonly node: string;
  readonly network: string;
  readonly ip: string;
  readonly containerId: string;
  readonly ifName: string;
}

/**
 * host-local across a cluster: one store per node and network directory, exactly as each
 * node's disk holds it. `add` and `del` are the plugin's ADD and DEL.
 */
export class HostLocalModel {
  private readonly stores = new Map<string, Store>();

  private store(node: string, config: HostLocalConfig): Store {
    const key = `${node}\u0000${config.dataDir}/${config.name}`;
    let s = this.stores.get(key);
    if (!s) this.stores.set(key, (s = new Store()));
    return s;
  }

  /** CNI ADD: one address per range set (dotted quads), or throws HostLocalError. */
  add(node: string, config: HostLocalConfig, containerId: string, ifName = "net1"): string[] {
    const store = this.store(node, config);
    const got: number[] = [];
    for (let idx = 0; idx < config.rangeSets.length; idx++) {
      const set = config.rangeSets[idx]!;
      try {
        got.push(this.get(store, set, idx, containerId, ifName));
      } catch (err) {
        // main.go cmdAdd: release whatever this ADD already took, then fail.
        if (got.length > 0) this.release(store, containerId, ifName);
        throw new HostLocalError(`failed to allocate for range ${idx}: ${(err as Error).message}`);
      }
    }
    return got.map(intToIp);
  }

  /** CNI DEL: releases every address of the container and interface; unknown ids are fine. */
  del(node: string, config: HostLocalConfig, containerId: string, ifName = "net1"): void {
    this.release(this.store(node, config), containerId, ifName);
  }

  /** Every address held, on every node. */
  allocations(): HostLocalAllocation[] {
    const out: HostLocalAllocation[] = [];
    for (const [key, store] of this.stores) {
      const [node, dir] = key.split("\u0000") as [string, string];
      const network = dir.slice(dir.lastIndexOf("/") + 1);
      for (const [ip, o] of [...store.owners].sort((a, b) => a[0] - b[0])) out.push({ node, network, ip: intToIp(ip), containerId: o.containerId, ifName: o.ifName });
    }
    return out;
  }

  private release(store: Store, containerId: string, ifName: string): void {
    // disk.ReleaseByID removes the address files; last_reserved_ip.* stay as they are.
    for (const [ip, o] of store.owners) if (o.containerId === containerId.trim() && o.ifName === ifName) store.owners.delete(ip);
  }

  /** allocator.go Get without a requested IP. */
  private get(store: Store, set: readonly HostLocalRange[], rangeId: number, containerId: string, ifName: string): number {
    const id = containerId.trim();
    for (const [ip, o] of store.owners) {
      if (o.containerId === id && o.ifName === ifName && set.some((r) => inRange(r, ip))) {
        throw new Error(`${intToIp(ip)} has been allocated to ${containerId}, duplicate allocation is not allowed`);
      }
    }
    const iter = new RangeIter(set, store.lastReserved.get(rangeId));
    for (let ip = iter.next(); ip !== undefined; ip = iter.next()) {
      if (!store.owners.has(ip)) {
        store.owners.set(ip, { containerId: id, ifName });
        store.lastReserved.set(rangeId, ip);
        return ip;
      }
    }
    throw new Error(`no IP addresses available in range set: ${set.map((r) => `${intToIp(r.rangeStart)}-${intToIp(r.rangeEnd)}`).join(",")}`);
  }
}

/** allocator.go RangeIter: round robin from the last reserved address, over the set's ranges. */
class RangeIter {
  private idx = 0;
  private cur: number | undefined;
  private startIp: number | undefined;

  constructor(
    private readonly set: readonly HostLocalRange[],
    lastReserved: number | undefined,
  ) {
    // GetIter: resume after the last reserved address when it is still inside the set.
    const at = lastReserved === undefined ? -1 : set.findIndex((r) => inRange(r, lastReserved));
    if (at >= 0) {
      this.idx = at;
      this.cur = lastReserved;
    } else {
      this.startIp = set[0]!.rangeStart;
    }
  }

  next(): number | undefined {
    for (;;) {
      let r = this.set[this.idx]!;
      if (this.cur === undefined) {
        this.cur = r.rangeStart;
        this.startIp = this.cur;
        if (this.cur === r.gateway) continue;
        return this.cur;
      }
      if (this.cur === r.rangeEnd) {
        this.idx = (this.idx + 1) % this.set.length;
        r = this.set[this.idx]!;
        this.cur = r.rangeStart;
      } else {
        this.cur += 1;
      }
      if (this.startIp === undefined) this.startIp = this.cur;
      else if (this.cur === this.startIp) return undefined;
      if (this.cur === r.gateway) continue;
      return this.cur;
    }
  }
}
