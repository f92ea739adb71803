#!/usr/bin/env bash
# Where compose `down -v` time goes (issue 12 speed): a private daemon
# logging `wharf::phases` and `wharf::requests` at debug, an N-service
# project (bench/compose.sh's shape) brought up and taken down RUNS times;
# prints each request of the last `down -v` with its offset from the
# command's start, and the median of each stop/exit/remove phase (µs).
#
#   N=10 RUNS=3 bash bench/compose-trace.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
N=${N:-10}
export RUST_LOG=info,wharf::phases=debug,wharf::requests=debug
BENCH_NO_DOCKER=1
source bench/lib.sh
bench_start >/dev/null
proj=$root/proj
mkdir -p "$proj"
bench_compose_project "$N" >"$proj/compose.yaml"
ww() { w compose -f "$proj/compose.yaml" -p wctrace "$@"; }
: >"$root/wall"
for _ in $(seq 1 "$RUNS"); do
    ww up -d >/dev/null 2>&1
    mark=$(wc -l <"$root/daemon.log")
    t0=$(now)
    ww down -v -t 1 >/dev/null 2>&1
    t1=$(now)
    echo $(((t1 - t0) / 1000)) >>"$root/wall"
done
echo "down -v (client wall, µs): median $(median <"$root/wall"), runs: $(tr '\n' ' ' <"$root/wall")"
tail -n +"$((mark + 1))" "$root/daemon.log" | sed 's/\x1b\[[0-9;]*m//g' >"$root/lines"
echo "== requests of the last down -v (daemon log time, µs in the daemon)"
grep -a 'request:' "$root/lines" | sed -E 's/^([^ ]+) .*request: ([^ ]+ [^ ]+) (.*)/\1 \2 \3/' | cut -c1-160
grep -a 'network teardown' "$root/lines" | grep -o 'firewall_us=[0-9]* link_us=[0-9]*' | sed 's/^/  network teardown: /' || true
for op in stop exit cleanup remove network_rm; do
    grep -a "op=\"$op\"" "$root/lines" >"$root/op" || true
    [ -s "$root/op" ] || continue
    printf '  %-22s %8s\n' "$op total" "$(grep -o 'total_us=[0-9]*' "$root/op" | cut -d= -f2 | median)"
    phases=$(grep -o 'phases:.*' "$root/op" | head -1 | sed 's/phases://; s/ op=.*//' |
        tr ' ' '\n' | cut -d= -f1 | grep -v -e '^$' -e ':' || true)
    for p in $phases; do
        printf '    %-20s %8s (max %s)\n' "$p" \
            "$(grep -o " $p=[0-9]*" "$root/op" | cut -d= -f2 | median)" \
            "$(grep -o " $p=[0-9]*" "$root/op" | cut -d= -f2 | sort -n | tail -1)"
    done
done
