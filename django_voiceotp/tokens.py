"""Proof that a number was verified, for the site's next step (sign-up, login, number change).

A signed, timestamped token: the site's own views read it back with :func:`read_token` instead of
trusting a number the browser sends. It binds the number to the purpose it was verified for.
"""

from __future__ import annotations

from django.core import signing

SALT = "django_voiceotp.tokens"


class InvalidToken(signing.BadSignature):
    """The token is forged, altered, for another purpose, or too old (see ``SignatureExpired``)."""


def make_token(*, phone: str, purpose: str, challenge_id: str) -> str:
    return signing.dumps({"p": phone, "u": purpose, "c": challenge_id}, salt=SALT, compress=True)


def read_token(token: str, *, purpose: str, max_age: int | None = None) -> str:
    """The verified E.164 number in ``token``, or raise ``InvalidToken`` / ``signing.SignatureExpired``.

    ``max_age`` defaults to ``VOICEOTP['TOKEN_MAX_AGE']`` (600 s).
    """
    if max_age is None:
        from .conf import get_settings

        max_age = get_settings().TOKEN_MAX_AGE
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        raise InvalidToken("the token is not valid") from None
    if not isinstance(data, dict) or data.get("u") != purpose or not isinstance(data.get("p"), str):
        raise InvalidToken("the token was not issued for this purpose")
    return str(data["p"])
