#!/usr/bin/env bash
# Where start time goes (issue 13): runs `run --rm busybox true` N times per
# network mode against a private daemon logging `wharf::phases` at debug,
# and prints the median of each phase of `start`, the exit's `cleanup` and
# `remove` (µs), plus the client's wall time for the whole `run --rm`.
#
#   bash bench/phases.sh            # RUNS=20, modes: bridge none
#   RUNS=50 bash bench/phases.sh none
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(bridge none)
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }

WHARF=${WHARF:-${CARGO_TARGET_DIR:-$PWD/target}/release/wharf}
[ -x "$WHARF" ] || cargo build --release >&2

root=$(mktemp -d /tmp/wp.XXXXXX)
sock=$root/wharf.sock
br=whph$$
daemon_pid=
cleanup() {
    set +e
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    grep -o " $root[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    ip link del "$br" 2>/dev/null
    rm -rf "$root"
}
trap cleanup EXIT
w() { "$WHARF" -H "unix://$sock" "$@"; }

RUST_LOG=info,wharf::phases=debug "$WHARF" daemon -H "unix://$sock" \
    --data-root "$root/data" --exec-root "$root/x" --bridge "$br" \
    >"$root/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 200); do
    curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$root/daemon.log" >&2; exit 1; }
    sleep 0.05
done
bash scripts/build-busybox-image.sh "$root/busybox.tar" >/dev/null
w import -c 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

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
    for op in start cleanup remove; do
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
