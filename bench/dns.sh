#!/usr/bin/env bash
# Embedded DNS benchmark (issue 7 "Speed"): COUNT (200) lookups from inside a
# network namespace of its own against wharf's embedded server, plus busybox
# nslookup runs beyond process start (the figure beside Docker's). Traffic
# stays on loopback inside that namespace and the host's 127.0.0.1.
#
#   sudo bash bench/dns.sh            # COUNT=200
#   COUNT=1000 sudo bash bench/dns.sh
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-200}
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }

BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/examples/dns_bench
if [ ! -x "$BIN" ] || [ -n "$(find crates/network/src crates/network/examples -newer "$BIN" -name '*.rs' | head -1)" ]; then
    echo "bench: building dns_bench (release)" >&2
    cargo build --release -p wharf-network --example dns_bench >&2
fi
command -v nsenter >/dev/null || echo "bench: nsenter missing, busybox nslookup figure skipped" >&2

# The binary makes its namespace under $TMPDIR/wharf-dns-bench-<its pid> and
# removes it when done; if it is killed, release what it left (its own only:
# others may be benchmarking at the same time).
pid=
cleanup() {
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local dir="${TMPDIR:-/tmp}/wharf-dns-bench-$pid"
    if [ -e "$dir/ns" ]; then
        umount -l "$dir/ns" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
"$BIN" "$COUNT" &
pid=$!
wait "$pid"
status=$?
pid=
exit "$status"
