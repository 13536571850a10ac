import { loadConfig } from "./simulator/cli/config-file";
import { renderPlan } from "./simulator/cli/plan";
import { planNetwork } from "./ipam";
import { reportError } from "./simulator/cli/common";

/**
 * The example app: reads multus.config.json (or $MULTUS_CONFIG), else the embedded defaults,
 * and prints the address plan.
 */
function main(): number {
  try {
    const { config, source } = loadConfig();
    const plan = planNetwork(config);
    process.stdout.write(`Config: ${source}\n${renderPlan(plan)}\n`);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

process.exitCode = main();
