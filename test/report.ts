/**
 * Prints one line of a suite's record: what a property checked, a seed to replay, why a check
 * was skipped. Plain stdout, as a line: jest frames every console.log/info/warn in a
 * "● Console" block with a stack trace, which buries the line it carries.
 */
export function report(line: string): void {
  process.stdout.write(`${line}\n`);
}
