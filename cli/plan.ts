import { Command, Option } from "commander";
import Table from "cli-table3";
import { MultusConfig, NetworkPlan, PlanBlock, PlanError, asWritten, formatRange, formatRange6, networkPlanJson, parseConfig, placeholderFields, planNetwork, plural, withSource } from "../ipam";
import { STRATEGIES, Strategy } from "../contract/lifecycle";
import { loadConfig } from "./config-file";
import { EXIT, collect, parseIntFlag, reportError } from "./common";
import { writePlanSvg } from "./svg";
import { fitTable } from "./table";

export interface PlanFlags {
  config?: string;
  subnet?: string[];
  strategy?: Strategy;
  maxNodes?: number;
  podsPerNode?: number;
  workerHeadroom?: number;
  instanceType?: string;
}

/** The flags that override config fields, mapped so errors name the flag the user typed. */
const FLAG_FIELDS: [RegExp, keyof PlanFlags, string][] = [
  [/^multus\.subnets(\[\d+\])?(\.cidr)?$/, "subnet", "--subnet"],
  [/^multus\.strategy$/, "strategy", "--strategy"],
  [/^(nodeGroup\.)?maxSize$|^maxNodes$/, "maxNodes", "--max-nodes"],
  [/^(multus\.)?podsPerNode$/, "podsPerNode", "--pods-per-node"],
  [/^(multus\.)?workerHeadroom$/, "workerHeadroom", "--worker-headroom"],
  [/^nodeGroup\.instanceType$/, "instanceType", "--instance-type"],
];

/** The flags that reshape the single-group config, each with its name on the command line. */
const SHAPING_FLAGS: [keyof PlanFlags, string][] = [
  ["subnet", "--subnet"],
  ["strategy", "--strategy"],
  ["maxNodes", "--max-nodes"],
  ["podsPerNode", "--pods-per-node"],
  ["workerHeadroom", "--worker-headroom"],
  ["instanceType", "--instance-type"],
];

/** Applies CLI flags over a config (`--subnet` replaces the multus subnets) and validates the result. */
export function configFromFlags(flags: PlanFlags): { config: MultusConfig; file?: string } {
  const { config, file } = loadConfig(flags.config);
  if (config.form === "cluster") {
    // A config with node groups is planned as written: the flags would not say which group.
    const given = SHAPING_FLAGS.find(([key]) => flags[key] !== undefined);
    if (given) throw new PlanError(given[1], `reshapes the single-group config (nodeGroup + multus), but ${file ?? "the config"} has nodeGroups`, "set it per group in the config file, or leave the flag out");
    return { config, file };
  }
  const first = config.multus.subnets[0]!;
  const subnets = flags.subnet?.map((cidr, i) => ({
    cidr,
    id: `subnet-${(0xc11000000 + i).toString(16).padStart(17, "0")}`,
    availabilityZone: first.availabilityZone,
  }));
  const maxSize = flags.maxNodes ?? config.nodeGroup.maxSize;
  const user = {
    ...asWritten(config),
    nodeGroup: {
      ...config.nodeGroup,
      instanceType: flags.instanceType ?? config.nodeGroup.instanceType,
      maxSize,
      minSize: Math.min(config.nodeGroup.minSize, maxSize),
      desiredSize: Math.min(config.nodeGroup.desiredSize, maxSize),
    },
    multus: {
      ...config.multus,
      strategy: flags.strategy ?? config.multus.strategy,
      podsPerNode: flags.podsPerNode ?? config.multus.podsPerNode,
      workerHeadroom: flags.workerHeadroom ?? config.multus.workerHeadroom,
      subnets: subnets ?? config.multus.subnets,
    },
  };
  return { config: parseConfig(user, file ?? ""), file };
}

/**
 * Plans from flags, rewriting error fields to the flag that set them. A config file's ids left
 * at the example's placeholders are fine for planning; `placeholders` lists them so the
 * commands can say so (npm start refuses them).
 */
export function planFromFlags(flags: PlanFlags): { config: MultusConfig; plan: NetworkPlan; placeholders: string[]; file?: string } {
  try {
    const { config, file } = configFromFlags(flags);
    return { config, plan: withSource(file ?? "", () => planNetwork(config)), placeholders: file ? placeholderFields(asWritten(config)) : [], file };
  } catch (err) {
    if (err instanceof PlanError) {
      const hit = FLAG_FIELDS.find(([re, key]) => re.test(err.field) && flags[key] !== undefined);
      if (hit) {
        const problem = err.problem.replace(/ \(in [^)]*\)$/, "");
        throw new PlanError(hit[2], problem.replace(FIELD_WORDS, (m) => flagFor(m)), err.fix.replace(FIELD_WORDS, (m) => flagFor(m)), err.kind);
      }
    }
    throw err;
  }
}

/** Config field names in messages that a flag sets; rewritten to the flag when the flag was given. */
const FIELD_WORDS = /\b(multus\.|nodeGroup\.)?(maxSize|podsPerNode|workerHeadroom|strategy|instanceType)\b/g;

function flagFor(word: string): string {
  if (/maxSize/.test(word)) return "--max-nodes";
  if (/podsPerNode/.test(word)) return "--pods-per-node";
  if (/workerHeadroom/.test(word)) return "--worker-headroom";
  if (/strategy/.test(word)) return "--strategy";
  return "--instance-type";
}

/** Output width the plan's prose lines wrap at (the tables are narrower). */
export const PLAN_WIDTH = 100;

/** Word-wraps `text` at `width`; continuation lines start with `indent`. Leading spaces are kept. */
export function wrap(text: string, indent = "    ", width = PLAN_WIDTH): string {
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(" ")) {
    if (line.trim() && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line += (line.trim() ? " " : "") + word;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

/** What each kind of block is called in the cluster tables. */
const BLOCK_NAMES: Record<PlanBlock["kind"], string> = {
  "aws-reserved": "AWS-reserved",
  workers: "worker block (Lambda assigns)",
  pods: "pod block (whereabouts)",
  dhcp: "DHCP space",
};

/**
 * The IPv6 /64 of a dual-stack subnet: its blocks in address order (each as its CIDR, or its
 * first and last address) and its reservations, within the plan's width.
 */
function renderIpv6(s: NetworkPlan["subnets"][number], withOwner: boolean): string[] {
  const v6 = s.ipv6;
  if (!v6) return [];
  const head = [`${v6.subnet.cidr} (IPv6)`, ...(withOwner ? ["owner"] : []), "addresses", "count"];
  const rows = v6.blocks.map((b) => {
    const f = formatRange6(b.range);
    const name = b.kind === "pod-space" ? "pod space (reserved, no pool)" : b.kind === "dhcp" && !withOwner && s.strategy === "reservation" ? "DHCP space (workers)" : BLOCK_NAMES[b.kind];
    return [name, ...(withOwner ? [b.owner] : []), f.cidr ?? `${f.first} - ${f.last}`, countText(BigInt(f.count))];
  });
  const owner = (r: { purpose: string; owner: string }) => (withOwner ? `${r.purpose} of ${r.owner}` : r.purpose);
  return [
    fitTable(head, rows, PLAN_WIDTH),
    wrap(`  pods' IPv6 addresses in ${v6.podSpace.cidr} (reserved whole, inside the first /65 whereabouts addresses)`),
    wrap(`  IPv6 reservations to create (explicit): ${v6.reservations.map((r) => `${r.cidr} [${owner(r)}]`).join(", ")}`),
  ];
}

/** A count of addresses, those of a /64's large blocks as the power of two they are near (exact): 2^62 - 4. */
function countText(n: bigint): string {
  if (n < 2n ** 40n) return n.toString();
  const bits = n.toString(2).length;
  const [below, above] = [2n ** BigInt(bits - 1), 2n ** BigInt(bits)];
  return above - n < n - below ? `2^${bits} - ${above - n}` : `2^${bits - 1} + ${n - below}`;
}

/** A plan with node groups, for people: a line per group, a table of owners' blocks per subnet. */
function renderClusterPlan(plan: NetworkPlan): string {
  const lines: string[] = [];
  for (const g of plan.groups) {
    lines.push(
      wrap(
        `Group ${g.name} (${g.strategy}, ${g.instance.instanceType}, max ${g.maxSize}, ${g.availabilityZones.join(" ")}): networks ${g.networks.join(", ")}; ${g.instance.maxEnis} ENIs x ${g.instance.ipv4PerEni} IPv4; kubelet max-pods ${g.kubeletMaxPods}; up to ${plural(g.multusPodsPerEni, "routable multus pod")} per node per network`,
        "  ",
      ),
    );
  }
  for (const s of plan.subnets) {
    const head = [`${s.subnet.cidr} (network ${s.network}, ${s.availabilityZone}, device ${s.deviceIndex}; groups ${s.groups.join(", ")})`, "owner", "first", "last", "count"];
    const rows = s.blocks.map((b) => {
      const f = formatRange(b.range);
      return [BLOCK_NAMES[b.kind], b.owner, f.first, f.last, String(f.count)];
    });
    // The subnet's heading wraps in its column however many groups share the subnet.
    lines.push(fitTable(head, rows, PLAN_WIDTH));
    lines.push(wrap(`  reservations to create (explicit): ${s.reservations.map((r) => `${r.cidr} [${r.purpose} of ${r.owner}]`).join(", ") || "none"}`));
    lines.push(...renderIpv6(s, true));
    const perGroup = plan.groups.flatMap((g) =>
      g.subnets.filter((x) => x.id === s.id).map((x) => `${g.name} ${plural(x.capacity.maxNodes, "node")}${x.workers ? "" : " (DHCP, shared)"} / ${plural(x.capacity.maxPods, "pod address", "pod addresses")}`),
    );
    lines.push(wrap(`  capacity: ${perGroup.join("; ")}; ${plural(s.capacity.freeAddresses, "address", "addresses")} in no block`));
  }
  for (const w of plan.warnings) lines.push(wrap(`warning: ${w}`, "  "));
  return lines.join("\n");
}

/** The plan for people: a table per subnet. */
export function renderPlan(plan: NetworkPlan): string {
  if (plan.form === "cluster") return renderClusterPlan(plan);
  const lines: string[] = [];
  lines.push(
    `Instance ${plan.instance.instanceType}: ${plan.instance.maxEnis} ENIs x ${plan.instance.ipv4PerEni} IPv4`,
    `  kubelet max-pods ${plan.kubeletMaxPods} (the VPC CNI on the ENIs multus leaves)`,
    `  up to ${plural(plan.multusPodsPerEni, "routable multus pod")} per node per subnet`,
  );
  for (const s of plan.subnets) {
    const table = new Table({ style: process.stdout.isTTY ? undefined : { head: [], border: [] }, head: [`${s.subnet.cidr} (${s.strategy}, ${s.availabilityZone}, device ${s.deviceIndex})`, "first", "last", "count"] });
    const row = (name: string, r: { first: number; last: number }) => {
      const f = formatRange(r);
      table.push([name, f.first, f.last, f.count]);
    };
    const [network, , , future, broadcast] = s.awsReserved;
    row("AWS-reserved (network, router, DNS, future)", { first: network!, last: future! });
    row("AWS-reserved (broadcast)", { first: broadcast!, last: broadcast! });
    // reservation: the workers' addresses are the DHCP space itself, listed once.
    if (s.strategy === "static") row("worker block (Lambda assigns)", s.workers);
    row("pod block (whereabouts)", s.pods);
    for (const r of s.dhcp) row(s.strategy === "static" ? "DHCP space" : "DHCP space (workers)", r);
    lines.push(table.toString());
    lines.push(wrap(`  reservations to create (explicit): ${s.reservations.map((r) => `${r.cidr} [${r.purpose}]`).join(", ") || "none"}`));
    lines.push(...renderIpv6(s, false));
    lines.push(`  capacity: ${plural(s.capacity.maxNodes, "node")}, ${plural(s.capacity.maxPods, "pod address", "pod addresses")}, ${plural(s.capacity.freeAddresses, "address", "addresses")} in neither block`);
    lines.push(`  its NAD serves only pods on nodes in ${s.availabilityZone} (the subnet's zone)`);
  }
  for (const w of plan.warnings) lines.push(wrap(`warning: ${w}`, "  "));
  return lines.join("\n");
}

/** Says on stderr which ids of a config file are the example's placeholders (npm start refuses them). */
export function notePlaceholders(fields: readonly string[], file?: string): void {
  if (fields.length === 0) return;
  process.stderr.write(`${wrap(`note: ${file} leaves ${plural(fields.length, "id")} at the example's placeholders (${fields.join(", ")}): fine for planning, refused by npm start`, "  ")}\n`);
}

/** The flags every planning command shares (PlanFlags), with one meaning everywhere. */
export function withPlanOptions(cmd: Command, maxNodesHelp = "most nodes at once (the ASG max size)"): Command {
  return cmd
    .option("--config <file>", "config JSON (default: $MULTUS_CONFIG, ./multus.config.json, else the embedded defaults)")
    .option("--subnet <cidr>", "a multus subnet CIDR; repeat for several (replaces the config's subnets)", collect)
    .addOption(new Option("--strategy <name>", "worker IP strategy").choices(STRATEGIES))
    .option("--max-nodes <n>", maxNodesHelp, parseIntFlag("--max-nodes", 1))
    .option("--pods-per-node <n>", "multus pods per node per subnet", parseIntFlag("--pods-per-node", 1))
    .option("--worker-headroom <n>", "static: worker addresses beyond --max-nodes, for replacements (default: as many as --max-nodes)", parseIntFlag("--worker-headroom", 0))
    .option("--instance-type <type>", "EC2 instance type, for ENI and IPv4 limits");
}

export function planCommand(): Command {
  return withPlanOptions(
    new Command("plan").description("Print the address plan of each multus subnet: AWS-reserved addresses, worker and pod blocks, CIDR reservations, capacity"),
  )
    .option("--json", "print one JSON object")
    .option("--svg <file>", 'also draw the plan as an SVG picture ("-": only the SVG, on stdout)')
    .addHelpText("after", "\nExample:\n  multus-sim plan --subnet 10.0.4.0/24 --strategy static --max-nodes 10 --json\n  multus-sim plan --subnet 10.0.4.0/24 --svg plan.svg\n\nExit: 0 feasible, 1 infeasible (with why), 2 bad input.")
    .action((opts: PlanFlags & { json?: boolean; svg?: string }) => {
      try {
        const { plan, placeholders, file } = planFromFlags(opts);
        notePlaceholders(placeholders, file);
        if (opts.svg) writePlanSvg(opts.svg, plan);
        // `--svg -` makes stdout the picture alone, so it can be piped into a file or viewer.
        if (opts.svg !== "-") process.stdout.write(opts.json ? `${JSON.stringify({ feasible: true, ...networkPlanJson(plan) }, null, 2)}\n` : `${renderPlan(plan)}\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        // A script reading --json gets an answer on stdout either way.
        if (opts.json && err instanceof PlanError && err.kind === "infeasible") {
          process.stdout.write(`${JSON.stringify({ feasible: false, reasons: [{ field: err.field, problem: err.problem, fix: err.fix }] }, null, 2)}\n`);
        }
        process.exitCode = reportError(err);
      }
    });
}
