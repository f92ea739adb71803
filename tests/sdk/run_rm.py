"""The Docker SDK for Python against wharfd, issue 13: an auto-removed
container is gone (name free, not listed, inspect 404) the moment its
`wait(condition="removed")` answers. Run by tests/docker_py.rs; prints OK."""
import os

import docker
from docker.errors import NotFound

c = docker.from_env(timeout=60)
name = "sdk-rm-" + os.environ.get("SDK_TAG", "x")
for i in range(3):
    box = c.containers.run("busybox", ["sh", "-c", "sleep 0.5; exit 5"], detach=True, auto_remove=True, name=name)
    assert box.wait(condition="removed")["StatusCode"] == 5, i
    assert name not in [x.name for x in c.containers.list(all=True)], i
    try:
        c.containers.get(name)
        raise AssertionError("still inspectable after removal")
    except NotFound:
        pass
print("OK")
