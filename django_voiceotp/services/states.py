"""What a challenge's state lets happen next: the refusals a closed or expired challenge earns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import store
from ..exceptions import AlreadyVerified, Expired, Locked, NotFound
from ..models import ChallengeStatus, OtpChallenge
from .purposes import owned_by_an_integration

REPLACED = _(
    "This code was canceled: a newer code was sent to this number, or the verification was stopped. "
    "Use the latest code, or start again."
)
"""A canceled challenge's refusal: the same whether a newer challenge replaced it or a person (or an
integration's abandoned flow) canceled it, since the row does not say which."""


def get_challenge(challenge_id: Any, *, for_write: bool = False, integrations: bool = True) -> OtpChallenge:
    """The challenge, or ``NotFound`` (also for an id that is not a challenge id at all, and, unless
    ``integrations``, for a challenge an integration owns: see :mod:`.purposes`)."""
    return found_or_refused(
        store.read_challenge(challenge_id, for_write=for_write), integrations=integrations
    )


def found_or_refused(challenge: OtpChallenge | None, *, integrations: bool) -> OtpChallenge:
    if challenge is None or (not integrations and owned_by_an_integration(challenge.purpose)):
        raise NotFound()
    return challenge


def refuse_unless_resendable(challenge: OtpChallenge) -> None:
    if challenge.status not in (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED):
        refuse_if_closed(challenge)


def refuse_if_closed(challenge: OtpChallenge) -> None:
    status = challenge.status
    if status == ChallengeStatus.VERIFIED:
        raise AlreadyVerified()
    if status == ChallengeStatus.LOCKED:
        raise Locked()
    if status == ChallengeStatus.CANCELED:
        raise Expired(REPLACED)
    if status == ChallengeStatus.FAILED:
        raise Expired(_("No call could be placed for this code. Start a new verification."))


def expire_or_refuse(challenge: OtpChallenge, now: datetime) -> None:
    """Refuse a guess at a challenge that is closed, or past its time at ``now``; one past its time is
    marked expired on the way (unless a resend re-armed it since it was read)."""
    refuse_if_closed(challenge)
    if challenge.status == ChallengeStatus.EXPIRED or challenge.expires_at <= now:
        store.expire(challenge, now)
        if challenge.sends >= challenge.max_sends:
            raise Expired(_("The code has expired and no call is left for it. Start a new verification."))
        raise Expired()


def seconds_until(moment: datetime) -> int:
    return max(int((moment - timezone.now()).total_seconds()), 1)
