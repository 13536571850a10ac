// A fake EC2 instance metadata service (IMDSv2) on 127.0.0.1, for multus-eni's tests. The test
// runs it inside the network namespace the script runs in, so the script reaches it on that
// namespace's loopback. argv[2]: JSON {
//   mac: primary MAC, zone: availability zone,
//   macs: { <mac>: { "subnet-id", "device-number", "network-card"? } },
//   lag: { <mac>: { "subnet-id": n, "device-number": n } }   first n reads: 404 (subnet-id) or "0" (device-number),
//        as IMDS answers for a hot-plugged ENI before its entries have propagated
//   log: file that gets every request as a JSON line
// }. Prints "port <n>" once listening.
"use strict";
const fs = require("node:fs");
const http = require("node:http");

const spec = JSON.parse(process.argv[2]);
const TOKEN = "fake-imds-token";
const reads = new Map();

function answer(path) {
  if (path === "mac") return spec.mac;
  if (path === "placement/availability-zone") return spec.zone;
  const m = /^network\/interfaces\/macs\/([0-9a-f:]+)\/([a-z-]+)$/.exec(path);
  if (!m) return undefined;
  const [, mac, key] = m;
  const entry = (spec.macs || {})[mac];
  if (!entry || entry[key] === undefined) return undefined;
  const lag = ((spec.lag || {})[mac] || {})[key] || 0;
  const n = (reads.get(path) || 0) + 1;
  reads.set(path, n);
  if (n <= lag) return key === "device-number" ? "0" : undefined;
  return String(entry[key]);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const line = { method: req.method, path: url.pathname, token: req.headers["x-aws-ec2-metadata-token"] || null };
  fs.appendFileSync(spec.log, JSON.stringify(line) + "\n");
  if (url.pathname === "/latest/api/token") {
    if (req.method !== "PUT" || !req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) {
      res.statusCode = 400;
      return res.end();
    }
    return res.end(TOKEN);
  }
  // IMDSv2 only (the node group requires tokens): a read without the token is refused.
  if (req.headers["x-aws-ec2-metadata-token"] !== TOKEN) {
    res.statusCode = 401;
    return res.end();
  }
  const prefix = "/latest/meta-data/";
  const value = url.pathname.startsWith(prefix) ? answer(url.pathname.slice(prefix.length)) : undefined;
  if (value === undefined) {
    res.statusCode = 404;
    return res.end();
  }
  res.end(value);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`port ${server.address().port}\n`));
process.on("SIGTERM", () => process.exit(0));
