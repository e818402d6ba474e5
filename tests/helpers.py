"""Small helpers the API tests share."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.test import override_settings

from django_voiceotp.conf import DEFAULT_RATE_LIMITS

T = TypeVar("T")

PHONE = "0361234567"
NO_LIMITS: dict[str, str | None] = dict.fromkeys(DEFAULT_RATE_LIMITS)
"""Every rate limit switched off."""


class CacheDown(Exception):
    """Raised by :class:`UnreachableCache`; no subclass of OSError, as redis-py's errors are none."""


class UnreachableCache(BaseCache):
    """A cache whose server never answers: every operation raises, as a cache backend does when the
    Redis or memcached behind it is gone."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _down(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise CacheDown("the cache server is not answering")

    add = get = set = touch = delete = has_key = incr = clear = _down


@contextmanager
def cache_down():
    """Every cache alias the site has is an :class:`UnreachableCache` for the block."""
    dead = {"BACKEND": "tests.helpers.UnreachableCache"}
    with override_settings(CACHES={alias: dead for alias in settings.CACHES}):
        yield


@contextmanager
def cache_on_the_test_s_clock():
    """A local memory cache for the block when the suite runs on another. A test that moves time on
    with time-machine moves Python's clock only: Redis expires keys (a cooldown's, a window's) on its
    own, so a cooldown written there would outlast the minute the test skipped."""
    if all(c["BACKEND"].endswith("LocMemCache") for c in settings.CACHES.values()):
        yield
        return
    local = {
        alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"clock-{alias}"}
        for alias in settings.CACHES
    }
    with override_settings(CACHES=local):
        for alias in local:
            caches[alias].clear()
        yield


@contextmanager
def voiceotp(**changes: Any):
    with override_settings(VOICEOTP={**settings.VOICEOTP, **changes}):
        yield


def start(api, phone: str = PHONE, purpose: str | None = "login", **extra: Any):
    body: dict[str, Any] = {"phone": phone}
    if purpose is not None:
        body["purpose"] = purpose
    return api.post("/api/otp/challenges/", body, format="json", **extra)


def verify(api, challenge_id: str, code: str, **extra: Any):
    return api.post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code}, format="json", **extra)


def resend(api, challenge_id: str, **extra: Any):
    return api.post(f"/api/otp/challenges/{challenge_id}/resend/", format="json", **extra)


def cancel(api, challenge_id: str, **extra: Any):
    return api.post(f"/api/otp/challenges/{challenge_id}/cancel/", format="json", **extra)


def verified_token(api, simulator, purpose: str = "signup") -> str:
    """The proof of verification the API hands out for a new challenge verified with its right code."""
    challenge_id = start(api, purpose=purpose).json()["id"]
    return str(verify(api, challenge_id, simulator.calls[-1].code).json()["token"])


def wrong(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return "".join(str((int(d) + 1) % 10) for d in code)


def run_together(
    count: int, action: Callable[[int], T], *, after: Callable[[], object] = lambda: None
) -> list[T]:
    """Run ``action(i)`` in ``count`` threads released at the same moment by a barrier; ``after`` runs
    in each thread when it is done (closing its database connections, say)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        finally:
            after()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def an_interval_passes(seconds: int = 10) -> None:
    """As if the poll interval (``POLL_TASK_INTERVAL``, 10 s by default) had passed since every call's
    last check: the pollers leave a call alone for that long after it was asked about."""
    from datetime import timedelta

    from django.db.models import F

    from django_voiceotp.models import VoiceCall

    VoiceCall.objects.exclude(checked_at=None).update(checked_at=F("checked_at") - timedelta(seconds=seconds))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (free when asked: the OS may hand it out again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stamped_between(stamp: datetime, before: datetime, after: datetime, low: float, high: float) -> bool:
    """Whether ``stamp`` is ``low`` to ``high`` seconds after some moment from ``before`` to ``after``,
    the span an action that wrote it ran in. The bound moves with the action's own span, so a busy
    machine that takes longer over it widens the bound instead of breaking it."""
    return before + timedelta(seconds=low) <= stamp <= after + timedelta(seconds=high)
