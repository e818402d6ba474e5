"""The limits on Redis in one round trip, through one client kept per process.

Why: through Django's cache API each limit costs django-ratelimit's ``add`` and then ``incr`` (which
Django's Redis backend makes an ``EXISTS`` and an ``INCRBY``), and Django's backend builds a new
``redis.Redis`` object, with its response-callback tables, for every operation. A request applies
three limits and the cooldown: about eight round trips and eight client objects, the largest part of
a verify's CPU. Here a small Lua script applies every limit of a request, in order, and claims the
cooldown, atomically and in one round trip, on a client built once from the cache's own connection
pool. The counters are the same keys and values Django's backend writes (integers are stored as
plain numbers by both), so either path reads what the other wrote.

Used only when the cache is Django's ``RedisCache`` or django-redis's; any other cache goes through
the cache API (:func:`django_voiceotp.ratelimits.admit`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache

from .counters import Counter

ADMIT = """
local n, held = tonumber(ARGV[1]), tonumber(ARGV[2])
for j = 1, held do
  local until_ = redis.call("GET", KEYS[n + j])
  if until_ then return {-1, {}, until_} end
end
local counts = {}
for i = 1, n do
  local base = 4 * i - 1
  local count_it, refuses = ARGV[base], ARGV[base + 3]
  local ttl, limit = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  local c
  if count_it == "1" then
    c = redis.call("INCR", KEYS[i])
    if c == 1 then redis.call("EXPIRE", KEYS[i], ttl) end
    counts[i] = c
    if refuses == "1" and c > limit then return {i, counts, false} end
  else
    c = tonumber(redis.call("GET", KEYS[i]) or "0")
    counts[i] = c
    if refuses == "1" and limit > 0 and c >= limit then return {i, counts, false} end
  end
end
if #KEYS > n + held then
  local claim = KEYS[n + held + 1]
  if not redis.call("SET", claim, ARGV[4 * n + 4], "NX", "EX", ARGV[4 * n + 3]) then
    return {-1, counts, redis.call("GET", claim)}
  end
end
return {0, counts, false}
"""
"""Refuse when a cooldown to check is held (before anything is counted: a request the cooldown refuses
spends no limit), then apply the counters in order, stopping at the first one spent that refuses (it
is counted, the next are not, as when they are applied one by one), then claim the cooldown;
``{refused index or -1 or 0, counts, the held cooldown's end}``."""

GIVE_BACK = """
if redis.call("EXISTS", KEYS[1]) == 1 then return redis.call("DECR", KEYS[1]) end
return false
"""
"""A counter given back only while its window lives: DECR on a missing key would start it at -1."""


@dataclass(frozen=True)
class Outcome:
    counts: list[int]
    refused: int | None
    """The index of the counter that refused, or None."""
    cooldown_held_until: float | None
    """When the cooldown someone else holds ends (epoch seconds), or None when it was claimed."""


class RedisCounters:
    """The counters of one Redis cache, through one ``redis.Redis`` client per process."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        self._client = _client_of(cache)
        self._admit = self._client.register_script(ADMIT)
        self._give_back = self._client.register_script(GIVE_BACK)

    def admit(
        self, counters: Sequence[Counter], held: Sequence[str], claim: tuple[str, int, float] | None
    ) -> Outcome:
        """Check the cooldowns ``held``, apply ``counters`` and claim ``claim`` (its key, seconds and
        end), in one round trip."""
        keys = [self.cache.make_key(c.cache_key) for c in counters]
        keys += [self.cache.make_key(key) for key in held]
        args: list[Any] = [len(counters), len(held)]
        for counter in counters:
            args += ["1" if counter.step.count else "0", counter.ttl, counter.limit]
            args += ["1" if counter.step.refuses else "0"]
        if claim is not None:
            key, seconds, until = claim
            keys.append(self.cache.make_key(key))
            args += [seconds, repr(until)]
        refused, counts, until = self._admit(keys=keys, args=args)
        counts = [int(c) for c in counts]
        if refused == -1:
            return Outcome(counts, None, _seconds(until))
        return Outcome(counts, refused - 1 if refused else None, None)

    def give_back(self, cache_key: str) -> None:
        self._give_back(keys=[self.cache.make_key(cache_key)])

    def delete(self, key: str) -> None:
        self._client.delete(self.cache.make_key(key))


def _seconds(value: Any) -> float:
    """The cooldown's end as the script found it (0 when it is unreadable: the full wait is told)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


_lock = threading.Lock()
ATTRIBUTE = "_voiceotp_counters"


def counters_for(cache: BaseCache) -> RedisCounters | None:
    """The Redis counters of ``cache`` when it is a Redis cache this module knows, else None.

    Kept on the cache object itself (Django builds one per thread and alias, and a new one when the
    settings change), and built again in a forked process, whose sockets are its own.
    """
    if not _is_redis(cache):
        return None
    found: tuple[int, RedisCounters] | None = getattr(cache, ATTRIBUTE, None)
    if found is None or found[0] != os.getpid():
        with _lock:
            found = (os.getpid(), RedisCounters(cache))
            setattr(cache, ATTRIBUTE, found)
    return found[1]


def _is_redis(cache: BaseCache) -> bool:
    name = f"{type(cache).__module__}.{type(cache).__qualname__}"
    return name in ("django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache")


def _client_of(cache: BaseCache) -> Any:
    """A ``redis.Redis`` on the cache's own connection pool, to write where the cache writes."""
    backend: Any = cache
    if hasattr(backend, "_cache") and hasattr(backend._cache, "get_client"):  # Django's RedisCache
        return backend._cache.get_client(None, write=True)
    return backend.client.get_client(write=True)  # django-redis
