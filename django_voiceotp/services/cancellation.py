"""Canceling a challenge: the person abandoned it, so its code dies at once.

A cancel changes the challenge's status and nothing else. The number's cooldown, its limits and the
spend cap keep what the challenge's calls spent (a cancel followed by a new request is refused or
counted exactly as a second request would be), and a call still in flight stays recorded: its row
keeps the gateway's status, and polling still settles it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .. import store
from ..exceptions import AlreadyFinished, NotFound
from ..models import ChallengeStatus, OtpChallenge
from ..signals import challenge_canceled
from . import states
from .caller import UNSET, caller


def cancel_challenge(
    challenge_id: Any, *, request: Any = None, client_ip: Any = UNSET, integrations: bool = True
) -> OtpChallenge:
    """Cancel the pending challenge; ``AlreadyFinished`` (with its ``status``) when it is verified,
    failed, expired, locked or canceled already, ``NotFound`` when there is none.

    A challenge is found as a guess finds it: by its id, whoever asks (the id is the client's
    capability), and, without ``integrations`` (the REST API), a challenge an integration owns is
    ``NotFound``; an unknown id counts against the caller's ``verify_per_ip``, as at a guess. The
    cancel is one conditional ``UPDATE`` (pending and not past its time), so a cancel racing a right
    code leaves exactly one of them done: the other answers as for a finished challenge.
    """
    who = caller(request, client_ip)
    try:
        challenge = states.get_challenge(challenge_id, for_write=True, integrations=integrations)
    except NotFound:
        who.limit("verify_per_ip")  # an unknown id costs the caller as it does at verify
        raise
    now = timezone.now()
    if not store.cancel(challenge, now):
        raise AlreadyFinished(_finished_status(challenge, now))
    challenge.status = ChallengeStatus.CANCELED
    challenge_canceled.send(
        sender=OtpChallenge, challenge=challenge, phone=challenge.phone, purpose=challenge.purpose
    )
    return challenge


def _finished_status(challenge: OtpChallenge, now: Any) -> str:
    """What the challenge became, as a read shows it (one past its time is marked expired on the way)."""
    found = store.read_challenge(challenge.pk, for_write=True)
    if found is None:
        raise NotFound()
    if found.status == ChallengeStatus.PENDING and found.expires_at <= now:
        store.expire(found, now)
    return found.effective_status(now)
