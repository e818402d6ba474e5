"""The site's say before a paid call and after a verify: one small class a site overrides.

As allauth's adapter does for its flows, :class:`Policy` is the extension point: subclass it,
override what the site needs, and name the subclass in ``VOICEOTP["POLICY"]``. The rules call it
before their own limits and before anything is written or dialled, so a refusal here spends
nothing of the number's limits, and after a right code. The default does nothing.

A refusal is a :class:`~django_voiceotp.exceptions.VoiceOtpError`: raise
:class:`~django_voiceotp.exceptions.ChallengeRequired` to ask the client for a captcha (or any other
proof) with the fields it needs, or any other refusal with its own status and machine code.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from . import addresses

if TYPE_CHECKING:
    from .models import OtpChallenge


class Policy:
    """The default: every call the rules allow is placed, and a verify does nothing more."""

    def before_call(self, request: Any, number: str, purpose: str) -> None:
        """Called before a call to ``number`` (E.164) is placed for ``purpose``: a new challenge or a
        resend, once the number is one the rules would call and before any limit is counted or
        anything written or dialled. Raise a ``VoiceOtpError`` to refuse the call.

        ``request`` is the one the rules were given: DRF's ``Request`` from the REST API (its parsed
        JSON body is ``request.data``), Django's ``HttpRequest`` from the allauth and two-factor pages
        and a site's own views (``request.POST``), or None where there is none (a job, a django-otp
        device without its ``request``, a Python caller with only ``client_ip``). Both kinds have
        ``META``, ``user`` and ``session``; :meth:`address_of` is the client's address as the per-IP
        limits count it. Anything else raised here propagates as it is:
        no call is placed and the caller sees the site's error (a 500 in the REST API)."""

    def address_of(self, request: Any) -> str | None:
        """What the per-IP limits count ``request``'s client under (``TRUSTED_PROXY_HEADER`` honoured;
        an IPv6 client per /64, as one subscriber usually holds a /64), or None without a request."""
        if request is None:
            return None
        found = addresses.from_request(request)
        return addresses.bucket(found) if found is not None else addresses.UNREADABLE

    def after_verify(self, challenge: OtpChallenge) -> None:
        """Called once, by the one request whose right code verified ``challenge``, before its token is
        handed out; never for a wrong code. Anything raised here reaches that request's caller (a
        ``VoiceOtpError`` as its refusal), and the code is spent all the same: the token is lost, and
        the person verifies again."""


@functools.lru_cache(maxsize=4)
def _policy_of(path: str) -> Policy:
    found = import_string(path)
    policy = found() if isinstance(found, type) else found
    if not isinstance(policy, Policy):
        raise TypeError(f"VOICEOTP['POLICY'] ({path}) is not a django_voiceotp.policy.Policy subclass")
    return policy


def problem_with(path: str) -> str | None:
    """Why ``path`` cannot be the site's policy (the system check ``voiceotp.E008`` says it at start),
    or None: it imports and is a :class:`Policy` subclass, or instance, that builds without
    arguments."""
    try:
        _policy_of(path)
    except Exception as exc:  # whatever stops it, the check reports it
        return f"{type(exc).__name__}: {exc}"
    return None


def get_policy() -> Policy:
    """The site's policy (one instance per class: keep per-request state off it)."""
    from .conf import get_settings

    return _policy_of(get_settings().POLICY)
