"""The Docker SDK for Python against wharfd: what an SDK user does with
containers. Run by tests/docker_py.rs with DOCKER_HOST pointing at a test
daemon; prints OK at the end, any failure raises."""
import io
import tarfile
import time

import docker

c = docker.from_env(timeout=60)
assert c.ping()
info = c.info()
assert info["Swarm"]["LocalNodeState"] == "inactive", info["Swarm"]

# run detached, logs, exec with and without a tty
box = c.containers.run("busybox", ["sh", "-c", "echo started; sleep 1000"], detach=True, name="sdk-box")
for _ in range(50):
    if b"started" in box.logs():
        break
    time.sleep(0.1)
assert box.logs().strip() == b"started", box.logs()
code, out = box.exec_run(["sh", "-c", "echo hello out; echo hello err >&2; exit 3"], tty=True)
assert code == 3 and out == b"hello out\r\nhello err\r\n", (code, out)
code, (o, e) = box.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
assert code == 0 and o == b"o\n" and e == b"e\n", (code, o, e)

# pause/unpause
box.pause()
box.reload()
assert box.status == "paused", box.status
box.unpause()
box.reload()
assert box.status == "running", box.status

# stats one-shot and streamed
s = box.stats(stream=False)
assert s["memory_stats"]["usage"] > 0, s
gen = box.stats(stream=True, decode=True)
first, second = next(gen), next(gen)
assert second["precpu_stats"]["cpu_usage"]["total_usage"] == first["cpu_stats"]["cpu_usage"]["total_usage"]

# update a running container's memory limit, read back in the cgroup
box.update(mem_limit="96m", memswap_limit="192m")
code, out = box.exec_run(["sh", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"])
assert int(out) == 96 << 20, out
box.reload()
assert box.attrs["HostConfig"]["Memory"] == 96 << 20

# diff and export
box.exec_run(["sh", "-c", "echo x > /sdk-file"])
kinds = {d["Path"]: d["Kind"] for d in box.diff()}
assert kinds.get("/sdk-file") == 1, kinds
data = b"".join(box.export())
names = tarfile.open(fileobj=io.BytesIO(data)).getnames()
assert "sdk-file" in names, names[:20]

# kill returns once stopped: 137 right away
box.kill()
box.reload()
assert box.status == "exited" and box.attrs["State"]["ExitCode"] == 137, box.attrs["State"]

# a container exiting by itself, wait, prune
done = c.containers.run("busybox", ["sh", "-c", "exit 4"], detach=True)
assert done.wait()["StatusCode"] == 4
pruned = c.containers.prune()
assert done.id in pruned["ContainersDeleted"] and box.id in pruned["ContainersDeleted"], pruned
assert c.containers.list(all=True) == []

# run(remove=True) returns the output
assert c.containers.run("busybox", ["echo", "hi"], remove=True) == b"hi\n"

# swarm calls fail as outside a swarm
try:
    c.swarm.leave()
    raise AssertionError("swarm leave succeeded")
except docker.errors.APIError as e:
    assert e.status_code == 503 and "not part of a swarm" in str(e), e

print("OK")
