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

if TYPE_CHECKING:
    from .models import OtpChallenge


class Policy:
    """The default: every call the rules allow is placed, and a verify does nothing more."""

    def before_call(self, request: Any, number: str, purpose: str) -> None:
        """Called before a call to ``number`` (E.164) is placed for ``purpose``: a new challenge or a
        resend. ``request`` is the request the rules were given, or None (a Python caller with only
        ``client_ip``). Raise a ``VoiceOtpError`` to refuse the call."""

    def after_verify(self, challenge: OtpChallenge) -> None:
        """Called after ``challenge`` was verified, before its token is handed out (a failure here is
        the site's own error: the code is spent all the same)."""


@functools.lru_cache(maxsize=4)
def _policy_of(path: str) -> Policy:
    found = import_string(path)
    policy = found() if isinstance(found, type) else found
    if not isinstance(policy, Policy):
        raise TypeError(f"VOICEOTP['POLICY'] ({path}) is not a django_voiceotp.policy.Policy subclass")
    return policy


def get_policy() -> Policy:
    """The site's policy (one instance per class: keep per-request state off it)."""
    from .conf import get_settings

    return _policy_of(get_settings().POLICY)
