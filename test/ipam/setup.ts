import { PlanError } from "../../contract/errors";
import { parseConfig } from "../../ipam/config";
import { asShorthand } from "../../ipam/cluster-config";
import { planNetwork } from "../../ipam/plan";

/** A single-group config over the defaults, and its plan. */
export function setup(user: unknown = {}) {
  const config = asShorthand(parseConfig(user));
  return { config, plan: planNetwork(config) };
}

/** The PlanError `fn` throws; fails the test when it throws nothing or something else. */
export function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error("expected a PlanError");
}
