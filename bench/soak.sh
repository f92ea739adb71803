#!/bin/sh
# Crash-consistency soak (issue 9): the kill-point loop of
# tests/kill_points.rs at 200 points (WHARF_KILL_POINTS to change,
# WHARF_KILL_SEED to replay). Prints points tried, invariants broken,
# leaked objects and the restart-to-/_ping time of each recovery.
set -eu
cd "$(dirname "$0")/.."
report=$(mktemp /tmp/wharf-soak.XXXXXX.json)
trap 'rm -f "$report"' EXIT
WHARF_KILL_POINTS=${WHARF_KILL_POINTS:-200} WHARF_KILL_REPORT="$report" \
    WHARF_KILL_SEED=${WHARF_KILL_SEED:-random} RUST_TEST_THREADS=1 cargo test --test kill_points daemon_killed_at_random_points -- --nocapture \
    2>&1 | grep --line-buffered -E '^(kill points|BROKEN|LEAKED|points tried)' || true
[ -s "$report" ] && python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
print("seed %d: points tried %d, invariants broken %d, leaked objects %d, recovery median %.0f ms, max %.0f ms"
      % (r["seed"], r["points"], len(r["broken"]), len(r["leaked"]), r["recovery_ms_median"], r["recovery_ms_max"]))
' "$report"
