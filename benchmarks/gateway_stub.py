"""``python -m benchmarks.gateway_stub``: the least a gateway can be, for the load phases.

Why not the simulator: on a machine where the gateway, the site and the client share the same cores,
whatever the gateway burns per ``postSMS`` is taken from the site being measured, and a real gateway
burns none of this machine's time. The simulator is a thread per connection over ``http.server``,
checks every field, keeps every request it saw, and over a kept-alive connection waits on delayed
ACKs (headers and body leave in two writes); this is one ``asyncio`` loop that keeps connections
alive, answers ``postSMS`` with ``1,,,<id>`` and remembers the last code per number, which the
benchmark reads back to verify. Each run prints the CPU it spent per call, so its share is seen.

``GET /_control/codes``: ``{local phone: code}``; ``POST /_control/reset`` forgets them; ``GET
/_control/counts``: the requests seen per path, so a request to anything but ``postSMS`` shows up.
It listens on loopback only and prints ``BASE_URL=...`` once it does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
from collections import Counter

PREFIX = "/api"
MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024


class Stub:
    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self._ids = itertools.count(1)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        self.counts[path] += 1
        if path == f"{PREFIX}/postSMS" and method == "POST":
            try:
                data = json.loads(body)
                phone, code = str(data["phonesend"]), str(data["message"])
            except (ValueError, KeyError, TypeError):
                return 200, "text/plain", b"-1"  # refused: no call placed
            self.codes[phone] = code
            return 200, "text/plain", b"1,,,bench-%d" % next(self._ids)
        if path == "/_control/codes" and method == "GET":
            return 200, "application/json", json.dumps(self.codes).encode()
        if path == "/_control/counts" and method == "GET":
            return 200, "application/json", json.dumps(dict(self.counts)).encode()
        if path == "/_control/reset" and method == "POST":
            self.codes.clear()
            self.counts.clear()
            return 200, "application/json", b"{}"
        return 404, "text/plain", b"not found"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection, as many requests as the client sends on it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > MAX_HEAD:
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = [*lines[0].split(" "), "", "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length > MAX_BODY:
                    break
                body = await reader.readexactly(length) if length else b""
                status, content_type, out = self.answer(method, target.split("?", 1)[0], body)
                close = version != "HTTP/1.1" or headers.get("connection", "").lower() == "close"
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(out)}\r\n"
                    f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n".encode("latin-1")
                    + out
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def main_async(host: str, port: int) -> None:
    stub = Stub()
    server = await asyncio.start_server(stub.serve, host, port, limit=MAX_HEAD * 2)
    bound = server.sockets[0].getsockname()[1]
    print(f"Gateway stub: BASE_URL=http://{host}:{bound}{PREFIX}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, done.set)
    async with server:
        await done.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost", "::1"])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
