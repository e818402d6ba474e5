"""Checking a code: each guess judged exactly once, however many arrive at the same moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import codes, holders, ratelimits, store
from ..exceptions import Expired, InvalidCode, Locked, NotFound, RateLimited, VoiceOtpError
from ..models import ChallengeStatus, OtpChallenge
from ..policy import get_policy
from ..signals import code_checked, phone_verified
from ..tokens import make_token
from . import budgets, states
from .caller import UNSET, Standing, caller

VERIFIED = "verified"
"""``code_checked``'s result for a right code."""
ONE_GUESS_PER_CALL = _(
    "Too many wrong codes for this number today: ask for a new call, and type its code once."
)


@dataclass(frozen=True)
class Verification:
    """A right code: the challenge, now verified, and the signed proof for the site's next step."""

    challenge: OtpChallenge
    token: str


def check_code(
    challenge_id: Any, code: str, *, request: Any = None, client_ip: Any = UNSET, integrations: bool = True
) -> Verification:
    """Check ``code`` against the challenge; a right code verifies it exactly once.

    Every guess is judged by one compare-and-set ``UPDATE``: it changes the row only if the row is
    still exactly as read (pending, same code, same attempt count, not expired), and writes values
    worked out here from that read (``attempts + 1`` and, on the last attempt, ``locked``). Of any
    number of parallel guesses, then, each judged one moves the count by exactly one, at most
    ``max_attempts`` are judged, and one right guess verifies; a guess that finds the row changed
    reads it again and is judged against what it became. When the update matches, the row's new
    state is known without reading it back: two statements, right or wrong. Without ``integrations``
    (the REST API), a challenge an integration owns is ``NotFound``.

    The lane's failure budget (``verify_failures_per_phone``, :mod:`.budgets`) is spent *before* the
    guess is judged, and given back unless the guess is judged wrong: parallel guesses spread over the
    number's challenges cannot all pass a check made before any of them counted. Past the budget the
    lane is slowed: a call leaves its challenge one attempt, and a guess at a challenge with more left
    is not judged (``Expired``), so each call buys one guess. Either way ``code_checked`` is sent
    (``"verified"`` or the refusal's machine code).
    """
    try:
        verification = _check(challenge_id, code, request, client_ip, integrations)
    except VoiceOtpError as refusal:
        code_checked.send(sender=OtpChallenge, result=refusal.code)
        raise
    code_checked.send(sender=OtpChallenge, result=VERIFIED)
    return verification


check_code = sensitive_variables("code")(check_code)


def _check(challenge_id: Any, code: str, request: Any, client_ip: Any, integrations: bool) -> Verification:
    who = caller(request, client_ip)
    try:
        challenge = states.found_or_refused(
            store.read_challenge(challenge_id, for_write=True), integrations=integrations
        )
    except NotFound:
        who.limit("verify_per_ip")  # an unknown id counts against the caller too
        raise
    standing = Standing.of_owner(challenge.owner, challenge.phone)
    reservation = budgets.for_a_guess(who, standing)
    judged_wrong = False
    try:
        # Each lost race means another request moved the row on: an attempt spent, a new code (a
        # resend, or its one retry after the gateway's repeat refusal: at most two per send) or a
        # final status. So the loop ends; the bound only guards against the impossible.
        for _round in range(challenge.max_attempts + 2 * challenge.max_sends + 2):
            now = timezone.now()
            states.expire_or_refuse(challenge, now)
            if challenge.attempts >= challenge.max_attempts:
                raise Locked()
            if budgets.slowed(reservation) and challenge.max_attempts - challenge.attempts != 1:
                # Past the lane's budget, a code is checked only once per call: this challenge's
                # call came before, and a new call (a resend) leaves it one attempt.
                raise Expired(ONE_GUESS_PER_CALL)
            if codes.code_matches(code, challenge.code_salt, challenge.code_hash):
                if store.judge(challenge, now, status=ChallengeStatus.VERIFIED, verified_at=now):
                    holders.note_verified(request, challenge.phone)
                    budgets.after_a_verify(standing)
                    return _verified(challenge, now)
            else:
                attempts = challenge.attempts + 1
                # The guess that uses the last attempt locks the challenge in the same statement, so
                # there is no moment at which the attempts are spent and the challenge is still open.
                last = attempts >= challenge.max_attempts
                status = ChallengeStatus.LOCKED if last else ChallengeStatus.PENDING
                if store.judge(challenge, now, status=status, attempts=attempts):
                    judged_wrong = True
                    challenge.attempts, challenge.status = attempts, status
                    if last:
                        raise Locked()
                    raise InvalidCode(attempts_left=challenge.attempts_left)
            challenge = _read_again(challenge)
        states.expire_or_refuse(challenge, timezone.now())
        raise RateLimited(1)  # not judged: ask again
    finally:
        if not judged_wrong:
            ratelimits.release(reservation)


_check = sensitive_variables("code")(_check)


def _read_again(challenge: OtpChallenge) -> OtpChallenge:
    """The challenge as another request left it (it is never deleted while a guess is judged)."""
    found = store.read_challenge(challenge.pk, for_write=True)
    if found is None:
        raise NotFound()
    return found


def _verified(challenge: OtpChallenge, now: datetime) -> Verification:
    """The update matched the row as read, so this is its new state: no second read."""
    challenge.status, challenge.verified_at = ChallengeStatus.VERIFIED, now
    phone_verified.send(
        sender=OtpChallenge, challenge=challenge, phone=challenge.phone, purpose=challenge.purpose
    )
    get_policy().after_verify(challenge)
    token = make_token(phone=challenge.phone, purpose=challenge.purpose, challenge_id=str(challenge.pk))
    return Verification(challenge, token)


_verified = sensitive_variables("token")(_verified)
