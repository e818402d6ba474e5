"""What a person reads when a device calls them or refuses to, or refuses a code, in their language.

The rules' refusals already carry a translated ``detail``; a wrong code also says how many tries are
left, as the REST API's ``attempts_left`` does, so that nobody guesses their last attempt away.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ...exceptions import AlreadyVerified, InvalidCode, Locked, VoiceOtpError

LOCKED = _("Too many wrong codes. Ask for a new call.")
"""A locked code: a device's next step is a new call (the rules' words speak of a new verification)."""
USED = _("That call's code was already used. Ask for a new call.")
"""The device's latest call was verified already: its code was typed, or no newer call was placed."""
NOT_PLACED = _("No call could be placed for this code. Ask for a new call.")
"""A code typed for the device's latest call, which the gateway did not place."""
ASK_AGAIN = _("Ask for a new call.")
"""Why no call is on its way, on a page shown again after a call that could not be placed."""


def refusal(error: VoiceOtpError) -> str:
    """The sentence for ``error``: its detail, with the tries left for a wrong code, and in a device's
    terms (calls) for a locked or used code."""
    if isinstance(error, Locked):
        return str(LOCKED)
    if isinstance(error, AlreadyVerified):
        return str(USED)
    if isinstance(error, InvalidCode) and "attempts_left" in error.extra:
        left = int(error.extra["attempts_left"])
        return ngettext(
            "The verification code is not right: %(count)d attempt left.",
            "The verification code is not right: %(count)d attempts left.",
            left,
        ) % {"count": left}
    return str(error.detail)


def challenge_message(masked_number: str, error: VoiceOtpError | None = None) -> str:
    """A challenge's outcome as a fragment, to fit django-otp's ``OTP Challenge: {0}``."""
    if error is not None:
        return gettext("no call was placed: %(reason)s") % {"reason": refusal(error)}
    return gettext("calling %(number)s") % {"number": masked_number}


def call_notice(masked_number: str, error: VoiceOtpError | None = None) -> str:
    """A challenge's outcome as the sentence a page shows above the code's input."""
    if error is not None:
        return gettext("No call was placed. %(reason)s") % {"reason": refusal(error)}
    return gettext("We are calling %(number)s. Type the verification code you hear.") % {
        "number": masked_number
    }
