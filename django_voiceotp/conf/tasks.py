"""Whether a task worker checks placed calls: which tasks framework is installed, and what ``TASKS`` says."""

from __future__ import annotations

import functools
import importlib.util

from django.conf import settings

IMMEDIATE_TASK_BACKENDS = frozenset(
    {
        "django.tasks.backends.immediate.ImmediateBackend",
        "django_tasks.backends.immediate.ImmediateBackend",
    }
)
DUMMY_TASK_BACKENDS = frozenset(
    {
        "django.tasks.backends.dummy.DummyBackend",
        "django_tasks.backends.dummy.DummyBackend",
    }
)
"""Backends that keep what is queued and never run it: for tests."""


@functools.cache
def tasks_framework() -> str | None:
    """The tasks framework's module name: ``django.tasks`` (Django 6) or ``django_tasks`` (the
    backport), or None without either. Found once: every placed call asks (``polls_in_background``),
    and what is installed does not change under a running process."""
    for name in ("django.tasks", "django_tasks"):
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except ModuleNotFoundError:  # the parent package is missing
            continue
    return None


def polls_in_background() -> bool:
    """Whether a task worker checks placed calls: the site set ``TASKS`` (itself, not Django's
    default) to a backend that runs tasks outside the request. The immediate backend counts as none:
    it would check a call in the request that placed it, seconds before anyone can have answered."""
    backend = task_backend()
    return bool(backend) and backend not in IMMEDIATE_TASK_BACKENDS


def task_backend() -> str:
    """The dotted path of the default task backend the site set in ``TASKS``, or "" when it set none
    (Django's default, the immediate backend, runs nothing outside the request) or there is no tasks
    framework to run it."""
    is_overridden = getattr(settings, "is_overridden")  # noqa: B009 (untyped in the stubs)
    if tasks_framework() is None or not is_overridden("TASKS"):
        return ""
    return str(((getattr(settings, "TASKS", None) or {}).get("default") or {}).get("BACKEND", ""))
