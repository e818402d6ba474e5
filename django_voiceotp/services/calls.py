"""Calls: placing one and recording whatever the gateway said, and asking how one went.

Placing a call follows :data:`.outcomes.OUTCOMES`: the gateway's answer (or its silence) becomes one
row of that table, which says what the call's row, its challenge, the number's cooldown and the person
get. The gateway is never asked inside a database transaction: a slow gateway must not hold row locks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import codes, guards, health, store
from ..conf import VoiceOtpSettings
from ..gateways import (
    TEST_GATEWAY,
    CallOutcome,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayRequestError,
    GatewayUnavailable,
    Kind,
    Operation,
    VoiceGateway,
    gateway_named,
    get_gateways,
    repeat_window,
)
from ..gateways import heard as told
from ..models import OPEN_CALL_STATUSES, CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from ..phones import Phone
from ..signals import call_placed, call_status_changed
from .outcomes import OUTCOMES, Answer, Health, Outcome

logger = logging.getLogger("django_voiceotp")

SETTLED = {CallOutcome.ANSWERED: CallStatus.ANSWERED, CallOutcome.FAILED: CallStatus.UNANSWERED}
"""The call statuses a check settles a call in; any other outcome leaves it open."""
REQUEST_ID_LENGTH = VoiceCall._meta.get_field("request_id").max_length or 100
ANSWERS_OF_KINDS = {
    Kind.TAKEN: Answer.TAKEN,
    Kind.PENDING: Answer.PENDING,
    Kind.REPEAT: Answer.REPEAT,
    Kind.RECIPIENT_REFUSED: Answer.RECIPIENT_REFUSED,
    Kind.BAD_NUMBER: Answer.BAD_NUMBER,
    Kind.ACCOUNT: Answer.ACCOUNT,
    Kind.MONEY: Answer.MONEY,
    Kind.GATEWAY_FAULT: Answer.GATEWAY_FAULT,
}
"""The table's row for each kind of answer a gateway gives to "place this call"."""


def fresh_code(number: Phone, values: VoiceOtpSettings, now: datetime) -> str:
    """A code this number was not sent within the repeat window (the gateway would refuse it)."""
    recent = store.codes_sent_since(number.e164, now - timedelta(seconds=repeat_window()))
    return codes.generate_code(values.CODE_LENGTH, avoid=recent, phone=number.e164)


fresh_code = sensitive_variables("code")(fresh_code)


def chain(number: Phone, values: VoiceOtpSettings) -> list[VoiceGateway]:
    """The gateways a call to ``number`` goes to, in turn: a test number's own, else the site's, the
    healthy first (:func:`django_voiceotp.health.in_order`)."""
    if number.e164 in values.TEST_NUMBERS:
        return [TEST_GATEWAY]
    return health.in_order(get_gateways())


def call_row(challenge: OtpChallenge, number: Phone, code: str, gateway: VoiceGateway) -> VoiceCall:
    """A new call's row, not written yet: the gateway that will place it, and the digest of its code."""
    return VoiceCall(
        challenge=challenge,
        phone=number.e164,
        gateway=gateway.label,
        sent_digest=codes.sent_digest(number.e164, code),
        is_test=challenge.is_test,
    )


call_row = sensitive_variables("code")(call_row)


def place(
    challenge: OtpChallenge,
    row: VoiceCall,
    number: Phone,
    code: str,
    values: VoiceOtpSettings,
    gateways: Sequence[VoiceGateway],
) -> Outcome:
    """Place the call whose row is written (for ``gateways[0]``), and record what came of it; the
    table's row for it.

    The call goes to the next gateway only when the one before certainly did not place it (the
    table's ``fails_over``), each on a row of its own and all within one deadline, the configured
    timeouts together: a slow refusal and its fallback never outlast a worker's timeout. A challenge
    canceled meanwhile (the person left) gets no further call: the outcome so far is the answer.
    """
    deadline = time.monotonic() + sum(values.TIMEOUT)
    outcome: Outcome | None = None
    for index, gateway in enumerate(gateways):
        last = index == len(gateways) - 1 or time.monotonic() >= deadline
        if index:
            if outcome is not None and not store.still_pending(challenge):
                return outcome
            row = call_row(challenge, number, code, gateway)
            _add(challenge, row, values)
        left = max(deadline - time.monotonic(), 0.1)
        outcome = _ask_once_more_on_a_repeat(gateway.within(left), challenge, row, number, code, values, last)
        if last or not outcome.fails_over:
            return outcome
        logger.warning("gateway %s did not place the call: the next one is asked", gateway.label)
    raise AssertionError("a chain of gateways is never empty")


place = sensitive_variables("code")(place)


def _ask_once_more_on_a_repeat(
    gateway: VoiceGateway,
    challenge: OtpChallenge,
    row: VoiceCall,
    number: Phone,
    code: str,
    values: VoiceOtpSettings,
    last: bool,
) -> Outcome:
    """Ask one gateway; on its repeat refusal ask it once more at once, with a new code (the old one
    dies): the app never repeats a code within the repeat window, so a second refusal means the
    gateway's window is longer than ours, and the person is asked to wait."""
    outcome = _ask(gateway, challenge, row, number, code, last)
    if not outcome.retried:
        return outcome
    code = fresh_code(number, values, timezone.now())
    salt = codes.new_salt()
    store.replace_code(challenge, code_hash=codes.hash_code(code, salt), code_salt=salt)
    row = call_row(challenge, number, code, gateway)
    _add(challenge, row, values)
    outcome = _ask(gateway, challenge, row, number, code, last)
    if not outcome.retried:
        return outcome
    store.fail(challenge, "the gateway refused the same content twice (repeat)", call_status=row.status)
    return OUTCOMES[Answer.REPEATED]


_ask_once_more_on_a_repeat = sensitive_variables("code", "salt")(_ask_once_more_on_a_repeat)


def _add(challenge: OtpChallenge, row: VoiceCall, values: VoiceOtpSettings) -> None:
    """Write a further call of the challenge (the next gateway's, or a repeat's new code), counted
    against the spend cap: the calls of other requests may have spent it since the first was written,
    and then the challenge fails with the cap's refusal."""
    try:
        store.add_call(row, daily_limit=None if challenge.is_test else values.DAILY_CALL_LIMIT)
    except store.SpendCapReached as spent:
        store.fail(challenge, "the daily call limit was reached before the call could be asked again")
        raise guards.spend_cap_refusal(spent) from None


@dataclass(frozen=True)
class _Heard:
    """What the gateway said to one request to place a call, or why it said nothing."""

    answer: Answer
    code: str = ""
    request_id: str | None = None
    raw: str = ""
    elapsed_ms: int | None = None
    error: str = ""

    @property
    def failure(self) -> str:
        """Why no call was placed, for the challenge's row: fixed words, never the request."""
        return self.error or f"gateway {self.code}"


def _hear(gateway: VoiceGateway, number: Phone, code: str) -> _Heard:
    try:
        result = gateway.place_call(number.e164, code)
    except GatewayRequestError as exc:
        answer = Answer.NUMBER_NOT_SENT if exc.field == "phone" else Answer.NOT_SENT
        return _Heard(answer, error=exc.message)
    except GatewayUnavailable as exc:
        told.failed(gateway, Operation.SEND, exc)
        answer = Answer.NO_ANSWER if exc.may_have_reached else Answer.UNREACHABLE
        return _Heard(answer, raw=exc.raw, elapsed_ms=exc.elapsed_ms, error=exc.message)
    except GatewayProtocolError as exc:
        told.failed(gateway, Operation.SEND, exc)
        return _Heard(Answer.UNREADABLE, raw=exc.raw, elapsed_ms=exc.elapsed_ms, error=exc.message)
    told.answered(gateway, Operation.SEND, result.code, result.elapsed_ms)
    answer = ANSWERS_OF_KINDS.get(result.kind, Answer.GATEWAY_FAULT)
    heard = _Heard(answer, result.code, None, result.raw, result.elapsed_ms)
    if result.request_id is not None and len(result.request_id) > REQUEST_ID_LENGTH:
        error = f"the gateway gave a request_id over {REQUEST_ID_LENGTH} characters"
        return _Heard(Answer.REQUEST_ID_TOO_LONG, result.code, None, result.raw, result.elapsed_ms, error)
    if heard.answer in (Answer.TAKEN, Answer.PENDING):
        return _Heard(heard.answer, result.code, result.request_id, result.raw, result.elapsed_ms)
    return heard


_hear = sensitive_variables("code")(_hear)


def _ask(
    gateway: VoiceGateway, challenge: OtpChallenge, row: VoiceCall, number: Phone, code: str, last: bool
) -> Outcome:
    """Ask the gateway once and record its answer on the call's row, and on its challenge unless the
    next gateway is to be asked (``last`` says there is none); what it says of the gateway is told to
    :mod:`django_voiceotp.health`."""
    heard = _hear(gateway, number, code)
    outcome = OUTCOMES[heard.answer]
    _tell_health(gateway, outcome)
    failure = None if outcome.fails_over and not last else _failure(heard, outcome)
    if not store.record_send(challenge, row, _answer(heard, outcome), failure=failure):
        logger.warning("the gateway answered a request_id it had already given (call %s)", row.pk)
        error = "the gateway gave a request_id it had already given another call"
        heard = _Heard(Answer.REQUEST_ID_REUSED, heard.code, None, heard.raw, heard.elapsed_ms, error)
        outcome = OUTCOMES[heard.answer]
        store.record_send(challenge, row, _answer(heard, outcome), failure=_failure(heard, outcome))
    if outcome.placed:
        _announce(row)
    elif outcome.refusal is not None:
        logger.warning("no call was placed: %s (%s)", heard.code or heard.error, heard.answer.value)
    return outcome


_ask = sensitive_variables("code")(_ask)


def _tell_health(gateway: VoiceGateway, outcome: Outcome) -> None:
    if gateway is TEST_GATEWAY or outcome.health is Health.UNTOUCHED:
        return
    if outcome.health is Health.WORKED:
        health.worked(gateway.label)
    else:
        health.failed(gateway.label, certain=outcome.health is Health.DOWN)


def _answer(heard: _Heard, outcome: Outcome) -> dict[str, object]:
    """The call row's fields for what was heard."""
    return {
        "status": outcome.call_status,
        "send_code": heard.code,
        "request_id": heard.request_id,
        "send_error": heard.error,
        "send_raw": heard.raw,
        "send_ms": heard.elapsed_ms,
        "completed_at": timezone.now() if outcome.call_status == CallStatus.REJECTED else None,
    }


def _failure(heard: _Heard, outcome: Outcome) -> str | None:
    return heard.failure if outcome.challenge_status == ChallengeStatus.FAILED else None


def _announce(row: VoiceCall) -> None:
    """Send ``call_placed``: background polling listens (see :mod:`django_voiceotp.tasks`). A broken
    receiver is logged and never fails the request: the call is placed."""
    for _receiver, failure in call_placed.send_robust(sender=VoiceCall, call=row):
        if isinstance(failure, Exception):
            logger.error("a call_placed receiver failed for call %s: %r", row.pk, failure, exc_info=failure)


def placed_by(row: VoiceCall) -> VoiceGateway:
    """The gateway that placed the call (a call is asked about where it was placed), or
    ``GatewayUnavailable`` when the site has no gateway of that name any more."""
    found = gateway_named(row.gateway)
    if found is None:
        raise GatewayUnavailable(
            "the gateway that placed this call is no longer one of the site's",
            endpoint="checkVoice",
            may_have_reached=False,
        )
    return found


def refresh_call(row: VoiceCall, gateway: VoiceGateway | None = None) -> bool:
    """Ask the gateway how the call went; True when its status changed.

    Raises ``GatewayError`` when the gateway cannot say; the call keeps its status. When it answered
    something that is no outcome (``GatewayRefused``: checkVoice's -1, -2, 11, 0, an undocumented
    code) or nothing readable (``GatewayProtocolError``), what it said is recorded on the call first
    (:func:`django_voiceotp.store.record_check_error`), and the poller that asked backs off. Safe
    beside any number of other pollers: a call changes status, and ``call_status_changed`` is sent,
    once (:func:`django_voiceotp.store.record_check`). An answer ends the claim the row was read with
    (:mod:`django_voiceotp.operations.claims`): the next check is due an interval after this one,
    whoever asked. A claim another poller took since is left to it.
    """
    if row.status not in OPEN_CALL_STATUSES or not row.request_id:
        return False
    gateway = gateway or placed_by(row)
    try:
        result = gateway.call_outcome(row.request_id)
    except (GatewayRefused, GatewayProtocolError) as exc:
        told.failed(gateway, Operation.CHECK, exc)
        checked = {"check_code": getattr(exc, "code", ""), "check_raw": exc.raw, "check_ms": exc.elapsed_ms}
        store.record_check_error(row, {**checked, "checked_at": timezone.now()})
        raise
    except GatewayError as exc:
        told.failed(gateway, Operation.CHECK, exc)
        raise
    told.answered(gateway, Operation.CHECK, result.code, result.elapsed_ms)
    now = timezone.now()
    old_status = row.status
    new_status = SETTLED.get(result.outcome)
    checked = {
        "check_code": result.code,
        "check_raw": result.raw,
        "check_ms": result.elapsed_ms,
        "checked_at": now,
    }
    if not store.record_check(row, checked, new_status=new_status, now=now):
        return False
    call_status_changed.send(sender=VoiceCall, call=row, old_status=old_status, new_status=new_status)
    return True
