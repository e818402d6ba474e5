"""The benchmark's settings: the example site's, plus the floor views and django-phone-verify.

Everything the example site reads from the environment still applies (``DATABASE_URL``, ``REDIS_URL``,
``VOICEOTP_<KEY>``), so the app, the floor and django-phone-verify run on one server, one database and
one cache. Two changes: ``DEBUG`` is off, as in production (with it on, Django keeps every query of
every request in memory), and the cache gets a key prefix of the run's own (``BENCH_CACHE_PREFIX``), so
that neither another user of the same Redis database nor an earlier run's cooldowns and counts meet
this run's numbers. Call outcomes are left to ``voiceotp_poll_calls``, measured on its own, as on a
site that runs it from cron (``TASK_BACKEND=none``): django-phone-verify and the floors check no
outcome at all, and a task queued per call would weigh on the request what the poll benchmark
already counts. ``TASK_BACKEND=database`` puts the example site's task queue back.
"""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("TASK_BACKEND", "none")

from example_project.settings import *  # noqa: F403
from example_project.settings import CACHES as _EXAMPLE_CACHES
from example_project.settings import INSTALLED_APPS as _EXAMPLE_APPS

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"

_PREFIX = os.environ.get("BENCH_CACHE_PREFIX", "voiceotp-bench")
CACHES = {alias: {**config, "KEY_PREFIX": _PREFIX} for alias, config in _EXAMPLE_CACHES.items()}

HAS_PHONE_VERIFY = importlib.util.find_spec("phone_verify") is not None
"""django-phone-verify is an optional (``bench`` extra) dependency; without it that comparison is skipped."""

INSTALLED_APPS = [*_EXAMPLE_APPS, *(["phonenumber_field", "phone_verify"] if HAS_PHONE_VERIFY else [])]

# django-phone-verify's own settings (its README): every key below is required by its service.
PHONE_VERIFICATION = {
    "BACKEND": "benchmarks.phone_verify_backend.SimulatorBackend",
    "OPTIONS": {},
    "TOKEN_LENGTH": 6,
    "MESSAGE": "{security_code}",
    "APP_NAME": "bench",
    "SECURITY_CODE_EXPIRATION_SECONDS": 300,
    "VERIFY_SECURITY_CODE_ONLY_ONCE": True,
}
