#!/usr/bin/env bash
# Build benchmark (issue 11 "Speed"): a cold build and a fully cached
# rebuild of a 10-step Dockerfile on busybox, wharf beside Docker's classic
# builder (DOCKER_BUILDKIT=0) in the same interleaved run when a Docker
# engine answers on $DOCKER_SOCK (bash bench/docker-engine.sh start).
#
#   DOCKER_SOCK=/run/docker-bench.sock RUNS=5 bash bench/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
WHARF=${WHARF:-${CARGO_TARGET_DIR:-$PWD/target}/release/wharf}
if [ ! -x "$WHARF" ]; then
    echo "bench: building release binary" >&2
    cargo build --release >&2
fi

root=$(mktemp -d /tmp/wbb.XXXXXX)
sock=$root/wharf.sock
daemon_pid=
have_docker=0
w() { "$WHARF" -H "unix://$sock" "$@"; }
dk() { DOCKER_HOST="unix://$DOCKER_SOCK" DOCKER_BUILDKIT=0 docker "$@"; }
cleanup() {
    set +e
    if [ -n "$daemon_pid" ]; then
        w rm -f $(w ps -aq) >/dev/null 2>&1
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    if [ "$have_docker" = 1 ]; then
        dk rmi -f $(dk images -q --filter label=wharf-bench-build) >/dev/null 2>&1
        dk builder prune -f >/dev/null 2>&1
    fi
    grep -o " $root[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$root"
}
trap cleanup EXIT

"$WHARF" daemon -H "unix://$sock" --data-root "$root/data" --exec-root "$root/x" \
    >"$root/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 200); do
    curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$root/daemon.log" >&2; exit 1; }
    sleep 0.05
done
bash scripts/build-busybox-image.sh "$root/busybox.tar" >/dev/null
w import -c 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null
if command -v docker >/dev/null && [ -S "$DOCKER_SOCK" ] && dk version >/dev/null 2>&1; then
    have_docker=1
    dk image inspect busybox:latest >/dev/null 2>&1 ||
        dk import -c 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null
    echo "Docker engine: $(dk version --format '{{.Server.Version}}') on $DOCKER_SOCK (classic builder)"
else
    echo "No Docker engine on $DOCKER_SOCK: wharf figures only"
fi

ctx=$root/ctx
mkdir -p "$ctx/src"
for i in 1 2 3; do head -c 200000 /dev/urandom >"$ctx/src/blob$i"; done
echo 'echo app' >"$ctx/app.sh"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
LABEL wharf-bench-build=1
ARG V=1
ENV APP=/app MODE=bench
WORKDIR /app
RUN mkdir -p /app/data && echo "$V" > /app/data/v
COPY src/ /app/src/
RUN cat /app/src/* | md5sum > /app/sum
COPY app.sh /app/
RUN chmod +x /app/app.sh
CMD ["/app/app.sh"]
EOF

now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() { printf '%-44s %18s %18s\n' "$1" "$2" "${3:--}"; }

wc_=(); wh=(); dc=(); dh=()
for _ in $(seq 1 "$RUNS"); do
    t0=$(now); w build --no-cache -q -t bench:cold "$ctx" >/dev/null; t1=$(now); wc_+=($((t1 - t0)))
    t0=$(now); w build -q -t bench:cached "$ctx" >/dev/null; t1=$(now); wh+=($((t1 - t0)))
    if [ $have_docker = 1 ]; then
        t0=$(now); dk build --no-cache -q -t wharf-bench:cold "$ctx" >/dev/null 2>&1; t1=$(now); dc+=($((t1 - t0)))
        t0=$(now); dk build -q -t wharf-bench:cached "$ctx" >/dev/null 2>&1; t1=$(now); dh+=($((t1 - t0)))
    fi
done
row "" "wharf" "docker (classic)"
row "" "-----" "----------------"
d1=-; d2=-
if [ $have_docker = 1 ]; then
    d1="$(ms "$(printf '%s\n' "${dc[@]}" | median)") ms"
    d2="$(ms "$(printf '%s\n' "${dh[@]}" | median)") ms"
fi
row "cold build, 10 steps, median of $RUNS" "$(ms "$(printf '%s\n' "${wc_[@]}" | median)") ms" "$d1"
row "cached rebuild, 10 steps, median of $RUNS" "$(ms "$(printf '%s\n' "${wh[@]}" | median)") ms" "$d2"
