"""The rules: request a challenge, resend its call, verify a code, refresh a call's outcome.

This is the only module that knows them. Views translate HTTP to these functions and their exceptions
back to HTTP; the admin and the commands call them too.

Three habits hold throughout:

- Counters move by conditional ``UPDATE ... WHERE`` statements, never read-modify-write, so they hold
  under any number of parallel requests and processes.
- The gateway is never called inside a database transaction: a slow gateway must not hold row locks.
- A call row is written before the gateway is asked and completed after, whatever happened, so that
  nothing is lost; refusals are *returned* as state before being raised, and the API answers them
  without rolling anything back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Exists, F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import addresses, codes, guards, phones, ratelimits, verify_sql
from .conf import VoiceOtpSettings, get_settings
from .exceptions import (
    AlreadyVerified,
    Expired,
    InvalidCode,
    InvalidPhone,
    Locked,
    NotFound,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    RecipientRefused,
    VoiceOtpError,
)
from .gateway import (
    CallOutcome,
    GatewayClient,
    GatewayError,
    GatewayProtocolError,
    GatewayRequestError,
    GatewayUnavailable,
    Kind,
    SendResult,
    get_client,
)
from .gateway.quick import quick_client
from .models import OPEN_CALL_STATUSES, CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from .phones import InvalidPhone as UnparsablePhone
from .phones import Phone, parse_phone
from .signals import call_status_changed, phone_verified
from .tokens import make_token

logger = logging.getLogger("django_voiceotp")

SEND_REFUSALS: dict[Kind, type[VoiceOtpError]] = {
    Kind.RECIPIENT_REFUSED: RecipientRefused,
    Kind.BAD_NUMBER: InvalidPhone,
    Kind.ACCOUNT: ProviderRejected,
    Kind.MONEY: ProviderRejected,
}


@dataclass(frozen=True)
class Verification:
    challenge: OtpChallenge
    token: str


# --- numbers -------------------------------------------------------------------------------------


def normalize_phone(raw: str, values: VoiceOtpSettings | None = None) -> Phone:
    """Parse what a person typed, under the site's region rules, or raise ``InvalidPhone``."""
    values = values or get_settings()
    try:
        return parse_phone(raw, default_region=values.DEFAULT_REGION, allowed_regions=values.ALLOWED_REGIONS)
    except UnparsablePhone as exc:
        raise InvalidPhone(_reason_detail(exc.reason)) from None


def _reason_detail(reason: str) -> Any:
    return {
        phones.RETIRED: _("This 11-digit number was retired in 2018 and has no 10-digit form."),
        phones.OTHER_REGION: _("Numbers in this country cannot be called."),
        phones.NOT_CALLABLE: _("This kind of number cannot be called."),
        phones.EXTENSION: _("Numbers with an extension cannot be called. Enter the number without it."),
    }.get(reason, InvalidPhone.default_detail)


def _limit_per_ip(name: str, client_ip: str | None) -> None:
    """Count against the per-IP limit ``name``; a caller with no client address (``None``) skips it.

    ``None`` is the Python caller saying "there is no client address here" (a background job, a
    device challenge): the per-number limits, the cooldown and the spend guards still hold. A value
    that is not an address is counted in the shared bucket of unreadable addresses (fail closed).
    """
    if client_ip is not None:
        ratelimits.hit(name, addresses.bucket(client_ip))


def _stored_ip(client_ip: str | None) -> str | None:
    return addresses.parse(client_ip) if client_ip else None


# --- requesting and resending --------------------------------------------------------------------


@sensitive_variables("code")
def request_challenge(
    phone: str,
    *,
    purpose: str = "default",
    client_ip: str | None,
    user: Any = None,
) -> OtpChallenge:
    """Start a challenge for ``phone`` and call it with a fresh code.

    Any older pending challenge for the same number and purpose is canceled: one live code per
    number and purpose. Raises a ``VoiceOtpError`` when the number, a limit or the gateway refuses;
    the challenge, if one was created, is kept with what happened. ``client_ip`` must be given:
    ``None`` skips the per-IP limit (see :func:`_limit_per_ip`).
    """
    values = get_settings()
    number = normalize_phone(phone, values)
    _limit_per_ip("request_per_ip", client_ip)
    ratelimits.hit("request_per_phone", number.e164)
    ratelimits.check("verify_failures_per_phone", number.e164)
    guards.check_prefix(number, values)
    ratelimits.claim_cooldown(number.e164, values.RESEND_COOLDOWN)

    now = timezone.now()
    code = _fresh_code(number, values, now)
    salt = codes.new_salt()
    try:
        with guards.spend_slot(values):
            OtpChallenge.objects.filter(
                phone=number.e164, purpose=purpose, status=ChallengeStatus.PENDING
            ).update(status=ChallengeStatus.CANCELED)
            challenge = OtpChallenge.objects.create(
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
                client_ip=_stored_ip(client_ip),
                user=user if getattr(user, "is_authenticated", False) else None,
            )
            call = _new_call(challenge, number, code)
    except IntegrityError:
        # Another request for this number and purpose won the race the cooldown should have stopped
        # (a cache that is not shared across processes): the database constraint still holds.
        raise RateLimited(values.RESEND_COOLDOWN) from None
    except RateLimited:
        ratelimits.release_cooldown(number.e164)
        raise
    _call(challenge, number, code, values, call)
    return challenge


@sensitive_variables("code")
def resend(challenge_id: Any, *, client_ip: str | None) -> OtpChallenge:
    """Call again with a new code; the old code dies at once. An expired code may be resent."""
    values = get_settings()
    _limit_per_ip("resend_per_ip", client_ip)
    challenge = get_challenge(challenge_id, for_write=True)
    _refuse_unless_resendable(challenge)
    number = normalize_phone(challenge.phone, values)
    if challenge.sends >= challenge.max_sends:
        raise RateLimited(_seconds_until(challenge.expires_at), _("No more calls for this code."))
    guards.check_prefix(number, values)
    ratelimits.claim_cooldown(number.e164, values.RESEND_COOLDOWN)

    now = timezone.now()
    code = _fresh_code(number, values, now)
    salt = codes.new_salt()
    resendable = (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED)
    call = None
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
                call = _new_call(challenge, number, code)
    except IntegrityError:
        # An expired code cannot come back to life once a newer one is live for this number.
        ratelimits.release_cooldown(number.e164)
        raise Expired(_("A newer code was sent to this number. Use the latest one.")) from None
    except RateLimited:
        ratelimits.release_cooldown(number.e164)
        raise
    if call is None:
        ratelimits.release_cooldown(number.e164)
        challenge.refresh_from_db()
        _refuse_unless_resendable(challenge)
        raise RateLimited(_seconds_until(challenge.expires_at), _("No more calls for this code."))
    challenge.refresh_from_db()
    _call(challenge, number, code, values, call)
    return challenge


@sensitive_variables("code")
def _fresh_code(number: Phone, values: VoiceOtpSettings, now: datetime) -> str:
    """A code this number was not sent within the repeat window (the gateway would refuse it: 6)."""
    recent = set(
        VoiceCall.objects.filter(
            phone=number.e164, created_at__gte=now - timedelta(seconds=values.REPEAT_WINDOW)
        )
        .order_by()  # a set: the model's default ordering would only make the database sort
        .values_list("sent_digest", flat=True)
    )
    return codes.generate_code(values.CODE_LENGTH, avoid=recent, phone=number.e164)


@sensitive_variables("code")
def _new_call(challenge: OtpChallenge, number: Phone, code: str) -> VoiceCall:
    """The call's row, written before the gateway is asked (inside ``guards.spend_slot``)."""
    return VoiceCall.objects.create(
        challenge=challenge, phone=number.e164, sent_digest=codes.sent_digest(number.e164, code)
    )


@sensitive_variables("code", "salt")
def _call(
    challenge: OtpChallenge, number: Phone, code: str, values: VoiceOtpSettings, call: VoiceCall
) -> None:
    """Place the call; on the gateway's repeat refusal (6) try once more at once with a new code."""
    client = get_client()
    for attempt in (1, 2):
        if attempt == 2:
            with guards.spend_slot(values):
                call = _new_call(challenge, number, code)
        kind = _place(client, challenge, call, number, code)
        if kind is not Kind.REPEAT:
            return
        if attempt == 1:
            code = _fresh_code(number, values, timezone.now())
            salt = codes.new_salt()
            OtpChallenge.objects.filter(pk=challenge.pk).update(
                code_hash=codes.hash_code(code, salt), code_salt=salt
            )
    _fail(challenge, "the gateway refused the same content twice (code 6)")
    raise RateLimited(values.RESEND_COOLDOWN)


@sensitive_variables("code")
def _place(client: GatewayClient, challenge: OtpChallenge, call: VoiceCall, number: Phone, code: str) -> Kind:
    """Ask the gateway for one call and record its answer on ``call`` and ``challenge``.

    Returns the answer's kind when the app may go on (taken, pending, repeat); raises otherwise,
    after the challenge is marked failed with what happened. What the call row says decides what it
    costs: ``rejected`` rows (the gateway never got the request, or refused it) count against no
    guard and give the cooldown back; ``unknown`` rows (the gateway may have placed the call: -5,
    -6, an undocumented code, silence or nonsense after the request went out) count against the
    spend cap and the prefix guard, and keep the cooldown, as a placed call does.
    """
    try:
        result = client.place_call(number.local, code)
    except GatewayRequestError as exc:
        # The request could not be built: nothing was sent, nothing was charged.
        _refused(challenge, call, number, exc.message)
        raise (InvalidPhone() if exc.field == "phone" else ProviderRejected()) from None
    except GatewayUnavailable as exc:
        status = CallStatus.UNKNOWN if exc.may_have_reached else CallStatus.REJECTED
        _finish_send(call, status, error=exc.message, raw=exc.raw, elapsed_ms=exc.elapsed_ms)
        _fail(challenge, exc.message, call_status=status)
        if not exc.may_have_reached:
            ratelimits.release_cooldown(number.e164)
        raise ProviderUnavailable() from None
    except GatewayProtocolError as exc:
        _finish_send(call, CallStatus.UNKNOWN, error=exc.message, raw=exc.raw, elapsed_ms=exc.elapsed_ms)
        _fail(challenge, exc.message, call_status=CallStatus.UNKNOWN)
        raise ProviderUnavailable() from None

    kind = result.code.kind
    if kind is Kind.TAKEN or kind is Kind.PENDING:
        status = CallStatus.CALLING if kind is Kind.TAKEN else CallStatus.UNKNOWN
        try:
            # One transaction: a poller finds the call by its request_id only once both rows say
            # ``calling``, so it can never settle the call in between and see its outcome overwritten.
            with transaction.atomic():
                _finish_send(call, status, answer=result, request_id=result.request_id)
                OtpChallenge.objects.filter(pk=challenge.pk).update(call_status=status)
        except IntegrityError:
            # The gateway handed out a request_id another call already has: the call may ring, but
            # its outcome can never be told apart from the other's. Kept as said, without the id.
            error = "the gateway gave a request_id it had already given another call"
            _finish_send(call, CallStatus.UNKNOWN, answer=result, error=error)
            _fail(challenge, error, call_status=CallStatus.UNKNOWN)
            logger.warning("postSMS answered a request_id it had already given (call %s)", call.pk)
            raise ProviderUnavailable() from None
        challenge.call_status = status
        _after_call_placed(call)
        return kind
    if kind is Kind.GATEWAY_FAULT:
        _finish_send(call, CallStatus.UNKNOWN, answer=result)
        _fail(challenge, f"gateway {result.code}", call_status=CallStatus.UNKNOWN)
        logger.warning("postSMS answered %s: the call may have been placed", result.code)
        raise ProviderUnavailable()
    _finish_send(call, CallStatus.REJECTED, answer=result)
    if kind is Kind.REPEAT:
        return kind
    _fail(challenge, f"gateway {result.code}", call_status=CallStatus.REJECTED)
    ratelimits.release_cooldown(number.e164)
    logger.warning("postSMS refused: %s", result.code)
    raise SEND_REFUSALS[kind]()


def _refused(challenge: OtpChallenge, call: VoiceCall, number: Phone, error: str) -> None:
    """A call that never left: recorded as refused, its challenge failed, the cooldown given back."""
    _finish_send(call, CallStatus.REJECTED, error=error)
    _fail(challenge, error, call_status=CallStatus.REJECTED)
    ratelimits.release_cooldown(number.e164)


def _finish_send(
    call: VoiceCall,
    status: str,
    *,
    answer: SendResult | None = None,
    request_id: str | None = None,
    error: str = "",
    raw: str = "",
    elapsed_ms: int | None = None,
) -> None:
    """Record the gateway's answer (or its silence) on the call's row, written before it was asked."""
    if answer is not None:
        raw, elapsed_ms = answer.raw, answer.elapsed_ms
    completed_at = timezone.now() if status == CallStatus.REJECTED else None
    values = {
        "status": status,
        "send_code": None if answer is None else answer.code.value,
        "request_id": request_id,
        "send_error": error[:200],
        "send_raw": raw,
        "send_ms": elapsed_ms,
        "completed_at": completed_at,
    }
    # A queryset update, not ``save(update_fields=...)``: one statement without the model's save
    # machinery, on the hot path of every request.
    VoiceCall.objects.filter(pk=call.pk).update(**values)
    for name, value in values.items():
        setattr(call, name, value)


def _fail(challenge: OtpChallenge, failure: str, *, call_status: str = "") -> None:
    OtpChallenge.objects.filter(pk=challenge.pk, status=ChallengeStatus.PENDING).update(
        status=ChallengeStatus.FAILED, failure=failure[:200], call_status=call_status
    )
    challenge.refresh_from_db()


def _after_call_placed(call: VoiceCall) -> None:
    """Hand the call to background polling when the site runs a task backend (see :mod:`.tasks`).

    Never raises: the call is placed, and a broken task backend must not fail the request that placed it.
    """
    try:
        from . import tasks

        tasks.schedule_poll(call)
    except Exception:
        logger.exception("could not schedule a status check of call %s", call.pk)


# --- verifying -----------------------------------------------------------------------------------


@sensitive_variables("code")
def verify(challenge_id: Any, code: str, *, client_ip: str | None) -> Verification:
    """Check ``code`` against the challenge; a right code verifies it exactly once.

    Every guess is judged by one compare-and-set ``UPDATE``: it changes the row only if the row is
    still exactly as read (pending, same code, same attempt count, not expired), and writes values
    worked out here from that read (``attempts + 1`` and, on the last attempt, ``locked``). Of any
    number of parallel guesses, then, each judged one moves the count by exactly one, at most
    ``max_attempts`` are judged, and one right guess verifies; a guess that finds the row changed
    reads it again and is judged against what it became. When the update matches, the row's new
    state is known without reading it back: two statements, right or wrong.

    The number's failure budget (``verify_failures_per_phone``) is spent *before* the guess is
    judged, and given back unless the guess is judged wrong: parallel guesses spread over the
    number's challenges (one per purpose) cannot all pass a check made before any of them counted.
    """
    _limit_per_ip("verify_per_ip", client_ip)
    challenge = get_challenge(challenge_id, for_write=True)
    reservation = ratelimits.reserve("verify_failures_per_phone", challenge.phone)
    judged_wrong = False
    try:
        # Each lost race means another request moved the row on: an attempt spent, a new code (a
        # resend, or its one retry after the gateway's repeat refusal: at most two per send) or a
        # final status. So the loop ends; the bound only guards against the impossible.
        for _round in range(challenge.max_attempts + 2 * challenge.max_sends + 2):
            now = timezone.now()
            _refuse_if_finished(challenge, now=now)
            if challenge.attempts >= challenge.max_attempts:
                raise Locked()
            if codes.code_matches(code, challenge.code_salt, challenge.code_hash):
                if verify_sql.compare_and_set(
                    challenge, now, status=ChallengeStatus.VERIFIED, verified_at=now
                ):
                    return _verified(challenge, now)
            else:
                attempts = challenge.attempts + 1
                # The guess that uses the last attempt locks the challenge in the same statement, so
                # there is no moment at which the attempts are spent and the challenge is still open.
                last = attempts >= challenge.max_attempts
                status = ChallengeStatus.LOCKED if last else ChallengeStatus.PENDING
                if verify_sql.compare_and_set(challenge, now, attempts=attempts, status=status):
                    judged_wrong = True
                    challenge.attempts, challenge.status = attempts, status
                    if last:
                        raise Locked()
                    raise InvalidCode(attempts_left=challenge.attempts_left)
            challenge.refresh_from_db()
        _refuse_if_finished(challenge)
        raise RateLimited(1)  # not judged: ask again
    finally:
        if not judged_wrong:
            ratelimits.release(reservation)


def _verified(challenge: OtpChallenge, now: datetime) -> Verification:
    """The update matched the row as read, so this is its new state: no second read."""
    challenge.status, challenge.verified_at = ChallengeStatus.VERIFIED, now
    phone_verified.send(
        sender=OtpChallenge, challenge=challenge, phone=challenge.phone, purpose=challenge.purpose
    )
    token = make_token(phone=challenge.phone, purpose=challenge.purpose, challenge_id=str(challenge.pk))
    return Verification(challenge, token)


def _refuse_unless_resendable(challenge: OtpChallenge) -> None:
    if challenge.status not in (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED):
        _refuse_if_closed(challenge)


def _refuse_if_closed(challenge: OtpChallenge) -> None:
    status = challenge.status
    if status == ChallengeStatus.VERIFIED:
        raise AlreadyVerified()
    if status == ChallengeStatus.LOCKED:
        raise Locked()
    if status == ChallengeStatus.CANCELED:
        raise Expired(_("A newer code was sent to this number. Use the latest one."))
    if status == ChallengeStatus.FAILED:
        raise Expired(_("No call could be placed for this code. Ask for a new call."))


def _refuse_if_finished(challenge: OtpChallenge, *, now: datetime | None = None) -> None:
    _refuse_if_closed(challenge)
    if challenge.status == ChallengeStatus.EXPIRED or challenge.expires_at <= (now or timezone.now()):
        OtpChallenge.objects.filter(pk=challenge.pk, status=ChallengeStatus.PENDING).update(
            status=ChallengeStatus.EXPIRED
        )
        raise Expired()


# --- reading and refreshing ----------------------------------------------------------------------


def get_challenge(challenge_id: Any, *, for_write: bool = False) -> OtpChallenge:
    challenge = verify_sql.read_challenge(challenge_id, for_write=for_write)
    if challenge is None:
        raise NotFound()
    return challenge


CHECK_OUTCOMES = {
    CallOutcome.ANSWERED: CallStatus.ANSWERED,
    CallOutcome.FAILED: CallStatus.UNANSWERED,
}


def refresh_call(call: VoiceCall, client: GatewayClient | None = None) -> bool:
    """Ask the gateway how ``call`` went; True when its status changed.

    Raises ``GatewayError`` when the gateway cannot say; the call is left as it was.
    """
    if call.status not in OPEN_CALL_STATUSES or not call.request_id:
        return False
    result = (client or get_client()).call_outcome(call.request_id)
    now = timezone.now()
    new_status = CHECK_OUTCOMES.get(result.outcome, call.status)
    old_status = call.status
    settled = new_status != old_status
    checked: dict[str, Any] = {
        "check_code": result.code.value,
        "check_raw": result.raw,
        "check_ms": result.elapsed_ms,
        "checked_at": now,
    }
    still_open = VoiceCall.objects.filter(pk=call.pk, status=old_status)
    if not settled:
        still_open.update(checks=F("checks") + 1, **checked)
        return False
    checked.update(status=new_status, completed_at=now)
    # The call and its challenge change together, or not at all.
    with transaction.atomic():
        if not still_open.update(checks=F("checks") + 1, **checked):
            return False  # another poller, task or reader settled it first
        # The challenge shows its latest call's status: an older call settling late must not overwrite
        # it. A challenge's calls are placed one after another (its row is locked or its send counted
        # first), so a higher id is a later call.
        newer = VoiceCall.objects.filter(challenge_id=call.challenge_id, pk__gt=call.pk)
        OtpChallenge.objects.filter(pk=call.challenge_id).exclude(Exists(newer)).update(
            call_status=new_status
        )
    # The update matched the call as read: its new state is known without reading it back.
    for name, value in checked.items():
        setattr(call, name, value)
    call.checks += 1
    call_status_changed.send(sender=VoiceCall, call=call, old_status=old_status, new_status=new_status)
    return True


def _seconds_until(moment: datetime) -> int:
    return max(int((moment - timezone.now()).total_seconds()), 1)


def read_challenge(challenge_id: Any) -> OtpChallenge:
    """A challenge for display, its call status first refreshed when it is stale (see below)."""
    challenge = get_challenge(challenge_id)
    if challenge.call_status in OPEN_CALL_STATUSES and _refresh_on_read(challenge):
        challenge.refresh_from_db()
    return challenge


def _refresh_on_read(challenge: OtpChallenge) -> bool:
    """Ask the gateway about a pending challenge's open latest call, when nothing else does.

    Sites without a task backend still show outcomes to the person waiting, at the cost of at most one
    check per call per ``POLL_ON_READ_INTERVAL``: the interval must have passed since the call was
    placed or last checked, and a cache ``add`` lets only one of many parallel readers ask. The check
    uses the quick client (no retries, capped timeouts); a gateway failure is logged and the challenge
    is shown as it is. True when the call's status changed.
    """
    values = get_settings()
    interval = values.POLL_ON_READ_INTERVAL
    now = timezone.now()
    if not interval or challenge.effective_status(now) != ChallengeStatus.PENDING:
        return False
    stale_before = now - timedelta(seconds=interval)
    if challenge.created_at > stale_before:  # no call of it can have been placed earlier
        return False
    from . import tasks

    if tasks.polls_in_background():
        return False
    call = VoiceCall.objects.filter(challenge_id=challenge.pk).order_by("-created_at", "-pk").first()
    if call is None or call.status not in OPEN_CALL_STATUSES or not call.request_id:
        return False
    if (call.checked_at or call.created_at) > stale_before:
        return False
    try:
        if not caches[values.CACHE].add(f"voiceotp:read-check:{call.pk}", 1, interval):
            return False
        with quick_client() as client:
            return refresh_call(call, client)
    except GatewayError as exc:
        logger.warning("checkVoice on read failed for call %s: %s", call.pk, exc.message)
    except Exception:  # a cache outage must not fail a read that needs no cache
        logger.exception("refreshing call %s on read failed", call.pk)
    return False
