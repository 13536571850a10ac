import { Fn, Token } from "cdktf";
import { PlanError } from "../../contract/errors";
import { fitName as fitLiteralName } from "../../ipam/group-names";

/** True when the value is a literal (not a Terraform reference or variable resolved at apply). */
export function isLiteral(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

/** Throws a PlanError naming `Construct.prop`, the problem and the fix. */
export function propError(construct: string, prop: string, problem: string, fix: string): never {
  throw new PlanError(`${construct}.${prop}`, problem, fix);
}

/** Checks literal values only: a token is known at apply time and checked by AWS then. */
export class PropChecker {
  constructor(private readonly construct: string) {}

  fail(prop: string, problem: string, fix: string): never {
    return propError(this.construct, prop, problem, fix);
  }

  str(value: unknown, prop: string, pattern?: RegExp, example?: string): void {
    if (!isLiteral(value)) return;
    if (typeof value !== "string" || value.length === 0) {
      this.fail(prop, `must be a non-empty string, got ${JSON.stringify(value)}`, `set ${prop}${example ? ` (e.g. "${example}")` : ""}`);
    }
    if (pattern && !pattern.test(value)) this.fail(prop, `"${value}" is not valid`, `use the form ${example ?? pattern.source}`);
  }

  id(value: unknown, prop: string, prefix: string): void {
    this.str(value, prop, new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `${prefix}-0123456789abcdef0`);
  }

  ids(values: unknown, prop: string, prefix: string, minLength = 1): void {
    if (!isLiteral(values)) return;
    if (!Array.isArray(values) || values.length < minLength) {
      this.fail(prop, `must list at least ${minLength} id${minLength === 1 ? "" : "s"}, got ${JSON.stringify(values)}`, `give ${prop} as a list of ${prefix}-... ids`);
    }
    values.forEach((v, i) => this.id(v, `${prop}[${i}]`, prefix));
  }

  int(value: unknown, prop: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (!isLiteral(value)) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(prop, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, `set ${prop} to a whole number from ${min} to ${max}`);
    }
  }

  oneOf<T extends string>(value: unknown, prop: string, options: readonly T[]): void {
    if (typeof value !== "string" || !options.includes(value as T)) {
      this.fail(prop, `must be one of ${options.join(", ")}, got ${JSON.stringify(value)}`, `set ${prop} to ${options.join(" or ")}`);
    }
  }
}

/**
 * A resource name within AWS's length limit: kept as is when it fits, otherwise cut and
 * suffixed with a short hash of the full name so two long names stay distinct.
 */
export function fitName(name: string, max: number): string {
  return isLiteral(name) ? fitLiteralName(name, max) : name;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`; account "*" keeps it offline (no caller identity lookup). */
export function arn(partition: string, service: string, region: string, resource: string, account = "*"): string {
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** One ARN per value (`<resourcePrefix><value>`), also when the list is a Terraform reference (formatlist). */
export function arnEach(partition: string, service: string, region: string, resourcePrefix: string, values: string[]): string[] {
  if (isLiteral(values)) return values.map((v) => arn(partition, service, region, `${resourcePrefix}${v}`));
  return Token.asList(Fn.formatlist(`arn:%s:${service}:%s:*:${resourcePrefix}%s`, [partition, region, values]));
}

/** Lists joined, also when some are Terraform references (concat). */
export function concatLists(...lists: string[][]): string[] {
  return lists.every((l) => isLiteral(l)) ? lists.flat() : Token.asList(Fn.concat(lists));
}

/**
 * A deep copy without the values that are Terraform references (module variables): what can be
 * checked at synth. The references are checked by their variables' validations and by AWS.
 */
export function literalOnly<T>(value: T): T {
  if (!isLiteral(value)) return undefined as T;
  if (Array.isArray(value)) return value.filter((v) => isLiteral(v)).map((v) => literalOnly(v)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => isLiteral(v)).map(([k, v]) => [k, literalOnly(v)])) as T;
  }
  return value;
}

/**
 * Tag maps merged, a later one over an earlier one: in JS while every map is literal, else with
 * Terraform's merge (a module variable's map is known at plan time only). Adjacent literal maps
 * are folded first, so the expression holds only what it needs.
 */
export function mergeTags(...maps: (Readonly<Record<string, string>> | undefined)[]): Record<string, string> {
  const parts: Record<string, string>[] = [];
  for (const m of maps) {
    if (m === undefined) continue;
    const last = parts[parts.length - 1];
    if (isLiteral(m) && last !== undefined && isLiteral(last)) parts[parts.length - 1] = { ...last, ...m };
    else parts.push(isLiteral(m) ? { ...m } : (m as Record<string, string>));
  }
  if (parts.every((p) => isLiteral(p))) return parts[0] ?? {};
  const needed = parts.filter((p) => !isLiteral(p) || Object.keys(p).length > 0);
  return needed.length === 1 ? needed[0]! : Token.asStringMap(Fn.merge(needed));
}
