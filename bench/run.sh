#!/usr/bin/env bash
# wharf benchmarks (issue 2 §7, issue 3 "Speed"), printed beside Docker's
# figures from the same interleaved run when a Docker engine answers on
# /var/run/docker.sock. See bench/README.md.
#
#   bash bench/run.sh                 # everything
#   bash bench/run.sh run fleet dd    # pick sections: run, fleet (b+c), dd
#   bash bench/run.sh mem             # issue 13: memory, ps at 200, 200 starts 8 at a time
#   bash bench/run.sh starts          # issue 13: 200 starts 8 at a time, ps at 200, 50 one by one
#
# Env: RUNS (default 20), FLEET (50), DD_MB (1024), WHARF (binary; default
# target/release/wharf, built if missing), DOCKER_SOCK (/var/run/docker.sock).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
FLEET=${FLEET:-50}
DD_MB=${DD_MB:-1024}
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(run net fleet dd)
want() { local s; for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# the private daemon (its own bridge), Docker beside it, the row helpers
source bench/lib.sh
bench_extra_cleanup() {
    [ "$have_docker" = 1 ] && dk volume rm -f wharf-bench-vol >/dev/null 2>&1
    return 0
}
bench_start

# processes running the wharf binary other than the daemon: the monitors
# (`wharf-monitor` beside it when built, else `wharf __monitor`)
monitor_pids() {
    local p exe w m
    w=$(readlink -f "$WHARF"); m=$(dirname "$w")/wharf-monitor
    for p in /proc/[0-9]*; do
        exe=$(readlink "$p/exe" 2>/dev/null) || continue
        [ "$exe" = "$w" ] || [ "$exe" = "$m" ] || continue
        [ "${p#/proc/}" = "$daemon_pid" ] && continue
        grep -q -- "$root" "$p/cmdline" 2>/dev/null || continue
        # an idle warm monitor (`__monitor --warm`, working in /) serves no container
        is_idle_warm "$p" && continue
        echo "${p#/proc/}"
    done
}
is_idle_warm() {
    grep -qa -- --warm "$1/cmdline" 2>/dev/null && [ "$(readlink "$1/cwd")" = / ]
}
# the daemon's idle warm monitors (`--warm-monitors`)
warm_pids() {
    local p
    for p in /proc/[0-9]*; do
        grep -q -- "$root" "$p/cmdline" 2>/dev/null || continue
        is_idle_warm "$p" && echo "${p#/proc/}"
    done
    return 0
}
docker_engine_pids() { pgrep -x dockerd; pgrep -x containerd; }
docker_shim_pids() { pgrep -f containerd-shim; }

row "" "wharf" "docker"
row "" "-----" "------"

# --- (a) run --rm busybox true ------------------------------------------------
if want run; then
    w run --rm busybox true >/dev/null   # warm-up
    [ $have_docker = 1 ] && dk run --rm busybox true >/dev/null
    wt=(); dt=()
    for _ in $(seq 1 "$RUNS"); do
        t0=$(now); w run --rm busybox true; t1=$(now); wt+=($((t1 - t0)))
        if [ $have_docker = 1 ]; then
            t0=$(now); dk run --rm busybox true; t1=$(now); dt+=($((t1 - t0)))
        fi
    done
    wm=$(printf '%s\n' "${wt[@]}" | median)
    dm=-
    [ $have_docker = 1 ] && dm="$(ms "$(printf '%s\n' "${dt[@]}" | median)") ms"
    row "(a) run --rm busybox true, median of $RUNS" "$(ms "$wm") ms" "$dm"
fi

# --- issue 7: the network's share of a start, DNS, published ports -----------
if want net; then
    # start with the default bridge (a) vs no network
    wn=(); dn=()
    for _ in $(seq 1 "$RUNS"); do
        t0=$(now); w run --rm --network none busybox true; t1=$(now); wn+=($((t1 - t0)))
        if [ $have_docker = 1 ]; then
            t0=$(now); dk run --rm --network none busybox true; t1=$(now); dn+=($((t1 - t0)))
        fi
    done
    row "run --rm true --network none, median" "$(ms "$(printf '%s\n' "${wn[@]}" | median)") ms" \
        "$([ $have_docker = 1 ] && echo "$(ms "$(printf '%s\n' "${dn[@]}" | median)") ms" || echo -)"
    # 200 lookups of a container name from inside another (busybox nslookup,
    # a process each; the same loop against 127.0.0.1's nothing gives the
    # process-start floor, subtracted)
    dnsrun() {  # $1 cli → ms per lookup beyond process start
        local cli=$1 net=wbnet$$ t0 t1 t2 t3
        $cli network create "$net" >/dev/null
        $cli run -d --name wbweb$$ --network "$net" --label wharf-bench=1 busybox sleep 600 >/dev/null
        $cli run -d --name wbcli$$ --network "$net" --label wharf-bench=1 busybox sleep 600 >/dev/null
        t0=$(now)
        $cli exec wbcli$$ sh -c "i=0; while [ \$i -lt 200 ]; do nslookup wbweb$$ >/dev/null 2>&1; i=\$((i+1)); done"
        t1=$(now)
        $cli exec wbcli$$ sh -c 'i=0; while [ $i -lt 200 ]; do /bin/busybox true; i=$((i+1)); done'
        t2=$(now)
        $cli rm -f wbweb$$ wbcli$$ >/dev/null
        $cli network rm "$net" >/dev/null
        awk -v a=$((t1 - t0)) -v b=$((t2 - t1)) 'BEGIN { printf "%.3f ms", (a - b) / 200 / 1e6 }'
    }
    row "DNS: 200 lookups, per lookup beyond exec" "$(dnsrun w)" "$([ $have_docker = 1 ] && dnsrun dk || echo -)"
    # HTTP through a published port vs the container's address (wrk)
    if command -v wrk >/dev/null; then
        httprun() {  # $1 cli → "direct req/s | published req/s"
            local cli=$1 ip port d p
            $cli run -d --name wbhttp$$ --label wharf-bench=1 -p 127.0.0.1::80 busybox sh -c \
                'mkdir -p /w && echo ok > /w/i && httpd -f -p 80 -h /w' >/dev/null
            sleep 0.5
            ip=$($cli inspect -f '{{.NetworkSettings.IPAddress}}' wbhttp$$)
            port=$($cli port wbhttp$$ 80/tcp | head -1 | sed 's/.*://')
            d=$(wrk -t2 -c8 -d3s "http://$ip:80/i" 2>/dev/null | awk '/Requests\/sec/ { print $2 }')
            p=$(wrk -t2 -c8 -d3s "http://127.0.0.1:$port/i" 2>/dev/null | awk '/Requests\/sec/ { print $2 }')
            $cli rm -f wbhttp$$ >/dev/null
            awk -v d="$d" -v p="$p" 'BEGIN { printf "%.0f / %.0f (%.2fx)", d, p, (d > 0 ? p / d : 0) }'
        }
        row "HTTP req/s: container IP / published port" "$(httprun w)" "$([ $have_docker = 1 ] && httprun dk || echo -)"
    else
        row "HTTP via published port" "wrk not installed" "-"
    fi
fi

# --- (b) fleet of detached sleeps, (c) memory ---------------------------------
if want fleet; then
    # the daemon trims a second or two after its last connection ends; read
    # its idle figure after that, as the `mem` section does
    sleep 2
    row "(c) daemon RSS, idle" "$(mib "$(rss_kib "$daemon_pid")")" \
        "$([ $have_docker = 1 ] && mib "$(sum_rss $(docker_engine_pids))" || echo -)"

    fleet() {  # $1 = w|dk; prints start, ps, rm times in ms
        local cli=$1 i t0 t1 t2 t3
        t0=$(now)
        for i in $(seq 1 "$FLEET"); do
            $cli run -d --label wharf-bench=1 busybox sleep 3600 >/dev/null
        done
        t1=$(now)
        $cli ps >/dev/null
        t2=$(now)
        echo "$(ms $((t1 - t0))) $(ms $((t2 - t1)))"
    }
    fleet_rm() {
        local cli=$1 t0 t1
        t0=$(now)
        $cli rm -f $($cli ps -aq --filter label=wharf-bench=1) >/dev/null
        t1=$(now)
        ms $((t1 - t0))
    }
    read -r ws wp < <(fleet w)
    ds=-; dp=-
    [ $have_docker = 1 ] && read -r ds dp < <(fleet dk)

    # Steady state, for both engines: wharf's monitors hand back the memory
    # that creating a container needed half a second after its start.
    sleep 2
    mons=$(monitor_pids)
    n=$(echo "$mons" | grep -c . || true)
    mon_rss=0; mon_pss=0
    for p in $mons; do mon_rss=$((mon_rss + $(rss_kib "$p"))); mon_pss=$((mon_pss + $(pss_kib "$p"))); done
    drss=-; dshim_rss=-; dshim_pss=-
    if [ $have_docker = 1 ]; then
        drss=$(mib "$(sum_rss $(docker_engine_pids))")
        shims=$(docker_shim_pids); ns=$(echo "$shims" | grep -c . || true)
        sr=0; sp=0
        for p in $shims; do sr=$((sr + $(rss_kib "$p"))); sp=$((sp + $(pss_kib "$p"))); done
        [ "$ns" -gt 0 ] && dshim_rss=$(mib $((sr / ns))) && dshim_pss=$(mib $((sp / ns)))
    fi
    row "(c) daemon RSS, $FLEET running" "$(mib "$(rss_kib "$daemon_pid")")" "$drss"
    if [ "$n" -gt 0 ]; then
        row "(c) monitor RSS per container ($n)" "$(mib $((mon_rss / n)))" "$dshim_rss"
        row "(c) monitor PSS per container" "$(mib $((mon_pss / n)))" "$dshim_pss"
    else
        row "(c) monitor RSS per container" "no monitor found" "$dshim_rss"
    fi
    warm=$(warm_pids); nw=$(echo "$warm" | grep -c . || true)
    if [ "$nw" -gt 0 ]; then
        wr=0; wp2=0
        for p in $warm; do wr=$((wr + $(rss_kib "$p"))); wp2=$((wp2 + $(pss_kib "$p"))); done
        row "(c) idle warm monitor RSS / PSS ($nw)" "$(mib $((wr / nw))) / $(mib $((wp2 / nw)))" -
    fi
    row "(b) start $FLEET detached sleeps, one by one" "$ws ms" "$([ "$ds" = - ] && echo - || echo "$ds ms")"
    row "(b) ps with $FLEET running" "$wp ms" "$([ "$dp" = - ] && echo - || echo "$dp ms")"
    wr=$(fleet_rm w)
    dr=-
    [ $have_docker = 1 ] && dr="$(fleet_rm dk) ms"
    row "(b) rm -f all $FLEET" "$wr ms" "$dr"
fi

# --- issue 13: memory (monitor, daemon at 200 running, after a burst) ------
# and `ps` with 200 running, 200 detached sleeps started 8 at a time.
if want mem; then
    MEM_FLEET=${MEM_FLEET:-200}
    # MEM_NET="--network none" when the Docker engine has lost its docker0
    MEM_NET=${MEM_NET:-}
    wcmd="$WHARF -H unix://$sock"
    dcmd="env DOCKER_HOST=unix://$DOCKER_SOCK docker"
    engine_pids() { if [ "$1" = w ]; then echo "$daemon_pid"; else docker_engine_pids; fi; }
    # the monitor (wharf) or shim (docker) of a container: its init's parent
    keeper_of() {  # $1 cli, $2 container → pid
        local pid
        pid=$($1 inspect -f '{{.State.Pid}}' "$2")
        awk '/^PPid:/ { print $2 }' "/proc/$pid/status"
    }
    sleep 2   # idle: a quiet second after the image import, the daemon trims
    row "daemon RSS, idle" "$(mib "$(rss_kib "$daemon_pid")")" \
        "$([ $have_docker = 1 ] && mib "$(sum_rss $(docker_engine_pids))" || echo -)"
    # 3000 connections, 200 at a time, with no container: RSS right after
    # and 1/3/5 s later (the trim follows a quiet second after the last reply)
    burst() {  # $1 w|dk, $2 socket → "result: rss0/rss1/rss3/rss5"
        local out r0 r1 r3 r5
        out=$(python3 bench/burst.py "$2" 3000 200)
        r0=$(sum_rss $(engine_pids "$1")); sleep 1
        r1=$(sum_rss $(engine_pids "$1")); sleep 2
        r3=$(sum_rss $(engine_pids "$1")); sleep 2
        r5=$(sum_rss $(engine_pids "$1"))
        awk -v a="$r0" -v b="$r1" -v c="$r3" -v d="$r5" -v o="${out%% *}" \
            'BEGIN { printf "%s: %.1f/%.1f/%.1f/%.1f", o, a/1024, b/1024, c/1024, d/1024 }'
    }
    row "idle burst 3000 conns: RSS MiB at 0/1/3/5 s" "$(burst w "$sock")" \
        "$([ $have_docker = 1 ] && burst dk "$DOCKER_SOCK" || echo -)"
    # a container with a 1 s healthcheck: RSS/PSS sampled every 0.5 s for 5 s
    # after 3 s, largest sample
    health() {  # $1 cli → "rss pss" (max, KiB)
        local cli=$1 c k r p mr=0 mp=0
        c=$($cli run -d $MEM_NET --label wharf-bench=1 --health-cmd true --health-interval 1s busybox sleep 3600)
        sleep 3
        k=$(keeper_of "$cli" "$c")
        for _ in $(seq 1 10); do
            r=$(rss_kib "$k"); p=$(pss_kib "$k")
            [ "$r" -gt "$mr" ] && mr=$r
            [ "$p" -gt "$mp" ] && mp=$p
            sleep 0.5
        done
        $cli rm -f "$c" >/dev/null
        echo "$mr $mp"
    }
    read -r hr hp < <(health w)
    dhr=-; dhp=-
    [ $have_docker = 1 ] && read -r dhr dhp < <(health dk)
    row "monitor RSS / PSS, 1 s healthcheck (max)" "$(mib "$hr") / $(mib "$hp")" \
        "$([ "$dhr" = - ] && echo - || echo "$(mib "$dhr") / $(mib "$dhp")")"

    many() {  # $1 cmd → "seconds failures"
        local t0 t1 fails
        t0=$(now)
        fails=$(seq 1 "$MEM_FLEET" | xargs -P8 -I{} sh -c \
            "$1 run -d $MEM_NET --label wharf-bench=1 busybox sleep 3600 >/dev/null 2>&1 || echo fail" | grep -c fail || true)
        t1=$(now)
        echo "$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f s", ns / 1e9 }') $fails"
    }
    read -r ws wu wf < <(many "$wcmd")
    ds=-; du=; df=-
    [ $have_docker = 1 ] && read -r ds du df < <(many "$dcmd")
    row "start $MEM_FLEET sleeps 8 at a time (fails)" "$ws $wu ($wf)" \
        "$([ "$ds" = - ] && echo - || echo "$ds $du ($df)")"
    pstime() {  # $1 cli → median of 10 `ps`, ms
        local t=() t0 t1
        for _ in $(seq 1 10); do
            t0=$(now); $1 ps >/dev/null; t1=$(now); t+=($((t1 - t0)))
        done
        ms "$(printf '%s\n' "${t[@]}" | median)"
    }
    row "ps with $MEM_FLEET running, median of 10" "$(pstime w) ms" \
        "$([ $have_docker = 1 ] && echo "$(pstime dk) ms" || echo -)"
    sleep 2
    mons=$(monitor_pids); n=$(echo "$mons" | grep -c . || true)
    mr=0; mp=0
    for p in $mons; do mr=$((mr + $(rss_kib "$p"))); mp=$((mp + $(pss_kib "$p"))); done
    dmon=-
    if [ $have_docker = 1 ]; then
        shims=$(docker_shim_pids); ns=$(echo "$shims" | grep -c . || true)
        sr=0; sp=0
        for p in $shims; do sr=$((sr + $(rss_kib "$p"))); sp=$((sp + $(pss_kib "$p"))); done
        [ "$ns" -gt 0 ] && dmon="$(mib $((sr / ns))) / $(mib $((sp / ns)))"
    fi
    [ "$n" -gt 0 ] && row "monitor RSS / PSS per container ($n)" "$(mib $((mr / n))) / $(mib $((mp / n)))" "$dmon"
    row "daemon RSS, $MEM_FLEET running" "$(mib "$(rss_kib "$daemon_pid")")" \
        "$([ $have_docker = 1 ] && mib "$(sum_rss $(docker_engine_pids))" || echo -)"
    # the same burst with MEM_FLEET running
    row "burst, $MEM_FLEET running: RSS MiB at 0/1/3/5 s" "$(burst w "$sock")" \
        "$([ $have_docker = 1 ] && burst dk "$DOCKER_SOCK" || echo -)"
    w rm -f $(w ps -aq --filter label=wharf-bench=1) >/dev/null 2>&1 || true
    [ $have_docker = 1 ] && { dk rm -f $(dk ps -aq --filter label=wharf-bench=1) >/dev/null 2>&1 || true; }
    sleep 2
    row "daemon RSS, idle again after rm" "$(mib "$(rss_kib "$daemon_pid")")" "-"
fi

# --- issue 13: the start path at scale: STARTS_FLEET (200) detached sleeps
# started 8 at a time, `ps` with them running (CLI, and the API alone), then
# STARTS_ONE (50) started one by one; interleaved wharf, docker.
if want starts; then
    STARTS_FLEET=${STARTS_FLEET:-200}
    STARTS_ONE=${STARTS_ONE:-50}
    STARTS_NET=${STARTS_NET:-}
    wcmd="$WHARF -H unix://$sock"
    dcmd="env DOCKER_HOST=unix://$DOCKER_SOCK docker"
    eight() {  # $1 cmd → "seconds failures"
        local t0 t1 fails
        t0=$(now)
        fails=$(seq 1 "$STARTS_FLEET" | xargs -P8 -I{} sh -c \
            "$1 run -d $STARTS_NET --label wharf-bench=1 busybox sleep 3600 >/dev/null 2>&1 || echo fail" |
            grep -c fail || true)
        t1=$(now)
        echo "$(ms $((t1 - t0))) $fails"
    }
    pstime() {  # $1 cli → median of 10 `ps`, ms
        local t=() t0 t1
        for _ in $(seq 1 10); do
            t0=$(now); $1 ps >/dev/null; t1=$(now); t+=($((t1 - t0)))
        done
        ms "$(printf '%s\n' "${t[@]}" | median)"
    }
    # $1 socket, $2 path → median of 10 GETs, ms. What is timed is the
    # request alone, as curl itself measures it (`-w %{time_total}`: from
    # the connect to the socket to the last byte of the answer), so the
    # figure is the daemon's: the wall time of a whole `curl` run also
    # counted curl's own start and exit (loading libcurl and its TLS
    # libraries, 5-10 ms on a quiet machine and far more under load), which
    # is why it once read more than `ps`, a full CLI run. `/_ping` gives the
    # floor: a request the daemon answers without work.
    # Unversioned paths: an engine answers them at its own API version (a
    # /v1.44 path gets Docker 20.10's fast 400 "too new", not a list).
    apitime() {
        local t=()
        for _ in $(seq 1 10); do
            t+=("$(curl -sf -o /dev/null -w '%{time_total}' --unix-socket "$1" "http://localhost$2")")
        done
        printf '%s\n' "${t[@]}" | median | awk '{ printf "%.1f", $1 * 1000 }'
    }
    running() { $1 ps -q --filter label=wharf-bench=1 | grep -c . || true; }
    rmall() {  # $1 cmd → ms
        local t0 t1 ids
        ids=$($1 ps -aq --filter label=wharf-bench=1)
        t0=$(now)
        [ -z "$ids" ] || echo "$ids" | xargs -n 50 $1 rm -f >/dev/null 2>&1
        t1=$(now)
        ms $((t1 - t0))
    }
    read -r ws wf < <(eight "$wcmd")
    wn=$(running w)
    ds=-; df=-; dn=-
    if [ $have_docker = 1 ]; then read -r ds df < <(eight "$dcmd"); dn=$(running dk); fi
    row "start $STARTS_FLEET sleeps 8 at a time (fails/running)" "$ws ms ($wf/$wn)" \
        "$([ "$ds" = - ] && echo - || echo "$ds ms ($df/$dn)")"
    row "ps with $STARTS_FLEET running, median of 10" "$(pstime w) ms" \
        "$([ $have_docker = 1 ] && echo "$(pstime dk) ms" || echo -)"
    row "GET /containers/json, $STARTS_FLEET running (request only)" "$(apitime "$sock" /containers/json) ms" \
        "$([ $have_docker = 1 ] && echo "$(apitime "$DOCKER_SOCK" /containers/json) ms" || echo -)"
    row "GET /_ping, $STARTS_FLEET running (request only)" "$(apitime "$sock" /_ping) ms" \
        "$([ $have_docker = 1 ] && echo "$(apitime "$DOCKER_SOCK" /_ping) ms" || echo -)"
    row "rm -f all $STARTS_FLEET, 50 per command" "$(rmall "$wcmd") ms" \
        "$([ $have_docker = 1 ] && echo "$(rmall "$dcmd") ms" || echo -)"
    one() {  # $1 cli → ms
        local t0 t1
        t0=$(now)
        for _ in $(seq 1 "$STARTS_ONE"); do
            $1 run -d $STARTS_NET --label wharf-bench=1 busybox sleep 3600 >/dev/null
        done
        t1=$(now)
        ms $((t1 - t0))
    }
    wo=$(one w)
    do=-
    [ $have_docker = 1 ] && do="$(one dk) ms"
    row "start $STARTS_ONE sleeps one by one" "$wo ms" "$do"
    rmall "$wcmd" >/dev/null
    [ $have_docker = 1 ] && rmall "$dcmd" >/dev/null
fi

# --- issue 3: 1 GiB dd conv=fsync in the layer, a volume, a tmpfs -------------
if want dd; then
    dd_cmd="dd if=/dev/zero of=/data/X bs=1M count=$DD_MB conv=fsync 2>&1 | tail -n1"
    tmpfs_size=$((DD_MB + 64))m
    ddrun() {  # $1 cli, $2 where → MB/s from wall time
        local cli=$1 where=$2 args=() t0 t1
        case $where in
            layer) args=() ;;
            volume) args=(-v wharf-bench-vol:/data) ;;
            tmpfs) args=(--tmpfs "/data:size=$tmpfs_size") ;;
        esac
        t0=$(now)
        $cli run --rm "${args[@]}" busybox sh -c "mkdir -p /data; $dd_cmd" >/dev/null
        t1=$(now)
        awk -v mb="$DD_MB" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f MB/s (%.2f s)", mb / (ns / 1e9), ns / 1e9 }'
    }
    for where in layer volume tmpfs; do
        wr=$(ddrun w $where)
        dr=-
        [ $have_docker = 1 ] && dr=$(ddrun dk $where)
        row "dd ${DD_MB} MiB conv=fsync, $where" "$wr" "$dr"
    done
    w volume rm -f wharf-bench-vol >/dev/null 2>&1 || true
fi
