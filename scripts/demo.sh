#!/usr/bin/env bash
# The main job: build wharf (release), install what it needs, start the daemon
# in the background, import a busybox base image built offline, run a demo.
#
#   bash scripts/demo.sh
#
# wharf is installed to /usr/local/bin/wharf (with bash completion). The
# daemon keeps running afterwards on the default socket /run/wharf/wharf.sock
# (log: /tmp/wharf-daemon.log); stop it with `bash scripts/demo.sh stop`
# (its pidfile, /run/wharf-demo-daemon.pid, goes when the daemon exits; it
# is kept outside the exec root, which the daemon may mount a tmpfs on).
set -euo pipefail
cd "$(dirname "$0")/.."

pidfile=/run/wharf-demo-daemon.pid
if [ "${1:-}" = stop ]; then
    if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do [ -f "$pidfile" ] || break; sleep 0.1; done
        rm -f "$pidfile"
        echo "wharf daemon $pid stopped"
    else
        echo "no demo daemon running (no $pidfile)"
    fi
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "error: wharf needs root; run: sudo bash scripts/demo.sh" >&2
    exit 1
fi

bash scripts/setup.sh

echo "== building wharf (release)"
cargo build --release
echo "== installing /usr/local/bin/wharf"
install -m 0755 "${CARGO_TARGET_DIR:-$PWD/target}/release/wharf" /usr/local/bin/wharf
# the per-container monitor, beside wharf (the daemon uses it when present)
install -m 0755 "${CARGO_TARGET_DIR:-$PWD/target}/release/wharf-monitor" /usr/local/bin/wharf-monitor
wharf=/usr/local/bin/wharf
if [ -d /usr/share/bash-completion/completions ]; then
    "$wharf" completion bash >/usr/share/bash-completion/completions/wharf
fi
sock=/run/wharf/wharf.sock
log=/tmp/wharf-daemon.log

ping() { curl -sf --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

if ping; then
    echo "== a daemon already answers on $sock: using it"
else
    echo "== starting wharf daemon (log: $log)"
    mkdir -p /run/wharf
    rm -f "$pidfile"
    # A small keeper shell writes the daemon's pid and removes the pidfile
    # when the daemon exits, however it is stopped.
    nohup bash -c 'w=$1; sock=$2; pidfile=$3
        "$w" daemon -H "unix://$sock" &
        echo $! >"$pidfile"
        wait $!
        rm -f "$pidfile"' keeper "$wharf" "$sock" "$pidfile" >"$log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do
        ping && break
        if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
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

# Re-running the demo re-uses the image: importing again would make a new
# image (a new creation time) and leave the old one dangling.
if "$wharf" -H "unix://$sock" image inspect busybox:latest >/dev/null 2>&1; then
    echo "== busybox:latest is already imported: re-using it"
else
    echo "== importing busybox:latest (built offline from busybox-static)"
    tar=$(mktemp /tmp/busybox-XXXXXX.tar)
    trap 'rm -f "$tar"' EXIT
    bash scripts/build-busybox-image.sh "$tar" >/dev/null
    w import -c 'CMD ["sh"]' "$tar" busybox:latest
fi
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

echo "== compose: the seed's db + web project (examples/seed)"
(
    cd examples/seed
    seed() { w compose -p seed "$@"; }
    seed down -v >/dev/null 2>&1 || true
    seed up -d --build
    seed ps
    for _ in $(seq 1 50); do
        curl -sf --max-time 1 http://127.0.0.1:8000/ >/dev/null && break
        sleep 0.1
    done
    echo "+ curl http://127.0.0.1:8000/" >&2
    curl -sf --max-time 2 http://127.0.0.1:8000/
    # web reaches db by its service name on the project's network
    seed exec -T web sh -c 'nc db 5432 </dev/null'
    seed down -v
)

echo
echo "== done. The daemon keeps running on $sock; try:"
echo "   wharf run -it --rm busybox"
echo "   DOCKER_HOST=unix://$sock docker ps"
echo "   bash scripts/demo.sh stop      # stops the daemon, removes its pidfile"
