"""The one reader of ``settings.VOICEOTP``.

Everything else asks :func:`get_settings` for a typed, validated snapshot. It is rebuilt whenever Django
says a setting changed (``override_settings`` in tests), and read lazily, so importing the app never
touches settings. Every problem names the key and what it accepts, because the person reading it is
configuring a site, not debugging this app.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .reader import _read
from .tasks import (
    DUMMY_TASK_BACKENDS,
    IMMEDIATE_TASK_BACKENDS,
    polls_in_background,
    task_backend,
    tasks_framework,
)
from .values import (
    DEFAULT_BACKEND,
    DEFAULT_RATE_LIMITS,
    DEFAULTS,
    GATEWAY_KEYS,
    LEGACY_GATEWAY_KEYS,
    PREFIX_GUARD_KEYS,
    RELAXED,
    RELAXED_RATE_LIMITS,
    GatewayConfig,
    PrefixGuard,
    SettingProblem,
    VoiceOtpSettings,
)

__all__ = [
    "DEFAULTS",
    "DEFAULT_BACKEND",
    "DEFAULT_RATE_LIMITS",
    "DUMMY_TASK_BACKENDS",
    "GATEWAY_KEYS",
    "IMMEDIATE_TASK_BACKENDS",
    "LEGACY_GATEWAY_KEYS",
    "PREFIX_GUARD_KEYS",
    "RELAXED",
    "RELAXED_RATE_LIMITS",
    "GatewayConfig",
    "PrefixGuard",
    "SettingProblem",
    "VoiceOtpSettings",
    "get_settings",
    "metrics_asked_for",
    "polls_in_background",
    "problems",
    "task_backend",
    "tasks_framework",
]

_lock = threading.Lock()
_cached: tuple[VoiceOtpSettings, list[SettingProblem]] | None = None


def _load() -> tuple[VoiceOtpSettings, list[SettingProblem]]:
    global _cached
    cached = _cached
    if cached is None:
        with _lock:
            cached = _cached = _read()
    return cached


def problems() -> list[SettingProblem]:
    """Every problem with ``settings.VOICEOTP``; the system checks report these."""
    return list(_load()[1])


def metrics_asked_for() -> bool:
    """Whether ``VOICEOTP["METRICS"]`` is ``True``, read without building the snapshot: the app's
    ``ready()`` asks, and a snapshot built then would outlive the ``DEBUG = False`` a test runner sets
    without telling anyone. The metrics' own view asks :func:`get_settings`, which validates it."""
    raw = getattr(settings, "VOICEOTP", None)
    return isinstance(raw, Mapping) and raw.get("METRICS") is True


def get_settings() -> VoiceOtpSettings:
    """The validated settings; raises ImproperlyConfigured listing every problem."""
    values, found = _load()
    if found:
        listed = "; ".join(f"VOICEOTP[{p.key!r}] {p.message}" for p in found)
        raise ImproperlyConfigured(listed)
    return values


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in {"VOICEOTP", "CACHES", "DEBUG"}:
        _cached = None
