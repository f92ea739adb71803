#!/usr/bin/env bash
# Starts or stops the Docker engine the benchmarks compare against: Debian's
# dockerd on a data root and socket of its own, never the system's.
#
#   bash bench/docker-engine.sh start   # prints the socket
#   DOCKER_SOCK=/run/docker-bench.sock bash bench/run.sh
#   bash bench/docker-engine.sh stop
set -euo pipefail
sock=/run/docker-bench.sock
pidfile=/run/docker-bench.pid
case "${1:-}" in
start)
    command -v dockerd >/dev/null || bash "$(dirname "$0")/../scripts/setup.sh" >&2
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "$sock"; exit 0
    fi
    dockerd --data-root /var/lib/docker-bench -H "unix://$sock" --pidfile "$pidfile" \
        >/tmp/docker-bench.log 2>&1 &
    for _ in $(seq 1 100); do
        DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1 && { echo "$sock"; exit 0; }
        sleep 0.2
    done
    echo "dockerd did not answer; see /tmp/docker-bench.log" >&2
    exit 1
    ;;
stop)
    if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
