#!/usr/bin/env bash
# Compose benchmark (issue 12 "Speed"): `up -d`, `ps` and `down -v` of an
# N-service project (busybox httpd/sleep, one named volume, the default
# network; N=3 by default, N=10 is the issue's larger shape). wharf
# compose against wharfd (started by bench/lib.sh); beside it, in the
# same interleaved run when a Docker engine answers on $DOCKER_SOCK
# (bash bench/docker-engine.sh start): Docker Compose v2 against that
# engine, Debian's docker-compose 1.29 if installed, and wharf compose
# against that engine (it is a plain Engine API client).
#
#   DOCKER_SOCK=/run/docker-bench.sock RUNS=5 N=3 bash bench/compose.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
N=${N:-3}
V2=/usr/local/lib/docker/cli-plugins/docker-compose
source bench/lib.sh
proj=$root/proj
compose_cleanup() {
    set +e
    [ -n "$daemon_pid" ] && w compose -f "$proj/compose.yaml" -p wcbench down -v -t 0 >/dev/null 2>&1
    [ "$have_docker" = 1 ] &&
        DOCKER_HOST="unix://$DOCKER_SOCK" "$V2" -f "$proj/compose.yaml" -p wcbench down -v -t 0 >/dev/null 2>&1
    bench_cleanup
}
trap compose_cleanup EXIT
bench_start
[ "$have_docker" = 1 ] && echo "Docker Compose $("$V2" version --short)"

mkdir -p "$proj"
bench_compose_project "$N" >"$proj/compose.yaml"

crow() { printf '%-10s %14s %14s %14s %14s %10s\n' "$1" "$2" "${3:--}" "${4:--}" "${5:--}" "${6:--}"; }

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
if [ "$have_docker" = 1 ] && wd ps >/dev/null 2>&1; then have_wd=1; fi
if command -v docker-compose >/dev/null && [ "$have_docker" = 1 ]; then have_v1=1; fi
a_up=(); a_ps=(); a_down=(); b_up=(); b_ps=(); b_down=(); c_up=(); c_ps=(); c_down=(); e_up=(); e_ps=(); e_down=()
for _ in $(seq 1 "$RUNS"); do
    cycle a ww
    [ "$have_docker" = 1 ] && cycle b dv2
    [ "$have_wd" = 1 ] && cycle e wd
    [ "$have_v1" = 1 ] && cycle c dv1
done
medns() { local -n arr=$1; [ ${#arr[@]} -gt 0 ] && printf '%s\n' "${arr[@]}" | median || echo; }
med() { local v; v=$(medns "$1"); [ -n "$v" ] && echo "$(ms "$v") ms" || echo -; }
ratio() { local a b; a=$(medns "$1"); b=$(medns "$2"); [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }' || echo -; }
echo "$N services, median of $RUNS"
crow "" "wharf/wharfd" "v2/docker" "wharf/docker" "v1.29/docker" "wharf/v2"
crow "" "------------" "---------" "------------" "------------" "--------"
crow "up -d" "$(med a_up)" "$(med b_up)" "$(med e_up)" "$(med c_up)" "$(ratio a_up b_up)"
crow "ps" "$(med a_ps)" "$(med b_ps)" "$(med e_ps)" "$(med c_ps)" "$(ratio a_ps b_ps)"
crow "down -v" "$(med a_down)" "$(med b_down)" "$(med e_down)" "$(med c_down)" "$(ratio a_down b_down)"
