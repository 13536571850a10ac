import { Command } from "commander";
import { EXIT, reportError } from "./common";
import { PlanFlags, planFromFlags, withPlanOptions } from "./plan";
import { writePlanSvg } from "./svg";

export function mapCommand(): Command {
  return withPlanOptions(
    new Command("map")
      .description("Draw each multus subnet as an SVG: AWS-reserved addresses, worker block, pod block, reservations, DHCP space")
      .requiredOption("--svg <file>", 'where to write the SVG ("-" for stdout)'),
  )
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
