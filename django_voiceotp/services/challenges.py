"""Starting a verification and calling again: the two ways a code is made and sent.

Counters move by conditional ``UPDATE ... WHERE`` statements, never read-modify-write, so they hold
under any number of parallel requests and processes; refusals are *returned* as state before they
are raised, so that the API answers them without rolling anything back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import codes, guards, ratelimits
from ..conf import VoiceOtpSettings, get_settings
from ..exceptions import Expired, RateLimited
from ..gateways import get_gateway, repeat_window
from ..models import ChallengeStatus, OtpChallenge
from ..phones import Phone
from . import calls, states
from .caller import UNSET, Caller, caller
from .numbers import normalize_phone

NO_MORE_CALLS = _("No more calls for this code. Start a new verification.")


@sensitive_variables("code")
def start_verification(
    phone: str,
    *,
    purpose: str = "default",
    request: Any = None,
    client_ip: Any = UNSET,
    user: Any = None,
) -> OtpChallenge:
    """Start a challenge for ``phone`` and call it with a fresh code.

    Any older pending challenge for the same number and purpose is canceled: one live code per number
    and purpose. Pass ``request`` (the client's address and user are read from it) or ``client_ip``
    (``None`` when there is no client, which skips only the per-IP limit). Raises a
    ``VoiceOtpError`` when the number, a limit or the gateway refuses; the challenge, if one was
    created, is kept with what happened.
    """
    who = caller(request, client_ip, user)
    values = get_settings()
    number = normalize_phone(phone, values)
    # Every limit, in one round trip where the cache allows: the caller's, the number's, the number's
    # failures (checked, not counted), then the number's cooldown, claimed only when all pass.
    ratelimits.admit(
        [
            *who.steps("request_per_ip"),
            ratelimits.Step("request_per_phone", number.e164),
            ratelimits.Step("verify_failures_per_phone", number.e164, count=False),
        ],
        cooldown=(number.e164, values.RESEND_COOLDOWN),
    )
    try:
        guards.check_prefix(number, values)
    except RateLimited:
        ratelimits.release_cooldown(number.e164)
        raise

    now = timezone.now()
    code = codes.generate_code(values.CODE_LENGTH)
    checked_since = (now - timedelta(seconds=repeat_window()), None)
    try:
        for unless_sent_since in checked_since:
            challenge = _new_challenge(number, purpose, code, values, who, now)
            row = calls.call_row(challenge, number, code, get_gateway())
            # The older challenge canceled, the new one and its call inserted: all or nothing.
            with guards.spend_slot(values, one_statement=OtpChallenge.objects.opens_in_one_statement()):
                opened = OtpChallenge.objects.open(
                    challenge, row, canceled=ChallengeStatus.CANCELED, unless_sent_since=unless_sent_since
                )
            if opened:
                break
            # Seldom: the code drawn was sent to this number within the gateway's repeat window, and
            # nothing was written. Draw again avoiding every code sent in it (one read), and write.
            code = calls.fresh_code(number, values, now)
        else:
            raise RuntimeError("the challenge was not written")  # the second write checks nothing
    except IntegrityError:
        # Another request for this number and purpose won the race the cooldown should have stopped
        # (a cache that is not shared across processes): the database constraint still holds.
        raise RateLimited(values.RESEND_COOLDOWN) from None
    except RateLimited:
        ratelimits.release_cooldown(number.e164)
        raise
    calls.call(challenge, number, code, values, row)
    return challenge


@sensitive_variables("code")
def _new_challenge(
    number: Phone, purpose: str, code: str, values: VoiceOtpSettings, who: Caller, now: datetime
) -> OtpChallenge:
    salt = codes.new_salt()
    return OtpChallenge(
        phone=number.e164,
        purpose=purpose,
        code_hash=codes.hash_code(code, salt),
        code_salt=salt,
        max_attempts=values.MAX_ATTEMPTS,
        max_sends=values.MAX_SENDS,
        sends=1,
        created_at=now,
        expires_at=now + timedelta(seconds=values.CODE_TTL),
        resend_available_at=now + timedelta(seconds=values.RESEND_COOLDOWN),
        client_ip=who.stored_ip,
        user=who.user,
    )


@sensitive_variables("code")
def resend_call(challenge_id: Any, *, request: Any = None, client_ip: Any = UNSET) -> OtpChallenge:
    """Call again with a new code; the old code dies at once. An expired code may be resent."""
    who = caller(request, client_ip)
    values = get_settings()
    who.limit("resend_per_ip")
    challenge = states.get_challenge(challenge_id, for_write=True)
    states.refuse_unless_resendable(challenge)
    number = normalize_phone(challenge.phone, values)
    if challenge.sends >= challenge.max_sends:
        raise RateLimited(states.seconds_until(challenge.expires_at), NO_MORE_CALLS)
    guards.check_prefix(number, values)
    ratelimits.claim_cooldown(number.e164, values.RESEND_COOLDOWN)

    now = timezone.now()
    code = calls.fresh_code(number, values, now)
    salt = codes.new_salt()
    resendable = (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED)
    row = None
    try:
        with guards.spend_slot(values):
            taken = OtpChallenge.objects.filter(
                pk=challenge.pk, status__in=resendable, sends__lt=F("max_sends")
            ).update(
                status=ChallengeStatus.PENDING,
                sends=F("sends") + 1,
                code_hash=codes.hash_code(code, salt),
                code_salt=salt,
                expires_at=now + timedelta(seconds=values.CODE_TTL),
                resend_available_at=now + timedelta(seconds=values.RESEND_COOLDOWN),
            )
            if taken:
                row = calls.new_call(challenge, number, code, get_gateway())
    except IntegrityError:
        # An expired code cannot come back to life once a newer one is live for this number.
        ratelimits.release_cooldown(number.e164)
        raise Expired(states.REPLACED) from None
    except RateLimited:
        ratelimits.release_cooldown(number.e164)
        raise
    if row is None:
        ratelimits.release_cooldown(number.e164)
        challenge.refresh_from_db()
        states.refuse_unless_resendable(challenge)
        raise RateLimited(states.seconds_until(challenge.expires_at), NO_MORE_CALLS)
    challenge.refresh_from_db()
    calls.call(challenge, number, code, values, row)
    return challenge
