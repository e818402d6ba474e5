from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class VoiceCallMethodConfig(AppConfig):
    name = "django_voiceotp.contrib.two_factor"
    label = "voiceotp_two_factor"
    verbose_name = _("Voice call sign-in")

    def ready(self) -> None:
        """Register the method, and again after a setting changes: django-two-factor-auth's phone
        plugin, when installed, takes the method named "call" out of the registry on every change
        of settings (as tests make) unless ``TWO_FACTOR_CALL_GATEWAY`` is set."""
        from . import checks

        checks.register_all()
        register_method()
        setting_changed.connect(_register_again, dispatch_uid="django_voiceotp.contrib.two_factor")


def register_method() -> None:
    from two_factor.plugins.registry import registry

    from .method import VoiceCallMethod

    registry.register(VoiceCallMethod())


def _register_again(**kwargs: Any) -> None:
    register_method()
