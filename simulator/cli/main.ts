import { Command } from "commander";
import { planCommand } from "./plan";
import { checkCommand } from "./check";
import { mapCommand } from "./map";
import { simulateCommand } from "./simulate";
import { withUsageExit } from "./common";

/** Builds the `multus-sim` program; each command lives in its own file. */
export function program(): Command {
  const prog = new Command("multus-sim")
    .description("Capacity planning and collision checks for Multus on EKS")
    .showHelpAfterError("(run with --help for usage)");
  for (const cmd of [planCommand(), checkCommand(), mapCommand(), simulateCommand()]) prog.addCommand(withUsageExit(cmd));
  return withUsageExit(prog);
}

if (require.main === module) {
  void program().parseAsync(process.argv);
}
