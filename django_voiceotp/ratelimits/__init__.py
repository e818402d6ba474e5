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
from types import TracebackType

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.utils.translation import ngettext_lazy

from ..conf import get_settings
from ..exceptions import RateLimited
from .counters import Counter, Step, Usage, cooldown_key
from .redis import counters_for

__all__ = [
    "CACHE_DOWN_RETRY_AFTER",
    "Admission",
    "Step",
    "Usage",
    "admit",
    "admitted",
    "cooldown",
    "cooldown_detail",
    "erase",
    "first_to_ask",
    "forget",
    "lift_cooldown",
    "release",
]

logger = logging.getLogger("django_voiceotp.ratelimits")

CACHE_DOWN_RETRY_AFTER = 60


class Admission:
    """What :func:`admitted` let through: the steps as counted (``usages``) and, when claimed,
    cooldowns, which the block gives back on every way out unless :meth:`keep` was called: nobody
    waits for a call that never came, and a call that may come is never doubled by an impatient
    second request."""

    def __init__(
        self, steps: Sequence[Step], cooldown: tuple[str, int] | None, held: Sequence[str] = ()
    ) -> None:
        self.usages = admit(steps, cooldown=cooldown, held=held)
        self.claimed = [cooldown[0]] if cooldown is not None and cooldown[1] > 0 else []
        """The cooldowns (their subjects) this admission holds."""
        self.kept = False

    def usage(self, name: str) -> Usage | None:
        """How the step ``name`` was counted, None when its limit is off."""
        return next((u for u in self.usages if u.name == name), None)

    def also_claim(self, subject: str, seconds: int) -> None:
        """Claim one more cooldown for the block; when it is held, the admission gives back what it
        claimed and the wait is refused."""
        if seconds <= 0:
            return
        try:
            _claim_cooldown(subject, seconds)
        except RateLimited:
            self.give_back()
            raise
        self.claimed.append(subject)

    def give_back(self) -> None:
        """Give back every cooldown claimed (what leaving the block does, unless :meth:`keep`)."""
        for subject in self.claimed:
            _delete_cooldown(subject, "giving the cooldown back")
        self.claimed = []

    def keep(self) -> None:
        """The call may have reached the gateway (it may ring, and be charged): the cooldowns stay."""
        self.kept = True

    def __enter__(self) -> Admission:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.kept:
            self.give_back()


def admitted(
    steps: Sequence[Step], *, cooldown: tuple[str, int] | None = None, held: Sequence[str] = ()
) -> Admission:
    """:func:`admit` the steps and claim the cooldown, for a ``with`` block (see :class:`Admission`)."""
    return Admission(steps, cooldown, held)


def cooldown(subject: str, seconds: int, *, held: Sequence[str] = ()) -> Admission:
    """One cooldown alone, claimed for the block as :func:`admitted` claims it."""
    return admitted([], cooldown=(subject, seconds), held=held)


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
        if kind is None or isinstance(error, RateLimited) or not isinstance(error, Exception):
            return  # no error, the refusal itself, or not the cache's (KeyboardInterrupt...)
        logger.error("%s: the cache failed; refusing", self.what, exc_info=(kind, error, tb))
        raise RateLimited(CACHE_DOWN_RETRY_AFTER) from None


def admit(
    steps: Sequence[Step], *, cooldown: tuple[str, int] | None = None, held: Sequence[str] = ()
) -> list[Usage]:
    """Refuse while a cooldown of ``held`` or ``cooldown`` runs (before counting anything: a request
    the cooldown refuses spends no limit), apply ``steps`` in order, refusing at the first one spent,
    then claim ``cooldown`` (a subject and its seconds): ``RateLimited`` with the time to wait. A
    limit switched off (``None``) is skipped; django-ratelimit's ``RATELIMIT_ENABLE`` does not switch
    these off (a site that turns django-ratelimit off for its own views keeps the app's limits).

    Returns how each step was counted (:class:`Usage`), for :func:`release` and for the rules.
    """
    values = get_settings()
    counters = [Counter.of(step, rate) for step in steps if (rate := values.rate(step.name)) is not None]
    claim = cooldown if cooldown is not None and cooldown[1] > 0 else None
    checked = [cooldown_key(subject) for subject in held] + ([cooldown_key(claim[0])] if claim else [])
    if not counters and not checked:
        return []  # nothing to count: the cache is not asked (and may be down)
    alias, cache = _limits_cache()
    with _FailingClosed("rate limits"):
        fast = counters_for(cache)
        if fast is not None and (not checked or alias == values.CACHE):
            until = time.time() + claim[1] if claim else 0.0
            outcome = fast.admit(
                counters, checked, (cooldown_key(claim[0]), claim[1], until) if claim else None
            )
            if outcome.cooldown_held_until is not None:
                _refuse_cooldown(outcome.cooldown_held_until, claim[1] if claim else 0)
            if outcome.refused is not None:
                _refuse(counters[outcome.refused])
            counts = outcome.counts
            claim = None
        else:
            _refuse_while_held(checked)
            counts = [_apply_through_the_cache_api(counter) for counter in counters]
    if claim is not None:
        _claim_cooldown(*claim)
    return [
        Usage(c.step.name, c.cache_key, count, c.limit, c.step.count)
        for c, count in zip(counters, counts, strict=True)
    ]


def _apply_through_the_cache_api(counter: Counter) -> int:
    """Count one step with the cache's ``add`` and ``incr`` on django-ratelimit's key, as its
    ``get_usage`` does, but whatever its ``RATELIMIT_ENABLE`` and ``RATELIMIT_FAIL_OPEN`` say: a cache
    that fails raises, and the request is refused (:class:`_FailingClosed`)."""
    _, cache = _limits_cache()
    if not counter.step.count:
        count = cache.get(counter.cache_key, 0)
    elif cache.add(counter.cache_key, 1, counter.ttl):
        count = 1
    else:
        try:
            count = cache.incr(counter.cache_key)
        except ValueError:  # the window ended between the two: this event opens the next one
            count = 1 if cache.add(counter.cache_key, 1, counter.ttl) else cache.incr(counter.cache_key)
    if not isinstance(count, int):
        raise RateLimited(CACHE_DOWN_RETRY_AFTER)
    if counter.spent(count):
        _refuse(counter)
    return count


def _refuse_while_held(keys: Sequence[str]) -> None:
    """Refuse while one of the cooldowns ``keys`` runs (the cache API's way of the script's check)."""
    if not keys:
        return
    cache = caches[get_settings().CACHE]
    for key in keys:
        found = cache.get(key)
        if found is not None:
            _refuse_cooldown(float(found) if isinstance(found, (int, float)) else 0.0, 0)


def _refuse(counter: Counter) -> None:
    left = counter.time_left()
    raise RateLimited(left if left > 0 else CACHE_DOWN_RETRY_AFTER)


def release(reservation: Usage | None) -> None:
    """Give back a count made before its outcome was known (a guess counted against the failure
    budget before it is judged, so that parallel guesses cannot outrun it); a cache failure here is
    logged (the count stays). A window that rolled over in between keeps its count: one too many,
    never one too few."""
    if reservation is None or not reservation.counted:
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


def _claim_cooldown(subject: str, seconds: int) -> None:
    """Take the cooldown of ``subject`` for ``seconds``, or raise RateLimited with the time left.

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
            held = fast.admit([], [], (cooldown_key(subject), seconds, until)).cooldown_held_until
            if held is None:
                return
        else:
            if cache.add(cooldown_key(subject), until, timeout=seconds):
                return
            found = cache.get(cooldown_key(subject))
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


def lift_cooldown(subject: str) -> None:
    """End a cooldown now (its number's holder proved it: their next step may call it at once). A cache
    failure here is logged: the cooldown then runs out by itself."""
    _delete_cooldown(subject, "lifting the cooldown")


def _delete_cooldown(subject: str, what: str) -> None:
    cache = caches[get_settings().CACHE]
    try:
        fast = counters_for(cache)
        if fast is not None:
            fast.delete(cooldown_key(subject))
        else:
            cache.delete(cooldown_key(subject))
    except Exception:
        logger.exception("cooldown: the cache failed while %s", what)


def forget(steps: Sequence[Step], cooldowns: Sequence[str] = ()) -> None:
    """Start the current window of each step's limit over, and end the cooldowns of the subjects
    ``cooldowns`` (a number's holder proved it: what strangers spent on it no longer counts, and their
    next step may call it at once); one round trip where the limits and the cooldowns share a cache.
    A cache failure here is logged: the windows and the cooldowns then run out by themselves."""
    values = get_settings()
    keys = [
        Counter.of(step, rate).cache_key for step in steps if (rate := values.rate(step.name)) is not None
    ]
    _, limits = _limits_cache()
    cooldown_cache = caches[values.CACHE]
    ends = [cooldown_key(subject) for subject in cooldowns]
    batches = (
        [(limits, keys + ends)] if limits is cooldown_cache else [(limits, keys), (cooldown_cache, ends)]
    )
    for cache, batch in batches:
        if not batch:
            continue
        try:
            cache.delete_many(batch)
        except Exception:
            logger.exception("rate limits: the cache failed while starting windows over")


def _keys_of(steps: Sequence[Step], cooldowns: Sequence[str]) -> list[tuple[BaseCache, list[str]]]:
    values = get_settings()
    counted = [
        key
        for step in steps
        if (rate := values.rate(step.name)) is not None
        for key in Counter.of(step, rate).recent_keys()
    ]
    return [(_limits_cache()[1], counted), (caches[values.CACHE], [cooldown_key(s) for s in cooldowns])]


def erase(steps: Sequence[Step], cooldowns: Sequence[str], *, dry_run: bool = False) -> int:
    """Delete the counters of ``steps`` (this window's and the last one's) and the cooldowns of the
    subjects ``cooldowns``, whatever they hold: how many of those keys the cache held. Unlike
    :func:`forget`, a cache failure raises: a caller that must leave no key behind has to know."""
    found = 0
    for cache, keys in _keys_of(steps, cooldowns):
        if not keys:
            continue
        found += sum(1 for key in keys if cache.has_key(key))  # no read: the script's values are raw
        if not dry_run:
            cache.delete_many(keys)
    return found
