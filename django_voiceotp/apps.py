from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceOtpConfig(AppConfig):
    name = "django_voiceotp"
    verbose_name = _("Voice OTP")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the system checks, and connect background polling to the calls the rules place
        (the rules send ``call_placed`` and know nothing of the task framework), and the metrics to
        the signals when ``METRICS`` is on."""
        from . import checks, metrics, tasks
        from .signals import call_placed

        checks.register_all()
        call_placed.connect(
            tasks.schedule_poll, weak=False, dispatch_uid="django_voiceotp.tasks.schedule_poll"
        )
        metrics.sync()
