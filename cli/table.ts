import Table from "cli-table3";

/**
 * The longest piece a body cell keeps whole; a longer one (an error code, say) breaks inside,
 * between its words where it has capitals (InsufficientFree-AddressesInSubnet).
 */
const WHOLE_PIECE = 17;

/** Words that stay with the word before them: a figure and its unit ("752 ms", "39.6 MB"). */
const UNIT = /^(ms|s|µs|KB|MB|MiB|GB|x)$/;

/**
 * The pieces a cell wraps between: its words, with a unit kept on its figure and "N of M"
 * kept whole (a line break there would misread the figure).
 */
function pieces(text: string): string[] {
  const out: string[] = [];
  let glue = false;
  for (const word of text.split(" ").filter(Boolean)) {
    if (out.length && (glue || UNIT.test(word) || word === "of")) out[out.length - 1] += ` ${word}`;
    else out.push(word);
    glue = word === "of";
  }
  return out.length ? out : [""];
}

/** A piece wider than `width` in parts that fit: at its capitals where it has them, else cut. */
function split(piece: string, width: number): string[] {
  const parts: string[] = [];
  for (let word of piece.split(/(?<=[a-z])(?=[A-Z])/)) {
    for (; word.length > width; word = word.slice(width)) parts.push(word.slice(0, width));
    if (parts.length && parts[parts.length - 1]!.length + word.length <= width) parts[parts.length - 1] += word;
    else parts.push(word);
  }
  return parts;
}

/** `text` in lines of at most `width` characters, broken between pieces (inside one only when it is wider). */
function wrapCell(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const whole of pieces(text)) {
    const parts = whole.length > width ? split(whole, width) : [whole];
    const piece = parts.pop()!;
    if (parts.length) {
      if (line) lines.push(line);
      lines.push(...parts);
      line = "";
    }
    if (line && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line ? `${line} ${piece}` : piece;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

const longest = (text: string) => Math.max(...pieces(text).map((p) => p.length));

/**
 * Column widths for a cli-table3 table (one space of padding each side included) that fit
 * `width`: each column as wide as its longest cell, the widest narrowed first (its cells
 * wrap), none below its heading's longest piece or its cells' (up to WHOLE_PIECE). A table
 * whose pieces alone are wider stays as narrow as they allow.
 */
export function fitColumns(head: readonly string[], rows: readonly (readonly string[])[], width: number): number[] {
  const cells = (i: number) => rows.map((r) => r[i] ?? "");
  const widths = head.map((h, i) => Math.max(h.length, ...cells(i).map((t) => t.length)) + 2);
  const floors = head.map((h, i) => Math.max(longest(h), ...cells(i).map((t) => Math.min(longest(t), WHOLE_PIECE))) + 2);
  // Each column adds its width and one border; the table one more.
  let total = widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  while (total > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w > floors[i]! && (widest < 0 || w > widths[widest]!)) widest = i;
    });
    if (widest < 0) break;
    widths[widest]!--;
    total--;
  }
  return widths;
}

/** A table of `head` and `rows` within `width` (fitColumns), its cells wrapped; uncoloured off a terminal. */
export function fitTable(head: readonly string[], rows: readonly (readonly string[])[], width: number): string {
  const colWidths = fitColumns(head, rows, width);
  const fit = (cells: readonly string[]) => head.map((_, i) => wrapCell(cells[i] ?? "", colWidths[i]! - 2));
  const table = new Table({ head: fit(head), colWidths, style: process.stdout.isTTY ? undefined : { head: [], border: [] } });
  table.push(...rows.map(fit));
  return table.toString();
}
