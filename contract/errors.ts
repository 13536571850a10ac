/**
 * A plan or config that cannot work. `field` names the input at fault (a config path such
 * as `multus.subnets[0].cidr`, or a CLI flag such as `--subnet`), `fix` says what to change.
 */
export class PlanError extends Error {
  override readonly name = "PlanError";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly fix: string,
    /** `input`: the value is malformed (CLI exit 2); `infeasible`: well-formed but cannot fit (exit 1). */
    readonly kind: "input" | "infeasible" = "input",
  ) {
    super(`${field}: ${problem}. Fix: ${fix}`);
  }
}

