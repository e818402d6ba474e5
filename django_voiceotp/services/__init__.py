"""The rules, and the public Python API: what a site or an integration calls.

Views translate HTTP to these functions and their refusals back to HTTP; the admin, the commands,
the background polling and the integrations with allauth, django-otp and django-two-factor-auth call
them too. Everything a site needs is named here; the modules of this package are internal.

Each function that acts for a client takes ``request`` (the client's address, honouring
``TRUSTED_PROXY_HEADER``, and its user are read from it) or ``client_ip`` (an address, or ``None``
when there is no client: the per-IP limits are then skipped; the per-number limits, the cooldown and
the spend guards always hold). Leaving both out is a ``TypeError``.

Refusals are :class:`~django_voiceotp.exceptions.VoiceOtpError` subclasses, each with the API's HTTP
status (``status_code``), machine code (``code``) and a translated ``detail``; the token refusals
(``InvalidToken``, ``TokenAlreadyUsed``, ``TokenExpired``) too, which also subclass Django's
``signing.BadSignature`` (``TokenExpired`` its ``SignatureExpired``) for code that catches those.
"""

from ..exceptions import (
    AlreadyFinished,
    AlreadyVerified,
    ChallengeRequired,
    Expired,
    InvalidCode,
    InvalidPhone,
    InvalidToken,
    Locked,
    NotFound,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    RecipientRefused,
    TokenAlreadyUsed,
    TokenExpired,
    VoiceOtpError,
)
from ..tokens import consume_token, read_token
from .calls import refresh_call
from .cancellation import cancel_challenge
from .challenges import resend_call, start_verification
from .numbers import normalize_phone
from .refresh import refresh_challenge
from .states import get_challenge
from .verification import Verification, check_code

read_challenge = refresh_challenge
"""The older name of :func:`refresh_challenge`, kept for sites that call it."""

__all__ = [
    "AlreadyFinished",
    "AlreadyVerified",
    "ChallengeRequired",
    "Expired",
    "InvalidCode",
    "InvalidPhone",
    "InvalidToken",
    "Locked",
    "NotFound",
    "ProviderRejected",
    "ProviderUnavailable",
    "RateLimited",
    "RecipientRefused",
    "TokenAlreadyUsed",
    "TokenExpired",
    "Verification",
    "VoiceOtpError",
    "cancel_challenge",
    "check_code",
    "consume_token",
    "get_challenge",
    "normalize_phone",
    "read_challenge",
    "read_token",
    "refresh_call",
    "refresh_challenge",
    "resend_call",
    "start_verification",
]
