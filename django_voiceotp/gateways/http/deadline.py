"""A wall-clock budget for a whole gateway request, held by one watchdog thread per process.

Why: requests' timeouts bound each socket operation, not the request (a gateway sending a byte every
half second keeps the worker as long as it likes), and urllib3's ``Timeout(total=...)`` restarts with
each retry. So a gateway request runs inside :func:`watch`: the connections of :mod:`.transport`
register their sockets with its :class:`Deadline` when they open or are reused, and when the budget
runs out the watchdog shuts them down, which wakes a blocked ``recv`` or ``send`` at once, under TLS
too; a new connection gets the time left as its connect timeout, and retries stop when it is spent.

Why a watchdog: http.client reads through a buffered file and TLS wraps the socket, so giving each
read the time left would mean intercepting below both; a shutdown reaches them all from outside.
Why one thread: a timer per request would be a thread per request. The watchdog shuts down a ``dup``
of the descriptor, never one the request closed and the process reused; a connection it shut down is
marked (``deadline_killed``) and closed when it comes back to its pool.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

TICK = 0.02
"""Seconds a deadline may fire late: waking for every single deadline under load buys nothing."""


class Owner(Protocol):
    """A connection that lends its socket to a deadline: :mod:`.transport`'s connections."""

    deadline: Deadline | None
    deadline_killed: bool


class Deadline:
    """One request's budget: when it ends, and what the watchdog did or may do about it."""

    __slots__ = ("_done", "_watched", "at", "budget", "fired", "sent", "tracked")

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.at = time.monotonic() + budget
        self.fired = False
        """The watchdog shut this request's sockets down."""
        self.tracked = False
        """A connection of :mod:`.transport` worked for it, so ``sent`` can be trusted."""
        self.sent = False
        """A byte of the request may have left: from here on the gateway may have seen it."""
        self._done = False
        self._watched: list[tuple[Owner, socket.socket]] = []

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.fired or time.monotonic() >= self.at

    def _fire(self) -> None:
        """Shut down every socket still watched; called by the watchdog with the lock held."""
        self.fired = True
        for owner, watched in self._watched:
            owner.deadline_killed = True
            with contextlib.suppress(OSError):
                watched.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """The process's thread that fires deadlines, earliest first, from a heap."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self.lock:
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="voiceotp-gateway-deadlines")
                self._thread.daemon = True
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()  # it sleeps until a later deadline: wake it to wait less

    def _run(self) -> None:
        with self.lock:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                at, _, deadline = self._heap[0]
                if deadline._done:
                    heapq.heappop(self._heap)
                    continue
                delay = at - time.monotonic()
                if delay > 0:
                    self._wake.wait(max(delay, TICK))
                    continue
                heapq.heappop(self._heap)
                deadline._fire()


_watchdog = _Watchdog()
_current: ContextVar[Deadline | None] = ContextVar("voiceotp_gateway_deadline", default=None)


def _after_fork() -> None:
    """A forked child has no watchdog thread and maybe a lock held by a thread it lost: start over."""
    global _watchdog
    _watchdog = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def current() -> Deadline | None:
    """The deadline of the gateway request running in this thread (or task), if any."""
    return _current.get()


@contextlib.contextmanager
def watch(budget: float) -> Iterator[Deadline]:
    """Run the body as one gateway request that must be over within ``budget`` seconds."""
    deadline = Deadline(budget)
    token = _current.set(deadline)
    _watchdog.add(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
        with _watchdog.lock:
            deadline._done = True
            for owner, watched in deadline._watched:
                owner.deadline = None
                watched.close()
            deadline._watched.clear()


def attach(owner: Owner, sock: socket.socket) -> None:
    """Let the current deadline shut ``sock`` down; at once if it has already passed."""
    deadline = _current.get()
    if deadline is None:
        return
    with _watchdog.lock:
        if deadline._done:
            return
        try:
            watched = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return  # already closed: nothing left to cut
        deadline._watched.append((owner, watched))
        owner.deadline = deadline
        if deadline.fired:
            owner.deadline_killed = True
            with contextlib.suppress(OSError):
                watched.shutdown(socket.SHUT_RDWR)


def detach(owner: Owner) -> bool:
    """Stop watching ``owner``'s sockets (it goes back to its pool); whether one was shut down."""
    with _watchdog.lock:
        deadline = owner.deadline
        if deadline is not None:
            kept = []
            for entry in deadline._watched:
                if entry[0] is owner:
                    entry[1].close()
                else:
                    kept.append(entry)
            deadline._watched = kept
            owner.deadline = None
        return owner.deadline_killed
