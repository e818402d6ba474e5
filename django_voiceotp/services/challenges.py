"""Starting a verification and calling again: the two ways a code is made and sent.

Every limit a request meets (:mod:`.budgets`) is applied before anything is written, and the
number's cooldown is held for the request as a block (:class:`django_voiceotp.ratelimits.Admission`)
that gives it back on any way out, unless the call may have reached the gateway: what each answer
does is one table (:data:`.outcomes.OUTCOMES`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .. import codes, guards, ratelimits, store
from ..conf import VoiceOtpSettings, get_settings
from ..exceptions import Expired, InvalidRequest, RateLimited, VoiceOtpError
from ..gateways import VoiceGateway, repeat_window
from ..models import OtpChallenge, VoiceCall
from ..phones import Phone
from ..policy import get_policy
from ..signals import test_number_used, verification_requested
from . import budgets, calls, states
from .caller import UNSET, Caller, Lane, Standing, caller
from .numbers import normalize_phone
from .outcomes import Outcome
from .purposes import owned_by_an_integration

logger = logging.getLogger("django_voiceotp")

NO_MORE_CALLS = _("No more calls for this code. Start a new verification.")
CALLED = "called"
"""``verification_requested``'s outcome when the call is placed, or may be."""
INTEGRATIONS_OWN_IT = _("This purpose belongs to one of the site's sign-in integrations: choose another.")


def start_verification(
    phone: str,
    *,
    purpose: str = "default",
    request: Any = None,
    client_ip: Any = UNSET,
    user: Any = None,
    account: Any = None,
    integrations: bool = True,
) -> OtpChallenge:
    """Start a challenge for ``phone`` and call it with a fresh code.

    Any older pending challenge of the same caller for the number and purpose is canceled: one live
    code per number, purpose and caller (a stranger's challenge never replaces the holder's). Pass
    ``request`` (the client's address, user and browser are read from it) or ``client_ip`` (``None``
    when there is no client, which skips only the per-IP limit). ``user`` is an account the person
    has proven (signed in, or a password or first factor your view checked): the challenge is kept
    with it and served in its lane. ``account`` is an account the challenge is for but the person has
    not proven yet (the number typed at a login): kept with the challenge for the admin, and served
    in the strangers' lane. Raises a ``VoiceOtpError`` when the number, a limit or the gateway
    refuses; the challenge, if one was created, is kept with what happened. Either way
    ``verification_requested`` is sent (``"called"`` or the refusal's machine code).
    """
    try:
        challenge = _start(phone, purpose, request, client_ip, user, account, integrations)
    except VoiceOtpError as refusal:
        verification_requested.send(sender=OtpChallenge, purpose=purpose, outcome=refusal.code)
        raise
    verification_requested.send(sender=OtpChallenge, purpose=purpose, outcome=CALLED)
    return challenge


def _start(
    phone: str, purpose: str, request: Any, client_ip: Any, user: Any, account: Any, integrations: bool
) -> OtpChallenge:
    who = caller(request, client_ip, user)
    values = get_settings()
    if not integrations and owned_by_an_integration(purpose):
        raise InvalidRequest(INTEGRATIONS_OWN_IT, errors={"purpose": [str(INTEGRATIONS_OWN_IT)]})
    number = normalize_phone(phone, values)
    get_policy().before_call(request, number.e164, purpose)
    standing = who.standing(number.e164)
    with budgets.for_a_request(who, standing, values) as admission:
        test_code = _test_code(number, values)
        if test_code is None and standing.lane is not Lane.HOLDER:
            guards.check_prefix(number, values)
        asked = _NewChallenge(
            number,
            purpose,
            who,
            standing,
            attempts=1 if budgets.one_guess_per_call(admission) else values.MAX_ATTEMPTS,
            gateways=calls.chain(number, values),
            test_code=test_code,
        )
        challenge, row, code = _open(asked, values)
        if account is not None and who.user is None:
            store.note_account(challenge, account)
        _settle(calls.place(challenge, row, number, code, values, asked.gateways), admission, values)
    return challenge


_start = sensitive_variables("code")(_start)


@dataclass(frozen=True)
class _NewChallenge:
    """What a new challenge is made of, decided before anything is written."""

    number: Phone
    purpose: str
    who: Caller
    standing: Standing
    attempts: int
    gateways: list[VoiceGateway]
    test_code: str | None = field(default=None, repr=False)
    """The code a test number always gets (``TEST_NUMBERS``), None for every other number."""


def _test_code(number: Phone, values: VoiceOtpSettings) -> str | None:
    """A test number's code; each use is told (a warning, and ``test_number_used``) where ``DEBUG`` is
    off, where only ``ALLOW_TEST_NUMBERS_IN_PRODUCTION`` lets one be set."""
    code = values.TEST_NUMBERS.get(number.e164)
    if code is not None:
        if not settings.DEBUG:
            logger.warning("a test number (%s) was used: it is never dialled", number.masked)
        test_number_used.send(sender=OtpChallenge, phone=number.e164)
    return code


_test_code = sensitive_variables("code")(_test_code)


def _open(asked: _NewChallenge, values: VoiceOtpSettings) -> tuple[OtpChallenge, VoiceCall, str]:
    """The new challenge and its first call, written with a code drawn at random; in the rare case
    that the number was sent that very code within the repeat window (the gateway would refuse it),
    with one drawn again avoiding every code sent in it. A test number gets its own code, and nothing
    is counted against the spend cap (nothing is dialled)."""
    now = timezone.now()
    code = asked.test_code or codes.generate_code(values.CODE_LENGTH)
    challenge = _new_challenge(asked, code, values, now)
    row = calls.call_row(challenge, asked.number, code, asked.gateways[0])
    since = None if asked.test_code else now - timedelta(seconds=repeat_window())
    opened = _write(challenge, row, values, unless_sent_since=since)
    if opened is store.Opened.CODE_SENT_RECENTLY:
        code = calls.fresh_code(asked.number, values, now)
        challenge = _new_challenge(asked, code, values, now)
        row = calls.call_row(challenge, asked.number, code, asked.gateways[0])
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
    daily_limit = None if challenge.is_test else values.DAILY_CALL_LIMIT
    try:
        return store.open_challenge(
            challenge, row, unless_sent_since=unless_sent_since, daily_limit=daily_limit
        )
    except store.SpendCapReached as spent:
        raise guards.spend_cap_refusal(spent) from None


def _new_challenge(asked: _NewChallenge, code: str, values: VoiceOtpSettings, now: datetime) -> OtpChallenge:
    salt = codes.new_salt()
    return OtpChallenge(
        phone=asked.number.e164,
        purpose=asked.purpose,
        owner=asked.standing.owner,
        is_test=asked.test_code is not None,
        code_hash=codes.hash_code(code, salt),
        code_salt=salt,
        max_attempts=asked.attempts,
        max_sends=values.MAX_SENDS,
        sends=1,
        created_at=now,
        expires_at=now + timedelta(seconds=values.CODE_TTL),
        resend_available_at=now + timedelta(seconds=values.RESEND_COOLDOWN),
        client_ip=asked.who.stored_ip,
        user=asked.who.user,
    )


_new_challenge = sensitive_variables("code")(_new_challenge)


def resend_call(
    challenge_id: Any, *, request: Any = None, client_ip: Any = UNSET, integrations: bool = True
) -> OtpChallenge:
    """Call again with a new code; the old code dies at once. An expired code may be resent. Without
    ``integrations`` (the REST API), a challenge an integration owns is ``NotFound``."""
    who = caller(request, client_ip)
    values = get_settings()
    try:
        challenge, number = _resendable(challenge_id, values, integrations=integrations)
    except VoiceOtpError:
        who.limit("resend_per_ip")  # a refused resend (an unknown id, say) counts against the caller
        raise
    # The site's policy is asked before the caller's resends are counted and before the prefix guard
    # (which may write a block): a refusal of the policy spends nothing.
    get_policy().before_call(request, number.e164, challenge.purpose)
    who.limit("resend_per_ip")
    standing = Standing.of_owner(challenge.owner, number.e164)
    if not challenge.is_test and standing.lane is not Lane.HOLDER:
        guards.check_prefix(number, values)
    with budgets.for_a_resend(standing, values) as admission:
        gateways = calls.chain(number, values)
        row, code = _rearm(
            challenge, number, values, gateways[0], one_guess=budgets.one_guess_per_call(admission)
        )
        _settle(calls.place(challenge, row, number, code, values, gateways), admission, values)
    return challenge


resend_call = sensitive_variables("code")(resend_call)


def _resendable(
    challenge_id: Any, values: VoiceOtpSettings, *, integrations: bool
) -> tuple[OtpChallenge, Phone]:
    """The challenge and its number when it may be called again; its refusal otherwise. Reads only."""
    challenge = states.get_challenge(challenge_id, for_write=True, integrations=integrations)
    states.refuse_unless_resendable(challenge)
    number = normalize_phone(challenge.phone, values)
    if challenge.sends >= challenge.max_sends:
        raise RateLimited(states.seconds_until(challenge.expires_at), NO_MORE_CALLS)
    return challenge, number


def _rearm(
    challenge: OtpChallenge,
    number: Phone,
    values: VoiceOtpSettings,
    gateway: VoiceGateway,
    *,
    one_guess: bool,
) -> tuple[VoiceCall, str]:
    """The challenge with a new code and a new call written, or the refusal of a challenge that can
    no longer be called (closed meanwhile, out of calls, or replaced by a newer one). With
    ``one_guess`` the new code may be typed once (its lane spent its failure budget)."""
    now = timezone.now()
    code = values.TEST_NUMBERS.get(number.e164) if challenge.is_test else None
    code = code or calls.fresh_code(number, values, now)
    salt = codes.new_salt()
    row = calls.call_row(challenge, number, code, gateway)
    try:
        resent = store.resend(
            challenge,
            row,
            daily_limit=None if challenge.is_test else values.DAILY_CALL_LIMIT,
            one_guess=one_guess,
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
