"""Calls: placing one (and recording whatever the gateway said), and asking how one went.

Two habits hold here. The gateway is never asked inside a database transaction: a slow gateway must
not hold row locks. And a call row is written before the gateway is asked and completed after,
whatever happened, so nothing is lost; what the row says then decides what the call costs:

- ``rejected``: the request never reached the gateway (it could not be built, the connection never
  opened) or the gateway refused it. It counts against no guard, and the cooldown is given back.
- ``unknown``: the gateway may have placed the call (-5, -6, an undocumented code, silence or
  nonsense after the request went out, a request_id it had given before). It counts against the
  spend cap and the prefix guard, and keeps the cooldown, as a placed call does.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, router, transaction
from django.db.models import Case, Exists, F, Value, When
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import codes, guards, ratelimits, statements
from ..conf import VoiceOtpSettings
from ..exceptions import (
    InvalidPhone,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    RecipientRefused,
    VoiceOtpError,
)
from ..gateways import (
    CallOutcome,
    GatewayProtocolError,
    GatewayRefused,
    GatewayRequestError,
    GatewayUnavailable,
    Kind,
    SendResult,
    VoiceGateway,
    get_gateway,
    repeat_window,
)
from ..models import OPEN_CALL_STATUSES, CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from ..phones import Phone
from ..signals import call_placed, call_status_changed

logger = logging.getLogger("django_voiceotp")

REFUSALS: dict[Kind, type[VoiceOtpError]] = {
    Kind.RECIPIENT_REFUSED: RecipientRefused,
    Kind.BAD_NUMBER: InvalidPhone,
    Kind.ACCOUNT: ProviderRejected,
    Kind.MONEY: ProviderRejected,
}
CHECK_OUTCOMES = {CallOutcome.ANSWERED: CallStatus.ANSWERED, CallOutcome.FAILED: CallStatus.UNANSWERED}
CODE_LENGTH = VoiceCall._meta.get_field("send_code").max_length or 32
"""A gateway's code is kept as it wrote it, up to what the column holds (the raw answer keeps all)."""
REQUEST_ID_LENGTH = VoiceCall._meta.get_field("request_id").max_length or 100


@sensitive_variables("code")
def fresh_code(number: Phone, values: VoiceOtpSettings, now: datetime) -> str:
    """A code this number was not sent within the repeat window (the gateway would refuse it)."""
    recent = VoiceCall.objects.digests_since(number.e164, now - timedelta(seconds=repeat_window()))
    return codes.generate_code(values.CODE_LENGTH, avoid=recent, phone=number.e164)


@sensitive_variables("code")
def call_row(challenge: OtpChallenge, number: Phone, code: str, gateway: VoiceGateway) -> VoiceCall:
    """A new call's row, not written yet."""
    return VoiceCall(
        challenge=challenge,
        phone=number.e164,
        gateway=gateway.name,
        sent_digest=codes.sent_digest(number.e164, code),
    )


@sensitive_variables("code")
def new_call(challenge: OtpChallenge, number: Phone, code: str, gateway: VoiceGateway) -> VoiceCall:
    """The call's row, written before the gateway is asked (inside ``guards.spend_slot``)."""
    return VoiceCall.objects.add(call_row(challenge, number, code, gateway))


@sensitive_variables("code", "salt")
def call(challenge: OtpChallenge, number: Phone, code: str, values: VoiceOtpSettings, row: VoiceCall) -> None:
    """Place the call; on the gateway's repeat refusal try once more at once with a new code."""
    gateway = get_gateway()
    for attempt in (1, 2):
        if attempt == 2:
            with guards.spend_slot(values):
                row = new_call(challenge, number, code, gateway)
        kind = _place(gateway, challenge, row, number, code)
        if kind is not Kind.REPEAT:
            return
        if attempt == 1:
            code = fresh_code(number, values, timezone.now())
            salt = codes.new_salt()
            OtpChallenge.objects.filter(pk=challenge.pk).update(
                code_hash=codes.hash_code(code, salt), code_salt=salt
            )
    _fail(challenge, "the gateway refused the same content twice (repeat)")
    raise RateLimited(values.RESEND_COOLDOWN)


@sensitive_variables("code")
def _place(gateway: VoiceGateway, challenge: OtpChallenge, row: VoiceCall, number: Phone, code: str) -> Kind:
    """Ask the gateway for one call and record its answer on the call's row and its challenge.

    Returns the answer's kind when the rules may go on (taken, pending, repeat); raises otherwise,
    after the challenge is marked failed with what happened (see the module's docstring for what
    each outcome costs).
    """
    try:
        result = gateway.place_call(number.e164, code)
    except GatewayRequestError as exc:
        _finish(row, CallStatus.REJECTED, error=exc.message)
        _fail(challenge, exc.message, call_status=CallStatus.REJECTED)
        ratelimits.release_cooldown(number.e164)
        raise (InvalidPhone() if exc.field == "phone" else ProviderRejected()) from None
    except GatewayUnavailable as exc:
        status = CallStatus.UNKNOWN if exc.may_have_reached else CallStatus.REJECTED
        _finish(row, status, error=exc.message, raw=exc.raw, elapsed_ms=exc.elapsed_ms)
        _fail(challenge, exc.message, call_status=status)
        if not exc.may_have_reached:
            ratelimits.release_cooldown(number.e164)
        raise ProviderUnavailable() from None
    except GatewayProtocolError as exc:
        _finish(row, CallStatus.UNKNOWN, error=exc.message, raw=exc.raw, elapsed_ms=exc.elapsed_ms)
        _fail(challenge, exc.message, call_status=CallStatus.UNKNOWN)
        raise ProviderUnavailable() from None

    kind = result.kind
    if result.request_id is not None and len(result.request_id) > REQUEST_ID_LENGTH:
        error = f"the gateway gave a request_id over {REQUEST_ID_LENGTH} characters"
        _finish(row, CallStatus.UNKNOWN, answer=result, error=error)
        _fail(challenge, error, call_status=CallStatus.UNKNOWN)
        raise ProviderUnavailable()
    if kind is Kind.TAKEN or kind is Kind.PENDING:
        status = CallStatus.CALLING if kind is Kind.TAKEN else CallStatus.UNKNOWN
        # The challenge first (or in the same statement), then the call: a poller finds the call by
        # its request_id only once the challenge already says ``calling``, so it can never settle the
        # call in between and see its outcome overwritten. No transaction is needed for that order,
        # so none is opened.
        on_challenge = OtpChallenge.objects.call_status_update(challenge.pk, status)
        try:
            with statements.savepoint_in_a_transaction(VoiceCall):
                _finish(row, status, answer=result, request_id=result.request_id, first=on_challenge)
        except IntegrityError:
            # The gateway handed out a request_id another call already has: the call may ring, but
            # its outcome can never be told apart from the other's. Kept as said, without the id.
            error = "the gateway gave a request_id it had already given another call"
            _finish(row, CallStatus.UNKNOWN, answer=result, error=error)
            _fail(challenge, error, call_status=CallStatus.UNKNOWN)
            logger.warning("the gateway answered a request_id it had already given (call %s)", row.pk)
            raise ProviderUnavailable() from None
        challenge.call_status = status
        _announce(row)
        return kind
    if kind is Kind.GATEWAY_FAULT:
        _finish(row, CallStatus.UNKNOWN, answer=result)
        _fail(challenge, f"gateway {result.code}", call_status=CallStatus.UNKNOWN)
        logger.warning("the gateway answered %s: the call may have been placed", result.code)
        raise ProviderUnavailable()
    _finish(row, CallStatus.REJECTED, answer=result)
    if kind is Kind.REPEAT:
        return kind
    _fail(challenge, f"gateway {result.code}", call_status=CallStatus.REJECTED)
    ratelimits.release_cooldown(number.e164)
    logger.warning("the gateway refused the call: %s (%s)", result.code, kind.value)
    raise REFUSALS[kind]()


def _finish(
    row: VoiceCall,
    status: str,
    *,
    answer: SendResult | None = None,
    request_id: str | None = None,
    error: str = "",
    raw: str = "",
    elapsed_ms: int | None = None,
    first: statements.Update | None = None,
) -> None:
    """Record the gateway's answer (or its silence) on the call's row, written before it was asked;
    ``first`` is written before it (see ``CallManager.record``)."""
    if answer is not None:
        raw, elapsed_ms = answer.raw, answer.elapsed_ms
    values = {
        "status": status,
        "send_code": "" if answer is None else answer.code[:CODE_LENGTH],
        "request_id": request_id,
        "send_error": error[:200],
        "send_raw": raw,
        "send_ms": elapsed_ms,
        "completed_at": timezone.now() if status == CallStatus.REJECTED else None,
    }
    VoiceCall.objects.record(row.pk, first=first, **values)
    for name, value in values.items():
        setattr(row, name, value)


def _fail(challenge: OtpChallenge, failure: str, *, call_status: str = "") -> None:
    OtpChallenge.objects.filter(pk=challenge.pk, status=ChallengeStatus.PENDING).update(
        status=ChallengeStatus.FAILED, failure=failure[:200], call_status=call_status
    )
    challenge.refresh_from_db()


def _announce(row: VoiceCall) -> None:
    """Send ``call_placed``: background polling listens (see :mod:`django_voiceotp.tasks`). A broken
    receiver is logged and never fails the request: the call is placed."""
    for _receiver, failure in call_placed.send_robust(sender=VoiceCall, call=row):
        if isinstance(failure, Exception):
            logger.error("a call_placed receiver failed for call %s: %r", row.pk, failure, exc_info=failure)


def _lease_ended(read: datetime | None) -> Case:
    """The call's claim after an answer: none, if it is still the one the row was read with."""
    return Case(
        When(poll_lease_until=read, then=Value(None)),
        default=F("poll_lease_until"),
        output_field=models.DateTimeField(),
    )


def refresh_call(row: VoiceCall, gateway: VoiceGateway | None = None) -> bool:
    """Ask the gateway how the call went; True when its status changed.

    Raises ``GatewayError`` when the gateway cannot say; the call keeps its status. When it answered
    something that is no outcome (``GatewayRefused``: checkVoice's -1, -2, 11, 0, an undocumented
    code) or nothing readable (``GatewayProtocolError``), what it said is recorded on the call first
    (see :func:`_record_check_error`). Safe beside any
    number of other pollers: the change is a conditional update on the status as read, so a call
    changes status, and ``call_status_changed`` is sent, once. An answer ends the claim the row was
    read with (:mod:`django_voiceotp.operations.claims`): the next check is due an interval after this
    one, whoever asked. A claim another poller took since is left to it.
    """
    if row.status not in OPEN_CALL_STATUSES or not row.request_id:
        return False
    try:
        result = (gateway or get_gateway()).call_outcome(row.request_id)
    except (GatewayRefused, GatewayProtocolError) as exc:
        _record_check_error(row, exc)
        raise
    now = timezone.now()
    new_status = CHECK_OUTCOMES.get(result.outcome, row.status)
    old_status = row.status
    checked: dict[str, Any] = {
        "check_code": result.code[:CODE_LENGTH],
        "check_raw": result.raw,
        "check_ms": result.elapsed_ms,
        "checked_at": now,
    }
    still_open = VoiceCall.objects.filter(pk=row.pk, status=old_status)
    counted = {"checks": F("checks") + 1, "poll_lease_until": _lease_ended(row.poll_lease_until)}
    if new_status == old_status:
        still_open.update(**counted, **checked)
        row.poll_lease_until = None
        return False
    checked.update(status=new_status, completed_at=now)
    # The call and its challenge change together, or not at all.
    with transaction.atomic(using=router.db_for_write(VoiceCall)):
        if not still_open.update(**counted, **checked):
            return False  # another poller, task or reader settled it first
        # The challenge shows its latest call's status: an older call settling late must not overwrite
        # it. A challenge's calls are placed one after another (its row is locked or its send counted
        # first), so a higher id is a later call.
        newer = VoiceCall.objects.filter(challenge_id=row.challenge_id, pk__gt=row.pk)
        OtpChallenge.objects.filter(pk=row.challenge_id).exclude(Exists(newer)).update(call_status=new_status)
    # The update matched the call as read: its new state is known without reading it back.
    for name, value in checked.items():
        setattr(row, name, value)
    row.checks += 1
    row.poll_lease_until = None
    call_status_changed.send(sender=VoiceCall, call=row, old_status=old_status, new_status=new_status)
    return True


def _record_check_error(row: VoiceCall, exc: GatewayRefused | GatewayProtocolError) -> None:
    """Keep on the call what the gateway answered a check with, when that was no outcome: its code
    (empty when nothing could be read), its raw answer (safe text, from the gateway layer), the time
    it took, when it was asked, one more check. The status and the claim stay as they were: the
    poller that asked counts the failure and turns its claim into a hold (it backs off), and the
    admin shows the code with its meaning."""
    checked: dict[str, Any] = {
        "check_code": getattr(exc, "code", "")[:CODE_LENGTH],
        "check_raw": exc.raw,
        "check_ms": exc.elapsed_ms,
        "checked_at": timezone.now(),
    }
    VoiceCall.objects.filter(pk=row.pk, status=row.status).update(checks=F("checks") + 1, **checked)
    for name, value in checked.items():
        setattr(row, name, value)
    row.checks += 1
