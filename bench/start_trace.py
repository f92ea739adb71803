#!/usr/bin/env python3
"""Reads one kernel trace (ftrace text, see bench/start-trace.sh) of one
`wharf run --rm busybox true` and prints where its time went, from kernel
timestamps: the spans between the start's landmarks (the monitor's exec,
the runtime helper's fork, libcontainer's intermediate and init processes,
their cgroup moves, namespace, mount, pivot_root and seccomp calls, the
container's exec and exit, the client's exit), the daemon's fsyncs, and
how long the processes on the path waited for a CPU (runnable, not
running).

Usage: start_trace.py TRACE DAEMON_PID CLIENT_EXE [--json]
Prints `name value_us` lines (one run), read by bench/start-trace.sh.
"""
import os
import re
import sys

LINE = re.compile(r"^\s*(.+)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+(.*)$")
# ftrace prints syscall events as `sys_NAME(args)` and `sys_NAME -> ret`,
# other events as `NAME: fields`.
SYSCALL = re.compile(r"^sys_(\w+)(\(| -> )(.*)$")
EVENT = re.compile(r"^(\w+):\s*(.*)$")


def parse(path):
    out = []
    with open(path, errors="replace") as f:
        for l in f:
            m = LINE.match(l)
            if not m:
                continue
            comm, pid, _cpu, ts, body = m.groups()
            sc = SYSCALL.match(body)
            if sc:
                kind = "enter" if sc.group(2) == "(" else "exit"
                ev, rest = f"sys_{kind}_{sc.group(1)}", sc.group(3)
            else:
                e = EVENT.match(body)
                if not e:
                    continue
                ev, rest = e.groups()
            out.append((float(ts) * 1e6, int(pid), comm, ev, rest))
    return out


def field(rest, name):
    m = re.search(r"(?:^|\s)" + name + r"=(\S+)", rest)
    return m.group(1) if m else None


def main():
    trace, daemon_pid, client_exe = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    evs = parse(trace)
    try:
        daemon = {int(t) for t in os.listdir(f"/proc/{daemon_pid}/task")}
    except OSError:
        daemon = set()
    daemon.add(daemon_pid)
    client = None
    monitor = None
    helper = inter = init = None
    parent = {}
    marks = {}
    cg_attach = []
    mounts = 0
    fsyncs = []
    fsync_open = {}
    seccomp_open = None

    def mark(name, t):
        marks.setdefault(name, t)

    for t, pid, comm, ev, rest in evs:
        if ev == "sched_process_fork":
            p, c = int(field(rest, "pid")), int(field(rest, "child_pid"))
            parent[c] = p
            if p in daemon and c not in daemon:
                # a daemon thread or the monitor (known at its exec)
                daemon.add(c)
            if monitor is not None and p == monitor and helper is None:
                helper = c
                mark("helper_fork", t)
            elif helper is not None and p == helper and inter is None:
                inter = c
                mark("intermediate_fork", t)
            elif inter is not None and p == inter and init is None:
                init = c
                mark("init_fork", t)
        elif ev == "sched_process_exec":
            fn = field(rest, "filename") or ""
            if client is None and fn == client_exe:
                client = pid
                mark("client_exec", t)
            elif monitor is None and (
                fn.endswith("wharf-monitor") or (fn == client_exe and pid != client)
            ):
                monitor = pid
                daemon.discard(pid)
                if pid in parent:
                    daemon.add(parent[pid])
                mark("monitor_exec", t)
            elif init is not None and pid == init:
                mark("container_exec", t)
        elif ev == "sched_process_exit":
            if pid == helper:
                mark("helper_exit", t)
            elif pid == init:
                mark("container_exit", t)
            elif pid == monitor:
                mark("monitor_exit", t)
            elif pid == client:
                mark("client_exit", t)
        elif ev == "cgroup_attach_task":
            if field(rest, "pid") in (str(inter), str(init)):
                cg_attach.append(t)
                mark("cgroup_first", t)
        elif ev == "sys_enter_unshare":
            if pid == inter:
                mark("unshare_pid", t)
            elif pid == init:
                mark("init_namespaces", t)
        elif ev in ("sys_enter_mount", "sys_enter_fsmount", "sys_enter_move_mount"):
            if pid == init:
                mounts += 1
                mark("first_mount", t)
        elif ev == "sys_exit_pivot_root":
            if pid == init:
                mark("pivot_root", t)
        elif ev == "sys_enter_seccomp":
            if pid == init and re.match(r"op: (0x)?1,", rest):
                seccomp_open = t
        elif ev == "sys_exit_seccomp":
            if pid == init and seccomp_open is not None:
                marks["seccomp_loaded"] = t
        elif ev == "sys_enter_fsync":
            if pid in daemon:
                fsync_open[pid] = t
        elif ev == "sys_exit_fsync":
            if pid in fsync_open:
                fsyncs.append(t - fsync_open.pop(pid))
    if cg_attach:
        marks["cgroup_last"] = cg_attach[-1]

    # Runnable-but-waiting time of the path's processes, within the run.
    path = set(daemon) | {x for x in (client, monitor, helper, inter, init) if x}
    # and every descendant of the monitor (runc and its init processes)
    tree = {monitor} if monitor else set()
    for t, pid, comm, ev, rest in evs:
        if ev == "sched_process_fork" and int(field(rest, "pid")) in tree:
            tree.add(int(field(rest, "child_pid")))
    path |= tree
    # Per process of the create: time on a CPU, runnable but waiting for
    # one, and blocked, over its life within the trace.
    roles = {"monitor": monitor, "helper": helper, "intermediate": inter, "init": init}
    acct = {r: {"cpu": 0.0, "wait": 0.0, "blocked": 0.0} for r, p in roles.items() if p}
    pid_role = {p: r for r, p in roles.items() if p}
    state = {}  # pid -> (kind, since)
    for t, pid, comm, ev, rest in evs:
        if ev == "sched_process_fork":
            c = int(field(rest, "child_pid"))
            if c in pid_role:
                state[c] = ("wait", t)
        elif ev in ("sched_wakeup", "sched_wakeup_new"):
            p = int(field(rest, "pid") or 0)
            if p in pid_role and state.get(p, ("", 0))[0] != "cpu":
                k, since = state.get(p, ("blocked", t))
                if k == "blocked":
                    acct[pid_role[p]]["blocked"] += t - since
                    state[p] = ("wait", t)
        elif ev == "sched_switch":
            prev = int(field(rest, "prev_pid") or 0)
            nxt = int(field(rest, "next_pid") or 0)
            if prev in pid_role and prev in state:
                k, since = state[prev]
                acct[pid_role[prev]][k] += t - since
                st = field(rest, "prev_state") or ""
                state[prev] = ("wait" if st.startswith("R") else "blocked", t)
            elif prev in pid_role:
                state[prev] = ("wait" if (field(rest, "prev_state") or "").startswith("R") else "blocked", t)
            if nxt in pid_role:
                if nxt in state:
                    k, since = state[nxt]
                    acct[pid_role[nxt]][k] += t - since
                state[nxt] = ("cpu", t)
        elif ev == "sched_process_exit" and pid in pid_role and pid in state:
            k, since = state.pop(pid)
            acct[pid_role[pid]][k] += t - since
    t_begin = marks.get("client_exec")
    t_end = marks.get("client_exit")
    ready = {}
    waited = 0.0
    for t, pid, comm, ev, rest in evs:
        if t_begin is None or t < t_begin or (t_end is not None and t > t_end):
            continue
        if ev in ("sched_wakeup", "sched_wakeup_new"):
            p = int(field(rest, "pid") or 0)
            if p in path:
                ready.setdefault(p, t)
        elif ev == "sched_switch":
            prev = int(field(rest, "prev_pid") or 0)
            nxt = int(field(rest, "next_pid") or 0)
            st = field(rest, "prev_state") or ""
            if prev in path and st.startswith("R"):
                ready[prev] = t
            if nxt in ready:
                waited += t - ready.pop(nxt)

    order = [
        ("client_exec", "monitor_exec", "api_create_prepare_spawn"),
        ("monitor_exec", "helper_fork", "monitor_startup"),
        ("helper_fork", "intermediate_fork", "runtime_builder"),
        ("intermediate_fork", "cgroup_first", "intermediate_setup"),
        ("cgroup_first", "cgroup_last", "cgroup_moves"),
        ("cgroup_last", "unshare_pid", "cgroup_limits_devices"),
        ("unshare_pid", "init_fork", "pid_namespace"),
        ("init_fork", "first_mount", "init_namespaces"),
        ("first_mount", "pivot_root", "rootfs_mounts"),
        ("pivot_root", "seccomp_loaded", "masks_caps_seccomp"),
        ("seccomp_loaded", "helper_exit", "ready_notify"),
        ("helper_exit", "container_exec", "start_request"),
        ("container_exec", "container_exit", "container_runs"),
        ("container_exit", "monitor_exit", "exit_drain"),
        ("monitor_exit", "client_exit", "exit_cleanup_remove"),
    ]
    for a, b, name in order:
        if a in marks and b in marks:
            print(f"{name} {marks[b] - marks[a]:.0f}")
    # Since session 9 the client may exit before the monitor (the monitor
    # answers the exit before its runtime delete): the span that counts.
    if "container_exit" in marks and "client_exit" in marks:
        print(f"exit_to_client {marks['client_exit'] - marks['container_exit']:.0f}")
    if t_begin is not None and t_end is not None:
        print(f"wall {t_end - t_begin:.0f}")
    print(f"mount_calls {mounts}")
    print(f"cgroup_moves {len(cg_attach)}")
    if fsyncs:
        print(f"daemon_fsync_total {sum(fsyncs):.0f}")
    print(f"runnable_wait {waited:.0f}")
    for r in ("monitor", "helper", "intermediate", "init"):
        if r in acct:
            for k in ("cpu", "wait", "blocked"):
                print(f"{r}_{k} {acct[r][k]:.0f}")


if __name__ == "__main__":
    main()
