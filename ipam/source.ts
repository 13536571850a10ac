import { PlanError } from "../contract/errors";

/** Runs `fn`; a PlanError it throws says which file it is about: `(in FILE)` after the problem. */
export function withSource<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!source || !(err instanceof PlanError) || err.problem.endsWith(`(in ${source})`)) throw err;
    throw new PlanError(err.field, `${err.problem} (in ${source})`, err.fix, err.kind);
  }
}
