"""System checks: misconfigurations a site should hear about at ``runserver``/``migrate``, not at 2 a.m."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from . import conf, policy

MAX_SAFE_TTL = 600
"""NIST SP 800-63B and OWASP ASVS cap the life of an out-of-band code at 10 minutes."""

CACHE_PROBE_SECONDS = 3.0
"""How long the cache check waits for an answer: a check must not hang ``manage.py`` on a dead host."""

NOT_SHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
NOT_ATOMIC_CACHES = (
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)
"""Caches whose ``incr`` is a read and then a write: parallel requests lose counts, and parallel
guesses get past the failure budget."""


def register_all() -> None:
    """Called by the app's ``ready()``."""
    register(check_settings, Tags.security, "voiceotp")
    register(check_caches_answer, Tags.caches, "voiceotp")
    register(check_call_outcomes, "voiceotp")
    register(check_gateway_transport, Tags.security, "voiceotp", deploy=True)


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
        elif problem.key == "POLICY":
            found.append(_policy_error(problem.message))
        else:
            found.append(Error(f"VOICEOTP[{problem.key!r}] {problem.message}.", id="voiceotp.E003"))
    if found:
        return found
    values = conf.get_settings()
    policy_problem = policy.problem_with(values.POLICY)
    if policy_problem is not None:
        found.append(_policy_error(f"{values.POLICY!r} cannot be the site's policy ({policy_problem})"))
    for config in values.GATEWAYS:
        found.extend(_gateway_problems(config, several=len(values.GATEWAYS) > 1))
    found.extend(_gateway_names(values.GATEWAYS))
    if getattr(settings, "VOICEOTP", {}).get("RATE_LIMITS") == conf.RELAXED and not settings.DEBUG:
        found.append(
            Warning(
                'VOICEOTP["RATE_LIMITS"] is "relaxed" while DEBUG is off: the default limits hold instead.',
                hint='"relaxed" is for trying the API by hand in development; remove it for production.',
                id="voiceotp.W005",
            )
        )
    found.extend(_lockout_warnings(values))
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
    found.extend(_counting_caches(caches, values))
    return found


def _policy_error(message: str) -> CheckMessage:
    """Said at start, not as a 500 at the first request for a call (every call would fail)."""
    return Error(
        f"VOICEOTP['POLICY'] {message}.",
        hint="Name a subclass of django_voiceotp.policy.Policy that builds without arguments.",
        id="voiceotp.E008",
    )


def _counting_caches(caches: dict[str, Any], values: conf.VoiceOtpSettings) -> list[CheckMessage]:
    """The caches the limits count in must count atomically: Django's database and file caches do
    not, so parallel guesses there get past the failure budget (an error in production)."""
    found: list[CheckMessage] = []
    for alias in dict.fromkeys([values.CACHE, getattr(settings, "RATELIMIT_USE_CACHE", "default")]):
        backend = caches.get(alias, {}).get("BACKEND", "")
        if backend not in NOT_ATOMIC_CACHES:
            continue
        kind = Warning if settings.DEBUG else Error
        found.append(
            kind(
                f"The cache {alias!r} ({backend.rsplit('.', 1)[-1]}) counts with a read and then a write: "
                "parallel requests lose counts, and parallel guesses get past the failure budget.",
                hint="Count the limits in Redis or Memcached (VOICEOTP['CACHE'] and RATELIMIT_USE_CACHE "
                "name the aliases); the local memory cache counts exactly within one process.",
                id="voiceotp.E007",
            )
        )
    return found


SAFE_CODE_LENGTH = 6
"""Digits below which a stranger's day of guesses passes one number more often than 1 in 1,000."""
HOLDER_WAIT = 600
"""Seconds at most that a stranger may keep a number's holder from a call (docs/security.md)."""
PER_NUMBER_WAITS = ("request_per_phone",)
"""The per-number limits that refuse the holder too when a stranger spends them: their window is the
longest wait a stranger can impose."""


def _lockout_warnings(values: conf.VoiceOtpSettings) -> list[CheckMessage]:
    """Settings under which the guessing bound or the holder's ten minutes no longer hold."""
    from django_ratelimit.core import _split_rate

    found: list[CheckMessage] = []
    if values.CODE_LENGTH < SAFE_CODE_LENGTH:
        found.append(
            Warning(
                f"VOICEOTP['CODE_LENGTH'] is {values.CODE_LENGTH}: a stranger's day of guesses passes a "
                "number more often than 1 in 1,000.",
                hint="Six digits keep a stranger under 1 in 1,000 a day; docs/security.md has the figures "
                "for four and five.",
                id="voiceotp.W007",
            )
        )
    for name in PER_NUMBER_WAITS:
        rate = values.rate(name)
        if rate is not None and _split_rate(rate)[1] > HOLDER_WAIT:
            found.append(
                Warning(
                    f"VOICEOTP['RATE_LIMITS'][{name!r}] is {rate!r}: a stranger who spends it keeps the "
                    f"number's holder from a call for longer than {HOLDER_WAIT // 60} minutes.",
                    hint="Give it a window of ten minutes or less (the default is '3/10m'); "
                    "calls_per_phone bounds the calls a day.",
                    id="voiceotp.W008",
                )
            )
    return found


def _gateway_problems(config: conf.GatewayConfig, *, several: bool) -> list[CheckMessage]:
    """The backend can be imported, is a gateway backend, and is happy with its options."""
    from .gateways import backend_class

    where = f"VOICEOTP['GATEWAYS'] ({config.NAME or config.BACKEND})" if several else "VOICEOTP['GATEWAY']"
    try:
        backend = backend_class(config.BACKEND)
    except (ImportError, TypeError) as exc:
        return [Error(f"{where}['BACKEND'] cannot be used: {exc}.", id="voiceotp.E003")]
    try:
        gateway = backend(options=config.OPTIONS, timeout=conf.get_settings().TIMEOUT)
        problems = gateway.problems()
    except Exception as exc:  # a backend that cannot even be built says so here, not at the first call
        problems = [f"the backend could not be built ({type(exc).__name__})"]
    return [
        Error(
            f"VOICEOTP's gateway ({config.NAME or config.BACKEND}): {problem}.",
            hint=f"Set them in {where}['OPTIONS']. A site's tests need none: use the "
            "in-process gateway, django_voiceotp.gateways.locmem.LocMemGateway (see the test kit).",
            id="voiceotp.E001",
        )
        for problem in problems
    ]


def _gateway_names(configs: tuple[conf.GatewayConfig, ...]) -> list[CheckMessage]:
    """Two gateways the call rows could not tell apart (the same backend, no NAME)."""
    from .gateways import backend_class

    names = []
    for config in configs:
        try:
            names.append(config.NAME or backend_class(config.BACKEND).name)
        except (ImportError, TypeError):
            return []  # reported above
    twice = sorted({name for name in names if names.count(name) > 1} | ({"test"} & set(names)))
    return [
        Error(
            f"VOICEOTP['GATEWAYS'] has two gateways named {name!r} (or one named 'test', which TEST_NUMBERS "
            "uses): call rows name the gateway that placed them.",
            hint="Give each gateway a NAME of its own.",
            id="voiceotp.E006",
        )
        for name in twice
    ]


def check_caches_answer(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The caches the limits live in can be built and answer.

    The limits fail closed, so a cache that cannot work (its client library not installed, a wrong
    URL, a server that is down) turns every request into a 429 that looks like a rate limit. This
    says so at start-up instead, with the alias and the cause.
    """
    try:
        values = conf.get_settings()
    except Exception:  # the settings check reports it
        return []
    aliases = dict.fromkeys([values.CACHE, getattr(settings, "RATELIMIT_USE_CACHE", "default")])
    found: list[CheckMessage] = []
    for alias in aliases:
        if alias not in getattr(settings, "CACHES", {}):
            continue  # E004, or Django's own cache checks, say so
        problem = _probe(alias)
        if problem is None:
            continue
        kind, cause = problem
        if kind == "broken":
            found.append(
                Error(
                    f"The cache {alias!r} cannot be used: {cause}.",
                    hint="Install its client library (pip install 'django-voiceotp[redis]' for Redis) "
                    "and check its BACKEND. The rate limits refuse every request while it fails.",
                    id="voiceotp.E005",
                )
            )
        else:
            found.append(
                Warning(
                    f"The cache {alias!r} did not answer: {cause}.",
                    hint="Check its LOCATION and that the server is running. Until it answers, every "
                    "request and verify gets 429 rate_limited (the limits fail closed).",
                    id="voiceotp.W003",
                )
            )
    return found


def _probe(alias: str) -> tuple[str, str] | None:
    """``("broken", cause)`` when the cache cannot be built or its library imported, ``("silent",
    cause)`` when it does not answer in time or raises, None when it answers."""
    outcome: list[tuple[str, str] | None] = []

    def ask() -> None:
        try:
            cache = caches[alias]
            cache.get("voiceotp:check")
        except (ImportError, InvalidCacheBackendError) as exc:
            outcome.append(("broken", f"{type(exc).__name__}: {str(exc)[:200]}"))
        except Exception as exc:
            outcome.append(("silent", f"{type(exc).__name__}: {str(exc)[:200]}"))
        else:
            outcome.append(None)

    thread = threading.Thread(target=ask, name="voiceotp-cache-check", daemon=True)
    thread.start()
    thread.join(CACHE_PROBE_SECONDS)
    if not outcome:
        return ("silent", f"no answer within {CACHE_PROBE_SECONDS:g} s")
    return outcome[0]


def check_call_outcomes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Something asks the gateway how calls went, or every call stays ``calling`` for good.

    Three things can: a task worker, reads of a challenge (``POLL_ON_READ_INTERVAL``), and
    ``voiceotp_poll_calls`` from cron. Cron cannot be seen from here, so a site that relies on it alone
    silences this warning. In development (``DEBUG``) nobody is waiting on the admin's figures.
    """
    if settings.DEBUG:
        return []
    try:
        values = conf.get_settings()
    except Exception:  # the settings check reports it
        return []
    backend = conf.task_backend()
    if conf.polls_in_background():
        if backend not in conf.DUMMY_TASK_BACKENDS:
            return []
        reason = (
            f"TASKS' default backend ({backend.rsplit('.', 1)[-1]}) never runs a task, and with a task "
            "backend set, reading a challenge leaves the checks to it"
        )
    elif values.POLL_ON_READ_INTERVAL:
        return []
    else:
        reason = "no task backend runs tasks outside the request and POLL_ON_READ_INTERVAL is off"
    return [
        Warning(
            f"Nothing asks the gateway how calls went: {reason}. Every call stays 'calling'.",
            hint="Run a task worker (TASKS = {'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}, "
            "'django_tasks_db' in INSTALLED_APPS, manage.py db_worker running), or run manage.py "
            "voiceotp_poll_calls from cron every minute and add 'voiceotp.W004' to "
            "SILENCED_SYSTEM_CHECKS, or set POLL_ON_READ_INTERVAL.",
            id="voiceotp.W004",
        )
    ]


def check_gateway_transport(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``manage.py check --deploy``: what the gateway backend finds unsafe for production, such as the
    credentials going over plain HTTP to a host that is not this machine (``voiceotp.W006``)."""
    from .gateways import backend_class

    try:
        values = conf.get_settings()
        problems = []
        for config in values.GATEWAYS:
            gateway = backend_class(config.BACKEND)(options=config.OPTIONS, timeout=values.TIMEOUT)
            problems += gateway.deploy_problems()
    except Exception:  # the settings and gateway checks report what cannot be built
        return []
    return [
        Warning(
            f"VOICEOTP's gateway: {problem}.",
            hint="Where the path to the gateway is private (a VPN, a private link), silence this "
            "warning: SILENCED_SYSTEM_CHECKS = ['voiceotp.W006'].",
            id="voiceotp.W006",
        )
        for problem in problems
    ]
