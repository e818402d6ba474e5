"""Starting a verification and calling again: the two ways a code is made and sent.

Every limit a request meets is applied before anything is written, and the number's resend cooldown
is held for the request as a block (:func:`django_voiceotp.ratelimits.admitted`) that gives it back
on any way out, unless the call may have reached the gateway: what each answer does is one table
(:data:`.outcomes.OUTCOMES`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import codes, guards, ratelimits, store
from ..conf import VoiceOtpSettings, get_settings
from ..exceptions import Expired, RateLimited
from ..gateways import repeat_window
from ..models import OtpChallenge, VoiceCall
from ..phones import Phone
from . import calls, states
from .caller import UNSET, Caller, caller
from .numbers import normalize_phone
from .outcomes import Outcome

NO_MORE_CALLS = _("No more calls for this code. Start a new verification.")


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
    steps = [
        *who.steps("request_per_ip"),
        ratelimits.Step("request_per_phone", number.e164),
        ratelimits.Step("verify_failures_per_phone", number.e164, count=False),
    ]
    with ratelimits.admitted(steps, cooldown=(number.e164, values.RESEND_COOLDOWN)) as admission:
        guards.check_prefix(number, values)
        challenge, row, code = _open(number, purpose, values, who)
        _settle(calls.place(challenge, row, number, code, values), admission, values)
    return challenge


start_verification = sensitive_variables("code")(start_verification)


def _open(
    number: Phone, purpose: str, values: VoiceOtpSettings, who: Caller
) -> tuple[OtpChallenge, VoiceCall, str]:
    """The new challenge and its first call, written with a code drawn at random; in the rare case
    that the number was sent that very code within the repeat window (the gateway would refuse it),
    with one drawn again avoiding every code sent in it."""
    now = timezone.now()
    code = codes.generate_code(values.CODE_LENGTH)
    challenge = _new_challenge(number, purpose, code, values, who, now)
    row = calls.call_row(challenge, number, code)
    opened = _write(challenge, row, values, unless_sent_since=now - timedelta(seconds=repeat_window()))
    if opened is store.Opened.CODE_SENT_RECENTLY:
        code = calls.fresh_code(number, values, now)
        challenge = _new_challenge(number, purpose, code, values, who, now)
        row = calls.call_row(challenge, number, code)
        opened = _write(challenge, row, values, unless_sent_since=None)
    if opened is store.Opened.ANOTHER_IS_LIVE:
        # Another request for this number and purpose won the race the cooldown should have stopped
        # (a cache that is not shared across processes): the database's one live code still holds.
        raise RateLimited(values.RESEND_COOLDOWN)
    return challenge, row, code


_open = sensitive_variables("code")(_open)


def _write(
    challenge: OtpChallenge, row: VoiceCall, values: VoiceOtpSettings, *, unless_sent_since: datetime | None
) -> store.Opened:
    try:
        return store.open_challenge(
            challenge, row, unless_sent_since=unless_sent_since, daily_limit=values.DAILY_CALL_LIMIT
        )
    except store.SpendCapReached as spent:
        raise guards.spend_cap_refusal(spent) from None


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


_new_challenge = sensitive_variables("code")(_new_challenge)


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
    with ratelimits.cooldown(number.e164, values.RESEND_COOLDOWN) as admission:
        row, code = _rearm(challenge, number, values)
        _settle(calls.place(challenge, row, number, code, values), admission, values)
    return challenge


resend_call = sensitive_variables("code")(resend_call)


def _rearm(challenge: OtpChallenge, number: Phone, values: VoiceOtpSettings) -> tuple[VoiceCall, str]:
    """The challenge with a new code and a new call written, or the refusal of a challenge that can
    no longer be called (closed meanwhile, out of calls, or replaced by a newer one)."""
    now = timezone.now()
    code = calls.fresh_code(number, values, now)
    salt = codes.new_salt()
    row = calls.call_row(challenge, number, code)
    try:
        resent = store.resend(
            challenge,
            row,
            daily_limit=values.DAILY_CALL_LIMIT,
            code_hash=codes.hash_code(code, salt),
            code_salt=salt,
            expires_at=now + timedelta(seconds=values.CODE_TTL),
            resend_available_at=now + timedelta(seconds=values.RESEND_COOLDOWN),
        )
    except store.SpendCapReached as spent:
        raise guards.spend_cap_refusal(spent) from None
    if resent is store.Resent.ANOTHER_IS_LIVE:
        raise Expired(states.REPLACED)  # an expired code cannot come back once a newer one is live
    if resent is store.Resent.NOT_RESENDABLE:
        states.refuse_unless_resendable(challenge)
        raise RateLimited(states.seconds_until(challenge.expires_at), NO_MORE_CALLS)
    return row, code


_rearm = sensitive_variables("code", "salt")(_rearm)


def _settle(outcome: Outcome, admission: ratelimits.Admission, values: VoiceOtpSettings) -> None:
    """Keep the cooldown when the call may come, and answer the person as the outcome says."""
    if outcome.keeps_cooldown:
        admission.keep()
    refusal = outcome.refuse(values)
    if refusal is not None:
        raise refusal
