#!/usr/bin/env bash
# Where start time goes (issue 13): runs `run --rm busybox true` N times per
# network mode against a private daemon logging `wharf::phases` at debug,
# and prints the median of each phase of `start`, the exit's `cleanup` and
# `remove` (µs), plus the client's wall time for the whole `run --rm`.
# Since session 9 a `--rm` exit is `exit` (on the waiter's path: release,
# events) then `teardown` (in the background, after the answer).
#
#   bash bench/phases.sh            # RUNS=20, modes: bridge none
#   RUNS=50 bash bench/phases.sh none
#   RUNNING=200 bash bench/phases.sh   # with 200 detached sleeps running
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(bridge none)
# a private daemon on its own bridge (bench/lib.sh), logging the phases
export RUST_LOG=info,wharf::phases=debug
BENCH_NO_DOCKER=1
source bench/lib.sh
bench_start >/dev/null
RUNNING=${RUNNING:-0}
if [ "$RUNNING" -gt 0 ]; then
    seq 1 "$RUNNING" | xargs -P8 -I{} "$WHARF" -H "unix://$sock" run -d busybox sleep 3600 >/dev/null
    # one read of the mount table, beyond starting `cat` (the same loop on a
    # small /proc file)
    t0=$(now); for _ in $(seq 50); do cat "/proc/$daemon_pid/mountinfo" >/dev/null; done
    t1=$(now); for _ in $(seq 50); do cat "/proc/$daemon_pid/stat" >/dev/null; done; t2=$(now)
    echo "($RUNNING detached sleeps running; mount table: $(wc -l <"/proc/$daemon_pid/mountinfo") lines," \
        "one read $(ms $(((t1 - t0 - (t2 - t1)) / 50))) ms)"
fi

for mode in "${modes[@]}"; do
    w run --rm --network "$mode" busybox true   # warm-up
    : >"$root/wall"
    mark=$(wc -l <"$root/daemon.log")
    for _ in $(seq 1 "$RUNS"); do
        t0=$(date +%s%N)
        w run --rm --network "$mode" busybox true
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$root/wall"
    done
    tail -n +"$((mark + 1))" "$root/daemon.log" | grep -a 'phases:' |
        sed 's/\x1b\[[0-9;]*m//g' >"$root/lines"
    echo "== --network $mode: median of $RUNS runs (µs)"
    printf '  %-22s %8s\n' "run --rm (client wall)" "$(median <"$root/wall")"
    for op in start exit cleanup teardown remove; do
        grep -a "op=\"$op\"" "$root/lines" >"$root/op" || true
        printf '  %-22s %8s\n' "$op total" \
            "$(grep -o 'total_us=[0-9]*' "$root/op" | cut -d= -f2 | median)"
        phases=$(grep -o 'phases:.*' "$root/op" | head -1 | sed 's/phases://; s/ op=.*//' |
            tr ' ' '\n' | cut -d= -f1 | grep -v -e '^$' -e ':' || true)
        for p in $phases; do
            printf '    %-20s %8s\n' "$p" \
                "$(grep -o " $p=[0-9]*" "$root/op" | cut -d= -f2 | median)"
        done
    done
done
