#!/usr/bin/env bash
# The main job: build wharf (release), install what it needs, start the daemon
# in the background, import a busybox base image built offline, run a demo.
#
#   bash scripts/demo.sh
#
# The daemon keeps running afterwards on the default socket /run/wharf/wharf.sock
# (log: /tmp/wharf-daemon.log); stop it with `kill $(cat /run/wharf/demo-daemon.pid)`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "error: wharf needs root; run: sudo bash scripts/demo.sh" >&2
    exit 1
fi

bash scripts/setup.sh

echo "== building wharf (release)"
cargo build --release
wharf=${CARGO_TARGET_DIR:-$PWD/target}/release/wharf
sock=/run/wharf/wharf.sock
log=/tmp/wharf-daemon.log
pidfile=/run/wharf/demo-daemon.pid

ping() { curl -sf --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

if ping; then
    echo "== a daemon already answers on $sock: using it"
else
    echo "== starting wharf daemon (log: $log)"
    mkdir -p /run/wharf
    nohup "$wharf" daemon -H "unix://$sock" >"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
        ping && break
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            echo "error: the daemon exited; its log:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    ping || { echo "error: daemon did not answer /_ping within 10 s; see $log" >&2; exit 1; }
fi

w() {
    { printf '+ wharf'; printf ' %q' "$@"; echo; } >&2
    "$wharf" -H "unix://$sock" "$@"
}

echo "== importing busybox:latest (built offline from busybox-static)"
tar=$(mktemp /tmp/busybox-XXXXXX.tar)
trap 'rm -f "$tar"' EXIT
bash scripts/build-busybox-image.sh "$tar" >/dev/null
w import -c 'CMD ["sh"]' "$tar" busybox:latest
w images

echo "== a one-shot container"
w run --rm busybox sh -c 'echo hello from $(hostname); echo "my pid is $$"'

echo "== a detached container, its logs, exec into it"
w rm -f demo-ticker >/dev/null 2>&1 || true
w run -d --name demo-ticker busybox sh -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'
sleep 2
w ps
w logs demo-ticker
w exec demo-ticker sh -c 'echo exec sees: $(ps | wc -l) lines of ps; cat /etc/hostname'
w stop -t 2 demo-ticker
w inspect -f '{{.State.Status}} exit={{.State.ExitCode}}' demo-ticker
w rm demo-ticker

echo "== a named volume outlives its containers"
if "$wharf" -H "unix://$sock" volume ls >/dev/null 2>&1; then
    w volume rm -f demo-data >/dev/null 2>&1 || true
    w run --rm -v demo-data:/data busybox sh -c 'echo written by the first container > /data/note'
    w run --rm -v demo-data:/data:ro busybox cat /data/note
    w volume inspect demo-data
    w volume rm demo-data
else
    echo "(volumes are not available in this build yet)"
fi

echo
echo "== done. The daemon keeps running on $sock; try:"
echo "   $wharf -H unix://$sock run -it --rm busybox"
echo "   DOCKER_HOST=unix://$sock docker ps"
