/** Pure helpers of the benchmark report: statistics, formatting, targets, Markdown. */

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `a / b` to `digits` decimals with a trailing "x", or "n/a" when either is not a positive number. */
export function ratio(a: number, b: number, digits = 2): string {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a / b)) return "n/a";
  return `${(a / b).toFixed(digits)}x`;
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function mb(kb: number): string {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : "n/a";
}

export function num(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** A section of the report: one table and the lines under it. */
export interface Section {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub-flavoured Markdown table; a row shorter than the head is padded with empty cells. */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${head.map((_, i) => cell(cells[i] ?? "")).join(" | ")} |`;
  return [line(head), `|${head.map(() => " --- ").join("|")}|`, ...rows.map(line)].join("\n");
}

export function markdownSection(s: Section): string {
  return [`### ${s.title}`, "", markdownTable(s.head, s.rows), ...(s.notes.length ? ["", ...s.notes.map((n) => `- ${n}`)] : [])].join("\n");
}

/**
 * Replaces what lies between the `begin` and `end` marker lines of `text` with `content`;
 * appends both markers and the content when the markers are missing.
 */
export function replaceBetween(text: string, begin: string, end: string, content: string): string {
  const b = text.indexOf(begin);
  const e = text.indexOf(end, b + begin.length);
  if (b < 0 || e < 0) return `${text.replace(/\n*$/, "\n\n")}${begin}\n${content}\n${end}\n`;
  return `${text.slice(0, b + begin.length)}\n${content}\n${text.slice(e)}`;
}

export interface Verdict {
  readonly met: boolean;
  readonly text: string;
}

/** The burst target at one N: no ABANDON and at most `maxCalls` EC2 calls (reads and writes) per ENI. */
export function burstVerdict(
  rows: readonly { nodes: number; allocator: string; strategy: string; infeasible?: string; abandoned: number; callsPerEni: number; collisions: number }[],
  nodes: number,
  maxCalls: number,
): Verdict {
  const mine = rows.filter((r) => r.nodes === nodes && r.allocator === "project");
  if (!mine.length) return { met: false, text: `no run of this project's allocator at N = ${nodes}` };
  const infeasible = mine.filter((r) => r.infeasible);
  if (infeasible.length) return { met: false, text: `N = ${nodes} has no feasible plan: ${infeasible[0]!.infeasible}` };
  const gaps: string[] = [];
  for (const r of mine) {
    if (r.abandoned > 0) gaps.push(`${r.strategy}: ${r.abandoned} ABANDONs`);
    if (r.collisions > 0) gaps.push(`${r.strategy}: ${r.collisions} collisions`);
    if (r.callsPerEni > maxCalls + 1e-9) gaps.push(`${r.strategy}: ${r.callsPerEni.toFixed(2)} EC2 calls per ENI (target <= ${maxCalls}, gap ${(r.callsPerEni - maxCalls).toFixed(2)})`);
  }
  return gaps.length
    ? { met: false, text: `at N = ${nodes}: ${gaps.join("; ")}` }
    : { met: true, text: `at N = ${nodes}: 0 ABANDONs, 0 collisions, at most ${Math.max(...mine.map((r) => r.callsPerEni)).toFixed(2)} EC2 calls per ENI` };
}

/**
 * Near-linear growth: the per-allocation time of the largest fill over the smallest stays
 * under `maxRatio` (a scan of the subnet per allocation would make it about the size ratio,
 * 256 from /24 to /16).
 */
export function scaleVerdict(perAllocSmall: number, perAllocLarge: number, maxRatio: number, lateOverEarly?: number): Verdict {
  const r = perAllocLarge / perAllocSmall;
  if (!Number.isFinite(r) || !(r > 0)) return { met: false, text: "no figures" };
  const within = lateOverEarly !== undefined && Number.isFinite(lateOverEarly) ? `; within the /16 fill, last ÷ first eighth = ${lateOverEarly.toFixed(2)}x` : "";
  return r <= maxRatio
    ? { met: true, text: `per-allocation time /16 ÷ /24 = ${r.toFixed(2)}x (target <= ${maxRatio}x; a per-allocation scan would give ~256x)${within}` }
    : { met: false, text: `per-allocation time /16 ÷ /24 = ${r.toFixed(2)}x (target <= ${maxRatio}x)${within}` };
}
