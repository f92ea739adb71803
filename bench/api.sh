#!/usr/bin/env bash
# Issue 8's figures, wharf beside Docker in one interleaved run:
#   cp     `cp` of a 100 MB file into a container and out of it (MB/s)
#   stats  `stats --no-stream` with 50 running containers (ms)
#   health the per-container process's RSS with a 1 s healthcheck running
#          (wharf's monitor; Docker's containerd-shim), median and peak of
#          20 samples over 5 s
#   monitor the per-container process's memory, idle and with a 1 s
#          healthcheck: RSS, PSS and anonymous KiB from smaps_rollup, the
#          median over MON_N (5) containers × 10 samples 0.3 s apart, and
#          the largest RSS sample (issues 8 and 13)
#
#   bash bench/api.sh [cp] [stats] [health] [monitor]
#   DOCKER_SOCK=/run/docker-bench.sock bash bench/api.sh
# Env: RUNS (5), CP_MB (100), N (50).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CP_MB=${CP_MB:-100}
N=${N:-50}
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(cp stats health monitor)
want() { local s; for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
source bench/lib.sh
bench_start
row "" "wharf" "docker"
row "" "-----" "------"

mbps() { awk -v mb="$CP_MB" -v ns="$1" 'BEGIN { printf "%.0f MB/s", mb / (ns / 1e9) }'; }

if want cp; then
    head -c "$((CP_MB * 1024 * 1024))" /dev/urandom >"$root/big"
    cprun() {  # $1 cli → "in_ns out_ns" medians
        local cli=$1 c=wbcp$$ ins=() outs=() t0 t1 t2
        $cli run -d --name $c --label wharf-bench=1 --network none busybox sleep 600 >/dev/null
        for _ in $(seq 1 "$RUNS"); do
            rm -f "$root/out"
            t0=$(now); $cli cp "$root/big" $c:/big; t1=$(now)
            $cli cp $c:/big "$root/out"; t2=$(now)
            cmp -s "$root/big" "$root/out" || { echo "bench: cp out differs" >&2; exit 1; }
            ins+=($((t1 - t0))); outs+=($((t2 - t1)))
        done
        $cli rm -f $c >/dev/null
        echo "$(printf '%s\n' "${ins[@]}" | median) $(printf '%s\n' "${outs[@]}" | median)"
    }
    read -r wi wo < <(cprun w)
    di=; do_=
    [ $have_docker = 1 ] && read -r di do_ < <(cprun dk)
    row "cp ${CP_MB} MB into a running container" "$(mbps "$wi")" "$([ -n "$di" ] && mbps "$di" || echo -)"
    row "cp ${CP_MB} MB out of it" "$(mbps "$wo")" "$([ -n "$do_" ] && mbps "$do_" || echo -)"
fi

if want stats; then
    statsrun() {  # $1 cli → median ms of `stats --no-stream` over N containers
        local cli=$1 t=() t0 t1
        for i in $(seq 1 "$N"); do
            $cli run -d --label wharf-bench=1 --network none busybox sleep 600 >/dev/null
        done
        for _ in $(seq 1 "$RUNS"); do
            t0=$(now); $cli stats --no-stream >/dev/null; t1=$(now)
            t+=($((t1 - t0)))
        done
        $cli rm -f $($cli ps -aq --filter label=wharf-bench=1) >/dev/null
        ms "$(printf '%s\n' "${t[@]}" | median)"
    }
    row "stats --no-stream, $N running (median)" "$(statsrun w) ms" "$([ $have_docker = 1 ] && echo "$(statsrun dk) ms" || echo -)"
fi

if want health; then
    # the process that stands for one container: wharf's monitor (the
    # parent of the container's init), Docker's containerd-shim
    holder_rss() {  # $1 cli, $2 container
        local pid ppid
        pid=$($1 inspect -f '{{.State.Pid}}' "$2")
        ppid=$(awk '{ print $4 }' "/proc/$pid/stat")
        rss_kib "$ppid"
    }
    healthrun() {
        local cli=$1 c=wbhc$$
        $cli run -d --name $c --label wharf-bench=1 --network none \
            --health-cmd true --health-interval 1s busybox sleep 600 >/dev/null
        sleep 3   # a few probes have run
        # sampled over 5 s (5 probes), every 250 ms: the median and the peak
        local samples=() i
        for i in $(seq 1 20); do
            samples+=("$(holder_rss "$cli" $c)")
            sleep 0.25
        done
        local st; st=$($cli inspect -f '{{.State.Health.Status}}' $c)
        $cli rm -f $c >/dev/null
        local med max
        med=$(printf '%s\n' "${samples[@]}" | median)
        max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
        echo "$(mib "$med") / $(mib "$max") ($st)"
    }
    row "RSS with a 1 s healthcheck: median / peak" "$(healthrun w)" "$([ $have_docker = 1 ] && healthrun dk || echo -)"
fi

if want monitor; then
    MON_N=${MON_N:-5}
    keeper() {  # $1 cli, $2 container → the parent of its init
        local pid
        pid=$($1 inspect -f '{{.State.Pid}}' "$2")
        awk '/^PPid:/ { print $2 }' "/proc/$pid/status"
    }
    rollup() { awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Anonymous:/ { a = $2 } END { print r + 0, p + 0, a + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo "0 0 0"; }
    monrun() {  # $1 cli, then run flags → "RSS / PSS / anon (peak RSS)"
        local cli=$1 cs=() c k r p a rs=() ps=() as=() i
        shift
        for i in $(seq 1 "$MON_N"); do
            cs+=("$($cli run -d --label wharf-bench=1 --network none "$@" busybox sleep 600)")
        done
        sleep 4   # past the monitor's trim after start; a few probes ran
        for i in $(seq 1 10); do
            for c in "${cs[@]}"; do
                k=$(keeper "$cli" "$c")
                read -r r p a < <(rollup "$k")
                rs+=("$r"); ps+=("$p"); as+=("$a")
            done
            sleep 0.3
        done
        $cli rm -f "${cs[@]}" >/dev/null
        local mr mp ma peak
        mr=$(printf '%s\n' "${rs[@]}" | median)
        mp=$(printf '%s\n' "${ps[@]}" | median)
        ma=$(printf '%s\n' "${as[@]}" | median)
        peak=$(printf '%s\n' "${rs[@]}" | sort -n | tail -1)
        echo "$mr / $mp / $ma KiB ($peak)"
    }
    hc=(--health-cmd true --health-interval 1s)
    row "monitor idle: RSS / PSS / anon (peak RSS)" "$(monrun w)" "$([ $have_docker = 1 ] && monrun dk || echo -)"
    row "monitor, 1 s healthcheck: same" "$(monrun w "${hc[@]}")" "$([ $have_docker = 1 ] && monrun dk "${hc[@]}" || echo -)"
fi
