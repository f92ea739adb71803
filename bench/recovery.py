#!/usr/bin/env python3
"""Recovery time (issue 9): a daemon with N running containers is killed
with SIGKILL and started again on the same roots; printed per round: ms
from the start to the first `/_ping` answer, and to the first answer of
`/containers/json` (which waits for start-up reconcile).

    python3 bench/recovery.py WHARF_BINARY [N=50] [ROUNDS=5]

Runs its own daemon on a temporary root with a bridge of its own, and
removes everything at the end.
"""
import json, os, random, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

wharf = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
root = tempfile.mkdtemp(prefix="wrec.")
sock = os.path.join(root, "d.sock")
bridge = f"wr{os.getpid() % 100000}"
bip = f"10.198.{random.randrange(200)}.1/24"
here = os.path.dirname(os.path.abspath(__file__))


def get(path, timeout=30):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return int(data.split(b" ", 2)[1]), data.split(b"\r\n\r\n", 1)[1]


def start():
    log = open(os.path.join(root, "daemon.log"), "ab")
    p = subprocess.Popen(
        [wharf, "daemon", "-H", f"unix://{sock}", "--data-root", f"{root}/data",
         "--exec-root", f"{root}/x", "--bridge", bridge, "--bip", bip],
        stdout=log, stderr=log,
        env=dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "info,wharf::phases=debug")))
    t0 = time.monotonic()
    ping = None
    while True:
        try:
            if get("/_ping", 5)[0] == 200:
                ping = time.monotonic() - t0
                break
        except OSError:
            if p.poll() is not None:
                sys.exit(open(os.path.join(root, "daemon.log")).read()[-3000:])
            time.sleep(0.0005)
    st, _ = get("/containers/json")
    assert st == 200
    return p, ping * 1000, (time.monotonic() - t0) * 1000


def w(*args):
    subprocess.run([wharf, "-H", f"unix://{sock}", *args], check=True,
                   stdout=subprocess.DEVNULL)


d = None
try:
    d, _, _ = start()
    tar = os.path.join(root, "busybox.tar")
    subprocess.run(["bash", os.path.join(here, "../scripts/build-busybox-image.sh"), tar],
                   check=True, stdout=subprocess.DEVNULL)
    w("import", "-c", 'CMD ["sh"]', tar, "busybox:latest")
    for i in range(n):
        w("run", "-d", "--name", f"rec{i}", "busybox", "sleep", "600")
    pings, readies = [], []
    for _ in range(rounds):
        d.send_signal(signal.SIGKILL)
        d.wait()
        d, ping, ready = start()
        st, body = get("/containers/json")
        running = len(json.loads(body))
        assert running == n, f"{running} of {n} running after the restart"
        pings.append(ping)
        readies.append(ready)
        print(f"restart with {n} running: first /_ping {ping:.1f} ms, first /containers/json {ready:.1f} ms", flush=True)
    print(f"median of {rounds}: /_ping {statistics.median(pings):.1f} ms, /containers/json {statistics.median(readies):.1f} ms")
finally:
    if d is not None and d.poll() is None:
        subprocess.run([wharf, "-H", f"unix://{sock}", "rm", "-f", *[f"rec{i}" for i in range(n)]],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d.terminate()
        d.wait()
    subprocess.run(["ip", "link", "del", bridge], stderr=subprocess.DEVNULL)
    mounts = [l.split()[4] for l in open("/proc/self/mountinfo") if l.split()[4].startswith(root)]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    if os.environ.get("RECOVERY_LOG"):
        shutil.copy(os.path.join(root, "daemon.log"), os.environ["RECOVERY_LOG"])
    shutil.rmtree(root, ignore_errors=True)
