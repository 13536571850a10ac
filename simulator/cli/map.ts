import { Command, Option } from "commander";
import { STRATEGIES } from "../../ipam";
import { EXIT, collect, parseIntFlag, reportError } from "./common";
import { PlanFlags, planFromFlags } from "./plan";
import { writePlanSvg } from "./svg";

export function mapCommand(): Command {
  return new Command("map")
    .description("Draw each multus subnet as an SVG: AWS-reserved addresses, worker block, pod block, reservations, DHCP space")
    .requiredOption("--svg <file>", 'where to write the SVG ("-" for stdout)')
    .option("--config <file>", "config JSON (default: $MULTUS_CONFIG, ./multus.config.json, else the embedded defaults)")
    .option("--subnet <cidr>", "a multus subnet CIDR; repeat for several (replaces the config's subnets)", collect)
    .addOption(new Option("--strategy <name>", "worker IP strategy").choices(STRATEGIES))
    .option("--max-nodes <n>", "most nodes at once (the ASG max size)", parseIntFlag("--max-nodes", 1))
    .option("--pods-per-node <n>", "multus pods per node per subnet", parseIntFlag("--pods-per-node", 1))
    .option("--instance-type <type>", "EC2 instance type, for ENI and IPv4 limits")
    .addHelpText("after", "\nExample:\n  multus-sim map --subnet 10.0.4.0/24 --strategy static --max-nodes 10 --svg plan.svg\n\nExit: 0 written, 1 infeasible plan, 2 bad input.")
    .action((opts: PlanFlags & { svg: string }) => {
      try {
        const { plan } = planFromFlags(opts);
        writePlanSvg(opts.svg, plan);
        if (opts.svg !== "-") process.stdout.write(`wrote ${opts.svg} (${plan.subnets.map((s) => s.subnet.cidr).join(", ")})\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
