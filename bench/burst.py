#!/usr/bin/env python3
"""Connection burst against an Engine API unix socket (issue 13, daemon
memory): opens N connections, at most C at a time, each sending one
`GET /v1.41/containers/json?all=1` (an API version both engines serve) and reading the whole reply, then
closing. Prints how many succeeded and the wall time.

    python3 bench/burst.py /path/to/engine.sock [N=3000] [C=200]
"""
import asyncio
import sys
import time


async def one(sock: str, sem: asyncio.Semaphore) -> bool:
    async with sem:
        try:
            r, w = await asyncio.open_unix_connection(sock)
            w.write(b"GET /v1.41/containers/json?all=1 HTTP/1.1\r\n"
                    b"Host: localhost\r\nConnection: close\r\n\r\n")
            await w.drain()
            data = await r.read()
            w.close()
            return data.startswith(b"HTTP/1.1 200")
        except OSError:
            return False


async def main() -> None:
    sock = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    c = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    sem = asyncio.Semaphore(c)
    t0 = time.monotonic()
    ok = sum(await asyncio.gather(*(one(sock, sem) for _ in range(n))))
    print(f"{ok}/{n} ok in {time.monotonic() - t0:.2f} s")


asyncio.run(main())
