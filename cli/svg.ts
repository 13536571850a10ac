import { writeFileSync } from "node:fs";
import { IpRange, NetworkPlan, PlanBlock, PlanError, Subnet6Plan, SubnetPlan, cidrBounds, formatRange6, intToIp, plural, rangeSize } from "../ipam";

/** Addresses seen live in a subnet (from a simulation), as 32-bit numbers. */
export interface LiveAddresses {
  readonly workers?: readonly number[];
  readonly pods?: readonly number[];
  readonly foreign?: readonly number[];
  /** Addresses held by two or more live interfaces. */
  readonly collisions?: readonly number[];
  /** `foreign` lists only the foreign ENIs found in collisions, not all of them. */
  readonly foreignPartial?: boolean;
  /**
   * What ABANDONed launches asked for here (an address per try) and how many launches tried:
   * they hold nothing at the end, so the cells they tried are marked instead.
   */
  readonly abandoned?: { readonly tries: readonly number[]; readonly launches: number };
}

export interface SvgSubnet {
  readonly plan: SubnetPlan & {
    readonly id?: string;
    readonly availabilityZone?: string;
    readonly deviceIndex?: number;
    /** With several groups on the subnet, each owner's block gets its own colour. */
    readonly blocks?: readonly PlanBlock[];
    readonly groups?: readonly string[];
    readonly network?: string;
    /** A dual-stack subnet's IPv6 side: drawn as a strip of its blocks under the grid. */
    readonly ipv6?: Subnet6Plan;
  };
  readonly live?: LiveAddresses;
  /** false when a simulation ran without the plan's CIDR reservations: they are not drawn. @default true */
  readonly reservationsCreated?: boolean;
  /** The pod IPAM over the pod block. @default "whereabouts" */
  readonly podIpam?: "whereabouts" | "host-local";
}

/** Why AWS reserves each of the five (VPC user guide, "Subnet sizing"; contract/address.ts awsReserved). */
const AWS_REASONS = ["network address", "VPC router", "Amazon DNS", "reserved for future use", "network broadcast"];

type Kind = "aws" | "workers" | "pods" | "dhcp";

const FILL: Record<Kind, string> = { aws: "#6e6e6e", workers: "#4a90d9", pods: "#5cb85c", dhcp: "#f4ecd6" };
/** The pods' reserved IPv6 space outside every pool. */
const POD_SPACE_FILL = "#dcefdc";
const LIVE = { workers: "#0b2e59", pods: "#0d4010", foreign: "#f08c00", collisions: "#d62728", abandoned: "#7b2cbf" } as const;
/** When a cell stands for several addresses it shows the rarest kind among them. */
const PRIORITY: Kind[] = ["aws", "workers", "pods", "dhcp"];

/** The top-right corner triangle of a cell at (x, y), `size` wide. */
const corner = (x: number, y: number, size: number) => `M${x + size * 0.45} ${y} L${x + size} ${y} L${x + size} ${y + size * 0.55} Z`;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const span = (r: IpRange) => `${intToIp(r.first)} – ${intToIp(r.last)}`;

function kindOf(plan: SubnetPlan, ip: number): Kind {
  if (plan.awsReserved.includes(ip)) return "aws";
  if (ip >= plan.pods.first && ip <= plan.pods.last) return "pods";
  if (plan.strategy === "static" && ip >= plan.workers.first && ip <= plan.workers.last) return "workers";
  return "dhcp";
}

/** What a cell is drawn as: a kind of block (one owner's, with several groups), its colour and legend text. */
interface Category {
  readonly kind: Kind;
  readonly fill: string;
  readonly label: string;
}

/** Colours of the owners' worker and pod blocks, in the order owners first appear in the picture. */
const OWNER_FILLS: Record<"workers" | "pods", readonly string[]> = {
  workers: ["#4a90d9", "#1f5fa8", "#8fbce9", "#2d6f9e", "#b9d3f0", "#3b4cc0"],
  pods: ["#5cb85c", "#2e7d32", "#a5d6a7", "#7cb342", "#c5e1a5", "#00897b"],
};

/** A colour per owner, the same in every subnet of a picture. */
type OwnerColours = Map<string, string>;

function ownerColours(subnets: readonly SvgSubnet[]): OwnerColours {
  const out: OwnerColours = new Map();
  const used = { workers: 0, pods: 0 };
  for (const s of subnets) {
    for (const b of s.plan.blocks ?? []) {
      if (b.kind !== "workers" && b.kind !== "pods") continue;
      const key = `${b.kind}:${b.owner}`;
      if (!out.has(key)) out.set(key, OWNER_FILLS[b.kind][used[b.kind]++ % OWNER_FILLS[b.kind].length]!);
    }
  }
  return out;
}

/**
 * How each address is drawn. One group (the shorthand, say): the four kinds. Several groups:
 * each owner's worker and pod block in its own colour, the DHCP space saying whose workers use it.
 */
function classifier(s: SvgSubnet, colours: OwnerColours): { of: (ip: number) => Category; all: Category[] } {
  const { plan } = s;
  const text = labels(plan, s.podIpam);
  const fixed = Object.fromEntries(PRIORITY.map((k) => [k, { kind: k, fill: FILL[k], label: text[k] }])) as Record<Kind, Category>;
  if (!plan.blocks || (plan.groups?.length ?? 1) <= 1) return { of: (ip) => fixed[kindOf(plan, ip)], all: PRIORITY.map((k) => fixed[k]) };
  const cats = plan.blocks.map((b): Category => {
    if (b.kind === "aws-reserved") return fixed.aws;
    if (b.kind === "dhcp") return { ...fixed.dhcp, label: b.groups.length ? `DHCP space (workers of ${b.groups.join(", ")}, and any other ENI)` : "DHCP space (ENIs created without the Lambda)" };
    const fill = colours.get(`${b.kind}:${b.owner}`) ?? FILL[b.kind];
    if (b.kind === "workers") return { kind: "workers", fill, label: `Worker block of ${b.owner} (the Lambda assigns these)` };
    const whose = b.owner === plan.network ? `network ${b.owner}` : `group ${b.owner}`;
    return { kind: "pods", fill, label: `Pod block of ${whose} (${s.podIpam === "host-local" ? "one host-local range on every node" : "whereabouts pool"})` };
  });
  const unique = [...new Map(cats.map((c) => [c.label, c])).values()];
  const order = (c: Category) => PRIORITY.indexOf(c.kind);
  return {
    of: (ip) => cats[plan.blocks!.findIndex((b) => ip >= b.range.first && ip <= b.range.last)] ?? fixed.dhcp,
    all: unique.sort((a, b) => order(a) - order(b)),
  };
}

function labels(plan: SubnetPlan, podIpam: SvgSubnet["podIpam"] = "whereabouts"): Record<Kind, string> {
  return {
    aws: "AWS-reserved (first four and the last)",
    workers: "Worker block (the Lambda assigns these)",
    pods: podIpam === "host-local" ? "Pod block (one host-local range on every node)" : "Pod block (whereabouts pool)",
    dhcp: plan.strategy === "reservation" ? "DHCP space (workers and any other ENI)" : "DHCP space (ENIs created without the Lambda)",
  };
}

/** One subnet: an address grid (a cell per address, or per bucket for large subnets) and its legend. */
function panel(s: SvgSubnet, y0: number, colours: OwnerColours): { svg: string; height: number; width: number } {
  const { plan, live } = s;
  const classes = classifier(s, colours);
  const rank = (c: Category) => classes.all.indexOf(c);
  const size = plan.subnet.size;
  const cells = Math.min(size, 1024);
  const per = size / cells;
  const cols = cells <= 256 ? 16 : 32;
  const rows = cells / cols;
  const cell = cols === 16 ? 26 : 15;
  const gx = 92;
  const gy = y0 + 58;
  const made = s.reservationsCreated ?? true;
  const reserved = made ? plan.reservations.map((r) => ({ ...cidrBounds(r.cidr), purpose: r.purpose })) : [];
  const sets = {
    workers: new Set(live?.workers ?? []),
    pods: new Set(live?.pods ?? []),
    foreign: new Set(live?.foreign ?? []),
    collisions: new Set(live?.collisions ?? []),
    abandoned: new Set(live?.abandoned?.tries ?? []),
  };
  const triesAt = new Map<number, number>();
  for (const ip of live?.abandoned?.tries ?? []) triesAt.set(ip, (triesAt.get(ip) ?? 0) + 1);
  const out: string[] = [];
  const shared = (plan.groups?.length ?? 1) > 1;
  const where = [shared ? `network ${plan.network}, groups ${plan.groups!.join(", ")}` : plan.strategy + " strategy", s.plan.availabilityZone, s.plan.deviceIndex !== undefined ? `device index ${s.plan.deviceIndex}` : undefined, s.plan.id].filter(Boolean).join(", ");
  out.push(`<text x="16" y="${y0 + 24}" class="title">${esc(plan.subnet.cidr)}</text>`);
  out.push(`<text x="16" y="${y0 + 42}" class="sub">${esc(where)} · ${size} addresses · 1 cell = ${per} address${per === 1 ? "" : "es"}</text>`);
  if (per === 1) {
    for (let c = 0; c < cols; c += cols === 16 ? 1 : 4) out.push(`<text x="${gx + c * cell + cell / 2}" y="${gy - 4}" class="col">+${c}</text>`);
  }
  for (let r = 0; r < rows; r++) {
    if (rows <= 16 || r % 4 === 0) out.push(`<text x="${gx - 6}" y="${gy + r * cell + cell / 2 + 4}" class="row">${intToIp(plan.subnet.base + r * cols * per)}</text>`);
    for (let c = 0; c < cols; c++) {
      const first = plan.subnet.base + (r * cols + c) * per;
      const last = first + per - 1;
      const kinds = new Set<Category>();
      for (let a = first; a <= last; a++) kinds.add(classes.of(a));
      const kind = [...kinds].sort((a, b) => rank(a) - rank(b))[0]!;
      const x = gx + c * cell;
      const y = gy + r * cell;
      const inRes = reserved.some((res) => res.first <= last && first <= res.last);
      const any = (set: Set<number>) => {
        if (per === 1) return set.has(first);
        for (const a of set) if (a >= first && a <= last) return true;
        return false;
      };
      const tried = per === 1 && triesAt.get(first) ? `; tried by ABANDONed launches ${triesAt.get(first)} time${triesAt.get(first) === 1 ? "" : "s"}` : "";
      const tip = (per === 1 ? `${intToIp(first)}: ${kind.kind === "aws" ? `AWS-reserved (${AWS_REASONS[plan.awsReserved.indexOf(first)]})` : kind.label}` : `${intToIp(first)} – ${intToIp(last)}: ${[...kinds].map((k) => k.label).join("; ")}`) + tried;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${kind.fill}" class="cell"><title>${esc(tip)}</title></rect>`);
      if (inRes) out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="url(#hatch)" pointer-events="none"/>`);
      if (any(sets.collisions)) {
        const p = cell * 0.18;
        out.push(
          `<rect x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${cell - 2}" fill="none" stroke="${LIVE.collisions}" stroke-width="3"/>` +
            `<path d="M${x + p} ${y + p} L${x + cell - p} ${y + cell - p} M${x + cell - p} ${y + p} L${x + p} ${y + cell - p}" stroke="${LIVE.collisions}" stroke-width="2.5"/>`,
        );
      }
      // A corner flag: an ABANDONed launch tried this address (and lost it, or gave it back).
      if (any(sets.abandoned)) out.push(`<path d="${corner(x, y, cell)}" fill="${LIVE.abandoned}" class="abandoned"/>`);
      // One dot per kind of live holder: a shared address shows each of its holders side by side.
      const dots: string[] = [];
      if (any(sets.workers)) dots.push(LIVE.workers);
      if (any(sets.pods)) dots.push(LIVE.pods);
      if (any(sets.foreign)) dots.push(LIVE.foreign);
      const radius = dots.length > 1 ? cell * 0.17 : cell * 0.26;
      dots.forEach((color, k) => {
        const cx = x + (cell * (k + 1)) / (dots.length + 1);
        out.push(`<circle cx="${cx}" cy="${y + cell / 2}" r="${radius}" fill="${color}" stroke="#fff" stroke-width="1"/>`);
      });
    }
  }
  const gridW = cols * cell;
  const gridH = rows * cell;

  // Legend: what each colour means with counts, then the ranges in words.
  const lx = gx + gridW + 28;
  let ly = gy + 4;
  const counts = new Map<Category, number>();
  for (let a = plan.subnet.base; a <= plan.subnet.last; a++) {
    const c = classes.of(a);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const item = (swatch: string, text: string) => {
    out.push(`${swatch.replace(/\{x\}/g, String(lx)).replace(/\{y\}/g, String(ly))}<text x="${lx + 24}" y="${ly + 13}" class="legend">${esc(text)}</text>`);
    ly += 22;
  };
  for (const k of classes.all) {
    if (!counts.get(k)) continue;
    item(`<rect x="{x}" y="{y}" width="16" height="16" fill="${k.fill}" stroke="#444" stroke-width="0.5"/>`, `${k.label}: ${counts.get(k)}`);
  }
  item(
    `<rect x="{x}" y="{y}" width="16" height="16" fill="#fff" stroke="#444" stroke-width="0.5"/><rect x="{x}" y="{y}" width="16" height="16" fill="url(#hatch)"/>`,
    made ? "Explicit CIDR reservation (DHCP never uses it)" : "Planned reservations NOT created in this run",
  );
  if (live) {
    ly += 6;
    const dot = (color: string) => `<circle cx="{x}" cy="{y}" r="6" fill="${color}" transform="translate(8 8)"/>`;
    const count = (list: readonly number[] | undefined, set: Set<number>) => {
      const n = list?.length ?? 0;
      return n === set.size ? `${n}` : `${n} on ${set.size} addresses`;
    };
    item(dot(LIVE.workers), `Live worker ENIs: ${count(live.workers, sets.workers)}`);
    item(dot(LIVE.pods), `Live pods: ${count(live.pods, sets.pods)}`);
    item(dot(LIVE.foreign), `${live.foreignPartial ? "Foreign ENIs (DHCP) in collisions" : "Live foreign ENIs (DHCP)"}: ${count(live.foreign, sets.foreign)}`);
    item(`<rect x="{x}" y="{y}" width="16" height="16" fill="none" stroke="${LIVE.collisions}" stroke-width="3"/>`, `Collision (two live interfaces): ${sets.collisions.size}`);
    const abandoned = live.abandoned;
    if (abandoned?.launches) {
      item(
        `<rect x="{x}" y="{y}" width="16" height="16" fill="#fff" stroke="#444" stroke-width="0.5"/><path d="${corner(lx, ly, 16)}" fill="${LIVE.abandoned}"/>`,
        `Tried by ABANDONed launches (${abandoned.launches}): ${plural(abandoned.tries.length, "try", "tries")}, ${plural(sets.abandoned.size, "address", "addresses")}`,
      );
    }
  }
  ly += 10;
  const line = (text: string, cls = "info") => {
    out.push(`<text x="${lx + (cls.includes("indent") ? 14 : 0)}" y="${ly + 12}" class="${cls}">${esc(text)}</text>`);
    ly += 18;
  };
  if (shared) {
    for (const b of plan.blocks!.filter((x) => x.kind === "workers" || x.kind === "pods")) line(`${b.kind === "workers" ? "Workers" : "Pods"} of ${b.owner}: ${span(b.range)} (${rangeSize(b.range)})`);
  } else {
    // reservation: the workers' addresses are the DHCP lines below, listed once.
    if (plan.strategy === "static") line(`Workers: ${span(plan.workers)} (${rangeSize(plan.workers)})`);
    line(`Pods: ${span(plan.pods)} (${rangeSize(plan.pods)})`);
  }
  for (const r of plan.dhcp) line(`DHCP${plan.strategy === "reservation" ? " (workers)" : ""}: ${span(r)} (${rangeSize(r)})`);
  line(`Reservations${made ? "" : " (planned, not created)"}: ${plan.reservations.length === 0 ? "none" : ""}`);
  const shown = plan.reservations.slice(0, 12);
  for (const r of shown) line(`${r.cidr} [${r.purpose}${shared && "owner" in r ? ` of ${String(r.owner)}` : ""}]`, "mono indent");
  if (plan.reservations.length > shown.length) line(`… ${plan.reservations.length - shown.length} more`, "info indent");
  const legendW = 430;
  return { svg: out.join("\n"), height: Math.max(gridH + 58, ly - y0) + 24, width: lx + legendW };
}

/**
 * The IPv6 /64 of a dual-stack subnet: a strip with one equal segment per block in address
 * order (a /64 holds 2^64 addresses, so nothing is to scale), coloured and hatched as in the
 * grid, then the blocks and reservations in words.
 */
function panel6(s: SvgSubnet, v6: Subnet6Plan, y0: number, colours: OwnerColours): { svg: string; height: number; width: number } {
  const out: string[] = [];
  const made = s.reservationsCreated ?? true;
  const reserved = new Set(made ? v6.reservations.map((r) => r.cidr) : []);
  const text = labels(s.plan, s.podIpam);
  out.push(`<text x="16" y="${y0 + 20}" class="title">${esc(v6.subnet.cidr)} (IPv6 of ${esc(s.plan.subnet.cidr)})</text>`);
  out.push(`<text x="16" y="${y0 + 38}" class="sub">${esc(`one segment per block, not to scale · pods in ${v6.podSpace.cidr}, reserved whole, inside the lower /65 whereabouts can address`)}</text>`);
  const seg = 118;
  const gx = 16;
  const gy = y0 + 50;
  v6.blocks.forEach((b, i) => {
    const f = formatRange6(b.range);
    // The pod space no pool uses is drawn as pod block, without an owner's colour.
    const kind: Kind = b.kind === "aws-reserved" ? "aws" : b.kind === "pod-space" ? "pods" : b.kind;
    const fill = b.kind === "workers" || b.kind === "pods" ? (colours.get(`${b.kind}:${b.owner}`) ?? FILL[kind]) : b.kind === "pod-space" ? POD_SPACE_FILL : FILL[kind];
    const label = b.kind === "workers" || b.kind === "pods" ? `${b.kind === "workers" ? "Workers" : "Pods"} of ${b.owner}` : b.kind === "pod-space" ? "Pod space (reserved, no pool)" : text[kind];
    const x = gx + i * seg;
    out.push(`<rect x="${x}" y="${gy}" width="${seg - 2}" height="30" fill="${fill}" stroke="#444" stroke-width="0.5"><title>${esc(`${f.first} – ${f.last}: ${label} (${f.count})`)}</title></rect>`);
    const inReservation = reserved.has(f.cidr ?? "") || (b.kind !== "workers" && reserved.has(v6.podSpace.cidr) && b.range.first >= v6.podSpace.first && b.range.last <= v6.podSpace.last);
    if (inReservation) out.push(`<rect x="${x}" y="${gy}" width="${seg - 2}" height="30" fill="url(#hatch)" pointer-events="none"/>`);
    out.push(`<text x="${x + 4}" y="${gy + 46}" class="col" text-anchor="start" style="text-anchor:start">${esc(b.kind === "aws-reserved" ? "AWS" : b.kind === "dhcp" ? "DHCP" : b.kind === "pod-space" ? "Pod space" : label)}</text>`);
  });
  let ly = gy + 66;
  const line = (t: string, cls = "info") => {
    out.push(`<text x="${gx}" y="${ly}" class="${cls}">${esc(t)}</text>`);
    ly += 18;
  };
  for (const b of v6.blocks.filter((x) => x.kind === "workers" || x.kind === "pods")) {
    const f = formatRange6(b.range);
    line(`${b.kind === "workers" ? "Workers" : "Pods"} of ${b.owner}: ${f.cidr ?? `${f.first} – ${f.last}`} (${f.count})`);
  }
  for (const b of v6.blocks.filter((x) => x.kind === "dhcp")) {
    const f = formatRange6(b.range);
    line(`DHCP: ${f.first} – ${f.last} (${f.count})`);
  }
  line(`IPv6 reservations${made ? "" : " (planned, not created)"}: ${v6.reservations.length === 0 ? "none" : ""}`);
  for (const r of v6.reservations) line(`  ${r.cidr} [${r.purpose} of ${r.owner}]`, "mono");
  return { svg: out.join("\n"), height: ly - y0 + 10, width: Math.max(gx + v6.blocks.length * seg + 16, 900) };
}

/** An SVG picture of each subnet's plan (and, from a simulation, its live addresses). */
export function renderPlanSvg(subnets: readonly SvgSubnet[], title = "Multus subnet address plan", notes: readonly string[] = []): string {
  const parts: string[] = [];
  // Lines under the title: what a picture of live addresses cannot show (e.g. ABANDONed launches leave none).
  notes.forEach((note, i) => parts.push(`<text x="16" y="${50 + i * 18}" class="info">${esc(note)}</text>`));
  let y = 44 + notes.length * 18;
  let width = 600;
  const colours = ownerColours(subnets);
  for (const s of subnets) {
    const p = panel(s, y, colours);
    parts.push(p.svg);
    y += p.height;
    width = Math.max(width, p.width);
    if (s.plan.ipv6) {
      const q = panel6(s, s.plan.ipv6, y, colours);
      parts.push(q.svg);
      y += q.height;
      width = Math.max(width, q.width);
    }
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    "<defs>",
    '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="1.2" stroke-opacity="0.45"/></pattern>',
    "<style>.h1{font-size:20px;font-weight:bold}.title{font-size:16px;font-weight:bold}.sub{font-size:12px;fill:#444}.row{font-size:11px;text-anchor:end;font-family:DejaVu Sans Mono,monospace;fill:#333}.col{font-size:10px;text-anchor:middle;fill:#555}.legend{font-size:12.5px}.info{font-size:12px;fill:#222}.mono{font-size:12px;font-family:DejaVu Sans Mono,monospace;fill:#222}.cell{stroke:#fff;stroke-width:1}</style>",
    "</defs>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="28" class="h1">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** Writes the plan's SVG picture to `file` ("-" for stdout); live addresses are keyed by subnet CIDR. */
export function writePlanSvg(
  file: string,
  plan: NetworkPlan,
  live: ReadonlyMap<string, LiveAddresses> = new Map(),
  title?: string,
  reservationsCreated = true,
  extra: { readonly podIpam?: SvgSubnet["podIpam"]; readonly notes?: readonly string[] } = {},
): void {
  const svg = renderPlanSvg(
    plan.subnets.map((s) => ({ plan: s, live: live.get(s.subnet.cidr), reservationsCreated, podIpam: extra.podIpam })),
    title,
    extra.notes,
  );
  if (file === "-") {
    process.stdout.write(svg);
    return;
  }
  try {
    writeFileSync(file, svg);
  } catch (err) {
    throw new PlanError("--svg", `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "give a writable file path");
  }
}

