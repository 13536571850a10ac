import { Command, Option } from "commander";
import Table from "cli-table3";
import { MultusConfig, NetworkPlan, PlanError, formatRange, intToIp, networkPlanJson, parseConfig, planNetwork } from "../ipam";
import { STRATEGIES, Strategy } from "../contract/lifecycle";
import { loadConfig } from "./config-file";
import { EXIT, collect, parseIntFlag, reportError } from "./common";
import { writePlanSvg } from "./svg";

export interface PlanFlags {
  config?: string;
  subnet?: string[];
  strategy?: Strategy;
  maxNodes?: number;
  podsPerNode?: number;
  instanceType?: string;
}

/** The flags that override config fields, mapped so errors name the flag the user typed. */
const FLAG_FIELDS: [RegExp, keyof PlanFlags, string][] = [
  [/^multus\.subnets(\[\d+\])?(\.cidr)?$/, "subnet", "--subnet"],
  [/^multus\.strategy$/, "strategy", "--strategy"],
  [/^(nodeGroup\.)?maxSize$|^maxNodes$/, "maxNodes", "--max-nodes"],
  [/^(multus\.)?podsPerNode$/, "podsPerNode", "--pods-per-node"],
  [/^nodeGroup\.instanceType$/, "instanceType", "--instance-type"],
];

/** Applies CLI flags over a config (`--subnet` replaces the multus subnets) and validates the result. */
export function configFromFlags(flags: PlanFlags): MultusConfig {
  const { config } = loadConfig(flags.config);
  const first = config.multus.subnets[0]!;
  const subnets = flags.subnet?.map((cidr, i) => ({
    cidr,
    id: `subnet-${(0xc11000000 + i).toString(16).padStart(17, "0")}`,
    availabilityZone: first.availabilityZone,
  }));
  const maxSize = flags.maxNodes ?? config.nodeGroup.maxSize;
  const user = {
    ...config,
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
      subnets: subnets ?? config.multus.subnets,
    },
  };
  return parseConfig(user, flags.config ?? "");
}

/** Plans from flags, rewriting error fields to the flag that set them. */
export function planFromFlags(flags: PlanFlags): { config: MultusConfig; plan: NetworkPlan } {
  try {
    const config = configFromFlags(flags);
    return { config, plan: planNetwork(config) };
  } catch (err) {
    if (err instanceof PlanError) {
      const hit = FLAG_FIELDS.find(([re, key]) => re.test(err.field) && flags[key] !== undefined);
      if (hit) {
        const problem = err.problem.replace(/ \(in [^)]*\)$/, "");
        throw new PlanError(hit[2], problem, err.fix.replace(/\b(multus\.|nodeGroup\.)?(maxNodes|maxSize|podsPerNode|strategy|instanceType)\b/g, (m) => flagFor(m)), err.kind);
      }
    }
    throw err;
  }
}

function flagFor(word: string): string {
  if (/maxNodes|maxSize/.test(word)) return "--max-nodes";
  if (/podsPerNode/.test(word)) return "--pods-per-node";
  if (/strategy/.test(word)) return "--strategy";
  return "--instance-type";
}

/** The plan for people: a table per subnet. */
export function renderPlan(plan: NetworkPlan): string {
  const lines: string[] = [];
  lines.push(
    `Instance ${plan.instance.instanceType}: ${plan.instance.maxEnis} ENIs x ${plan.instance.ipv4PerEni} IPv4; kubelet max-pods ${plan.kubeletMaxPods} (VPC CNI on the ENIs multus leaves); up to ${plan.multusPodsPerEni} routable multus pods per node per subnet`,
  );
  for (const s of plan.subnets) {
    const table = new Table({ style: process.stdout.isTTY ? undefined : { head: [], border: [] }, head: [`${s.subnet.cidr} (${s.strategy}, ${s.availabilityZone}, device ${s.deviceIndex})`, "first", "last", "count"] });
    const row = (name: string, r: { first: number; last: number }) => {
      const f = formatRange(r);
      table.push([name, f.first, f.last, f.count]);
    };
    table.push(["AWS-reserved", s.awsReserved.slice(0, 4).map(intToIp).join(", ") + ", " + intToIp(s.awsReserved[4]!), "", 5]);
    row(s.strategy === "static" ? "worker block (Lambda assigns)" : "workers (DHCP space)", s.workers);
    row("pod block (whereabouts)", s.pods);
    for (const r of s.dhcp) row("DHCP space", r);
    lines.push(table.toString());
    lines.push(`  reservations to create (explicit): ${s.reservations.map((r) => `${r.cidr} [${r.purpose}]`).join(", ") || "none"}`);
    lines.push(`  capacity: ${s.capacity.maxNodes} nodes, ${s.capacity.maxPods} pod addresses, ${s.capacity.freeAddresses} addresses in neither block`);
  }
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}

/** The flags every planning command shares (PlanFlags), with one meaning everywhere. */
export function withPlanOptions(cmd: Command, maxNodesHelp = "most nodes at once (the ASG max size)"): Command {
  return cmd
    .option("--config <file>", "config JSON (default: $MULTUS_CONFIG, ./multus.config.json, else the embedded defaults)")
    .option("--subnet <cidr>", "a multus subnet CIDR; repeat for several (replaces the config's subnets)", collect)
    .addOption(new Option("--strategy <name>", "worker IP strategy").choices(STRATEGIES))
    .option("--max-nodes <n>", maxNodesHelp, parseIntFlag("--max-nodes", 1))
    .option("--pods-per-node <n>", "multus pods per node per subnet", parseIntFlag("--pods-per-node", 1))
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
        const { plan } = planFromFlags(opts);
        if (opts.svg) writePlanSvg(opts.svg, plan);
        // `--svg -` makes stdout the picture alone, so it can be piped into a file or viewer.
        if (opts.svg !== "-") process.stdout.write(opts.json ? `${JSON.stringify(networkPlanJson(plan), null, 2)}\n` : `${renderPlan(plan)}\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
