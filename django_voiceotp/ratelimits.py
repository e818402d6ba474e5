"""The one module that talks to django-ratelimit, plus the per-number resend cooldown.

django-ratelimit counts; we choose the keys. Its ``post:`` keys read form data only, so with JSON bodies
every client would share one bucket: our keys are the normalized E.164 number and the client's address
bucket (:mod:`.addresses`), passed in by the rules. When the cache cannot be reached we refuse (fail
closed), as django-ratelimit does by default: every call costs money, and a limit that silently stops
counting is how accounts are emptied.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import ngettext_lazy
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key, _split_rate, get_usage

from .conf import get_settings
from .exceptions import RateLimited

logger = logging.getLogger("django_voiceotp.ratelimits")

CACHE_DOWN_RETRY_AFTER = 60
GROUP_PREFIX = "django_voiceotp."


@dataclass(frozen=True)
class Reservation:
    """One event counted before its outcome was known (see :func:`reserve`)."""

    name: str
    cache_key: str


def _usage(name: str, value: str, *, increment: bool) -> dict[str, int] | None:
    rate = get_settings().rate(name)
    if rate is None:
        return None
    try:
        usage: dict[str, int] | None = get_usage(
            None,
            group=GROUP_PREFIX + name,
            key=lambda group, request: value,
            rate=rate,
            increment=increment,
        )
    except Exception:  # the cache is down: refuse rather than stop counting
        logger.exception("rate limit %s: the cache failed; refusing", name)
        raise RateLimited(CACHE_DOWN_RETRY_AFTER) from None
    return usage


def _refuse_if_over(usage: dict[str, int]) -> None:
    if usage["should_limit"]:
        time_left = usage["time_left"]
        raise RateLimited(time_left if time_left > 0 else CACHE_DOWN_RETRY_AFTER)


def hit(name: str, value: str) -> None:
    """Count one event against the limit ``name``; raise RateLimited once it is over."""
    usage = _usage(name, value, increment=True)
    if usage is not None:
        _refuse_if_over(usage)


def reserve(name: str, value: str) -> Reservation | None:
    """Count one event whose outcome is not known yet, refusing it when the limit is spent.

    For limits on outcomes (a wrong code) that parallel requests must not outrun: counting after
    judging lets every request that started before the count moved get judged. Give the reservation
    back with :func:`release` when the outcome turns out not to count. None when the limit is off.
    """
    usage = _usage(name, value, increment=True)
    if usage is None:
        return None
    _refuse_if_over(usage)
    rate = get_settings().rate(name)
    assert rate is not None  # _usage returned a usage
    # django-ratelimit's own key for this window, so that the release lands where the count did. A
    # window that rolled over in between leaves the count in place: one too many, never one too few.
    _, period = _split_rate(rate)
    window = _get_window(value, period)
    return Reservation(name, _make_cache_key(GROUP_PREFIX + name, window, rate, value, ALL))


def release(reservation: Reservation | None) -> None:
    """Give back a :func:`reserve`'d count; a cache failure here is logged (the count stays)."""
    if reservation is None:
        return
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    try:
        cache.decr(reservation.cache_key)
    except ValueError:  # the window rolled over: the key is gone with its count
        pass
    except Exception:
        logger.exception("rate limit %s: the cache failed while giving a count back", reservation.name)


def check(name: str, value: str) -> None:
    """Raise RateLimited if ``name`` is already spent for ``value``, without counting anything."""
    usage = _usage(name, value, increment=False)
    if usage is not None and usage["count"] >= usage["limit"] > 0:
        usage = {**usage, "should_limit": True}
    if usage is not None:
        _refuse_if_over(usage)


def claim_cooldown(phone: str, seconds: int) -> None:
    """Take the number's resend slot for ``seconds``, or raise RateLimited with the time left.

    ``cache.add`` is atomic on every shared backend (Redis SET NX, Memcached add), so of any number of
    parallel requests, in any number of processes and hosts, exactly one wins.
    """
    if seconds <= 0:
        return
    cache = caches[get_settings().CACHE]
    key = f"voiceotp:cooldown:{phone}"
    until = time.time() + seconds
    try:
        if cache.add(key, until, timeout=seconds):
            return
        held = cache.get(key)
    except Exception:
        logger.exception("resend cooldown: the cache failed; refusing")
        raise RateLimited(CACHE_DOWN_RETRY_AFTER) from None
    left = math.ceil(max((held - time.time()) if isinstance(held, (int, float)) else seconds, 1))
    raise RateLimited(left, cooldown_detail(left))


def cooldown_detail(seconds: int) -> str:
    return ngettext_lazy(
        "A call to this number was placed moments ago: answer it, or ask again in %(seconds)d second.",
        "A call to this number was placed moments ago: answer it, or ask again in %(seconds)d seconds.",
        "seconds",
    ) % {"seconds": seconds}


def release_cooldown(phone: str) -> None:
    """Give the slot back when no call could be placed, so the person is not made to wait for nothing."""
    try:
        caches[get_settings().CACHE].delete(f"voiceotp:cooldown:{phone}")
    except Exception:
        logger.exception("resend cooldown: the cache failed while releasing")
