#!/usr/bin/env bash
# Pull throughput (issue 11 "Speed"): a multi-layer image of random data
# (LAYERS layers of LAYER_MB MiB, so nothing compresses away) pushed to a
# docker-registry of this script's own on 127.0.0.1, then pulled by wharf
# and by the Docker engine on $DOCKER_SOCK in turn (bash
# bench/docker-engine.sh start; Docker treats 127.0.0.0/8 registries as
# insecure by default), the image removed between runs. Prints the median
# MB/s of each (bytes of the layers on the wire / wall time of `pull`).
#
#   DOCKER_SOCK=/run/docker-bench.sock RUNS=5 bash bench/pull.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
LAYERS=${LAYERS:-5}
LAYER_MB=${LAYER_MB:-20}
source bench/lib.sh

reg_pid=
port=
pull_cleanup() {
    set +e
    [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
    if [ "$have_docker" = 1 ] && [ -n "$port" ]; then
        dk rmi -f "127.0.0.1:$port/bench/pull:v1" >/dev/null 2>&1
    fi
    bench_cleanup
}
trap pull_cleanup EXIT

bench_start

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$root/registry"
cat >"$root/registry/config.yml" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $root/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CFG
docker-registry serve "$root/registry/config.yml" >"$root/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break
    sleep 0.1
done
img=127.0.0.1:$port/bench/pull:v1

# The image: busybox and LAYERS layers of random data, built and pushed,
# then everything but busybox removed from wharf's store.
ctx=$root/ctx
mkdir -p "$ctx"
{
    echo "FROM busybox"
    for i in $(seq 1 "$LAYERS"); do
        echo "RUN head -c $((LAYER_MB * 1048576)) /dev/urandom > /random$i"
    done
} >"$ctx/Dockerfile"
w build -q -t "$img" "$ctx" >/dev/null
w push "$img" >/dev/null
w rmi "$img" >/dev/null
w builder prune -f >/dev/null
w image prune -f >/dev/null

bytes=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$port/v2/bench/pull/manifests/v1" |
    python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
echo "image: $LAYERS layers of $LAYER_MB MiB random data + busybox, $(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}') MB of layers"
echo

mbps() { awk -v b="$bytes" -v ns="$1" 'BEGIN { printf "%.1f", b / 1e6 / (ns / 1e9) }'; }
wr=()
dr=()
for i in $(seq 1 "$RUNS"); do
    t0=$(now)
    w pull -q "$img" >/dev/null
    t1=$(now)
    wr+=("$(mbps $((t1 - t0)))")
    w rmi "$img" >/dev/null
    if [ "$have_docker" = 1 ]; then
        t0=$(now)
        dk pull -q "$img" >/dev/null
        t1=$(now)
        dr+=("$(mbps $((t1 - t0)))")
        dk rmi "$img" >/dev/null
    fi
    echo "run $i: wharf ${wr[-1]} MB/s${dr:+, Docker ${dr[-1]} MB/s}"
done
echo
row "figure (median of $RUNS)" "wharf" "Docker"
row "pull from 127.0.0.1 registry, MB/s" \
    "$(printf '%s\n' "${wr[@]}" | median)" \
    "$([ "$have_docker" = 1 ] && printf '%s\n' "${dr[@]}" | median || echo -)"
