"""The one module that talks to django-ratelimit, plus the per-number resend cooldown.

django-ratelimit counts; we choose the keys. Its ``post:`` keys read form data only, so with JSON bodies
every client would share one bucket: our keys are the normalized E.164 number and the client IP, passed
in by the service. When the cache cannot be reached we refuse (fail closed), as django-ratelimit does by
default: every call costs money, and a limit that silently stops counting is how accounts are emptied.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import time

from django.core.cache import caches
from django_ratelimit.core import get_usage

from .conf import get_settings
from .exceptions import RateLimited

logger = logging.getLogger("django_voiceotp.ratelimits")

CACHE_DOWN_RETRY_AFTER = 60
GROUP_PREFIX = "django_voiceotp."


def ip_key(ip: str | None) -> str:
    """IPv6 clients are counted per /64, the smallest block one subscriber usually holds."""
    if not ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


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


def hit(name: str, value: str) -> None:
    """Count one event against the limit ``name``; raise RateLimited once it is over."""
    usage = _usage(name, value, increment=True)
    if usage is not None and usage["should_limit"]:
        time_left = usage["time_left"]
        raise RateLimited(time_left if time_left > 0 else CACHE_DOWN_RETRY_AFTER)


def hit_quietly(name: str, value: str) -> None:
    """Count one event without refusing this one (a wrong code is answered as wrong, not as 429)."""
    with contextlib.suppress(RateLimited):
        hit(name, value)


def check(name: str, value: str) -> None:
    """Raise RateLimited if ``name`` is already spent for ``value``, without counting anything."""
    usage = _usage(name, value, increment=False)
    if usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"] > 0):
        time_left = usage["time_left"]
        raise RateLimited(time_left if time_left > 0 else CACHE_DOWN_RETRY_AFTER)


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
    left = (held - time.time()) if isinstance(held, (int, float)) else seconds
    raise RateLimited(math.ceil(max(left, 1)))


def release_cooldown(phone: str) -> None:
    """Give the slot back when no call could be placed, so the person is not made to wait for nothing."""
    try:
        caches[get_settings().CACHE].delete(f"voiceotp:cooldown:{phone}")
    except Exception:
        logger.exception("resend cooldown: the cache failed while releasing")
