"""What one limit counts: django-ratelimit's own key and window for a name and a value.

The keys are django-ratelimit's, so every path that counts (its ``get_usage`` on any cache, or the
one-round-trip script on Redis, :mod:`.redis`) reads and writes the same counters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate

GROUP_PREFIX = "django_voiceotp."
COOLDOWN_PREFIX = "voiceotp:cooldown:"


@dataclass(frozen=True)
class Step:
    """One limit to apply: count an event against ``name`` for ``value``, or (``count=False``) only
    refuse when it is already spent. A step that does not ``refuse`` is only measured: its count comes
    back (:class:`Usage`) for the rules to decide what a spent budget means."""

    name: str
    value: str
    count: bool = True
    refuses: bool = True


@dataclass(frozen=True)
class Counter:
    """A :class:`Step` with its rate: the cache key of the current window, its limit and lifetime."""

    step: Step
    rate: str
    limit: int
    cache_key: str
    ttl: int
    """Seconds the counter lives: its period and django-ratelimit's fudge."""
    window_end: int
    """When the window ends, in epoch seconds: what a refusal tells the client to wait for."""

    @classmethod
    def of(cls, step: Step, rate: str) -> Counter:
        limit, period = _split_rate(rate)
        window = _get_window(step.value, period)
        key = _make_cache_key(GROUP_PREFIX + step.name, window, rate, step.value, ALL)
        return cls(step, rate, limit, key, period + EXPIRATION_FUDGE, window)

    def recent_keys(self) -> tuple[str, str]:
        """The keys of this window and the one before: a counter lives its period past its first
        event, so the last window's key may still be in the cache."""
        _, period = _split_rate(self.rate)
        previous = _make_cache_key(
            GROUP_PREFIX + self.step.name, self.window_end - period, self.rate, self.step.value, ALL
        )
        return self.cache_key, previous

    def time_left(self) -> int:
        return self.window_end - int(time.time())

    def spent(self, count: int) -> bool:
        """Whether ``count`` refuses: past the limit for a counted event, at it for a check."""
        if not self.step.refuses:
            return False
        return count > self.limit if self.step.count else count >= self.limit > 0


@dataclass(frozen=True)
class Usage:
    """A step as the cache counted it: its count (this event's included, when counted) and limit."""

    name: str
    cache_key: str
    count: int
    limit: int
    counted: bool

    @property
    def spent(self) -> bool:
        """The limit is reached: a further event would be over it."""
        return self.count >= self.limit


def cooldown_key(subject: str) -> str:
    """A cooldown's cache key: ``subject`` names whose it is (a number, as a caller stands with it)."""
    return COOLDOWN_PREFIX + subject
