"""A bounded load loop: client threads with one kept-alive connection each, for a set time.

Why this shape: a site's clients keep their connections alive, so each thread holds one HTTP/1.1
connection (``http.client``, which costs the client a fraction of what ``requests`` does: the client
shares the machine's cores with the server it measures). Every run is bounded twice, by time
(``seconds``) and by what its :class:`Feed` can give, and it only ever talks to loopback. The threads
start together on a barrier; whoever wants a warm-up runs one first on the same feed.

Why :class:`Spread`: gunicorn's workers share one listening socket and whichever is awake first
accepts, so a handful of kept-alive connections often lands lopsided (all 8 on one worker, the
other idle), which a site's many connections average out. With a spread, each thread opens its
connection before the clock starts and asks ``ping`` which worker it reached; a connection to a
worker that already has its share is closed and opened again, so every worker serves its share.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 30.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SPREAD_TRIES = 40


@dataclass(frozen=True)
class Spread:
    """Share the connections out over ``workers`` server processes; ``ping_url`` answers ``ok <pid>``."""

    ping_url: str
    workers: int


@dataclass(frozen=True)
class Call:
    """One request of a run: what to send, which status counts as success, and whether to keep the
    answer's text (request phases keep it: the verify phase needs the ids they created)."""

    method: str
    url: str
    json: Any = None
    expect: int = 200
    keep: bool = False


class Feed:
    """The calls of a run, handed out in order to whichever thread asks next.

    Either a fixed list or ``make(index)``, which builds call ``index`` on demand (``None``: no more)
    so a timed run needs no list longer than it will get through. One feed can serve several runs (a
    warm-up, then the measured run): each takes up where the last stopped, and the indexes that
    :attr:`LoadResult.kept` uses are the feed's own.
    """

    def __init__(self, calls: Sequence[Call] | Callable[[int], Call | None], *, limit: int = 10**6) -> None:
        self._calls = calls
        self._limit = min(limit, len(calls)) if isinstance(calls, Sequence) else limit
        self._next = 0
        self._done = False
        self._lock = threading.Lock()

    def take(self) -> tuple[int, Call] | None:
        with self._lock:
            index = self._next
            if index >= self._limit:
                return None
            self._next += 1
        call = self._calls[index] if isinstance(self._calls, Sequence) else self._calls(index)
        if call is None:
            self._done = True
            return None
        return index, call

    @property
    def taken(self) -> int:
        return self._next

    @property
    def exhausted(self) -> bool:
        return self._done or self._next >= self._limit


@dataclass
class LoadResult:
    """What a run did. ``latencies_ms`` holds every answered request, in no order."""

    threads: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    unexpected: int
    errors: int
    error_kinds: Counter[str]
    exhausted: bool
    """The feed ran out before the time did (``seconds`` is then shorter than asked)."""
    kept: dict[int, str] = field(default_factory=dict)
    connections: list[int] = field(default_factory=list)
    """Connections per server process, most first, when the run had a :class:`Spread`."""

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p99 of 1,000 values: the 990th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(max(1, math.ceil(p / 100 * len(ordered))), len(ordered))
    return float(ordered[rank - 1])


class _Client:
    """One thread's kept-alive connection, opened again after the server closed it."""

    def __init__(self, threads: int) -> None:
        self._threads = threads
        self._conn: http.client.HTTPConnection | None = None
        self._address: tuple[str, int] | None = None

    def send(self, call: Call) -> tuple[int, bytes]:
        return self._exchange(call.method, call.url, None if call.json is None else json.dumps(call.json))

    def pin(self, spread: Spread, held: Counter[str], lock: threading.Lock) -> None:
        """Open the connection on a worker that has fewer than its share (at most a few tries)."""
        share = -(-self._threads // max(1, spread.workers))
        for _ in range(SPREAD_TRIES):
            self.close()
            status, data = self._exchange("GET", spread.ping_url, None)
            worker = data.decode("latin-1").rpartition(" ")[2] if status == 200 else ""
            with lock:
                if held[worker] < share:
                    held[worker] += 1
                    return
        with lock:
            held["?"] += 1

    def _exchange(self, method: str, url: str, text: str | None) -> tuple[int, bytes]:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 80
        if host not in LOOPBACK:
            raise ValueError(f"the load loop talks to loopback only, not {host!r}")
        if self._conn is None or self._address != (host, port):
            self.close()
            self._conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            self._conn.connect()
            self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._address = (host, port)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": f"{host}:{port}", "Accept": "application/json"}
        if text is not None:
            headers["Content-Type"] = "application/json"
        try:
            self._conn.request(method, path, body=None if text is None else text.encode(), headers=headers)
            response = self._conn.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def run_load(feed: Feed, *, threads: int, seconds: float, spread: Spread | None = None) -> LoadResult:
    """Send the feed's calls from ``threads`` threads until ``seconds`` have passed or it runs out.

    A thread takes no new call once the time is up, so the run ends with the answers in flight.
    Status codes other than each call's ``expect`` are counted in ``unexpected``; exceptions
    (refused, reset, timed out) in ``errors``, by kind.
    """
    threads = max(1, threads)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    error_kinds: Counter[str] = Counter()
    kept: dict[int, str] = {}
    counts = {"unexpected": 0, "errors": 0}
    held: Counter[str] = Counter()
    barrier = threading.Barrier(threads + 1)
    timing = {"deadline": 0.0}

    def worker() -> None:
        client = _Client(threads)
        own: list[float] = []
        try:
            if spread is not None:
                client.pin(spread, held, lock)
        except (OSError, http.client.HTTPException):
            client.close()  # its first request opens a connection wherever it lands
        barrier.wait()
        try:
            while time.perf_counter() < timing["deadline"]:
                taken = feed.take()
                if taken is None:
                    break
                index, call = taken
                begun = time.perf_counter()
                try:
                    status, data = client.send(call)
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        counts["errors"] += 1
                        error_kinds[type(exc).__name__] += 1
                    continue
                own.append((time.perf_counter() - begun) * 1000)
                with lock:
                    statuses[status] += 1
                    if status != call.expect:
                        counts["unexpected"] += 1
                    if call.keep:
                        kept[index] = data.decode("utf-8", "replace")
        finally:
            client.close()
            with lock:
                latencies.extend(own)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    started = time.perf_counter()
    timing["deadline"] = started + seconds
    barrier.wait()
    for thread in pool:
        thread.join(seconds + TIMEOUT + 5)
    return LoadResult(
        threads=threads,
        seconds=time.perf_counter() - started,
        latencies_ms=latencies,
        statuses=statuses,
        unexpected=counts["unexpected"],
        errors=counts["errors"],
        error_kinds=error_kinds,
        exhausted=feed.exhausted,
        kept=kept,
        connections=sorted(held.values(), reverse=True),
    )
