"""The app's refusals, each with the HTTP status and machine code of contract section 3.

Services raise these; the API turns them into ``{"code", "detail", ...}`` answers. ``detail`` is a
lazy translation so that it follows the request's language. No message here ever carries a code, a
credential or a full phone number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core import signing
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


class VoiceOtpError(Exception):
    status_code: int = 400
    code: str = "invalid_request"
    default_detail: str | Promise = _("The request is not valid.")

    def __init__(self, detail: str | Promise | None = None, **extra: Any) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.extra = extra
        super().__init__(str(self.detail))


class InvalidRequest(VoiceOtpError):
    pass


class InvalidPhone(VoiceOtpError):
    code = "invalid_phone"
    default_detail = _("This is not a phone number we can call. Check the number and enter it again.")


class RecipientRefused(VoiceOtpError):
    code = "recipient_refused"
    default_detail = _("This number does not accept such calls. Enter another number.")


class InvalidCode(VoiceOtpError):
    code = "invalid_code"
    default_detail = _("The code is not right. Check it and try again.")


class Locked(VoiceOtpError):
    status_code = 403
    code = "locked"
    default_detail = _("Too many wrong codes. Start a new verification.")


class NotFound(VoiceOtpError):
    status_code = 404
    code = "not_found"
    default_detail = _("No such verification. Start a new one.")


class AlreadyVerified(VoiceOtpError):
    status_code = 409
    code = "already_verified"
    default_detail = _("This code has already been used. Start a new verification to verify again.")


class AlreadyFinished(VoiceOtpError):
    """A cancel of a challenge that is no longer pending: verified, failed, expired, locked or canceled
    already. ``status`` (in ``extra``) says which, as a read of the challenge would."""

    status_code = 409
    code = "already_finished"
    default_detail = _("This verification is already over: there is nothing to cancel.")

    def __init__(self, status: str, detail: str | Promise | None = None) -> None:
        super().__init__(detail, status=status)


class Expired(VoiceOtpError):
    status_code = 410
    code = "expired"
    default_detail = _("The code has expired. Ask for a new call.")


class RateLimited(VoiceOtpError):
    status_code = 429
    code = "rate_limited"
    default_detail = _("Too many requests. Try again later.")

    def __init__(self, retry_after: int, detail: str | Promise | None = None) -> None:
        self.retry_after = max(int(retry_after), 1)
        if detail is None:
            detail = wait_detail(self.retry_after)
        super().__init__(detail, retry_after=self.retry_after)


def wait_detail(seconds: int) -> str:
    """A "try again in N seconds" text in the reader's language: lazy, translated when shown."""
    return ngettext_lazy(
        "Too many requests. Try again in %(seconds)d second.",
        "Too many requests. Try again in %(seconds)d seconds.",
        "seconds",
    ) % {"seconds": seconds}


class ChallengeRequired(VoiceOtpError):
    """The site's policy asks for more before it places a call (a captcha, ...): the client shows what
    the extra fields describe and asks again with the answer."""

    status_code = 403
    code = "challenge_required"
    default_detail = _("Prove you are not a robot before we call: answer the challenge and ask again.")

    def __init__(
        self, detail: str | Promise | None = None, *, challenge: Mapping[str, Any] | None = None, **extra: Any
    ) -> None:
        """``challenge`` is what the client needs to show the proof asked for (a captcha's key and
        image URL, say): the REST answer's ``challenge`` field. It goes to the client as given, so it
        holds nothing the client may not see (never the captcha's answer)."""
        if challenge is not None:
            extra["challenge"] = dict(challenge)
        super().__init__(detail, **extra)


class ProviderRejected(VoiceOtpError):
    status_code = 502
    code = "provider_rejected"
    default_detail = _("The call service refused the call. Try again later.")


class ProviderUnavailable(VoiceOtpError):
    status_code = 503
    code = "provider_unavailable"
    default_detail = _("The call service is not answering. Try again in a moment.")


# -- the proof of verification (django_voiceotp.tokens) ----------------------------------------------
# Each is a VoiceOtpError with a machine code, so that ``except VoiceOtpError`` in a site's view
# answers a replayed, forged or stale proof as a refusal; each still subclasses Django's signing
# errors, so that ``except signing.BadSignature`` (and ``SignatureExpired``) written before keeps
# catching what it caught.


class InvalidToken(VoiceOtpError, signing.BadSignature):
    """The token is forged, altered, for another purpose, or its verification is gone."""

    code = "invalid_token"
    default_detail = _("This proof of verification is not valid. Verify the number again.")


class TokenAlreadyUsed(InvalidToken):
    """``consume_token`` was already called for this verification: a replayed proof."""

    status_code = 409
    code = "token_used"
    default_detail = _("This proof of verification was already used. Verify the number again.")


class TokenExpired(InvalidToken, signing.SignatureExpired):
    """The token is older than ``max_age`` (``TOKEN_MAX_AGE`` by default)."""

    status_code = 410
    code = "token_expired"
    default_detail = _("This proof of verification has expired. Verify the number again.")
