import leven from "leven";

/**
 * The `count` names closest to `word` by edit distance (ties: a shared prefix first, then
 * alphabetical), for "did you mean" fixes.
 */
export function nearest(names: readonly string[], word: string, count = 5): string[] {
  const prefix = (a: string) => {
    let n = 0;
    while (n < a.length && n < word.length && a[n] === word[n]) n++;
    return n;
  };
  return names
    .map((name) => ({ name, d: leven(word, name), p: prefix(name) }))
    .sort((a, b) => a.d - b.d || b.p - a.p || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((x) => x.name);
}

/** A count with its noun: "1 address", "2 addresses". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
