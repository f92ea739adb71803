"""The Docker SDK for Python against wharfd: put_archive/get_archive (docker
cp) both ways, on a running and a stopped container, into a volume, and a
container symlink pointing at / that must not lead to the host. Prints OK."""
import io
import os
import tarfile

import docker

c = docker.from_env(timeout=60)
tag = os.environ.get("SDK_TAG", "x")
marker = f"wharf-sdk-cp-{tag}"


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            i = tarfile.TarInfo(name)
            i.size = len(data)
            i.mode = 0o640
            t.addfile(i, io.BytesIO(data))
    return buf.getvalue()


def read_tar(stream):
    data = b"".join(stream)
    t = tarfile.open(fileobj=io.BytesIO(data))
    return {m.name: (t.extractfile(m).read() if m.isfile() else m) for m in t.getmembers()}


vol = f"sdkcp{tag}"
box = c.containers.run("busybox", ["sh", "-c", "ln -s / /out; sleep 1000"], detach=True,
                       name=f"sdk-cp-{tag}", volumes={vol: {"bind": "/data", "mode": "rw"}})
try:
    assert box.put_archive("/tmp", tar_of({"a.txt": b"alpha", "d/b.txt": b"beta"}))
    code, out = box.exec_run(["cat", "/tmp/a.txt", "/tmp/d/b.txt"])
    assert code == 0 and out == b"alphabeta", (code, out)
    stream, stat = box.get_archive("/tmp/a.txt")
    assert stat["name"] == "a.txt" and stat["size"] == 5, stat
    assert stat["mode"] & 0o777 == 0o640, stat
    assert read_tar(stream)["a.txt"] == b"alpha"
    stream, stat = box.get_archive("/tmp/d")
    assert stat["mode"] & (1 << 31), stat
    assert read_tar(stream)["d/b.txt"] == b"beta"

    # Into the volume.
    assert box.put_archive("/data", tar_of({"v.txt": b"vol"}))
    out = c.containers.run("busybox", ["cat", "/v/v.txt"], volumes={vol: {"bind": "/v"}}, remove=True)
    assert out == b"vol", out

    # /out -> / is the container's root, never the host's.
    assert box.put_archive("/out/tmp", tar_of({marker: b"inside"}))
    assert not os.path.exists(os.path.join("/tmp", marker)), "wrote on the host"
    code, out = box.exec_run(["cat", f"/tmp/{marker}"])
    assert out == b"inside", out
    stream, stat = box.get_archive("/out")
    assert stat["linkTarget"] == "/", stat

    # Missing paths.
    try:
        box.get_archive("/nope")
        raise AssertionError("expected NotFound")
    except docker.errors.NotFound as e:
        assert "Could not find the file /nope" in str(e), e
    try:
        box.put_archive("/nope", tar_of({"x": b"x"}))
        raise AssertionError("expected NotFound")
    except docker.errors.NotFound:
        pass

    # A stopped container.
    box.stop(timeout=0)
    assert box.put_archive("/tmp", tar_of({"stopped.txt": b"cold"}))
    stream, stat = box.get_archive("/tmp/stopped.txt")
    assert read_tar(stream)["stopped.txt"] == b"cold"
    stream, stat = box.get_archive("/data/v.txt")
    assert read_tar(stream)["v.txt"] == b"vol"
finally:
    box.remove(force=True)
    c.volumes.get(vol).remove()
print("OK")
