"""The apps a voice call device needs beside it, named at start-up rather than at the first login."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from .. import checks as shared

NEEDED = ("django_otp", "django_voiceotp")


def register_all() -> None:
    shared.register_all()
    register(check_installed_apps)


def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"django_voiceotp.contrib.otp needs {name!r} in INSTALLED_APPS.",
            hint="django-otp finds devices and serves its forms through its app; the calls and codes "
            "are django_voiceotp's.",
            id="voiceotp_otp.E001",
        )
        for name in NEEDED
        if not apps.is_installed(name)
    ]
