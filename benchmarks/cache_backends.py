"""Django's own ``RedisCache`` beside django-redis's, on one Redis: which one a site should pick.

``python -m benchmarks.cache_backends`` (django-redis comes with the ``bench`` extra; Redis at
``BENCH_REDIS_URL``). In process and single-threaded, each figure the median of rounds that take the
two backends in turn: a plain ``get``, an ``incr``, django-ratelimit's ``get_usage`` (its ``add``
and then ``incr``: what one limit costs any app counting through the cache API), and the app's limits
for one verify (the caller's and the number's failures, one script round trip on either backend).
Prints figures, asserts nothing.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from .databases import REDIS_URL

ROUNDS = 5
OPERATIONS = 2000
BACKENDS = {
    "Django's RedisCache": "django.core.cache.backends.redis.RedisCache",
    "django-redis": "django_redis.cache.RedisCache",
}


def _per_operation_us(func: Callable[[], Any]) -> float:
    begun = time.perf_counter()
    for _ in range(OPERATIONS):
        func()
    return (time.perf_counter() - begun) / OPERATIONS * 1e6


def _operations(alias: str) -> dict[str, Callable[[], Any]]:
    from django.core.cache import caches
    from django_ratelimit.core import get_usage

    from django_voiceotp import ratelimits

    cache = caches[alias]
    cache.set("get", 1)
    cache.set("incr", 0)
    return {
        "get": lambda: cache.get("get"),
        "incr": lambda: cache.incr("incr"),
        "django-ratelimit get_usage (one limit)": lambda: get_usage(
            None, group="bench", key=lambda group, request: "203.0.113.7", rate="100000000/h", increment=True
        ),
        "the app's limits for a verify (one script)": lambda: ratelimits.admit(
            [
                ratelimits.Step("verify_per_ip", "203.0.113.7"),
                ratelimits.Step("verify_failures_per_phone", "+84361234567"),
            ]
        ),
    }


def main() -> int:
    try:
        import django_redis  # noqa: F401
    except ImportError:
        print("django-redis is not installed (pip install -e '.[bench]')")
        return 1
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    prefix = "voiceotp-bench-cache-" + secrets.token_hex(6)
    import django
    from django.conf import settings
    from django.test import override_settings

    django.setup()
    caches: dict[str, dict[str, str]] = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    caches.update(
        {
            label: {"BACKEND": path, "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
            for label, path in BACKENDS.items()
        }
    )
    limits = dict.fromkeys(("verify_per_ip", "verify_failures_per_phone"), "100000000/h")
    samples: dict[tuple[str, str], list[float]] = {}
    for _round in range(ROUNDS):
        for label in BACKENDS:
            voiceotp = {**settings.VOICEOTP, "CACHE": label, "RATE_LIMITS": limits}
            with override_settings(CACHES=caches, RATELIMIT_USE_CACHE=label, VOICEOTP=voiceotp):
                for name, func in _operations(label).items():
                    func()  # connected and warm
                    samples.setdefault((label, name), []).append(_per_operation_us(func))
    from django.core.cache import caches as live

    with override_settings(CACHES=caches):
        cache: Any = live["django-redis"]  # django-redis's, which has delete_pattern
        cache.delete_pattern(f"*{prefix}*")
    print(f"cache backends on {REDIS_URL}, in process, µs per operation (median of {ROUNDS} rounds):")
    django_label, other_label = list(BACKENDS)
    names = [name for label, name in samples if label == django_label]
    print(f"  {'operation':45} {django_label:>20} {other_label:>14}  ratio")
    for name in names:
        ours = statistics.median(samples[(django_label, name)])
        theirs = statistics.median(samples[(other_label, name)])
        print(f"  {name:45} {ours:20.1f} {theirs:14.1f}  {theirs / ours:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
