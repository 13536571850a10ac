/**
 * A soak child (cli/soak.ts): runs the chunks of seeds its parent sends, one scenario at a time,
 * and answers each with its outcome.
 */
import { runSoakSeed } from "../simulator/scenario/drawn";

process.on("message", (m: { from?: number; to?: number; stop?: boolean }) => {
  if (m.stop) {
    // Nothing else to finish: the simulation keeps no handles open between scenarios.
    process.exit(0);
  }
  void (async () => {
    for (let seed = m.from!; seed < m.to!; seed++) process.send!({ outcome: await runSoakSeed(seed) });
    process.send!({ chunkDone: true });
  })();
});
