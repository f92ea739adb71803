# Shared by the bench scripts that source it: a private wharf daemon on a
# temporary root, the Docker engine to compare with (when one answers on
# $DOCKER_SOCK), busybox imported into both, and the helpers that print a
# row of figures. Sets: WHARF, root, sock, daemon_pid, have_docker; w, dk.
# The daemon gets a bridge of its own (wb<pid>), never the host's wharf0;
# it inherits the environment (RUST_LOG for bench/phases.sh), and takes
# more daemon flags from WHARF_DAEMON_ARGS (e.g. "--warm-monitors 0").
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
WHARF=${WHARF:-${CARGO_TARGET_DIR:-$PWD/target}/release/wharf}
if [ ! -x "$WHARF" ]; then
    echo "bench: building release binary" >&2
    cargo build --release >&2
fi
root=$(mktemp -d /tmp/wb.XXXXXX)
sock=$root/wharf.sock
daemon_pid=
have_docker=0

w() { "$WHARF" -H "unix://$sock" "$@"; }
dk() { DOCKER_HOST="unix://$DOCKER_SOCK" docker "$@"; }

bench_cleanup() {
    set +e
    if [ -n "$daemon_pid" ]; then
        w rm -f $(w ps -aq) >/dev/null 2>&1
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    if [ "$have_docker" = 1 ]; then
        dk rm -f $(dk ps -aq --filter label=wharf-bench) >/dev/null 2>&1
    fi
    # a script's own leftovers (volumes, networks): define bench_extra_cleanup
    if declare -F bench_extra_cleanup >/dev/null; then bench_extra_cleanup; fi
    # a daemon leaves its default bridge behind, as dockerd leaves docker0
    ip link del "wb$$" 2>/dev/null
    grep -o " $root[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$root"
}
trap bench_cleanup EXIT

bench_start() {
    "$WHARF" daemon -H "unix://$sock" --data-root "$root/data" --exec-root "$root/x" \
        --bridge "wb$$" --bip 10.199.$((RANDOM % 200)).1/24 ${WHARF_DAEMON_ARGS:-} >"$root/daemon.log" 2>&1 &
    daemon_pid=$!
    for _ in $(seq 1 200); do
        curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1 && break
        kill -0 "$daemon_pid" 2>/dev/null || { cat "$root/daemon.log" >&2; exit 1; }
        sleep 0.05
    done
    bash scripts/build-busybox-image.sh "$root/busybox.tar" >/dev/null
    w import -c 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null
    # BENCH_NO_DOCKER=1: wharf alone (bench/phases.sh)
    if [ "${BENCH_NO_DOCKER:-0}" != 1 ] && command -v docker >/dev/null && [ -S "$DOCKER_SOCK" ] && dk version >/dev/null 2>&1; then
        have_docker=1
        dk image inspect busybox:latest >/dev/null 2>&1 ||
            dk import -c 'CMD ["sh"]' "$root/busybox.tar" busybox:latest >/dev/null
        echo "Docker engine: $(dk version --format '{{.Server.Version}}') on $DOCKER_SOCK"
    else
        echo "No Docker engine on $DOCKER_SOCK: wharf figures only"
    fi
    echo "wharf: $WHARF ($(nproc) cores, $(uname -r))"
    echo
}

now() { date +%s%N; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
sum_rss() { local t=0 p; for p in "$@"; do t=$((t + $(rss_kib "$p"))); done; echo $t; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
row() { printf '%-46s %26s %26s\n' "$1" "$2" "${3:--}"; }

# The 10-service (N) project of the compose benches: busybox httpd and
# sleep services, one named volume, the default network. Each service ends
# on SIGTERM, as a real service does (a bare sleep or httpd as pid 1
# ignores it, and every stop would wait out -t).
bench_compose_project() {
    local n=$1 i
    echo "services:"
    for i in $(seq 1 "$n"); do
        echo "  s$i:"
        echo "    image: busybox"
        echo "    stop_grace_period: 1s"
        if [ $((i % 2)) = 0 ]; then
            echo "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; httpd -f -p 80 & wait\"]"
        else
            echo "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]"
        fi
        [ "$i" = 1 ] && echo "    volumes: [data:/data]"
    done
    echo "volumes:"
    echo "  data:"
}
