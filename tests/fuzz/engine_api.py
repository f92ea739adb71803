"""Property-based fuzz of the Engine API from its OpenAPI document.

schemathesis generates requests for every operation of
docker-engine-api-v1.44.yaml (valid and invalid ones); they go to the
daemon through a loopback TCP-to-unix forwarder this script starts on
127.0.0.1 (an ephemeral port). Checked after every request:

  * no 5xx whose message is a panic or an internal error;
  * the daemon still answers /_ping (it did not crash);
  * a rejected request (4xx) changed nothing: containers, images,
    volumes and networks are listed the same before and after.

Operations left out, and why (README, "Crash consistency"):
  * anything that reaches outside the host: pull (/images/create),
    push, search, /auth, /distribution, /build (its `remote`), plugins,
    swarm and its objects (nodes, services, tasks, secrets, configs);
  * network create and prune: a random subnet could shadow a route of
    the host;
  * calls that block or stream forever by design: attach, wait, events,
    logs/stats with follow or stream, exec start, /session.

Half the requests name objects that exist (a container, a volume, a
network, an exec made before the run: FUZZ_CONTAINER, FUZZ_VOLUME,
FUZZ_NETWORK, FUZZ_EXEC in the environment), so that bad input reaches
the handlers behind the look-up too.

Usage: python engine_api.py SPEC UNIX_SOCKET MAX_EXAMPLES SEED
Prints OK at the end when nothing was found.
"""
import http.client
import json
import os
import re
import socket
import sys
import threading

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, seed as hseed
from hypothesis import strategies as st

SPEC, SOCK, MAX_EXAMPLES, SEED = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

EXCLUDED = re.compile(
    r"^/(images/create|images/search|images/[^/]+/push|auth|distribution|build|plugins|swarm|nodes|services|tasks|secrets|configs|session|events)"
    r"|^/networks/(create|prune)"
    r"|/(attach|attach/ws|wait)$"
    r"|^/exec/[^/]+/start$"
)
STREAMING = re.compile(r"/(logs|stats)$")


class Forwarder(threading.Thread):
    """127.0.0.1:ephemeral → the daemon's unix socket, one thread a
    connection."""

    def __init__(self):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.port = self.srv.getsockname()[1]

    def run(self):
        while True:
            c, _ = self.srv.accept()
            u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            u.connect(SOCK)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class UnixHTTP(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(SOCK)


def get(path):
    c = UnixHTTP("localhost")
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def snapshot():
    """What a rejected call must leave alone."""
    out = {}
    for what, path, key in (
        ("containers", "/containers/json?all=1", "Id"),
        ("images", "/images/json", "Id"),
        ("networks", "/networks", "Id"),
    ):
        st, body = get(path)
        items = json.loads(body) if st == 200 else None
        out[what] = sorted(
            (i.get(key), json.dumps(i.get("Names") or i.get("RepoTags") or i.get("Name")))
            for i in items or []
        )
    st, body = get("/volumes")
    vols = (json.loads(body) or {}).get("Volumes") or [] if st == 200 else []
    out["volumes"] = sorted(v.get("Name") for v in vols)
    return out


PANIC = re.compile(r"panic|panicked|internal error|unwrap|RUST_BACKTRACE", re.I)
problems = []
server_errors = []
calls = {"n": 0, "by_status": {}}


def check(case, before):
    try:
        resp = case.call(base_url=BASE, timeout=20)
    except Exception as e:  # a dropped connection is the daemon failing
        st, _ = (0, b"")
        try:
            st, _ = get("/_ping")
        except OSError:
            pass
        if st != 200:
            problems.append(f"{case.method} {case.formatted_path}: daemon gone after {e!r}")
        return
    calls["n"] += 1
    calls["by_status"][resp.status_code] = calls["by_status"].get(resp.status_code, 0) + 1
    text = resp.text[:500]
    if resp.status_code >= 500:
        server_errors.append(f"{case.method} {case.formatted_path}: {resp.status_code} {text[:160]}")
    if resp.status_code >= 500 and PANIC.search(text):
        problems.append(f"{case.method} {case.formatted_path} {case.query}: {resp.status_code} {text}")
    st, _ = get("/_ping")
    if st != 200:
        problems.append(f"{case.method} {case.formatted_path}: /_ping answers {st} afterwards")
    if 400 <= resp.status_code < 500 and before is not None:
        after = snapshot()
        if after != before:
            changed = [k for k in after if after[k] != before[k]]
            problems.append(
                f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:200]}: rejected "
                f"({resp.status_code} {text[:120]}) but changed {changed}"
            )


def existing(path):
    """Path parameters naming an object made before the run."""
    m = re.match(r"^/(containers|volumes|networks|exec)/\{(\w+)\}", path)
    if not m:
        return None
    value = os.environ.get("FUZZ_" + {"containers": "CONTAINER", "volumes": "VOLUME",
                                      "networks": "NETWORK", "exec": "EXEC"}[m.group(1)])
    return {m.group(2): value} if value else None


fwd = Forwarder()
fwd.start()
BASE = f"http://127.0.0.1:{fwd.port}/v1.44"

# tar bodies (image load, archive put, build) as plain bytes
for mt in ("application/x-tar", "application/octet-stream"):
    try:
        schemathesis.serializer.alias(mt, "application/octet-stream")
    except Exception:
        @schemathesis.serializer(mt)
        def _raw(ctx, value):
            return value if isinstance(value, bytes) else str(value).encode()

schema = schemathesis.openapi.from_path(SPEC)
ops = []
for result in schema.get_all_operations():
    op = result.ok()
    if op is None or EXCLUDED.search(op.path):
        continue
    ops.append(op)

for op in ops:
    # valid requests, and requests that break the schema on purpose, on
    # random names and on the objects that exist
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    strategies = [op.as_strategy(m) for m in modes]
    pinned = existing(op.path)
    if pinned:
        strategies += [op.as_strategy(m, path_parameters=pinned) for m in modes]
    strategy = st.one_of(*strategies)

    @hseed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        if case.method == "DELETE" and pinned and case.path_parameters == pinned:
            return  # keep the objects for the operations that follow
        if STREAMING.search(op.path):
            case.query = dict(case.query or {}, follow="false", stream="false")
        before = snapshot()
        check(case, before)

    try:
        run()
    except Exception as e:  # the schema, not the daemon: said, not failed
        print(f"SKIPPED {op.method.upper()} {op.path}: {e!r}"[:300])

print(f"operations: {len(ops)}, calls: {calls['n']}, statuses: {dict(sorted(calls['by_status'].items()))}")
for e in sorted(set(server_errors)):
    print("5xx (not a panic)", e)
for p in problems:
    print("PROBLEM", p)
if not problems:
    print("OK")
