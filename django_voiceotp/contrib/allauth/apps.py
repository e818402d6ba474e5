from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceOtpAllauthConfig(AppConfig):
    """An app, not just a module: it owns the table of account numbers and the system checks that
    catch an allauth configuration which would send allauth's own code or apply its limits on top."""

    name = "django_voiceotp.contrib.allauth"
    label = "voiceotp_allauth"
    verbose_name = _("Voice OTP for allauth")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks

        checks.register_all()
