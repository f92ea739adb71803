#!/usr/bin/env bash
# Compose benchmark (issue 12 "Speed"): `up -d`, `ps` and `down -v` of a
# 10-service project (busybox httpd/sleep, one named volume, the default
# network). wharf compose against wharfd; beside it, in the same
# interleaved run when a Docker engine answers on $DOCKER_SOCK
# (bash bench/docker-engine.sh start): Docker Compose v2 against that
# engine, Debian's docker-compose 1.29 if installed, and wharf compose
# against that engine (it is a plain Engine API client).
#
#   DOCKER_SOCK=/run/docker-bench.sock RUNS=5 bash bench/compose.sh
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
V2=/usr/local/lib/docker/cli-plugins/docker-compose

root=$(mktemp -d /tmp/wcb.XXXXXX)
sock=$root/wharf.sock
daemon_pid=
have_docker=0
w() { "$WHARF" -H "unix://$sock" "$@"; }
dk() { DOCKER_HOST="unix://$DOCKER_SOCK" docker "$@"; }
proj=$root/proj
cleanup() {
    set +e
    if [ -n "$daemon_pid" ]; then
        w compose -f "$proj/compose.yaml" -p wcbench down -v -t 0 >/dev/null 2>&1
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    if [ "$have_docker" = 1 ]; then
        DOCKER_HOST="unix://$DOCKER_SOCK" "$V2" -f "$proj/compose.yaml" -p wcbench down -v -t 0 >/dev/null 2>&1
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
    echo "Docker engine: $(dk version --format '{{.Server.Version}}') on $DOCKER_SOCK, compose $("$V2" version --short)"
else
    echo "No Docker engine on $DOCKER_SOCK: wharf figures only"
fi

mkdir -p "$proj"
{
    echo "services:"
    for i in $(seq 1 10); do
        echo "  s$i:"
        echo "    image: busybox"
        echo "    stop_grace_period: 1s"
        if [ $((i % 2)) = 0 ]; then
            echo "    command: httpd -f -p 80"
        else
            echo "    command: sleep 100000"
        fi
        [ "$i" = 1 ] && echo "    volumes: [data:/data]"
    done
    echo "volumes:"
    echo "  data:"
} >"$proj/compose.yaml"

now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
row() { printf '%-26s %14s %14s %14s %14s\n' "$1" "$2" "${3:--}" "${4:--}" "${5:--}"; }

# one tool: times of up -d, ps, down -v appended to arrays named $1_up ...
cycle() {
    local tag=$1; shift
    local t0 t1
    t0=$(now); "$@" up -d >/dev/null 2>&1; t1=$(now); eval "${tag}_up+=($((t1 - t0)))"
    t0=$(now); "$@" ps >/dev/null 2>&1; t1=$(now); eval "${tag}_ps+=($((t1 - t0)))"
    t0=$(now); "$@" down -v -t 1 >/dev/null 2>&1; t1=$(now); eval "${tag}_down+=($((t1 - t0)))"
}
ww() { w compose -f "$proj/compose.yaml" -p wcbench "$@"; }
dv2() { DOCKER_HOST="unix://$DOCKER_SOCK" "$V2" -f "$proj/compose.yaml" -p wcbench "$@"; }
dv1() { DOCKER_HOST="unix://$DOCKER_SOCK" docker-compose -f "$proj/compose.yaml" -p wcbench "$@"; }
wd() { "$WHARF" -H "unix://$DOCKER_SOCK" compose -f "$proj/compose.yaml" -p wcbench "$@"; }
have_v1=0
have_wd=0
# wharf compose against the Docker engine needs it to speak API 1.44
if [ $have_docker = 1 ] && wd ps >/dev/null 2>&1; then have_wd=1; fi
if command -v docker-compose >/dev/null && [ $have_docker = 1 ]; then have_v1=1; fi
a_up=(); a_ps=(); a_down=(); b_up=(); b_ps=(); b_down=(); c_up=(); c_ps=(); c_down=(); e_up=(); e_ps=(); e_down=()
for _ in $(seq 1 "$RUNS"); do
    cycle a ww
    if [ $have_docker = 1 ]; then
        cycle b dv2
    fi
    if [ $have_wd = 1 ]; then cycle e wd; fi
    if [ $have_v1 = 1 ]; then cycle c dv1; fi
done
med() { local -n arr=$1; [ ${#arr[@]} -gt 0 ] && echo "$(ms "$(printf '%s\n' "${arr[@]}" | median)") ms" || echo -; }
echo "10 services, median of $RUNS"
row "" "wharf/wharfd" "v2/docker" "wharf/docker" "v1.29/docker"
row "" "------------" "---------" "------------" "------------"
row "up -d" "$(med a_up)" "$(med b_up)" "$(med e_up)" "$(med c_up)"
row "ps" "$(med a_ps)" "$(med b_ps)" "$(med e_ps)" "$(med c_ps)"
row "down -v" "$(med a_down)" "$(med b_down)" "$(med e_down)" "$(med c_down)"
