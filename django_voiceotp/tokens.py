"""Proof that a number was verified, for the site's next step (sign-up, login, number change).

A signed, timestamped token: the site's own views read it back instead of trusting a number the
browser sends. It binds the number to the purpose it was verified for and to its challenge.

Two ways to read it, for two kinds of step:

- :func:`read_token` checks the signature, the purpose and the age. It is a *bearer* proof: whoever
  holds the token can present it again until ``max_age``. Fine for a step that is harmless to repeat.
- :func:`consume_token` also marks the challenge's proof as used, in one conditional ``UPDATE``, so
  that of any number of parallel uses exactly one succeeds. Use it wherever a replay would matter:
  creating an account, binding a number to one, logging in.

The token is signed, not encrypted: anyone who sees it can read the number (E.164), the purpose and
the challenge id inside. Send it back only to the person who verified the number, over HTTPS.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

from .exceptions import InvalidToken, TokenAlreadyUsed, TokenExpired

__all__ = ["InvalidToken", "TokenAlreadyUsed", "TokenExpired", "consume_token", "make_token", "read_token"]

SALT = "django_voiceotp.tokens"


def make_token(*, phone: str, purpose: str, challenge_id: str) -> str:
    return signing.dumps({"p": phone, "u": purpose, "c": challenge_id}, salt=SALT, compress=True)


def _load(token: str, *, purpose: str, max_age: int | None) -> dict[str, Any]:
    if max_age is None:
        from .conf import get_settings

        max_age = get_settings().TOKEN_MAX_AGE
    if not isinstance(token, str):
        raise InvalidToken()
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenExpired() from None
    except signing.BadSignature:
        raise InvalidToken() from None
    if (
        not isinstance(data, dict)
        or data.get("u") != purpose
        or not isinstance(data.get("p"), str)
        or not isinstance(data.get("c"), str)
    ):
        raise InvalidToken()  # signed by this site, for another purpose
    return data


def read_token(token: str, *, purpose: str, max_age: int | None = None) -> str:
    """The verified E.164 number in ``token``, or raise ``InvalidToken`` (``TokenExpired`` past its age).

    A bearer proof that can be presented again until ``max_age`` (default
    ``VOICEOTP['TOKEN_MAX_AGE']``); see :func:`consume_token` for one that cannot.
    """
    return str(_load(token, purpose=purpose, max_age=max_age)["p"])


def consume_token(token: str, *, purpose: str, max_age: int | None = None) -> str:
    """Like :func:`read_token`, and the proof is spent: a second call raises ``TokenAlreadyUsed``.

    The challenge is marked in one conditional ``UPDATE`` (verified, same number and purpose, never
    consumed), so parallel uses of one token give exactly one success. Raises ``InvalidToken`` when
    the challenge is gone (purged) too.
    """
    from django.utils import timezone

    from .models import ChallengeStatus, OtpChallenge

    data = _load(token, purpose=purpose, max_age=max_age)
    spent = OtpChallenge.objects.filter(
        pk=data["c"],
        phone=data["p"],
        purpose=purpose,
        status=ChallengeStatus.VERIFIED,
        token_used_at__isnull=True,
    ).update(token_used_at=timezone.now())
    if spent:
        return str(data["p"])
    if OtpChallenge.objects.filter(pk=data["c"], token_used_at__isnull=False).exists():
        raise TokenAlreadyUsed()
    raise InvalidToken()  # the challenge is not verified, or was purged
