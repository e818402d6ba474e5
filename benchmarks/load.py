"""A bounded load loop: a fixed list of requests, a fixed number of client threads, a deadline.

Why this shape: a benchmark on a shared 2-core machine must never turn into an open-ended flood, so
every run is bounded in count (the list) and in time (``deadline_s``), and it only ever talks to
loopback. Each thread keeps its own pooled :class:`requests.Session` (built before the clock starts),
the threads start together on a barrier, and the warm-up (the first requests each gunicorn worker
serves import code and open its database connection) is run and thrown away before the measured part.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

TIMEOUT = (5.0, 30.0)


@dataclass(frozen=True)
class Call:
    """One request of a run: what to send, which status counts as success, and whether to keep the
    answer's text (request phases keep it: the verify phase needs the ids they created)."""

    method: str
    url: str
    json: Any = None
    expect: int = 200
    keep: bool = False


@dataclass
class LoadResult:
    """What a measured run did. ``latencies_ms`` holds every answered request, in no order."""

    requests: int
    threads: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    unexpected: int
    errors: int
    error_kinds: Counter[str]
    truncated: bool
    kept: dict[int, str] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds (p50, p99 of 600 requests: the 594th)."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = min(max(1, math.ceil(p / 100 * len(ordered))), len(ordered))
        return ordered[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")


def _session(pool: int) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy from the environment may reroute it
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool, max_retries=0)
    session.mount("http://", adapter)
    return session


def _loopback_only(calls: Sequence[Call]) -> None:
    for call in calls:
        host = urlsplit(call.url).hostname or ""
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError(f"the load loop talks to loopback only, not {host!r}")


def run_load(
    calls: Sequence[Call], *, threads: int, warmup: int = 0, deadline_s: float = 120.0
) -> LoadResult:
    """Send ``calls[:warmup]`` unmeasured, then measure ``calls[warmup:]`` from ``threads`` threads.

    Threads take the next request from a shared index until the list is done or the deadline passes
    (then ``truncated`` is set and the figures cover what was done). Status codes other than each
    call's ``expect`` are counted in ``unexpected``; exceptions (refused, timed out) in ``errors``.
    """
    _loopback_only(calls)
    kept: dict[int, str] = {}
    if warmup:
        kept.update(_run(calls[:warmup], threads=threads, deadline_s=deadline_s).kept)
    result = _run(calls[warmup:], threads=threads, deadline_s=deadline_s)
    kept.update({warmup + index: text for index, text in result.kept.items()})
    result.kept = kept  # indexed like ``calls``: the warm-up's answers are needed by the verify phase
    return result


def _run(calls: Sequence[Call], *, threads: int, deadline_s: float) -> LoadResult:
    threads = max(1, min(threads, len(calls) or 1))
    sessions = [_session(2) for _ in range(threads)]
    lock = threading.Lock()
    next_index = 0
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    error_kinds: Counter[str] = Counter()
    kept: dict[int, str] = {}
    counts = {"unexpected": 0, "errors": 0}
    barrier = threading.Barrier(threads + 1)
    started = 0.0
    deadline = 0.0
    truncated = threading.Event()

    def worker(session: requests.Session) -> None:
        nonlocal next_index
        barrier.wait()
        own: list[float] = []
        while True:
            with lock:
                index = next_index
                next_index += 1
            if index >= len(calls):
                break
            if time.perf_counter() > deadline:
                truncated.set()
                break
            call = calls[index]
            begun = time.perf_counter()
            try:
                response = session.request(call.method, call.url, json=call.json, timeout=TIMEOUT)
            except requests.RequestException as exc:
                with lock:
                    counts["errors"] += 1
                    error_kinds[type(exc).__name__] += 1
                continue
            own.append((time.perf_counter() - begun) * 1000)
            text = response.text if call.keep else None
            with lock:
                statuses[response.status_code] += 1
                if response.status_code != call.expect:
                    counts["unexpected"] += 1
                if text is not None:
                    kept[index] = text
        with lock:
            latencies.extend(own)

    pool = [threading.Thread(target=worker, args=(s,), daemon=True) for s in sessions]
    for thread in pool:
        thread.start()
    started = time.perf_counter()
    deadline = started + deadline_s
    barrier.wait()
    for thread in pool:
        thread.join(deadline_s + TIMEOUT[0] + TIMEOUT[1])
    seconds = time.perf_counter() - started
    for session in sessions:
        session.close()
    return LoadResult(
        requests=len(calls),
        threads=threads,
        seconds=seconds,
        latencies_ms=latencies,
        statuses=statuses,
        unexpected=counts["unexpected"],
        errors=counts["errors"],
        error_kinds=error_kinds,
        truncated=truncated.is_set(),
        kept=kept,
    )
