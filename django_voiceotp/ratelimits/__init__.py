"""The rate limits and the per-number resend cooldown: the one place that counts in the cache.

django-ratelimit gives the counters their keys and windows; our keys are the normalized E.164 number
and the client's address bucket (:mod:`django_voiceotp.addresses`), passed in by the rules, because
its ``post:`` keys read form data only and JSON bodies would share one bucket. On Redis, every limit
a request applies and the cooldown it claims go to the server in one script (:mod:`.redis`); on any
other cache, through django-ratelimit's ``get_usage`` and the cache API, one by one.

When the cache cannot be reached we refuse (fail closed), as django-ratelimit does by default: every
call costs money, and a limit that silently stops counting is how accounts are emptied.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.utils.translation import ngettext_lazy
from django_ratelimit.core import get_usage

from ..conf import get_settings
from ..exceptions import RateLimited
from .counters import GROUP_PREFIX, Counter, Step, cooldown_key
from .redis import counters_for

__all__ = [
    "CACHE_DOWN_RETRY_AFTER",
    "Admission",
    "Reservation",
    "Step",
    "admit",
    "admitted",
    "check",
    "cooldown",
    "cooldown_detail",
    "first_to_ask",
    "hit",
    "lift_cooldown",
    "release",
    "reserve",
]

logger = logging.getLogger("django_voiceotp.ratelimits")

CACHE_DOWN_RETRY_AFTER = 60


@dataclass(frozen=True)
class Reservation:
    """One event counted before its outcome was known (see :func:`reserve`)."""

    name: str
    cache_key: str


class Admission:
    """What :func:`admitted` let through: the counted steps and, when one was claimed, the number's
    resend cooldown, which the block gives back on every way out unless :meth:`keep` was called:
    nobody waits for a call that never came, and a call that may come is never doubled by an
    impatient second request."""

    def __init__(self, steps: Sequence[Step], cooldown: tuple[str, int] | None) -> None:
        self.reservations = admit(steps, cooldown=cooldown)
        self.cooldown_of = cooldown[0] if cooldown is not None and cooldown[1] > 0 else None
        """The number whose cooldown this admission holds, if any."""
        self.kept = False

    def keep(self) -> None:
        """The call may have reached the gateway (it may ring, and be charged): the cooldown stays."""
        self.kept = True

    def __enter__(self) -> Admission:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.cooldown_of is not None and not self.kept:
            _delete_cooldown(self.cooldown_of, "giving the cooldown back")


def admitted(steps: Sequence[Step], *, cooldown: tuple[str, int] | None = None) -> Admission:
    """:func:`admit` the steps and claim the cooldown, for a ``with`` block (see :class:`Admission`)."""
    return Admission(steps, cooldown)


def cooldown(phone: str, seconds: int) -> Admission:
    """The number's resend cooldown alone, claimed for the block as :func:`admitted` claims it."""
    return admitted([], cooldown=(phone, seconds))


def _limits_cache() -> tuple[str, BaseCache]:
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    return alias, caches[alias]


class _FailingClosed:
    """A block whose cache failures refuse the request (a ``RateLimited``) rather than stop counting."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if (
            kind is None
            or error is None
            or isinstance(error, RateLimited)
            or not isinstance(error, Exception)
        ):
            return
        logger.error("%s: the cache failed; refusing", self.what, exc_info=(kind, error, tb))
        raise RateLimited(CACHE_DOWN_RETRY_AFTER) from None


def admit(steps: Sequence[Step], *, cooldown: tuple[str, int] | None = None) -> list[Reservation]:
    """Apply ``steps`` in order, refusing at the first one spent, then claim ``cooldown`` (a number
    and its seconds): ``RateLimited`` with the time to wait. A limit switched off (``None``) is skipped.

    Returns a :class:`Reservation` for each counted step, for :func:`release`.
    """
    values = get_settings()
    enabled = getattr(settings, "RATELIMIT_ENABLE", True)
    counters = [
        Counter.of(step, rate) for step in steps if enabled and (rate := values.rate(step.name)) is not None
    ]
    claim = cooldown if cooldown is not None and cooldown[1] > 0 else None
    if not counters and claim is None:
        return []  # nothing to count: the cache is not asked (and may be down)
    alias, cache = _limits_cache()
    with _FailingClosed("rate limits"):
        fast = counters_for(cache)
        if fast is not None and (claim is None or alias == values.CACHE):
            until = time.time() + claim[1] if claim else 0.0
            outcome = fast.admit(counters, (cooldown_key(claim[0]), claim[1], until) if claim else None)
            if outcome.refused is not None:
                _refuse(counters[outcome.refused])
            if outcome.cooldown_held_until is not None:
                _refuse_cooldown(outcome.cooldown_held_until, claim[1] if claim else 0)
            claim = None
        else:
            for counter in counters:
                _apply_through_the_cache_api(counter)
    if claim is not None:
        _claim_cooldown(*claim)
    return [Reservation(c.step.name, c.cache_key) for c in counters if c.step.count]


def _apply_through_the_cache_api(counter: Counter) -> None:
    usage = get_usage(
        None,
        group=GROUP_PREFIX + counter.step.name,
        key=lambda group, request: counter.step.value,
        rate=counter.rate,
        increment=counter.step.count,
    )
    if usage is None:
        return
    if usage["should_limit"] and usage["limit"] == 0:  # django-ratelimit's answer when the cache failed
        raise RateLimited(CACHE_DOWN_RETRY_AFTER)
    if counter.spent(usage["count"]):
        _refuse(counter)


def _refuse(counter: Counter) -> None:
    left = counter.time_left()
    raise RateLimited(left if left > 0 else CACHE_DOWN_RETRY_AFTER)


def hit(name: str, value: str) -> None:
    """Count one event against the limit ``name``; raise RateLimited once it is over."""
    admit([Step(name, value)])


def check(name: str, value: str) -> None:
    """Raise RateLimited if ``name`` is already spent for ``value``, without counting anything."""
    admit([Step(name, value, count=False)])


def reserve(name: str, value: str) -> Reservation | None:
    """Count one event whose outcome is not known yet, refusing it when the limit is spent.

    For limits on outcomes (a wrong code) that parallel requests must not outrun: counting after
    judging lets every request that started before the count moved get judged. Give the reservation
    back with :func:`release` when the outcome turns out not to count. None when the limit is off.
    """
    reservations = admit([Step(name, value)])
    return reservations[0] if reservations else None


def release(reservation: Reservation | None) -> None:
    """Give back a :func:`reserve`'d count; a cache failure here is logged (the count stays). A window
    that rolled over in between keeps its count: one too many, never one too few."""
    if reservation is None:
        return
    _, cache = _limits_cache()
    try:
        fast = counters_for(cache)
        if fast is not None:
            fast.give_back(reservation.cache_key)
        else:
            cache.decr(reservation.cache_key)
    except ValueError:  # the window rolled over: the key is gone with its count
        pass
    except Exception:
        logger.exception("rate limit %s: the cache failed while giving a count back", reservation.name)


def _claim_cooldown(phone: str, seconds: int) -> None:
    """Take the number's resend slot for ``seconds``, or raise RateLimited with the time left.

    ``SET NX`` on Redis, ``cache.add`` elsewhere: atomic on every shared backend, so of any number of
    parallel requests, in any number of processes and hosts, exactly one wins.
    """
    if seconds <= 0:
        return
    cache = caches[get_settings().CACHE]
    until = time.time() + seconds
    with _FailingClosed("resend cooldown"):
        fast = counters_for(cache)
        if fast is not None:
            held = fast.admit([], (cooldown_key(phone), seconds, until)).cooldown_held_until
            if held is None:
                return
        else:
            if cache.add(cooldown_key(phone), until, timeout=seconds):
                return
            found = cache.get(cooldown_key(phone))
            held = float(found) if isinstance(found, (int, float)) else 0.0
    _refuse_cooldown(held, seconds)


def _refuse_cooldown(held_until: float, seconds: int) -> None:
    left = math.ceil(max(held_until - time.time() if held_until else seconds, 1))
    raise RateLimited(left, cooldown_detail(left))


def cooldown_detail(seconds: int) -> str:
    return ngettext_lazy(
        "A call to this number was placed moments ago: answer it, or ask again in %(seconds)d second.",
        "A call to this number was placed moments ago: answer it, or ask again in %(seconds)d seconds.",
        "seconds",
    ) % {"seconds": seconds}


def first_to_ask(key: str, seconds: int) -> bool:
    """Whether this caller is the first to ask for ``key`` within ``seconds`` (``cache.add``: of any
    number of parallel callers, one is). Raises what the cache raises."""
    return bool(caches[get_settings().CACHE].add(key, 1, seconds))


def lift_cooldown(phone: str) -> None:
    """End the number's cooldown now: its holder proved it (a right code), so their next step may call
    it at once. A cache failure here is logged: the cooldown then runs out by itself."""
    _delete_cooldown(phone, "lifting the cooldown")


def _delete_cooldown(phone: str, what: str) -> None:
    cache = caches[get_settings().CACHE]
    try:
        fast = counters_for(cache)
        if fast is not None:
            fast.delete(cooldown_key(phone))
        else:
            cache.delete(cooldown_key(phone))
    except Exception:
        logger.exception("resend cooldown: the cache failed while %s", what)
