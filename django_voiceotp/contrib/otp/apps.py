from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceCallDeviceConfig(AppConfig):
    name = "django_voiceotp.contrib.otp"
    label = "voiceotp_otp"
    verbose_name = _("Voice call devices")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks

        checks.register_all()
