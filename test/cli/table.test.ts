import fc from "fast-check";
import { fitColumns, fitTable } from "../../cli/table";

/** Each cell's text as printed: its lines per column joined, row by row (heading first). */
function printedCells(table: string): string[][] {
  const rows: string[][] = [];
  let current: string[][] | undefined;
  for (const line of table.split("\n")) {
    if (!line.startsWith("│")) {
      if (current) rows.push(current.map((lines) => lines.join(" ")));
      current = undefined;
      continue;
    }
    const cells = line.slice(1, -1).split("│").map((c) => c.trim());
    current ??= cells.map(() => []);
    cells.forEach((c, i) => c && current![i]!.push(c));
  }
  return rows;
}

const squeeze = (s: string) => s.replace(/\s+/g, "");

describe("fitTable", () => {
  const word = fc.stringMatching(/^[a-z0-9./()+-]{1,12}$/);
  const figure = fc.tuple(fc.integer({ min: 0, max: 99999 }), fc.constantFrom("ms", "MB", "x")).map(([n, u]) => `${n} ${u}`);
  const text = fc.array(fc.oneof(word, figure), { minLength: 1, maxLength: 12 }).map((w) => w.join(" "));

  test("GIVEN any table WHEN fitted to 100 columns THEN it is no wider than 100 or than its longest pieces allow, and every cell prints whole", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }).chain((cols) => fc.tuple(fc.array(word, { minLength: cols, maxLength: cols }), fc.array(fc.array(text, { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 5 }))), ([head, rows]) => {
        const table = fitTable(head, rows, 100);
        const widths = fitColumns(head, rows, 100);
        const widest = Math.max(...table.split("\n").map((l) => l.length));
        expect(widest).toBe(widths.reduce((a, b) => a + b, 0) + widths.length + 1);
        // Wider than 100 only as far as unbreakable pieces need: at most a column's heading or
        // its longest cell (up to 17 characters) each, with padding and borders.
        const needed = head.reduce((n, h, i) => n + Math.max(h.length, Math.min(17, Math.max(...rows.map((r) => r[i]!.length)))) + 3, 1);
        expect(widest).toBeLessThanOrEqual(Math.max(100, needed));
        // Nothing is cut off: each cell's characters all print, in order.
        expect(printedCells(table).map((r) => r.map(squeeze))).toEqual([head, ...rows].map((r) => r.map(squeeze)));
        expect(table).not.toContain("…");
      }),
      { numRuns: 25 },
    );
  });

  test("GIVEN figures with units and counts WHEN their column wraps THEN a figure stays on one line with its unit", () => {
    const table = fitTable(["what", "lifecycle latency p50 / p95", "ABANDONs"], [["x".repeat(70), "3323 ms / 4076 ms", "152 of 250"]], 60);
    expect(Math.max(...table.split("\n").map((l) => l.length))).toBeLessThanOrEqual(60);
    for (const figure of ["3323 ms", "4076 ms", "152 of 250"]) expect(table).toContain(figure);
  });

  test("GIVEN an error code wider than any column can be THEN it breaks at its capitals, not cut off", () => {
    const head = ["subnet", "a", "b", "c", "d", "e", "ended with"];
    const table = fitTable(head, [["/16", "1", "2", "3", "4", "5", "InsufficientFreeAddressesInSubnet"]], 40);
    expect(table).toMatch(/│ InsufficientFree\s*│\n.*│ AddressesInSubnet\s*│/);
  });
});
