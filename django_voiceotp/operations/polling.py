"""Asking the gateway how open calls went, many at a time: ``voiceotp_poll_calls`` and the admin action.

The admin asks about the calls it was handed. ``voiceotp_poll_calls`` drains a :class:`CallPool`
instead: the calls due for a check, each claimed before it is asked (:mod:`.claims`), so that runs on
several machines at once, and the background task beside them, split the open calls and none is asked
twice within the poll interval. Each call goes through :func:`django_voiceotp.services.refresh_call`,
whose conditional update makes a second poller harmless all the same. Calls are asked newest first,
because a person may still be waiting on those. A gateway that stops answering is not hammered: after
``stop_after`` failures in a row (no answer, or an error code such as -1 for wrong credentials, which
every call would get) the rest are left for the next run; one call whose answer cannot be read does
not stop the others. A failed check is held for every poller (:func:`.claims.hold_after_failure`).

A check is mostly CPU in ``requests`` and the ORM (about 1.5 ms on the benchmark machine) and threads
share one interpreter lock: threads (``workers``) overlap the waits on the gateway, processes
(``processes``, forked) add cores.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import DatabaseError, connections
from django.db.models import Q, QuerySet
from django.utils import timezone

from .. import services
from ..gateways import GatewayError, GatewayRefused, GatewayUnavailable, VoiceGateway, gateway_named
from ..models import OPEN_CALL_STATUSES, VoiceCall
from ..phones import mask, national_from_e164
from . import claims

logger = logging.getLogger("django_voiceotp.operations")

DEFAULT_MAX_AGE = 3600
"""Seconds: past an hour the gateway has long settled a call, and a person long stopped waiting."""
DEFAULT_WORKERS = 8
DEFAULT_LIMIT = 1000
MAX_PROCESSES = 16
MAX_CONNECTIONS = 64
"""Processes times threads: each thread holds a database connection (PostgreSQL allows 100 by default)."""
MAX_WORKERS = 32
"""More threads than the gateway's pooled session has connections would only queue on the pool."""
STOP_AFTER_FAILURES = 5
CLAIM_BATCH = 8
"""Calls a thread claims at a time: a claim costs a transaction; a small batch keeps the claim short
(it lasts as long as its checks may) and the calls spread over the pollers."""


@dataclass(frozen=True)
class CallChange:
    call_id: int
    masked_phone: str
    request_id: str
    old_status: str
    new_status: str


@dataclass
class PollReport:
    """What one poll run did; ``errors`` holds (call id, a fixed-phrase gateway message)."""

    checked: int = 0
    changes: list[CallChange] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    still_open: int = 0
    not_asked: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def merge(self, other: PollReport) -> None:
        self.checked += other.checked
        self.changes.extend(other.changes)
        self.errors.extend(other.errors)
        self.still_open += other.still_open
        self.not_asked += other.not_asked


def open_calls(
    *, max_age: int | None = DEFAULT_MAX_AGE, limit: int | None = DEFAULT_LIMIT
) -> list[VoiceCall]:
    """Calls the gateway took whose outcome is not known yet, newest first."""
    calls: QuerySet[VoiceCall] = VoiceCall.objects.filter(
        status__in=OPEN_CALL_STATUSES, request_id__isnull=False
    ).order_by("-created_at", "-pk")
    if max_age:
        calls = calls.filter(created_at__gte=timezone.now() - timedelta(seconds=max_age))
    return list(calls[:limit] if limit else calls)


@dataclass(frozen=True)
class CallPool:
    """The open calls due for a check, as every poller sees them: placed within ``max_age`` seconds,
    not checked within ``interval``, claimed by nobody. A run takes at most ``limit`` of them."""

    interval: int
    max_age: int | None = DEFAULT_MAX_AGE
    limit: int | None = DEFAULT_LIMIT

    def due(self) -> QuerySet[VoiceCall]:
        """The calls a run would claim now, newest first (``--dry-run``)."""
        calls = claims.claimable(timezone.now(), interval=self.interval, max_age=self.max_age)
        return calls[: self.limit] if self.limit else calls

    def shares(self, parts: int) -> list[CallPool]:
        """The pool for ``parts`` processes: the same calls, the limit dealt out between them."""
        if self.limit is None:
            return [self] * parts
        parts = max(1, min(parts, self.limit))
        base, extra = divmod(self.limit, parts)
        return [
            CallPool(self.interval, self.max_age, base + (1 if index < extra else 0))
            for index in range(parts)
        ]


class _PoolPass:
    """One process's pass over a pool: its threads claim batches one after another, each from past
    the last row this process claimed (a keyset cursor, so no claim scans the rows claimed before it),
    until the pool is empty or the limit is reached."""

    def __init__(self, pool: CallPool) -> None:
        self.pool = pool
        self.left = pool.limit
        self.after: tuple[object, int] | None = None
        self.lock = threading.Lock()

    def take(self) -> list[VoiceCall]:
        with self.lock:
            count = CLAIM_BATCH if self.left is None else min(CLAIM_BATCH, self.left)
            if count <= 0:
                return []
            now = timezone.now()
            candidates = claims.claimable(now, interval=self.pool.interval, max_age=self.pool.max_age)
            if self.after is not None:
                placed, pk = self.after
                # The bound on created_at alone is what the index can start from; the OR breaks ties.
                candidates = candidates.filter(
                    Q(created_at__lt=placed) | Q(created_at=placed, pk__lt=pk), created_at__lte=placed
                )
            batch = claims.claim(candidates, count=count, now=now)
            if batch:
                self.after = (batch[-1].created_at, batch[-1].pk)
                if self.left is not None:
                    self.left -= len(batch)
            return batch


class _Run:
    """Shared state of one run: the report, under a lock, and the count of failures in a row.

    ``retry_after``: the calls are claimed (a pool's), and one whose check fails is held for that many
    seconds (the poll interval) before any poller asks again."""

    def __init__(self, gateway: VoiceGateway | None, stop_after: int, retry_after: int | None = None) -> None:
        self.gateway = gateway
        """The gateway to ask about every call; None: each call's own (the one that placed it)."""
        self.stop_after = stop_after
        self.retry_after = retry_after
        self.report = PollReport()
        self.lock = threading.Lock()
        self.failures_in_a_row = 0

    @property
    def stopped(self) -> bool:
        return self.failures_in_a_row >= self.stop_after

    def poll(self, call: VoiceCall) -> None:
        if self.stopped:
            with self.lock:
                self.report.not_asked += 1
            return
        old_status = call.status
        try:
            changed = services.refresh_call(call, self.gateway)
        except GatewayError as exc:
            logger.warning("checkVoice for call %s failed: %s", call.pk, exc.message)
            if self.retry_after is not None:
                self.hold(call, exc, self.retry_after)
            with self.lock:
                self.report.checked += 1
                self.report.errors.append((call.pk, exc.message))
                self.report.still_open += 1
                if isinstance(exc, (GatewayUnavailable, GatewayRefused)):
                    self.failures_in_a_row += 1
            return
        except Exception as exc:
            # The database (too many connections, a lock timeout) or a call_status_changed receiver
            # (after the outcome was written) failed: record it for this call and go on, so that one
            # failure does not lose the run's report. A database that keeps failing stops the run
            # like a gateway that does.
            logger.exception("recording or signalling the outcome of call %s failed", call.pk)
            with self.lock:
                self.report.checked += 1
                self.report.errors.append(
                    (call.pk, f"{type(exc).__name__} while recording or signalling the outcome")
                )
                self.report.still_open += 1
                if isinstance(exc, DatabaseError):
                    self.failures_in_a_row += 1
            return
        with self.lock:
            self.failures_in_a_row = 0
            self.report.checked += 1
            if changed:
                self.report.changes.append(
                    CallChange(
                        call.pk,
                        mask(national_from_e164(call.phone)),
                        call.request_id or "",
                        old_status,
                        call.status,
                    )
                )
            else:
                self.report.still_open += 1

    def hold(self, call: VoiceCall, error: GatewayError, interval: int) -> None:
        try:
            claims.hold_after_failure(call, error, interval=interval)
        except DatabaseError:  # the claim runs out by itself: the call is only asked again sooner
            logger.exception("holding call %s after a failed check failed", call.pk)

    def drain(self, pool: _PoolPass) -> None:
        """Claim and ask until the pool is empty; past ``stop_after`` failures, give the rest back."""
        while not self.stopped:
            batch = pool.take()
            if not batch:
                return
            for index, call in enumerate(batch):
                if self.stopped:
                    rest = batch[index:]
                    claims.release(rest)
                    with self.lock:
                        self.report.not_asked += len(rest)
                    return
                self.poll(call)


def poll_calls(
    calls: Sequence[VoiceCall] | CallPool,
    *,
    workers: int = DEFAULT_WORKERS,
    gateway: VoiceGateway | None = None,
    stop_after: int = STOP_AFTER_FAILURES,
) -> PollReport:
    """Refresh ``calls``, or the calls of a pool, claimed as they are taken; with ``workers`` > 1 in
    that many threads, each with its own DB connection."""
    if isinstance(calls, CallPool):
        return _poll_pool(calls, workers=workers, gateway=gateway, stop_after=stop_after)
    run = _Run(gateway, stop_after)
    workers = max(1, min(workers, MAX_WORKERS, len(calls) or 1))
    if workers == 1:
        for call in calls:
            run.poll(call)
        return run.report

    todo: queue.SimpleQueue[VoiceCall] = queue.SimpleQueue()
    for call in calls:
        todo.put(call)

    def drain() -> None:
        while True:
            try:
                call = todo.get_nowait()
            except queue.Empty:
                return
            run.poll(call)

    _in_threads(workers, drain)
    return run.report


def _poll_pool(pool: CallPool, *, workers: int, gateway: VoiceGateway | None, stop_after: int) -> PollReport:
    run = _Run(gateway, stop_after, retry_after=pool.interval)
    pool_pass = _PoolPass(pool)
    # No more threads than calls due now: each thread opens a database connection of its own.
    workers = max(1, min(workers, MAX_WORKERS, pool.due().count()))
    if workers == 1:
        run.drain(pool_pass)
        return run.report
    _in_threads(workers, lambda: run.drain(pool_pass))
    return run.report


def _in_threads(workers: int, work: Callable[[], None]) -> None:
    """``work`` in ``workers`` threads at once, until each returns; its errors are raised here."""

    def in_a_thread() -> None:
        try:
            work()
        finally:
            connections.close_all()  # this thread's connections; the main thread keeps its own

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voiceotp-poll") as threads:
        for future in [threads.submit(in_a_thread) for _ in range(workers)]:
            future.result()


def poll_for_a_person(calls: Sequence[VoiceCall]) -> PollReport:
    """Ask about ``calls`` as for a person waiting on a page: each through the gateway that placed it,
    with no retries and short timeouts, one at a time, a gateway left alone after its first failure."""
    report = PollReport()
    by_gateway: dict[str, list[VoiceCall]] = {}
    for call in calls:
        by_gateway.setdefault(call.gateway, []).append(call)
    for label, placed in by_gateway.items():
        gateway = gateway_named(label)
        if gateway is None:
            report.errors.extend((call.pk, "its gateway is no longer one of the site's") for call in placed)
            continue
        with gateway.for_a_person() as quick:
            report.merge(poll_calls(placed, workers=1, gateway=quick, stop_after=1))
    return report


def fork_problem(processes: int, workers: int) -> str:
    """Why ``processes`` forked children of ``workers`` threads each cannot poll from here, or ""."""
    if processes * workers > MAX_CONNECTIONS:
        return (
            f"processes times workers is at most {MAX_CONNECTIONS}: each thread holds a database connection"
        )
    if "fork" not in multiprocessing.get_all_start_methods():
        return "polling in several processes needs the fork start method (Linux, macOS)"
    for alias in connections:
        if connections[alias].in_atomic_block:
            return "polling in several processes cannot start inside a database transaction"
        if connections[alias].settings_dict.get("OPTIONS", {}).get("pool"):
            # A pool's connections stay open when handed back, and a child would share their sockets.
            return f"polling in several processes cannot fork with a connection pool (database {alias!r})"
    return ""


def poll_calls_in_processes(
    calls: Sequence[VoiceCall] | CallPool,
    *,
    processes: int,
    workers: int = DEFAULT_WORKERS,
    stop_after: int = STOP_AFTER_FAILURES,
) -> PollReport:
    """Refresh ``calls``, or a pool's, from ``processes`` forked processes, each with ``workers`` threads.

    Forked, not spawned: a child starts with the parent's settings as they are, with no second
    ``django.setup()``. Database connections are closed before the fork (a child must never share the
    parent's socket) and by each child when it is done; the gateway session is rebuilt per process
    (:func:`django_voiceotp.gateways.http.session.get_session`). Calls are dealt out in turn, so every
    process starts with the newest; a pool's children claim from the same pool, each up to its share
    of the limit. Each child stops on its own after ``stop_after`` failures in a row, and sends
    ``call_status_changed`` itself: receivers run in the child that saw the change.
    """
    shares: list[list[VoiceCall]] | list[CallPool]
    if isinstance(calls, CallPool):
        shares = calls.shares(max(1, min(processes, MAX_PROCESSES)))
    else:
        count = max(1, min(processes, MAX_PROCESSES, len(calls) or 1))
        shares = [list(calls[index::count]) for index in range(count)]
    processes = len(shares)
    if processes == 1:
        return poll_calls(calls, workers=workers, stop_after=stop_after)
    problem = fork_problem(processes, workers)
    if problem:
        raise RuntimeError(problem)
    connections.close_all()
    report = PollReport()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        for share_report in pool.map(_poll_share, shares, [workers] * processes, [stop_after] * processes):
            report.merge(share_report)
    return report


def _poll_share(calls: list[VoiceCall] | CallPool, workers: int, stop_after: int) -> PollReport:
    """One child's part of :func:`poll_calls_in_processes`."""
    try:
        return poll_calls(calls, workers=workers, stop_after=stop_after)
    finally:
        connections.close_all()
