#!/usr/bin/env bash
# npm run check [-- JEST ARGS]: the type check and the tests side by side (many suites wait on
# children, and the type check fills some of that idle core time); fails when either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
npx tsc --noEmit > >(sed 's/^/tsc: /') 2>&1 &
tsc=$!
bash scripts/test.sh "$@"
tests=$?
wait "$tsc"
typecheck=$?
[ "$typecheck" -eq 0 ] && echo "tsc: no type errors" || echo "tsc: type errors above (exit $typecheck)"
[ "$tests" -eq 0 ] && [ "$typecheck" -eq 0 ]
