#!/usr/bin/env bash
# npm test [-- JEST ARGS]: the jest suites. The type check is `npm run typecheck` (CI runs it
# as its own step, .ci/run); `npm run check` runs both side by side.
set -uo pipefail
cd "$(dirname "$0")/.."
# A larger young generation: the suites allocate fast (synths, simulated fleets) and V8's default
# semi-space has them scavenging all the time; measured 5% less CPU for the same run.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-semi-space-size=32"
exec npx jest "$@"
