"""The method named "call" must be this app's, or the wizards call through another gateway."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error, register

from .. import checks as shared

NEEDED = ("two_factor", "django_voiceotp.contrib.otp")


def register_all() -> None:
    shared.register_all()
    register(check_installed_apps)
    register(check_the_call_method_is_ours)


def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"django_voiceotp.contrib.two_factor needs {name!r} in INSTALLED_APPS.",
            hint="The method runs in django-two-factor-auth's wizards, on the voice call device of "
            "django_voiceotp.contrib.otp.",
            id="voiceotp_two_factor.E001",
        )
        for name in NEEDED
        if not apps.is_installed(name)
    ]


def check_the_call_method_is_ours(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from two_factor.plugins.registry import MethodNotFoundError, registry

    from .method import VoiceCallMethod

    try:
        method = registry.get_method(VoiceCallMethod.code)
    except MethodNotFoundError:
        method = None
    if isinstance(method, VoiceCallMethod):
        return []
    return [
        Error(
            "django-two-factor-auth's phone call method is not django-voiceotp's.",
            hint="Unset TWO_FACTOR_CALL_GATEWAY (the calls go through django-voiceotp), and list "
            "django_voiceotp.contrib.two_factor after two_factor.plugins.phonenumber in INSTALLED_APPS.",
            id="voiceotp_two_factor.E002",
        )
    ]
