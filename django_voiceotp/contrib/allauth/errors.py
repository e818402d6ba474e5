"""This app's refusals as a person reads them on allauth's pages: form errors and error messages.

Each refusal's own ``detail`` (in the language of the request being answered) says what to do next,
how long to wait included; a wrong code adds how many attempts are left.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...services import InvalidCode, Locked, VoiceOtpError

START_AGAIN = _("Too many wrong codes for this number. Start again from the beginning.")
"""A locked challenge is over: a resend would not revive it (allauth ends its flow at the same count)."""


def sentences(refusal: VoiceOtpError) -> list[str]:
    """In the language of the request being answered."""
    if isinstance(refusal, Locked):
        return [str(START_AGAIN)]
    found = [str(refusal.detail)]
    if isinstance(refusal, InvalidCode):
        left = int(refusal.extra.get("attempts_left", 0))
        found.append(ngettext("%(count)s attempt left.", "%(count)s attempts left.", left) % {"count": left})
    return found


def validation_error(refusal: VoiceOtpError) -> ValidationError:
    """The refusal as a form error whose ``code`` is the app's machine code (``invalid_code``...)."""
    return ValidationError([ValidationError(text, code=refusal.code) for text in sentences(refusal)])


def message(refusal: VoiceOtpError) -> str:
    """The refusal as one error message, in the language of the request being answered."""
    return " ".join(sentences(refusal))
