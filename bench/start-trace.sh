#!/usr/bin/env bash
# Inside the runtime's create (issue 13): traces N `run --rm busybox true`
# with the kernel's own tracer (an ftrace instance of its own: process
# forks, execs and exits, cgroup moves, unshare/setns/mount/pivot_root/
# seccomp calls, fsync, scheduler switches) and prints the median of each
# span between the start's landmarks, from kernel timestamps, with the time
# the path's processes spent runnable but waiting for a CPU. Low overhead
# (no ptrace), so the spans are times, not only shares. bench/start_trace.py
# reads each run's trace.
#
#   bash bench/start-trace.sh            # RUNS=10, --network none
#   RUNS=20 bash bench/start-trace.sh bridge
#   RUNTIME=runc bash bench/start-trace.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
mode=${1:-none}
BENCH_NO_DOCKER=1
source bench/lib.sh

tracefs=/sys/kernel/tracing
if [ ! -d "$tracefs/instances" ]; then
    mount -t tracefs nodev "$tracefs" 2>/dev/null || true
fi
[ -d "$tracefs/instances" ] || { echo "bench: no tracefs at $tracefs" >&2; exit 1; }
inst="$tracefs/instances/wharf-st$$"
bench_extra_cleanup() { [ -d "$inst" ] && { echo 0 >"$inst/tracing_on"; rmdir "$inst"; }; }
mkdir "$inst"
echo 16384 >"$inst/buffer_size_kb"
echo mono >"$inst/trace_clock"
for e in sched/sched_process_fork sched/sched_process_exec sched/sched_process_exit \
    sched/sched_switch sched/sched_wakeup sched/sched_wakeup_new cgroup/cgroup_attach_task \
    syscalls/sys_enter_unshare syscalls/sys_enter_setns syscalls/sys_enter_mount \
    syscalls/sys_enter_fsmount syscalls/sys_enter_move_mount syscalls/sys_exit_pivot_root \
    syscalls/sys_enter_seccomp syscalls/sys_exit_seccomp syscalls/sys_enter_fsync \
    syscalls/sys_exit_fsync; do
    echo 1 >"$inst/events/$e/enable"
done
echo 0 >"$inst/tracing_on"

bench_start >/dev/null
rt_args=()
[ -n "${RUNTIME:-}" ] && rt_args=(--runtime "$RUNTIME")
w run --rm --network "$mode" "${rt_args[@]}" busybox true   # warm-up
: >"$root/spans"
for i in $(seq 1 "$RUNS"); do
    echo >"$inst/trace"
    echo 1 >"$inst/tracing_on"
    w run --rm --network "$mode" "${rt_args[@]}" busybox true
    echo 0 >"$inst/tracing_on"
    cp "$inst/trace" "$root/trace.$i"
    python3 bench/start_trace.py "$root/trace.$i" "$daemon_pid" "$WHARF" >>"$root/spans"
    [ -n "${KEEP_TRACE:-}" ] && cp "$root/trace.$i" "$KEEP_TRACE.$i"
done
echo "== run --rm --network $mode busybox true${RUNTIME:+ (runtime $RUNTIME)}: median of $RUNS traced runs (µs, kernel clock)"
for name in $(awk '{ print $1 }' "$root/spans" | awk '!seen[$0]++'); do
    printf '  %-28s %8s\n' "$name" "$(awk -v n="$name" '$1 == n { print $2 }' "$root/spans" | median)"
done
