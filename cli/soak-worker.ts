/**
 * A soak child (cli/soak.ts): runs the chunks of seeds its parent sends, one scenario at a time,
 * and answers each with its outcome.
 */
import { runSoakSeed } from "../simulator/scenario/drawn";

process.on("message", (m: { from?: number; to?: number; stop?: boolean }) => {
  if (m.stop) {
    const cpu = process.cpuUsage();
    // The CPU it used, then exit: nothing else to finish between scenarios.
    process.send!({ cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
    return;
  }
  void (async () => {
    for (let seed = m.from!; seed < m.to!; seed++) process.send!({ outcome: await runSoakSeed(seed) });
    process.send!({ chunkDone: true });
  })();
});
