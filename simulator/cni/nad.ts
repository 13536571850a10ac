/**
 * NetworkAttachmentDefinitions as users write them, and every way their pod addresses can
 * collide with each other, with the workers, with AWS or with DHCP.
 *
 * A NAD (k8snetworkplumbingwg multi-net-spec, "NetworkAttachmentDefinition") carries its CNI
 * config as a JSON string in `spec.config`; the config is a single plugin (with `ipam`) or a
 * conflist (`plugins[]`). Multus passes the config's `ipam` to the IPAM plugin it names.
 */
import { LineCounter, parseAllDocuments } from "yaml";
import {
  IpRange,
  PlanError,
  SharedSubnetPlan,
  SubnetPlan,
  formatRange,
  intToIp,
  isIpv4,
  ipToInt,
  parseCidr,
  plural,
  rangeSize,
  subtractRange as subtract,
} from "../../ipam";
import { HostLocalConfig, HostLocalModel, hostLocalAddresses, hostLocalConfig } from "./host-local";
import { WhereaboutsConfig, effectiveRange, effectiveRange6, nodeSlices, poolAddresses, poolRanges6, unaddressableFrom6, whereaboutsConfig } from "./whereabouts";
import { Ip6Range, Subnet6Plan, bigToIp6, contains6, overlaps6, rangeSize6, showRange6, subtractRanges6 } from "../../ipam";
import { JsonObject as Json, isObject } from "../../contract/json";

export type NadIpam =
  | { readonly type: "host-local"; readonly config: HostLocalConfig }
  | { readonly type: "whereabouts"; readonly config: WhereaboutsConfig }
  | { readonly type: "static"; readonly addresses: readonly { readonly ip: number; readonly prefix: number }[] }
  | { readonly type: "other"; readonly plugin: string }
  | { readonly type: "none" };

export interface ParsedNad {
  readonly file: string;
  /** `namespace/name` of the NAD, or the CNI network name for a bare CNI config. */
  readonly name: string;
  /** The CNI config's `name` (host-local's store directory). */
  readonly networkName: string;
  /** The main plugin type (ipvlan, macvlan, ...). */
  readonly plugin: string;
  readonly ipam: NadIpam;
  /** Where the ipam object sits, e.g. `nad.yaml: spec.config.ipam`, for messages. */
  readonly field: string;
}


function staticAddresses(ipam: Json, field: string): { ip: number; prefix: number }[] {
  // plugins/ipam/static: "addresses": [{"address": "10.10.0.1/24", "gateway": ...}].
  const list = ipam.addresses;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new PlanError(`${field}.addresses`, "is not a list", 'write "addresses": [{"address": "10.0.4.9/24"}]');
  return list.map((a, i) => {
    const at = `${field}.addresses[${i}].address`;
    const text = isObject(a) ? a.address : undefined;
    if (typeof text !== "string" || !text.includes("/") || !isIpv4(text.split("/")[0]!)) {
      throw new PlanError(at, `"${String(text)}" is not an address with a prefix`, 'write it as "10.0.4.9/24"');
    }
    const c = parseCidr(text, at);
    return { ip: ipToInt(text.split("/")[0]!), prefix: c.prefix };
  });
}

function ipamOf(ipam: unknown, networkName: string, field: string): NadIpam {
  if (ipam === undefined) return { type: "none" };
  if (!isObject(ipam)) throw new PlanError(field, "is not an object", "give the IPAM settings as a JSON object");
  if (typeof ipam.type !== "string" || ipam.type === "") throw new PlanError(`${field}.type`, "is missing", 'name the IPAM plugin, e.g. "type": "whereabouts"');
  switch (ipam.type) {
    case "host-local":
      return { type: "host-local", config: hostLocalConfig(ipam, networkName, field) };
    case "whereabouts":
      return { type: "whereabouts", config: whereaboutsConfig(ipam, field) };
    case "static":
      return { type: "static", addresses: staticAddresses(ipam, field) };
    default:
      return { type: "other", plugin: ipam.type };
  }
}

/** A CNI config object (single plugin or conflist) → its IPAM. */
function fromCniConfig(cni: Json, file: string, at: string, name: string | undefined): ParsedNad {
  const networkName = typeof cni.name === "string" ? cni.name : "";
  if (Array.isArray(cni.plugins)) {
    // A conflist: the first plugin with an ipam section hands out the pod address.
    const i = cni.plugins.findIndex((p) => isObject(p) && p.ipam !== undefined);
    const plugin = i >= 0 ? (cni.plugins[i] as Json) : isObject(cni.plugins[0]) ? (cni.plugins[0] as Json) : {};
    const field = `${file}: ${at}plugins[${Math.max(i, 0)}].ipam`;
    return { file, name: name ?? networkName, networkName, plugin: String(plugin.type ?? "?"), ipam: ipamOf(plugin.ipam, networkName, field), field };
  }
  const field = `${file}: ${at}ipam`;
  return { file, name: name ?? networkName, networkName, plugin: String(cni.type ?? "?"), ipam: ipamOf(cni.ipam, networkName, field), field };
}

/**
 * Parses a file of NADs: YAML (one or more documents, or a `kind: List`) or JSON, each a
 * NetworkAttachmentDefinition, a bare CNI config, or a conflist. Errors are PlanErrors whose
 * field names the file and the path inside it.
 */
export function parseNad(text: string, file: string): ParsedNad[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { prettyErrors: false, lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: ParsedNad[] = [];
  list.forEach((doc, d) => {
    const where = list.length > 1 ? `documents[${d}].` : "";
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = lines.linePos(e.pos[0]);
      const line = ` at line ${pos.line}, column ${pos.col}`;
      throw new PlanError(file, `is not valid YAML or JSON${line}: ${e.message.split("\n")[0]}`, "fix the syntax");
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document (trailing ---)
    const items = isObject(value) && value.kind === "List" && Array.isArray(value.items) ? value.items : [value];
    items.forEach((item, k) => {
      const at = items.length > 1 || item !== value ? `${where}items[${k}].` : where;
      out.push(oneObject(item, file, at));
    });
  });
  if (out.length === 0) throw new PlanError(file, "holds no NetworkAttachmentDefinition", "give a NAD (kind: NetworkAttachmentDefinition) or a CNI config");
  return out;
}

function oneObject(value: unknown, file: string, at: string): ParsedNad {
  if (!isObject(value)) throw new PlanError(`${file}: ${at || "(document)"}`, "is not an object", "give a NetworkAttachmentDefinition or a CNI config object");
  if (value.kind === "NetworkAttachmentDefinition") {
    const meta = isObject(value.metadata) ? value.metadata : {};
    if (typeof meta.name !== "string" || meta.name === "") throw new PlanError(`${file}: ${at}metadata.name`, "is missing", "name the NAD");
    const name = `${typeof meta.namespace === "string" ? meta.namespace : "default"}/${meta.name}`;
    const spec = isObject(value.spec) ? value.spec : undefined;
    const config = spec?.config;
    if (config === undefined || config === "") {
      // Multus then reads a CNI config file named after the NAD on each node: nothing to analyse here.
      return { file, name, networkName: meta.name, plugin: "?", ipam: { type: "none" }, field: `${file}: ${at}spec.config` };
    }
    let cni: unknown = config;
    if (typeof config === "string") {
      try {
        cni = JSON.parse(config);
      } catch (err) {
        throw new PlanError(`${file}: ${at}spec.config`, `is not valid JSON: ${(err as Error).message}`, "spec.config is the CNI config as a JSON string; fix its syntax");
      }
    }
    if (!isObject(cni)) throw new PlanError(`${file}: ${at}spec.config`, "is not a JSON object", "spec.config is the CNI config as a JSON string");
    // Multus fills a missing or empty CNI "name" with the NAD's name
    // (k8snetworkplumbingwg/multus-cni pkg/k8sclient/k8sclient.go GetCNIConfigFromSpec):
    // host-local then keeps its store under dataDir/<NAD name>.
    if (typeof cni.name !== "string" || cni.name === "") cni = { ...cni, name: meta.name };
    return fromCniConfig(cni as Json, file, `${at}spec.config.`, name);
  }
  if (value.kind !== undefined) {
    throw new PlanError(`${file}: ${at}kind`, `"${String(value.kind)}" is not a NetworkAttachmentDefinition`, "give kind: NetworkAttachmentDefinition, or a bare CNI config");
  }
  if (value.ipam === undefined && value.plugins === undefined && value.type === undefined) {
    throw new PlanError(`${file}: ${at || "(document)"}`, "is neither a NetworkAttachmentDefinition nor a CNI config (no kind, type, ipam or plugins)", "give kind: NetworkAttachmentDefinition with spec.config");
  }
  return fromCniConfig(value, file, at, undefined);
}

export type CollisionKind = "pod-pod" | "nad-overlap" | "static-duplicate" | "pod-worker" | "pod-dhcp" | "aws-reserved" | "outside-subnet";

export interface Collision {
  readonly kind: CollisionKind;
  readonly ip?: string;
  readonly range?: string;
  readonly detail: string;
  /** The NADs involved. */
  readonly nads: string[];
}

export interface NadAnalysis {
  readonly collisions: Collision[];
  readonly warnings: string[];
}

/** A subnet's plan; a dual-stack one (a PlannedSubnet of ipam/plan.ts) carries its IPv6 side. */
export type AnalysedPlan = SubnetPlan & { readonly ipv6?: Subnet6Plan };

export interface AnalyseOptions {
  /** The multus subnet plan(s) the NADs' addresses must fit (IPv6 ranges: the plans' `ipv6`). */
  readonly plan: AnalysedPlan | readonly AnalysedPlan[];
  readonly nodes: number;
  readonly podsPerNode: number;
}

/** The addresses one NAD can hand out, as ranges, with how its pods coordinate. */
interface Footprint {
  readonly nad: ParsedNad;
  readonly ranges: IpRange[];
  /** The IPv6 addresses it can hand out. */
  readonly ranges6: Ip6Range[];
  /** Two footprints with the same non-empty domain never hand out one address twice between them (within a node, for host-local). */
  readonly domains: string[];
}

const showRange = (r: IpRange) => (r.first === r.last ? intToIp(r.first) : `${intToIp(r.first)}-${intToIp(r.last)}`);

/** Consecutive runs of sorted addresses. */
function runs(addresses: number[]): IpRange[] {
  const sorted = [...new Set(addresses)].sort((a, b) => a - b);
  const out: IpRange[] = [];
  for (const a of sorted) {
    const last = out[out.length - 1];
    if (last && last.last + 1 === a) out[out.length - 1] = { first: last.first, last: a };
    else out.push({ first: a, last: a });
  }
  return out;
}

function intersect(a: IpRange, b: IpRange): IpRange | undefined {
  const r = { first: Math.max(a.first, b.first), last: Math.min(a.last, b.last) };
  return r.first <= r.last ? r : undefined;
}

function footprint(nad: ParsedNad, nodes: number): Footprint | undefined {
  const ipam = nad.ipam;
  switch (ipam.type) {
    case "host-local":
      return {
        nad,
        ranges: ipam.config.rangeSets.flatMap((set) => runs(hostLocalAddresses(set))),
        ranges6: [],
        domains: [`host-local:${ipam.config.dataDir}/${ipam.config.name}`],
      };
    case "whereabouts": {
      const c = ipam.config;
      const ranges = c.ranges.flatMap((r) => {
        if (c.nodeSliceSize === undefined) return runs(poolAddresses(r));
        // Only the slices the nodes take are used: the first `nodes` of them.
        return nodeSlices(r.range, c.nodeSliceSize)
          .slice(0, nodes)
          .flatMap((s) => runs(poolAddresses(r, s)));
      });
      // IPv6 node slices are not modelled: the whole pool counts.
      const ranges6 = c.ranges6.flatMap(poolRanges6);
      const domains = [...c.ranges, ...c.ranges6].map((r) => `whereabouts-pool:${c.networkName}:${r.range.cidr}:${c.nodeSliceSize ?? ""}`);
      if (c.overlappingRanges) domains.push(`whereabouts-cluster:${c.networkName}`);
      return { nad, ranges, ranges6, domains };
    }
    case "static":
      return { nad, ranges: runs(ipam.addresses.map((a) => a.ip)), ranges6: [], domains: [] };
    default:
      return undefined;
  }
}

/**
 * Every way the NADs' pod addresses can collide across `nodes` nodes, each running
 * `podsPerNode` pods of every NAD, against the address plan.
 */
export function analyseNads(nads: readonly ParsedNad[], opts: AnalyseOptions): NadAnalysis {
  const plans: readonly AnalysedPlan[] = Array.isArray(opts.plan) ? opts.plan : [opts.plan as AnalysedPlan];
  const collisions: Collision[] = [];
  const warnings: string[] = [];
  const prints: Footprint[] = [];

  for (const nad of nads) {
    const ipam = nad.ipam;
    if (ipam.type === "none") {
      warnings.push(`${nad.name} (${nad.file}): no IPAM in spec.config; the pod addresses cannot be checked`);
      continue;
    }
    if (ipam.type === "other") {
      warnings.push(`${nad.name} (${nad.file}): IPAM type "${ipam.plugin}" is not modelled; its addresses are not checked`);
      continue;
    }
    const fp = footprint(nad, opts.nodes)!;
    prints.push(fp);
    if (ipam.type === "host-local") hostLocalChecks(nad, ipam.config, opts, collisions, warnings);
    if (ipam.type === "whereabouts") whereaboutsChecks(nad, ipam.config, opts, warnings);
    if (ipam.type === "static" && opts.nodes * opts.podsPerNode > 1) {
      warnings.push(`${nad.name}: static IPAM gives every pod that uses it the same address(es) ${ipam.addresses.map((a) => intToIp(a.ip)).join(", ")}; attach it to one pod only`);
    }
    for (const r of fp.ranges) planChecks(nad, r, plans, collisions);
    for (const r of fp.ranges6) planChecks6(nad, r, plans, collisions);
  }

  // Overlaps between NADs that do not share an allocator.
  for (let i = 0; i < prints.length; i++) {
    for (let j = i + 1; j < prints.length; j++) {
      const a = prints[i]!;
      const b = prints[j]!;
      if (a.domains.some((d) => b.domains.includes(d))) continue;
      for (const ra of a.ranges6) {
        for (const rb of b.ranges6) {
          if (!overlaps6(ra, rb)) continue;
          const o = { first: ra.first > rb.first ? ra.first : rb.first, last: ra.last < rb.last ? ra.last : rb.last };
          collisions.push({
            kind: "nad-overlap",
            range: showRange6(o),
            detail: `${a.nad.name} (${describe(a.nad)}) and ${b.nad.name} (${describe(b.nad)}) both hand out ${showRange6(o)} (${rangeSize6(o)} IPv6 addresses) and neither sees the other's allocations`,
            nads: [a.nad.name, b.nad.name],
          });
        }
      }
      const both = a.nad.ipam.type === "static" && b.nad.ipam.type === "static";
      for (const ra of a.ranges) {
        for (const rb of b.ranges) {
          const o = intersect(ra, rb);
          if (!o) continue;
          const names = [a.nad.name, b.nad.name];
          if (both) {
            for (let ip = o.first; ip <= o.last; ip++) {
              collisions.push({ kind: "static-duplicate", ip: intToIp(ip), detail: `${names[0]} and ${names[1]} both give pods the static address ${intToIp(ip)}`, nads: names });
            }
          } else {
            collisions.push({
              kind: "nad-overlap",
              range: showRange(o),
              detail: `${names[0]} (${describe(a.nad)}) and ${names[1]} (${describe(b.nad)}) both hand out ${showRange(o)} (${plural(rangeSize(o), "address", "addresses")}) and neither sees the other's allocations`,
              nads: names,
            });
          }
        }
      }
    }
  }
  return { collisions, warnings };
}

function describe(nad: ParsedNad): string {
  const ipam = nad.ipam;
  if (ipam.type === "whereabouts") return `whereabouts${ipam.config.networkName ? ` network_name ${ipam.config.networkName}` : ""}`;
  if (ipam.type === "host-local") return `host-local network ${ipam.config.name}`;
  return ipam.type;
}

function hostLocalChecks(nad: ParsedNad, config: HostLocalConfig, opts: AnalyseOptions, collisions: Collision[], warnings: string[]): void {
  config.rangeSets.forEach((set) => {
    const capacity = hostLocalAddresses(set).length;
    if (capacity < opts.podsPerNode) {
      warnings.push(`${nad.name}: host-local range ${set.map((r) => `${intToIp(r.rangeStart)}-${intToIp(r.rangeEnd)}`).join(",")} holds ${capacity} addresses, fewer than ${opts.podsPerNode} pods per node: the rest fail to start`);
    }
  });
  if (opts.nodes < 2) {
    warnings.push(`${nad.name}: host-local keeps its allocations on each node's disk; a second node would hand out the same addresses`);
    return;
  }
  // Run the model: every node starts podsPerNode pods on its own, empty store.
  const model = new HostLocalModel();
  const holders = new Map<string, string[]>();
  for (let n = 0; n < opts.nodes; n++) {
    const node = `node-${n + 1}`;
    for (let p = 0; p < opts.podsPerNode; p++) {
      let ips: string[];
      try {
        ips = model.add(node, config, `${node}-pod-${p}`);
      } catch {
        break; // range exhausted on this node (warned above)
      }
      for (const ip of ips) holders.set(ip, [...(holders.get(ip) ?? []), node]);
    }
  }
  const dup = [...holders].filter(([, ns]) => ns.length > 1);
  config.rangeSets.forEach((set) => {
    const inSet = dup.filter(([ip]) => set.some((r) => ipToInt(ip) >= r.rangeStart && ipToInt(ip) <= r.rangeEnd));
    if (inSet.length === 0) return;
    const range = set.map((r) => `${intToIp(r.rangeStart)}-${intToIp(r.rangeEnd)}`).join(",");
    const sample = inSet.slice(0, 3).map(([ip, ns]) => `${ip} on ${ns.length} nodes`).join(", ");
    collisions.push({
      kind: "pod-pod",
      range,
      detail:
        `${nad.name}: host-local range ${range} is used on all ${opts.nodes} nodes, but host-local keeps its allocations on each node's own disk ` +
        `(${config.dataDir}/${config.name}), so no node sees what the others handed out: ${opts.podsPerNode} pods per node give ${inSet.length} addresses to pods on several nodes (${sample}${inSet.length > 3 ? ", ..." : ""})`,
      nads: [nad.name],
    });
  });
}

function whereabouts6Checks(nad: ParsedNad, config: WhereaboutsConfig, opts: AnalyseOptions, warnings: string[]): void {
  for (const r of config.ranges6) {
    if (config.nodeSliceSize !== undefined) warnings.push(`${nad.name}: node slices of the IPv6 range ${r.range.cidr} are not modelled; the whole pool is checked`);
    const eff = effectiveRange6(r);
    if (r.rangeStart !== undefined && r.rangeStart !== eff.first) {
      warnings.push(`${nad.name}: whereabouts ignores range_start ${bigToIp6(r.rangeStart)} (not a usable address of ${r.range.cidr}) and starts at ${bigToIp6(eff.first)}`);
    }
    if (r.rangeEnd !== undefined && r.rangeEnd !== eff.last) {
      warnings.push(`${nad.name}: whereabouts ignores range_end ${bigToIp6(r.rangeEnd)} (outside ${r.range.cidr}'s usable addresses or before range_start) and runs to ${bigToIp6(eff.last)}`);
    }
    const stop = unaddressableFrom6(r.range);
    if (stop !== undefined && eff.last >= stop) {
      warnings.push(
        `${nad.name}: whereabouts addresses only the first /65 of ${r.range.cidr} (its README: ranges of /64 or wider), so ${showRange6({ first: stop > eff.first ? stop : eff.first, last: eff.last })} is never handed out; keep range_start and range_end below ${bigToIp6(stop)}`,
      );
    }
    if (config.gateway6 !== undefined && poolRanges6(r).some((p) => contains6(p, config.gateway6!))) {
      warnings.push(`${nad.name}: the gateway ${bigToIp6(config.gateway6)} lies in the whereabouts pool, and whereabouts does not skip it: a pod can get the gateway's address`);
    }
    const capacity = poolRanges6(r).reduce((n, p) => n + rangeSize6(p), 0n);
    if (capacity < BigInt(opts.nodes * opts.podsPerNode)) {
      warnings.push(`${nad.name}: whereabouts IPv6 pool ${showRange6(eff)} holds ${capacity} addresses, fewer than ${opts.nodes} nodes x ${opts.podsPerNode} pods`);
    }
  }
}

function whereaboutsChecks(nad: ParsedNad, config: WhereaboutsConfig, opts: AnalyseOptions, warnings: string[]): void {
  whereabouts6Checks(nad, config, opts, warnings);
  for (const r of config.ranges) {
    if (config.nodeSliceSize !== undefined) {
      const slices = nodeSlices(r.range, config.nodeSliceSize);
      if (slices.length < opts.nodes) warnings.push(`${nad.name}: ${r.range.cidr} cut into /${config.nodeSliceSize} gives ${slices.length} node slices for ${opts.nodes} nodes: nodes without a slice cannot start pods`);
      if (2 ** (32 - config.nodeSliceSize) - 2 < opts.podsPerNode) warnings.push(`${nad.name}: a /${config.nodeSliceSize} node slice holds ${2 ** (32 - config.nodeSliceSize) - 2} pods, fewer than ${opts.podsPerNode}`);
      if (r.rangeStart !== undefined || r.rangeEnd !== undefined || r.exclude.length > 0) {
        warnings.push(`${nad.name}: with node_slice_size, whereabouts v0.9 slices the whole range ${r.range.cidr} and ignores range_start, range_end and exclude`);
      }
      continue;
    }
    const eff = effectiveRange(r);
    // iphelpers.GetIPRange drops a range_start/range_end outside the CIDR's usable addresses
    // (or a range_end before range_start) without a word.
    if (r.rangeStart !== undefined && r.rangeStart !== eff.first && r.rangeStart !== r.range.base) {
      warnings.push(`${nad.name}: whereabouts ignores range_start ${intToIp(r.rangeStart)} (not a usable address of ${r.range.cidr}) and starts at ${intToIp(eff.first)}`);
    }
    if (r.rangeEnd !== undefined && r.rangeEnd !== eff.last) {
      warnings.push(`${nad.name}: whereabouts ignores range_end ${intToIp(r.rangeEnd)} (outside ${r.range.cidr}'s usable addresses or before range_start) and runs to ${intToIp(eff.last)}`);
    }
    if (config.gateway !== undefined && poolAddresses(r).includes(config.gateway)) {
      warnings.push(`${nad.name}: the gateway ${intToIp(config.gateway)} lies in the whereabouts pool, and whereabouts does not skip it: a pod can get the gateway's address`);
    }
    const capacity = poolAddresses(r).length;
    if (capacity < opts.nodes * opts.podsPerNode) {
      warnings.push(`${nad.name}: whereabouts pool ${showRange(effectiveRange(r))} holds ${capacity} addresses, fewer than ${opts.nodes} nodes x ${opts.podsPerNode} pods`);
    }
  }
}

/** The NAD's addresses against the plan of the subnet they fall in. */
function planChecks(nad: ParsedNad, r: IpRange, plans: readonly SubnetPlan[], collisions: Collision[]): void {
  const what = `${nad.name} (${describe(nad)})`;
  let rest: IpRange[] = [r];
  for (const plan of plans) {
    const s = plan.subnet;
    const inside = intersect(r, { first: s.base, last: s.last });
    if (!inside) continue;
    rest = rest.flatMap((x) => subtract(x, inside));
    for (const ip of plan.awsReserved) {
      if (ip >= inside.first && ip <= inside.last) {
        collisions.push({ kind: "aws-reserved", ip: intToIp(ip), detail: `${what} can hand out ${intToIp(ip)}, which AWS reserves in ${s.cidr} (network, VPC router, DNS, future use, broadcast)`, nads: [nad.name] });
      }
    }
    // Every group's worker block (a plan for several groups has one per static group).
    const shared = plan as Partial<SharedSubnetPlan>;
    const blocks: [string, IpRange][] = shared.workerBlocks ? Object.entries(shared.workerBlocks) : plan.strategy === "static" ? [["", plan.workers]] : [];
    for (const [group, block] of blocks) {
      const workers = intersect(inside, block);
      if (!workers) continue;
      const of = blocks.length > 1 ? ` of group ${group}` : "";
      collisions.push({
        kind: "pod-worker",
        range: showRange(workers),
        detail: `${what} overlaps the worker block${of} ${formatRange(block).first}-${formatRange(block).last} of ${s.cidr}, where the lifecycle Lambda gives worker ENIs their addresses`,
        nads: [nad.name],
      });
    }
    // Workers take DHCP addresses when a group of the subnet uses the reservation strategy.
    const dhcpWorkers = shared.blocks ? shared.blocks.some((b) => b.kind === "dhcp" && b.groups.length > 0) : plan.strategy === "reservation";
    for (const d of plan.dhcp) {
      const o = intersect(inside, d);
      if (!o) continue;
      if (dhcpWorkers) {
        collisions.push({ kind: "pod-worker", range: showRange(o), detail: `${what} overlaps ${showRange(o)}, the DHCP space of ${s.cidr} where worker ENIs (and any other ENI) take their addresses`, nads: [nad.name] });
        continue;
      }
      // static: the worker blocks were reported above (they are DHCP space too when not reserved).
      let pieces = [o];
      for (const [, block] of blocks) pieces = pieces.flatMap((x) => subtract(x, block));
      for (const piece of pieces) {
        collisions.push({ kind: "pod-dhcp", range: showRange(piece), detail: `${what} overlaps ${showRange(piece)}, the DHCP space of ${s.cidr}: any ENI created without a fixed address can take these`, nads: [nad.name] });
      }
    }
  }
  for (const x of rest) {
    collisions.push({
      kind: "outside-subnet",
      range: showRange(x),
      detail: `${what} hands out ${showRange(x)}, outside the multus subnet${plans.length > 1 ? "s" : ""} ${plans.map((p) => p.subnet.cidr).join(", ")}: the VPC does not route these to the node's ENI`,
      nads: [nad.name],
    });
  }
}


/** A NAD's IPv6 addresses against the IPv6 side of the dual-stack plan they fall in. */
function planChecks6(nad: ParsedNad, r: Ip6Range, plans: readonly AnalysedPlan[], collisions: Collision[]): void {
  const what = `${nad.name} (${describe(nad)})`;
  const sides = plans.flatMap((p) => (p.ipv6 ? [p.ipv6] : []));
  let rest: Ip6Range[] = [r];
  const cut = (a: Ip6Range, b: Ip6Range): Ip6Range | undefined => (overlaps6(a, b) ? { first: a.first > b.first ? a.first : b.first, last: a.last < b.last ? a.last : b.last } : undefined);
  for (const v6 of sides) {
    const s = v6.subnet;
    const inside = cut(r, s);
    if (!inside) continue;
    rest = rest.flatMap((x) => subtractRanges6(x, [inside]));
    for (const ip of v6.awsReserved) {
      if (contains6(inside, ip)) {
        collisions.push({ kind: "aws-reserved", ip: bigToIp6(ip), detail: `${what} can hand out ${bigToIp6(ip)}, which AWS reserves in ${s.cidr} (the first four IPv6 addresses, ::1 the VPC router, and the last)`, nads: [nad.name] });
      }
    }
    const blocks = Object.entries(v6.workerBlocks);
    for (const [group, block] of blocks) {
      const o = cut(inside, block);
      if (!o) continue;
      collisions.push({
        kind: "pod-worker",
        range: showRange6(o),
        detail: `${what} overlaps the IPv6 worker block${blocks.length > 1 ? ` of group ${group}` : ""} ${block.cidr} of ${s.cidr}, where the lifecycle Lambda gives worker ENIs their IPv6 addresses`,
        nads: [nad.name],
      });
    }
    const dhcpWorkers = v6.blocks.some((b) => b.kind === "dhcp" && b.groups.length > 0);
    for (const d of v6.dhcp) {
      const o = cut(inside, d);
      if (!o) continue;
      if (dhcpWorkers) {
        collisions.push({ kind: "pod-worker", range: showRange6(o), detail: `${what} overlaps ${showRange6(o)}, the IPv6 DHCP space of ${s.cidr} where worker ENIs (and any other ENI) take their IPv6 addresses`, nads: [nad.name] });
        continue;
      }
      for (const piece of subtractRanges6(o, blocks.map(([, b]) => b))) {
        collisions.push({ kind: "pod-dhcp", range: showRange6(piece), detail: `${what} overlaps ${showRange6(piece)}, the IPv6 DHCP space of ${s.cidr}: any ENI given an IPv6 address without a fixed one can take these`, nads: [nad.name] });
      }
    }
  }
  for (const x of rest) {
    collisions.push({
      kind: "outside-subnet",
      range: showRange6(x),
      detail: `${what} hands out ${showRange6(x)}, outside the IPv6 CIDR${sides.length > 1 ? "s" : ""} ${sides.map((v) => v.subnet.cidr).join(", ") || "(none: no multus subnet is dual-stack)"}: the VPC does not route these to the node's ENI`,
      nads: [nad.name],
    });
  }
}
