"""The simulator on a port: a threading HTTP server that asks the state and carries out its reply.

:class:`GatewaySimulator` is the state with a life cycle: ``start()`` binds and serves on a thread of
its own, ``stop()`` ends it. Handlers decide their answer under the state's lock and then write, hang
or drop outside it, so a hanging request never blocks the others.

It also misbehaves the way a slow or broken gateway does on the wire: a ``drip`` sends a whole,
valid answer a byte at a time (no single read waits long, the whole takes minutes), a ``huge`` a 200
whose body runs to megabytes. ``keep_alive`` answers over HTTP/1.1 and keeps the connection for the
next request, as a gateway behind a web server would, so a client's connection pool can be tested;
by default each request has a connection of its own.

The calls page and ``/_control/`` show the codes. Bound to loopback (the default everywhere), the
server answers them only when the ``Host`` header is a loopback name: a page whose own name was
made to resolve to 127.0.0.1 (DNS rebinding) is same-origin for the browser, and its Host header is
the one thing that gives it away. The gateway endpoints take any Host, as the gateway does.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import ipaddress
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from .control import handle_control
from .faults import ENDPOINTS
from .page import render_page
from .records import Reply, error
from .state import DEMO, PREFIX, GatewayState

MAX_BODY = 64 * 1024
HUGE_BYTES = 8 << 20
"""What a ``huge`` answer sends: far past any sane answer, small enough to send in a moment."""
_HUGE_BLOCK = b"1,,,this answer goes on and on\n" * 2048
_LOOPBACK_HOST = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)


def is_loopback_address(host: str) -> bool:
    """Whether a bind address keeps the server to this machine (``localhost`` resolves to loopback)."""
    try:
        return host.lower() == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_host(values: list[str] | None) -> bool:
    """One ``Host`` header naming 127.0.0.1, localhost or [::1], with or without a port."""
    return values is not None and len(values) == 1 and bool(_LOOPBACK_HOST.fullmatch(values[0].strip()))


class GatewaySimulator(GatewayState):
    """The gateway in process: start it, point ``BASE_URL`` at :attr:`base_url`, see what it got."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        username: str = DEMO["username"],
        password: str = DEMO["password"],
        key: str = DEMO["key"],
        sender: str = "DAUSO1",
        balance: int = 1000,
        price: int = 1,
        repeat_window: float = 900.0,
        answer_after: float = 2.0,
        answer_style: str = "plain",
        balance_format: str = "number",
        hang_seconds: float = 30.0,
        drip_seconds: float = 0.5,
        keep_alive: bool = False,
        clock: Callable[[], float] = time.monotonic,
        verbose: bool = False,
        log: TextIO | None = None,
    ) -> None:
        super().__init__(
            username=username,
            password=password,
            key=key,
            sender=sender,
            balance=balance,
            price=price,
            repeat_window=repeat_window,
            answer_after=answer_after,
            answer_style=answer_style,
            balance_format=balance_format,
            clock=clock,
        )
        self.host, self.port, self.hang_seconds = host, port, hang_seconds
        self.drip_seconds, self.keep_alive = drip_seconds, keep_alive
        self.verbose, self.log = verbose, log
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace, **overrides: Any) -> GatewaySimulator:
        """Build from :func:`.cli.build_parser` flags; other flags (Django's own) are ignored."""
        wanted = inspect.signature(cls).parameters
        options = {name: value for name, value in vars(args).items() if name in wanted}
        return cls(**{**options, **overrides})

    def start(self) -> GatewaySimulator:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        server = _Server((self.host, self.port), self)
        self._bound_port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms, not the default 500
            name=f"voiceotp-simulator-{self._bound_port}",
            daemon=True,
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and dripping handlers wake at once (they wait on an event), and
        kept-alive connections are closed, so no request is answered after ``stop()``."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("start() the simulator first: the port is chosen when it binds")
        return f"http://{self.host}:{self._bound_port}"

    @property
    def base_url(self) -> str:
        return self.url + PREFIX.rstrip("/")

    def render_page(self) -> str:
        return render_page(self, self.base_url)

    def log_line(self, line: str) -> None:
        """One line per request with ``--verbose``: path and answer only, never the body."""
        if self.verbose:
            print(f"[voiceotp-simulator] {line}", file=self.log or sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], simulator: GatewaySimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)
        self.loopback = is_loopback_address(str(self.server_address[0]))
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent by default: a client that hangs up mid-answer is normal here, not news."""
        if self.simulator.verbose:
            traceback.print_exc(file=self.simulator.log or sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server_version = "VoiceOTPSimulator/1.0"
    timeout = 10.0  # a client that sends half a body must not pin a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing: the default writes every request to stderr, which drowns test output."""

    def setup(self) -> None:
        super().setup()
        server = cast(_Server, self.server)
        if server.simulator.keep_alive:
            self.protocol_version = "HTTP/1.1"
        # The headers and the body leave in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK of the headers, some 40 ms on a kept-alive connection.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            cast(_Server, self.server).track(self.connection, alive=False)

    def _read_body(self) -> bytes | None:
        """The body, or None when over 64 KiB (read and dropped, so the 413 reaches the client)."""
        try:
            length = max(0, int(self.headers.get("Content-Length", "0")))
        except ValueError:
            length = 0
            self.close_connection = True  # where this body ends is anyone's guess
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
        if length > MAX_BODY:
            self.close_connection = True
            remaining = min(length, 1 << 20)
            while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 16))):
                remaining -= len(chunk)
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        server = cast(_Server, self.server)
        sim = server.simulator
        path = urlsplit(self.path).path
        try:
            gateway = path.startswith(PREFIX) and path[len(PREFIX) :] in ENDPOINTS
            if not gateway and server.loopback and not is_loopback_host(self.headers.get_all("Host")):
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    self._read_body()  # read, so the refusal is not lost to a reset connection
                reply = error(403, "this simulator answers pages only to 127.0.0.1, localhost or [::1]")
            elif gateway:
                if method != "POST":
                    reply = error(405, "use POST", ("Allow", "POST"))
                else:
                    reply = sim.handle_gateway(path[len(PREFIX) :], self._read_body())
            elif path in ("/", "/calls") and method != "GET":
                reply = error(405, "use GET", ("Allow", "GET"))
            elif path in ("/", "/calls"):
                page = sim.render_page().encode()
                reply = Reply(body=page, content_type="text/html; charset=utf-8")
            elif path.startswith("/_control/"):
                raw = self._read_body() if method in ("POST", "DELETE") else b""
                name = path[len("/_control/") :]
                reply = handle_control(sim, method, name, raw, self.headers.get("Content-Type"))
            else:
                reply = error(404, "not found")
            self._perform(reply, sim, method)
        except Exception:
            sim.log_line(f"{self.client_address[0]} {method} {path} -> crashed")
            with contextlib.suppress(Exception):
                self.send_error(500)
            return
        sim.log_line(f"{self.client_address[0]} {method} {path} -> {reply.summary[:80]}")

    def _perform(self, reply: Reply, sim: GatewaySimulator, method: str) -> None:
        if reply.action == "hang":
            sim._stopping.wait(sim.hang_seconds)
        if reply.action in ("hang", "drop"):
            self.close_connection = True
            with contextlib.suppress(Exception):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.action == "huge":
            self._huge(sim, method)
            return
        if reply.action == "drip":
            headers = [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
            self._drip(self._head(reply.status, headers) + reply.body, sim)
            return
        self.send_response(reply.status)
        for name, value in (
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            *reply.headers,
        ):
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)

    def _head(self, status: int, headers: Iterable[tuple[str, str]]) -> bytes:
        """The status line and headers as ``send_response`` writes them, to be sent as we choose."""
        lines = [
            f"{self.protocol_version} {status} {self.responses[status][0]}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _drip(self, data: bytes, sim: GatewaySimulator) -> None:
        """Each byte on its own, ``drip_seconds`` apart, until done, ``stop()`` or the client leaves."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no coalescing
        for index in range(len(data)):
            if index and sim._stopping.wait(sim.drip_seconds):
                return
            try:
                self.connection.sendall(data[index : index + 1])
            except OSError:
                return  # the client gave up, as it should

    def _huge(self, sim: GatewaySimulator, method: str) -> None:
        """A 200 of :data:`HUGE_BYTES` with no Content-Length (chunked when kept alive, else ended
        by closing), so only counting what arrives can tell that it is too much."""
        chunked = self.protocol_version == "HTTP/1.1"
        framing = ("Transfer-Encoding", "chunked") if chunked else ("Connection", "close")
        self.close_connection = not chunked
        try:
            self.connection.sendall(self._head(200, [("Content-Type", "text/plain"), framing]))
            sent = 0 if method != "HEAD" else HUGE_BYTES
            while sent < HUGE_BYTES and not sim._stopping.is_set():
                block = _HUGE_BLOCK[: HUGE_BYTES - sent]
                self.connection.sendall(b"%x\r\n%b\r\n" % (len(block), block) if chunked else block)
                sent += len(block)
            if chunked:
                self.connection.sendall(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True  # the client hung up, as it should

    def _any_method(self) -> None:
        """Every method goes through one router, so a wrong one gets 405 rather than 501."""
        self._dispatch(self.command)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any_method
