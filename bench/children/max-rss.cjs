// Preloaded (node -r) when /usr/bin/time is missing: writes the process's peak RSS (KB) to
// $BENCH_RSS_FILE on exit.
const fs = require("node:fs");
process.on("exit", () => {
  if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
