import { Command } from "commander";
import { planCommand } from "./plan";
import { checkCommand } from "./check";
import { mapCommand } from "./map";
import { simulateCommand } from "./simulate";
import { serveCommand } from "./serve";
import { quietOnClosedPipe, withUsageExit } from "./common";
import { version } from "../package.json";

/** Builds the `multus-sim` program; each command lives in its own file. */
export function program(): Command {
  const prog = new Command("multus-sim")
    .description("Capacity planning and collision checks for Multus on EKS")
    .version(version, "-V, --version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  multus-sim plan --subnet 10.0.4.0/24 --max-nodes 10 --svg plan.svg\n" +
        "  multus-sim check --nad ipvlan-conf-1.yaml --subnet 10.0.4.0/24 --nodes 3\n" +
        "  multus-sim map --svg subnets.svg\n" +
        "  multus-sim simulate --nodes 50 --concurrency 50 --pods-per-node 1 --subnet 10.0.4.0/24 --allocator baseline\n" +
        "  multus-sim serve --port 4599 --events events.jsonl\n\n" +
        "Exit codes: 0 ok, 1 a finding (infeasible plan, collision, violation), 2 bad input.",
    );
  for (const cmd of [planCommand(), checkCommand(), mapCommand(), simulateCommand(), serveCommand()]) prog.addCommand(withUsageExit(cmd));
  return withUsageExit(prog);
}

/** Runs the CLI on argv (used by bin/multus-sim.js and `npm run sim`). */
export function run(argv: string[] = process.argv): Promise<Command> {
  quietOnClosedPipe();
  // The simulator's SDK clients (pinned versions) are no deployment: the SDK's notice that its
  // future releases need Node.js 22 would only clutter every command's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return program().parseAsync(argv);
}

if (require.main === module) {
  void run();
}
