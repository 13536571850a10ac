/**
 * A model of the whereabouts IPAM plugin (k8snetworkplumbingwg/whereabouts v0.9.4, the
 * version the project deploys): one cluster-wide IPPool per range, updated with optimistic
 * concurrency, so concurrent allocations on different nodes never hand out one address twice.
 *
 * Sources (k8snetworkplumbingwg/whereabouts, tag v0.9.4):
 * - pkg/config/config.go LoadIPAMConfig: the top-level `range`/`range_start`/`range_end`/
 *   `exclude` become the first entry of `ipRanges`; `range` may be `FIRST-LAST/PREFIX`.
 * - pkg/types/types.go: `enable_overlapping_ranges` defaults to true (DefaultOverlappingIPsFeatures).
 * - pkg/iphelpers/iphelpers.go GetIPRange: range_start/range_end count only when they lie inside
 *   the CIDR's usable addresses (network and broadcast excluded); otherwise they are ignored.
 * - pkg/allocate/allocate.go AssignIP/IterateForAssignment: an existing allocation of the same
 *   podRef and interface is returned; else the LOWEST address from the first usable one that is
 *   neither reserved nor inside an `exclude` CIDR. The gateway is NOT skipped.
 * - pkg/storage/kubernetes/ipam.go IPManagementKubernetesUpdate: read pool, assign, update the
 *   pool (the Kubernetes resourceVersion makes it a compare-and-swap); a conflict retries, up to
 *   storage.DatastoreRetries = 100 times. With node slices the pool is the node's slice, whose
 *   first..last usable addresses replace range_start/range_end (and `exclude` is dropped).
 * - pkg/iphelpers DivideRangeBySize and pkg/node-controller assignNodeToSlice: the `range` CIDR
 *   is cut into `node_slice_size` slices; each node takes the first free slice.
 * - IPv6 ranges (v0.9.4) go through the same code: GetIPRange leaves out the CIDR's first and
 *   last address for both families (FirstUsableIP/LastUsableIP), IterateForAssignment walks up
 *   from the first usable one. Pools key addresses by their offset from the range's network
 *   address, so of a range of /64 or wider only the first /65 is addressable (README, Note 2
 *   under the range parameters).
 */
import { IpRange, PlanError, Subnet, intToIp, isIpv4, ipToInt, parseCidr } from "../../ipam";
import { Ip6Range, Subnet6, bigToIp6, ip6ToBig, isIpv6, parseCidr6, subtractRanges6 } from "../../contract/address6";
import { JsonObject as Json, isObject } from "../../contract/json";

/** pkg/storage/storage.go DatastoreRetries. */
export const WHEREABOUTS_RETRIES = 100;

export interface WhereaboutsRange {
  /** The `range` CIDR: names the pool and bounds the search. */
  readonly range: Subnet;
  /** Configured range_start / range_end (may be ignored, see effectiveRange). */
  readonly rangeStart?: number;
  readonly rangeEnd?: number;
  readonly exclude: readonly IpRange[];
}

/** An IPv6 range of `ipRanges` (or the top-level `range`), as WhereaboutsRange. */
export interface WhereaboutsRange6 {
  readonly range: Subnet6;
  readonly rangeStart?: bigint;
  readonly rangeEnd?: bigint;
  readonly exclude: readonly Ip6Range[];
}

export interface WhereaboutsConfig {
  /** `network_name`; "" when unset (whereabouts' UnnamedNetwork). */
  readonly networkName: string;
  /** The IPv4 ranges. */
  readonly ranges: readonly WhereaboutsRange[];
  /** The IPv6 ranges: a dual-stack NAD gives a pod one address of each range of either family. */
  readonly ranges6: readonly WhereaboutsRange6[];
  /** `node_slice_size` as a prefix length. */
  readonly nodeSliceSize?: number;
  readonly overlappingRanges: boolean;
  /** `gateway`: only reported to the main plugin; the allocator does not skip it. */
  readonly gateway?: number;
  /** An IPv6 `gateway`. */
  readonly gateway6?: bigint;
}


function ip(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !isIpv4(value)) throw new PlanError(field, `"${String(value)}" is not an IPv4 address`, "give a dotted-quad address");
  return ipToInt(value);
}

function excludeList(value: unknown, field: string): IpRange[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new PlanError(field, "is not a list", 'write "exclude": ["10.0.4.0/28"]');
  // allocate.go parseExcludedRange: a CIDR, or a bare address as a /32.
  return value.map((v, i) => {
    const text = typeof v === "string" && isIpv4(v) ? `${v}/32` : v;
    const c = parseCidr(text, `${field}[${i}]`);
    return { first: c.base, last: c.last };
  });
}

/** True when a range's text (`CIDR` or `FIRST-LAST/PREFIX`) is IPv6. */
const isRange6 = (text: unknown) => typeof text === "string" && text.includes(":");

function ip6(value: unknown, field: string): bigint | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !isIpv6(value)) throw new PlanError(field, `"${String(value)}" is not an IPv6 address (the range is IPv6)`, "give an IPv6 address inside the range");
  return ip6ToBig(value);
}

function exclude6List(value: unknown, field: string): Ip6Range[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new PlanError(field, "is not a list", 'write "exclude": ["2001:db8::/120"]');
  return value.map((v, i) => {
    const text = typeof v === "string" && isIpv6(v) ? `${v}/128` : v;
    const c = parseCidr6(text, `${field}[${i}]`);
    return { first: c.first, last: c.last };
  });
}

function range6Config(raw: Json, field: string, exclude: unknown, excludeField: string): WhereaboutsRange6 {
  const text = String(raw.range);
  const dash = text.split("-");
  if (dash.length >= 2) {
    const first = ip6(dash[0], `${field}.range`);
    const rest = dash.slice(1).join("-");
    const range = parseCidr6(rest, `${field}.range`);
    const last = ip6ToBig(rest.split("/")[0]!);
    if (first === undefined || first < range.first || first > range.last) {
      throw new PlanError(`${field}.range`, `"${text}": the start is not inside ${range.cidr}`, "write FIRST-LAST/PREFIX with both addresses in the CIDR");
    }
    return { range, rangeStart: first, rangeEnd: last, exclude: exclude6List(exclude, excludeField) };
  }
  const range = parseCidr6(text, `${field}.range`);
  if (range.prefix > 126) throw new PlanError(`${field}.range`, `${range.cidr} has no usable addresses`, "use a /126 or larger range");
  return { range, rangeStart: ip6(raw.range_start, `${field}.range_start`), rangeEnd: ip6(raw.range_end, `${field}.range_end`), exclude: exclude6List(exclude, excludeField) };
}

function rangeConfig(raw: Json, field: string, exclude: unknown, excludeField: string): WhereaboutsRange {
  if (typeof raw.range !== "string" || raw.range === "") {
    throw new PlanError(`${field}.range`, "is missing", 'give the pool as a CIDR, e.g. "range": "10.0.4.0/24"');
  }
  const dash = raw.range.split("-");
  if (dash.length >= 2) {
    // config.go: "FIRST-LAST/PREFIX" sets range_start and range_end.
    const first = ip(dash[0], `${field}.range`);
    const rest = dash.slice(1).join("-");
    const range = parseCidr(rest, `${field}.range`);
    const last = ipToInt(rest.split("/")[0]!);
    if (first === undefined || first < range.base || first > range.last) {
      throw new PlanError(`${field}.range`, `"${raw.range}": the start is not inside ${range.cidr}`, "write FIRST-LAST/PREFIX with both addresses in the CIDR");
    }
    return { range, rangeStart: first, rangeEnd: last, exclude: excludeList(exclude, excludeField) };
  }
  const range = parseCidr(raw.range, `${field}.range`);
  if (range.prefix > 30) throw new PlanError(`${field}.range`, `${range.cidr} has no usable addresses`, "use a /30 or larger range");
  return {
    range,
    rangeStart: ip(raw.range_start, `${field}.range_start`),
    rangeEnd: ip(raw.range_end, `${field}.range_end`),
    exclude: excludeList(exclude, excludeField),
  };
}

/** Validates a whereabouts `ipam` object as config.go does; `field` prefixes error fields. */
export function whereaboutsConfig(ipam: unknown, field = "ipam"): WhereaboutsConfig {
  if (!isObject(ipam)) throw new PlanError(field, "is not an object", "give the IPAM settings as a JSON object");
  const ranges: WhereaboutsRange[] = [];
  const ranges6: WhereaboutsRange6[] = [];
  const add = (raw: Json, at: string, exclude: unknown, excludeField: string) => {
    if (isRange6(raw.range)) ranges6.push(range6Config(raw, at, exclude, excludeField));
    else ranges.push(rangeConfig(raw, at, exclude, excludeField));
  };
  if (typeof ipam.range === "string" && ipam.range !== "") add(ipam, field, ipam.exclude, `${field}.exclude`);
  if (ipam.ipRanges !== undefined && ipam.ipRanges !== null) {
    if (!Array.isArray(ipam.ipRanges)) throw new PlanError(`${field}.ipRanges`, "is not a list", 'write "ipRanges": [{"range": "10.0.4.0/24"}]');
    ipam.ipRanges.forEach((r, i) => {
      if (!isObject(r)) throw new PlanError(`${field}.ipRanges[${i}]`, "is not an object", 'give {"range": ...}');
      add(r, `${field}.ipRanges[${i}]`, r.exclude, `${field}.ipRanges[${i}].exclude`);
    });
  }
  if (ranges.length + ranges6.length === 0) throw new PlanError(`${field}.range`, "is missing (no range, no ipRanges)", 'give "range": "10.0.4.0/24" with range_start and range_end');
  let nodeSliceSize: number | undefined;
  if (ipam.node_slice_size !== undefined && ipam.node_slice_size !== "") {
    const m = /^\/?(\d{1,2})$/.exec(String(ipam.node_slice_size));
    const n = m ? Number(m[1]) : NaN;
    if (!(n >= 1 && n <= (ranges.length ? 30 : 126))) throw new PlanError(`${field}.node_slice_size`, `"${String(ipam.node_slice_size)}" is not a prefix length`, 'write it as "/28"');
    for (const r of ranges) {
      if (n < r.range.prefix) throw new PlanError(`${field}.node_slice_size`, `/${n} is larger than the range ${r.range.cidr}`, `use a prefix longer than /${r.range.prefix}`);
    }
    nodeSliceSize = n;
  }
  const overlapping = ipam.enable_overlapping_ranges;
  if (overlapping !== undefined && typeof overlapping !== "boolean") {
    throw new PlanError(`${field}.enable_overlapping_ranges`, `"${String(overlapping)}" is not a boolean`, "write true or false");
  }
  return {
    networkName: typeof ipam.network_name === "string" ? ipam.network_name : "",
    ranges,
    ranges6,
    nodeSliceSize,
    overlappingRanges: overlapping ?? true,
    ...(isRange6(ipam.gateway) ? { gateway6: ip6(ipam.gateway, `${field}.gateway`) } : { gateway: ip(ipam.gateway, `${field}.gateway`) }),
  };
}

/** iphelpers.GetIPRange: the first and last address the allocator walks for a range. */
export function effectiveRange(r: { range: Subnet; rangeStart?: number; rangeEnd?: number }): IpRange {
  let first = r.range.base + 1;
  let last = r.range.last - 1;
  if (r.rangeStart !== undefined && r.rangeStart >= first && r.rangeStart <= last) first = r.rangeStart;
  if (r.rangeEnd !== undefined && r.rangeEnd >= first && r.rangeEnd <= last) last = r.rangeEnd;
  return { first, last };
}

/** The first address whereabouts cannot address in an IPv6 range: past the first /65 of one of /64 or wider. */
export function unaddressableFrom6(range: Subnet6): bigint | undefined {
  return range.prefix <= 64 ? range.first + (1n << 63n) : undefined;
}

/** GetIPRange for an IPv6 range: as effectiveRange (the CIDR's first and last address left out). */
export function effectiveRange6(r: WhereaboutsRange6): Ip6Range {
  let first = r.range.first + 1n;
  let last = r.range.last - 1n;
  if (r.rangeStart !== undefined && r.rangeStart >= first && r.rangeStart <= last) first = r.rangeStart;
  if (r.rangeEnd !== undefined && r.rangeEnd >= first && r.rangeEnd <= last) last = r.rangeEnd;
  return { first, last };
}

/**
 * The addresses an IPv6 pool can hand out, as ranges (a /64 has too many to list): the
 * effective range without `exclude`, cut at the first unaddressable one (unaddressableFrom6).
 */
export function poolRanges6(r: WhereaboutsRange6): Ip6Range[] {
  const eff = effectiveRange6(r);
  const stop = unaddressableFrom6(r.range);
  const cut = stop !== undefined && stop <= eff.last ? [...r.exclude, { first: stop, last: eff.last }] : r.exclude;
  return stop !== undefined && stop <= eff.first ? [] : subtractRanges6(eff, cut);
}

/** DivideRangeBySize: the range CIDR cut into slices of `prefix`, lowest first. */
export function nodeSlices(range: Subnet, prefix: number): IpRange[] {
  const size = 2 ** (32 - prefix);
  const out: IpRange[] = [];
  for (let base = range.base; base <= range.last; base += size) out.push({ first: base, last: base + size - 1 });
  return out;
}

/** The addresses a pool can hand out, lowest first (what IterateForAssignment walks). */
export function poolAddresses(r: WhereaboutsRange, slice?: IpRange): number[] {
  // ipam.go: with a node slice, range_start/range_end become the slice's usable bounds and
  // `exclude` is not carried over.
  const bounds = slice ? { first: slice.first + 1, last: slice.last - 1 } : effectiveRange(r);
  const exclude = slice ? [] : r.exclude;
  const out: number[] = [];
  for (let a = bounds.first; a <= bounds.last && a <= r.range.last; a++) {
    const ex = exclude.find((e) => a >= e.first && a <= e.last);
    if (ex) {
      a = ex.last;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** One pool a CNI ADD takes an address from. */
interface PoolHandle {
  readonly name: string;
  readonly lowestFree: (taken: ReadonlySet<number | bigint>) => number | bigint | undefined;
  /** For the allocation error, as whereabouts words it. */
  readonly bounds: string;
}

const showIp = (ip: number | bigint) => (typeof ip === "bigint" ? bigToIp6(ip) : intToIp(ip));

/** IterateForAssignment over IPv6 pool ranges: the lowest address not taken (held addresses are few). */
function lowestFree6(ranges: readonly Ip6Range[], taken: ReadonlySet<number | bigint>): bigint | undefined {
  for (const r of ranges) for (let ip = r.first; ip <= r.last; ip++) if (!taken.has(ip)) return ip;
  return undefined;
}

export interface Reservation {
  /** An IPv4 address as a number, an IPv6 one as a bigint. */
  readonly ip: number | bigint;
  readonly containerId: string;
  readonly podRef: string;
  readonly ifName: string;
}

interface Pool {
  version: number;
  allocations: Reservation[];
}

export interface WhereaboutsRequest {
  readonly node: string;
  readonly containerId: string;
  /** `namespace/name` of the pod. */
  readonly podRef: string;
  readonly ifName?: string;
}

/** Hooks to interleave concurrent calls: awaited between reading a pool and updating it. */
export interface WhereaboutsHooks {
  readonly betweenReadAndUpdate?: () => Promise<void>;
}

export class WhereaboutsError extends Error {
  override readonly name = "WhereaboutsError";
}

/**
 * whereabouts across a cluster: IPPools (resourceVersion + allocations), the cluster-wide
 * overlapping-range reservations per network name, and node slice assignments.
 */
export class WhereaboutsModel {
  private readonly pools = new Map<string, Pool>();
  private readonly overlapping = new Map<string, Map<number | bigint, string>>();
  private readonly slices = new Map<string, (string | undefined)[]>();
  /** Compare-and-swap updates that lost and were retried. */
  casConflicts = 0;

  /** ipam.go IPPoolName: network name, node (slices only) and the range. */
  private poolName(config: WhereaboutsConfig, r: WhereaboutsRange, node?: string, slice?: IpRange): string {
    const range = slice ? `${intToIp(slice.first)}/${32 - Math.log2(slice.last - slice.first + 1)}` : r.range.cidr;
    return [config.networkName, node, range].filter((p) => p).join("-");
  }

  /** The node's slice of a range (node_slice_size), assigned on first use like the node controller does. */
  nodeSlice(config: WhereaboutsConfig, r: WhereaboutsRange, node: string): IpRange {
    const all = nodeSlices(r.range, config.nodeSliceSize!);
    const key = `${config.networkName}\u0000${r.range.cidr}`;
    let owners = this.slices.get(key);
    if (!owners) this.slices.set(key, (owners = all.map(() => undefined)));
    let i = owners.indexOf(node);
    if (i < 0) {
      i = owners.indexOf(undefined);
      if (i < 0) throw new WhereaboutsError(`no free node slice of ${r.range.cidr} (/${config.nodeSliceSize}) for node ${node}`);
      owners[i] = node;
    }
    return all[i]!;
  }

  /** The node controller frees a deleted node's slices. */
  removeNode(node: string): void {
    for (const owners of this.slices.values()) for (let i = 0; i < owners.length; i++) if (owners[i] === node) owners[i] = undefined;
  }

  private pool(name: string): Pool {
    let p = this.pools.get(name);
    if (!p) this.pools.set(name, (p = { version: 0, allocations: [] }));
    return p;
  }

  /**
   * Writes a pool's new allocations only if nobody wrote since version `seen` was read (the
   * Kubernetes resourceVersion check whereabouts' update relies on); false means re-read and retry.
   */
  private async compareAndSwap(name: string, seen: number, allocations: Reservation[], hooks: WhereaboutsHooks): Promise<boolean> {
    if (hooks.betweenReadAndUpdate) await hooks.betweenReadAndUpdate();
    const now = this.pool(name);
    if (now.version !== seen) {
      this.casConflicts++;
      return false;
    }
    now.version++;
    now.allocations = allocations;
    return true;
  }

  /**
   * The pools a config allocates from, in whereabouts' order (its IPv4 ranges, then its IPv6
   * ones: config.go appends ipRanges after the top-level range; here the families are kept
   * apart but their order within each is the config's), each with its lowest free address.
   */
  private poolsOf(config: WhereaboutsConfig, node: string): PoolHandle[] {
    const v4 = config.ranges.map((r): PoolHandle => {
      const slice = config.nodeSliceSize !== undefined ? this.nodeSlice(config, r, node) : undefined;
      const b = slice ?? effectiveRange(r);
      return {
        name: this.poolName(config, r, slice && node, slice),
        lowestFree: (taken) => poolAddresses(r, slice).find((a) => !taken.has(a)),
        bounds: `ip: ${intToIp(b.first)} / - ${intToIp(b.last)} / range: ${r.range.cidr}`,
      };
    });
    // IPv6 node slices are not modelled: a node takes from the whole range.
    const v6 = config.ranges6.map((r): PoolHandle => {
      const b = effectiveRange6(r);
      return {
        name: [config.networkName, r.range.cidr].filter((p) => p).join("-"),
        lowestFree: (taken) => lowestFree6(poolRanges6(r), taken),
        bounds: `ip: ${bigToIp6(b.first)} / - ${bigToIp6(b.last)} / range: ${r.range.cidr}`,
      };
    });
    return [...v4, ...v6];
  }

  /** CNI ADD: one address per range, lowest free first; concurrent callers that lose the CAS retry. */
  async allocate(config: WhereaboutsConfig, req: WhereaboutsRequest, hooks: WhereaboutsHooks = {}): Promise<string[]> {
    const ifName = req.ifName ?? "net1";
    const out: string[] = [];
    for (const handle of this.poolsOf(config, req.node)) {
      const name = handle.name;
      const reservedHere = this.reservedFor(config);
      const dummies = new Set<number | bigint>();
      let done = false;
      for (let attempt = 0; attempt < WHEREABOUTS_RETRIES && !done; attempt++) {
        const pool = this.pool(name);
        const seen = pool.version;
        const allocations = [...pool.allocations];
        let ipNum = allocations.find((a) => a.podRef === req.podRef && a.ifName === ifName)?.ip;
        if (ipNum === undefined) {
          const taken = new Set<number | bigint>([...allocations.map((a) => a.ip), ...dummies]);
          ipNum = handle.lowestFree(taken);
          if (ipNum === undefined) throw new WhereaboutsError(`Could not allocate IP in range: ${handle.bounds}`);
          // Overlapping ranges: an address reserved cluster-wide by another pod is skipped
          // (a dummy reservation) and the loop goes round again.
          if (reservedHere) {
            const holder = reservedHere.get(ipNum);
            if (holder !== undefined && holder !== req.podRef) {
              dummies.add(ipNum);
              continue;
            }
          }
          allocations.push({ ip: ipNum, containerId: req.containerId, podRef: req.podRef, ifName });
        }
        if (!(await this.compareAndSwap(name, seen, allocations, hooks))) continue;
        if (reservedHere) {
          const holder = reservedHere.get(ipNum);
          if (holder !== undefined && holder !== req.podRef) {
            // UpdateOverlappingRangeAllocation creates the reservation; Kubernetes refuses a
            // second one: the ADD fails (no duplicate address, a leaked pool entry instead).
            throw new WhereaboutsError(`overlapping range reservation for ${showIp(ipNum)} already exists`);
          }
          reservedHere.set(ipNum, req.podRef);
        }
        out.push(showIp(ipNum));
        done = true;
      }
      if (!done) throw new WhereaboutsError(`pool ${name}: gave up after ${WHEREABOUTS_RETRIES} conflicting updates`);
    }
    return out;
  }

  /** CNI DEL: removes the container's reservation from each pool (CAS with retry); unknown ids are fine. */
  async release(config: WhereaboutsConfig, req: WhereaboutsRequest, hooks: WhereaboutsHooks = {}): Promise<void> {
    const ifName = req.ifName ?? "net1";
    for (const { name } of this.poolsOf(config, req.node)) {
      for (let attempt = 0; attempt < WHEREABOUTS_RETRIES; attempt++) {
        const pool = this.pool(name);
        const seen = pool.version;
        const hit = pool.allocations.find((a) => a.containerId === req.containerId && a.ifName === ifName);
        if (!hit) break;
        const allocations = pool.allocations.filter((a) => a !== hit);
        if (!(await this.compareAndSwap(name, seen, allocations, hooks))) continue;
        const reserved = this.reservedFor(config);
        if (reserved?.get(hit.ip) === hit.podRef) reserved.delete(hit.ip);
        break;
      }
    }
  }

  /** Every live reservation: pool name and address. */
  allocations(): { pool: string; ip: string; podRef: string; containerId: string }[] {
    return [...this.pools].flatMap(([pool, p]) => p.allocations.map((a) => ({ pool, ip: showIp(a.ip), podRef: a.podRef, containerId: a.containerId })));
  }

  private reservedFor(config: WhereaboutsConfig): Map<number | bigint, string> | undefined {
    if (!config.overlappingRanges) return undefined;
    let m = this.overlapping.get(config.networkName);
    if (!m) this.overlapping.set(config.networkName, (m = new Map()));
    return m;
  }
}
