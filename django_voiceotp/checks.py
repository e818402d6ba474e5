"""System checks: misconfigurations a site should hear about at ``runserver``/``migrate``, not at 2 a.m."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from . import conf

MAX_SAFE_TTL = 600
"""NIST SP 800-63B and OWASP ASVS cap the life of an out-of-band code at 10 minutes."""

NOT_SHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, "voiceotp")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for problem in conf.problems():
        if problem.key == "CODE_LENGTH":
            found.append(
                Error(
                    f"VOICEOTP['CODE_LENGTH'] {problem.message}.",
                    hint="The gateway reads out at most 6 digits; fewer than 4 are too easy to guess.",
                    id="voiceotp.E002",
                )
            )
        else:
            found.append(Error(f"VOICEOTP[{problem.key!r}] {problem.message}.", id="voiceotp.E003"))
    if found:
        return found
    values = conf.get_settings()
    missing = [k for k in ("USERNAME", "PASSWORD", "KEY") if not getattr(values, k)]
    if missing:
        found.append(
            Error(
                f"VOICEOTP is missing the gateway credentials: {', '.join(missing)}.",
                hint="Set VOICEOTP['USERNAME'], ['PASSWORD'] and ['KEY'] as the gateway's operator "
                "issued them (or run the simulator and use its demo credentials).",
                id="voiceotp.E001",
            )
        )
    if values.CODE_TTL > MAX_SAFE_TTL:
        found.append(
            Warning(
                f"VOICEOTP['CODE_TTL'] is {values.CODE_TTL} s, above {MAX_SAFE_TTL} s.",
                hint="NIST SP 800-63B and OWASP ASVS cap a one-time code's life at 10 minutes.",
                id="voiceotp.W001",
            )
        )
    caches = getattr(settings, "CACHES", {})
    backend = caches.get(values.CACHE, {}).get("BACKEND", "")
    if values.CACHE not in caches:
        found.append(
            Error(
                f"VOICEOTP['CACHE'] names the cache {values.CACHE!r}, which CACHES does not define.",
                id="voiceotp.E004",
            )
        )
    elif backend in NOT_SHARED_CACHES and not settings.DEBUG:
        found.append(
            Warning(
                f"The cache {values.CACHE!r} ({backend.rsplit('.', 1)[-1]}) is not shared across "
                "processes: rate limits and resend cooldowns hold per process only.",
                hint="Use Redis or Memcached in production (VOICEOTP['CACHE'] names the alias).",
                id="voiceotp.W002",
            )
        )
    return found
