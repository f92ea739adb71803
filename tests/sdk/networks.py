"""Networks through the Docker SDK for Python: a user-defined network, two
containers reaching each other by name and alias, a live connect and
disconnect, and a published port answered on 127.0.0.1."""
import os
import socket
import time
import urllib.request

import docker

c = docker.from_env(timeout=60)
tag = os.environ["SDK_TAG"]
net = c.networks.create(f"sdknet-{tag}", driver="bridge")
try:
    web = c.containers.run(
        "busybox",
        ["sh", "-c", "mkdir -p /www && echo sdk-page > /www/index.html && httpd -f -p 80 -h /www"],
        detach=True, name=f"web-{tag}", network=net.name,
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    web.reload()
    net.reload()
    assert any(x.id == web.id for x in net.containers), net.attrs
    # by name, from another container on the network
    out = c.containers.run("busybox", ["wget", "-qO-", f"http://web-{tag}/"], network=net.name, remove=True)
    assert out == b"sdk-page\n", out
    # published port on loopback
    port = web.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
    body = b""
    for _ in range(50):
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    assert body == b"sdk-page\n", body
    # live connect with an alias, then disconnect
    other = c.containers.run("busybox", ["sleep", "1000"], detach=True, name=f"other-{tag}")
    net.connect(other, aliases=["buddy"])
    code, out = web.exec_run(["nslookup", "buddy", "127.0.0.11"])
    assert code == 0 and b"Address" in out, out
    net.disconnect(other)
    other.reload()
    assert net.name not in other.attrs["NetworkSettings"]["Networks"], other.attrs["NetworkSettings"]
    other.remove(force=True)
    web.remove(force=True)
finally:
    net.remove()
assert not c.networks.list(names=[f"sdknet-{tag}"])
print("OK")
