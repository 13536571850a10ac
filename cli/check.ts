import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { MultusConfig, NetworkPlan, PlanError, nadIpam } from "../ipam";
import { STRATEGIES, Strategy } from "../contract/lifecycle";
import type { NadAnalysis, ParsedNad } from "../simulator/cni/nad";
import { EXIT, collect, parseIntFlag, reportError } from "./common";
import { planFromFlags } from "./plan";
import { loadConfig } from "./config-file";

/** The NAD parser pulls in the YAML library: load it when `check` runs, not on every command. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nadModule = (): typeof import("../simulator/cni/nad") => require("../simulator/cni/nad");

export interface CheckFlags {
  nad?: string[];
  config?: string;
  subnet?: string[];
  strategy?: Strategy;
  nodes?: number;
  podsPerNode?: number;
  workerHeadroom?: number;
  json?: boolean;
}

/** Reads every --nad file; errors name the file (and, from parseNad, the field). */
export function readNads(files: readonly string[], read: (file: string) => string = (f) => readFileSync(f, "utf8")): ParsedNad[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      throw new PlanError("--nad", `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "give the path of a NetworkAttachmentDefinition YAML or JSON file");
    }
    return nadModule().parseNad(text, file);
  });
}

/**
 * The plan for `check`: --nodes plays the part of the node group's max size. A config with
 * nodeGroups is planned as written; --nodes and --pods-per-node then only say how many pods the
 * NADs are checked for.
 */
export function checkPlan(flags: CheckFlags): { config: MultusConfig; plan: NetworkPlan } {
  const cluster = loadConfig(flags.config).config.form === "cluster";
  try {
    if (cluster) return planFromFlags({ config: flags.config, subnet: flags.subnet, strategy: flags.strategy, workerHeadroom: flags.workerHeadroom });
    return planFromFlags({ config: flags.config, subnet: flags.subnet, strategy: flags.strategy, maxNodes: flags.nodes, podsPerNode: flags.podsPerNode, workerHeadroom: flags.workerHeadroom });
  } catch (err) {
    if (err instanceof PlanError && (err.field === "--max-nodes" || /--max-nodes/.test(err.fix + err.problem))) {
      throw new PlanError(err.field.replace("--max-nodes", "--nodes"), err.problem.replace(/--max-nodes/g, "--nodes"), err.fix.replace(/--max-nodes/g, "--nodes"), err.kind);
    }
    throw err;
  }
}

/** The human report: each collision, why host-local collides, and what to use instead. */
export function renderCheck(result: NadAnalysis, nads: readonly ParsedNad[], plan: NetworkPlan, nodes: number, podsPerNode: number): string {
  const lines: string[] = [];
  const files = [...new Set(nads.map((n) => n.file))].join(", ");
  lines.push(
    `Checked ${nads.length} NAD${nads.length === 1 ? "" : "s"} (${files}) on ${nodes} node${nodes === 1 ? "" : "s"} x ${podsPerNode} pods against ${plan.subnets.map((s) => `${s.subnet.cidr}${s.ipv6 ? ` + ${s.ipv6.subnet.cidr}` : ""} (${s.strategy})`).join(", ")}`,
  );
  for (const c of result.collisions) {
    lines.push("");
    lines.push(`COLLISION ${c.kind} ${c.ip ?? c.range ?? ""}`.trimEnd());
    lines.push(`  ${c.detail}`);
  }
  if (result.collisions.some((c) => c.kind === "pod-pod")) {
    lines.push("");
    lines.push(
      "Why: host-local is a node-local allocator. Each node keeps the addresses it handed out in files on its own disk and never asks the other nodes, " +
        "so every node walks the same range from the same start and its first pods get the same addresses as every other node's first pods.",
    );
  }
  if (result.collisions.length > 0) {
    lines.push("");
    lines.push("Fix: use whereabouts (one cluster-wide pool) over the plan's pod block, which AWS reserves so no ENI takes it:");
    for (const s of plan.subnets) lines.push(`  ${s.subnet.cidr}: "ipam": ${JSON.stringify({ type: "whereabouts", ...nadIpam(s) })}`);
  }
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  lines.push("");
  lines.push(result.collisions.length === 0 ? "No collisions." : `${result.collisions.length} collision${result.collisions.length === 1 ? "" : "s"}.`);
  return lines.join("\n");
}

export function checkCommand(): Command {
  return new Command("check")
    .description("Check NetworkAttachmentDefinitions for pod address collisions across nodes, with workers, DHCP and AWS-reserved addresses")
    .requiredOption("--nad <file>", "a NAD YAML or JSON file (several documents allowed); repeat for several files", collect)
    .option("--config <file>", "config JSON (default: $MULTUS_CONFIG, ./multus.config.json, else the embedded defaults)")
    .option("--subnet <cidr>", "the multus subnet CIDR; repeat for several (replaces the config's subnets)", collect)
    .addOption(new Option("--strategy <name>", "worker IP strategy of the plan").choices(STRATEGIES))
    .option("--nodes <n>", "nodes running pods of every NAD (default: the config's max size)", parseIntFlag("--nodes", 1))
    .option("--pods-per-node <n>", "pods per node of every NAD", parseIntFlag("--pods-per-node", 1))
    .option("--worker-headroom <n>", "static: worker addresses beyond --nodes (default: as many as --nodes)", parseIntFlag("--worker-headroom", 0))
    .option("--json", 'print one JSON object: {"collisions": [{"kind", "ip" or "range", "detail", "nads"}], "warnings": []}')
    .addHelpText(
      "after",
      "\nExample:\n  multus-sim check --nad ipvlan-conf-1.yaml --subnet 10.0.4.0/24 --nodes 3 --pods-per-node 10\n\n" +
        "Collision kinds: pod-pod, nad-overlap, static-duplicate, pod-worker, pod-dhcp, aws-reserved, outside-subnet;\n" +
        "whereabouts IPv6 ranges are checked against the subnets' ipv6Cidr the same way.\n" +
        "Exit: 0 no collision, 1 a collision, 2 unreadable or invalid input (file and field named).",
    )
    .action((opts: CheckFlags) => {
      try {
        const { config, plan } = checkPlan(opts);
        const nads = readNads(opts.nad ?? []);
        // Several groups: as many nodes and pods as the largest group has.
        const nodes = opts.nodes ?? Math.max(...config.nodeGroups.map((g) => g.maxSize));
        const podsPerNode = opts.podsPerNode ?? Math.max(...config.nodeGroups.map((g) => g.podsPerNode));
        const result = nadModule().analyseNads(nads, { plan: plan.subnets, nodes, podsPerNode });
        if (opts.json) {
          const collisions = result.collisions.map((c) => ({ kind: c.kind, ...(c.ip !== undefined ? { ip: c.ip } : { range: c.range }), detail: c.detail, nads: c.nads }));
          process.stdout.write(`${JSON.stringify({ collisions, warnings: result.warnings }, null, 2)}\n`);
        } else {
          process.stdout.write(`${renderCheck(result, nads, plan, nodes, podsPerNode)}\n`);
        }
        process.exitCode = result.collisions.length > 0 ? EXIT.finding : EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
