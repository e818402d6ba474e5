"""Every write the rules make, and its transaction: what the rules ask of the database, in their words.

The rules (:mod:`django_voiceotp.services`) say what they want done: open a challenge and its first
call unless the code was sent to the number recently, record what the gateway answered, judge a guess,
settle a call. How it is written is decided here alone: which statements (the plain ORM, or on
SQLite and PostgreSQL the literal statements of :mod:`.sql`, see :mod:`.writers`), in how many round
trips, and inside which transaction. Nothing here decides a rule, and nothing the rules see is SQL.

Two habits hold. The gateway is never asked inside a transaction opened here: each operation is
over before the rules call the gateway, so a slow gateway holds no row lock. And every write that
depends on what was read re-checks it in its ``WHERE`` clause (a compare-and-set), so that parallel
requests, in any number of processes, change a row once.

Inserts send Django's ``pre_save`` and ``post_save`` like ``Model.save``, also when PostgreSQL writes
a new challenge and its call in one statement.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Case, Exists, F, Value, When

from ..models import CallLedger, ChallengeStatus, OtpChallenge, VoiceCall
from . import writers

DAY = timedelta(hours=24)
RESENDABLE = (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED)


class Opened(enum.Enum):
    """What came of :func:`open_challenge`."""

    OPENED = "opened"
    CODE_SENT_RECENTLY = "code sent recently"
    """The code drawn was sent to this number within the window given: nothing was written."""
    ANOTHER_IS_LIVE = "another is live"
    """Another request for the number and purpose wrote its challenge first (the database's one
    pending challenge per number and purpose): nothing was written."""


class Resent(enum.Enum):
    """What came of :func:`resend`."""

    RESENT = "resent"
    NOT_RESENDABLE = "not resendable"
    """The challenge is closed or has no call left: nothing was written."""
    ANOTHER_IS_LIVE = "another is live"
    """An expired challenge cannot come back while a newer one for its number is pending."""


class SpendCapReached(Exception):
    """The site placed ``limit`` calls in the last 24 hours; one more frees up in ``retry_after`` seconds."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"{limit} calls in the last 24 hours")
        self.limit = limit
        self.retry_after = retry_after


def _alias() -> str:
    """The database the hot paths write to (a challenge and its calls live on one)."""
    return router.db_for_write(OtpChallenge)


# -- reading and judging a challenge ----------------------------------------------------------------


def read_challenge(challenge_id: Any, *, for_write: bool = False) -> OtpChallenge | None:
    """The challenge with this id, or None (also for an id that is not a UUID at all).

    ``for_write`` reads from the database the writes go to: a guess must be judged against the row it
    will update, not a replica's older copy (and a re-read of the same instance follows it there).
    """
    try:
        pk = OtpChallenge._meta.pk.to_python(challenge_id)
    except (ValidationError, TypeError, AttributeError):
        return None
    if pk is None:
        return None
    alias = _alias() if for_write else router.db_for_read(OtpChallenge)
    return writers.for_database(alias).read_challenge(alias, pk)


def judge(challenge: OtpChallenge, now: datetime, *, status: str, **changes: Any) -> bool:
    """Write a guess's outcome (``status``, and ``attempts`` or ``verified_at``) only if the challenge
    is still as it was read: pending, the same code and attempt count, not expired at ``now``. True
    when it was, and so was written."""
    alias = challenge._state.db or _alias()
    return writers.for_database(alias).judge(alias, challenge, now, {"status": status, **changes})


def expire(challenge: OtpChallenge, now: datetime) -> None:
    """Mark the challenge expired if it is still pending and past its time at ``now``: a resend that
    re-armed it in the meantime keeps it alive."""
    OtpChallenge.objects.using(_alias()).filter(
        pk=challenge.pk, status=ChallengeStatus.PENDING, expires_at__lte=now
    ).update(status=ChallengeStatus.EXPIRED)


def cancel(challenge: OtpChallenge, now: datetime) -> bool:
    """Cancel the challenge if it is still pending and not past its time at ``now``, in one
    conditional ``UPDATE``: of a cancel and a guess (or two cancels) racing, exactly one changes the
    row. True when this one did."""
    return bool(
        OtpChallenge.objects.using(_alias())
        .filter(pk=challenge.pk, status=ChallengeStatus.PENDING, expires_at__gt=now)
        .update(status=ChallengeStatus.CANCELED)
    )


def still_pending(challenge: OtpChallenge) -> bool:
    """Whether the challenge is still pending (read where the writes go): not canceled meanwhile."""
    return (
        OtpChallenge.objects.using(_alias()).filter(pk=challenge.pk, status=ChallengeStatus.PENDING).exists()
    )


def fail(challenge: OtpChallenge, failure: str, *, call_status: str = "") -> None:
    """The challenge's call could not be placed: it is failed with why, if it is still pending."""
    fitted = failure[: _length(OtpChallenge, "failure")]
    OtpChallenge.objects.using(_alias()).filter(pk=challenge.pk, status=ChallengeStatus.PENDING).update(
        status=ChallengeStatus.FAILED, failure=fitted, call_status=call_status
    )
    if challenge.status == ChallengeStatus.PENDING:
        challenge.status, challenge.failure = ChallengeStatus.FAILED, fitted
    challenge.call_status = call_status


# -- opening a challenge and placing its calls -----------------------------------------------------


def open_challenge(
    challenge: OtpChallenge, call: VoiceCall, *, unless_sent_since: datetime | None, daily_limit: int | None
) -> Opened:
    """Replace the number's live challenge for the purpose with ``challenge`` and write its first
    ``call``, all or nothing, unless the call's code was sent to the number at or after
    ``unless_sent_since`` (checked in the same step) or another request's challenge won the place.

    Under ``daily_limit`` the call is counted against the spend cap in the same transaction, which
    raises :class:`SpendCapReached` when it is spent. Without it, PostgreSQL does it all in one
    statement and no transaction (a ``BEGIN`` and a ``COMMIT`` would be two more round trips).
    """
    alias = _alias()
    writer = writers.for_database(alias)
    try:
        with _one_step(alias, atomic=daily_limit is not None or not writer.opens_at_once(alias)):
            if daily_limit is not None:
                _count_against_the_cap(alias, daily_limit)
            opened = writer.open_at_once(alias, challenge, call, unless_sent_since)
            if opened is None:
                opened = unless_sent_since is None or not writer.sent_recently(alias, call, unless_sent_since)
                if opened:
                    writer.replace_live(alias, challenge)
                    writer.insert(alias, challenge, call)
    except IntegrityError:
        return Opened.ANOTHER_IS_LIVE
    return Opened.OPENED if opened else Opened.CODE_SENT_RECENTLY


def note_account(challenge: OtpChallenge, account: Any) -> None:
    """Keep on the challenge the account it is for (for the admin; it vouches for nothing)."""
    OtpChallenge.objects.using(_alias()).filter(pk=challenge.pk).update(user=account)
    challenge.user = account


def add_call(call: VoiceCall, *, daily_limit: int | None) -> None:
    """Write a further call of a challenge before the gateway is asked, counted against the cap."""
    alias = _alias()
    with transaction.atomic(using=alias):
        if daily_limit is not None:
            _count_against_the_cap(alias, daily_limit)
        call.save(using=alias, force_insert=True)


def replace_code(challenge: OtpChallenge, *, code_hash: str, code_salt: str) -> None:
    """Give the challenge a new code (the old one dies at once)."""
    OtpChallenge.objects.using(_alias()).filter(pk=challenge.pk).update(
        code_hash=code_hash, code_salt=code_salt
    )
    challenge.code_hash, challenge.code_salt = code_hash, code_salt


def resend(
    challenge: OtpChallenge,
    call: VoiceCall,
    *,
    daily_limit: int | None,
    one_guess: bool = False,
    **rearmed: Any,
) -> Resent:
    """Re-arm the challenge with a new code (``rearmed``: its hash, salt, expiry, next resend) if it is
    still pending or expired and has a call left, and write the new ``call``, all or nothing; with
    ``one_guess`` the new code has one attempt left. The challenge is read again after, as the rules
    show it."""
    if one_guess:
        rearmed["max_attempts"] = F("attempts") + 1
    alias = _alias()
    try:
        with transaction.atomic(using=alias):
            if daily_limit is not None:
                _count_against_the_cap(alias, daily_limit)
            taken = (
                OtpChallenge.objects.using(alias)
                .filter(pk=challenge.pk, status__in=RESENDABLE, sends__lt=F("max_sends"))
                .update(status=ChallengeStatus.PENDING, sends=F("sends") + 1, **rearmed)
            )
            if taken:
                call.save(using=alias, force_insert=True)
    except IntegrityError:
        return Resent.ANOTHER_IS_LIVE
    finally:
        challenge.refresh_from_db(using=alias)
    return Resent.RESENT if taken else Resent.NOT_RESENDABLE


def record_send(
    challenge: OtpChallenge, call: VoiceCall, answer: dict[str, Any], *, failure: str | None = None
) -> bool:
    """Record what the gateway answered to ``call`` (its row's :data:`.writers.ANSWER_FIELDS`) and the
    call's status on its challenge, failing the challenge with ``failure`` when given. False, and
    nothing of the answer written, when its ``request_id`` is already another call's.

    The challenge shows the status first (on PostgreSQL in the same statement): a poller finds the
    call by its request_id only once the challenge already shows ``calling``, so it can never settle
    the call in between and see its outcome overwritten. That order needs no transaction.
    """
    alias = _alias()
    writer = writers.for_database(alias)
    fitted = _fit(VoiceCall, answer)
    status = fitted["status"]
    try:
        with _one_step(alias, atomic=False):
            if failure is not None:
                fail(challenge, failure, call_status=status)
                writer.record_answer(alias, call.pk, fitted)
            elif not writer.record_at_once(alias, challenge.pk, status, call.pk, fitted):
                writer.show_call_status(alias, challenge.pk, status)
                writer.record_answer(alias, call.pk, fitted)
    except IntegrityError:
        return False
    challenge.call_status = status
    for name, value in fitted.items():
        setattr(call, name, value)
    return True


def proved(number: str, user: Any) -> bool:
    """Whether ``user``'s account verified ``number`` before (then it is the number's holder)."""
    return OtpChallenge.objects.filter(phone=number, user=user, status=ChallengeStatus.VERIFIED).exists()


def latest_call(challenge: OtpChallenge) -> VoiceCall | None:
    """The challenge's latest call (a challenge's calls are placed one after another)."""
    return VoiceCall.objects.filter(challenge_id=challenge.pk).order_by("-created_at", "-pk").first()


def codes_sent_since(phone: str, since: datetime) -> set[str]:
    """The sent digests of the codes this number was sent at or after ``since``, read where the writes
    go: a replica's lag could hide the very call whose code made a request draw again."""
    found = VoiceCall.objects.using(_alias()).filter(phone=phone, created_at__gte=since)
    return {str(digest) for digest in found.values_list("sent_digest", flat=True)}


# -- settling a call -------------------------------------------------------------------------------


def record_check(call: VoiceCall, checked: dict[str, Any], *, new_status: str | None, now: datetime) -> bool:
    """Record a check of ``call`` (its ``check_*`` fields), settling it in ``new_status`` when given; True
    when this check moved it there.

    The call moves only from the status it was read with, so of any number of pollers asking about it
    one settles it; the call and its challenge change together, and the challenge shows the call's
    status only while no later call of it exists. The check ends the poller's claim on the call if it
    is still the one the row was read with (a claim another poller took since is left to it).
    """
    alias = router.db_for_write(VoiceCall)
    fitted = _fit(VoiceCall, checked)
    still_open = VoiceCall.objects.using(alias).filter(pk=call.pk, status=call.status)
    counted = {"checks": F("checks") + 1, "poll_lease_until": _lease_ended(call.poll_lease_until)}
    if new_status is None:
        still_open.update(**counted, **fitted)
        settled = False
    else:
        fitted.update(status=new_status, completed_at=now)
        with transaction.atomic(using=alias):
            settled = bool(still_open.update(**counted, **fitted))
            if settled:
                # A challenge's calls are placed one after another, so a higher id is a later call.
                later = VoiceCall.objects.using(alias).filter(challenge_id=call.challenge_id, pk__gt=call.pk)
                OtpChallenge.objects.using(alias).filter(pk=call.challenge_id).exclude(Exists(later)).update(
                    call_status=new_status
                )
        if not settled:
            return False  # another poller, task or reader settled it first
    for name, value in fitted.items():
        setattr(call, name, value)
    call.checks += 1
    call.poll_lease_until = None
    return settled


def record_check_error(call: VoiceCall, checked: dict[str, Any]) -> None:
    """Keep on the call what the gateway answered a check with when it was no outcome (its ``check_*``
    fields), one more check, and nothing else: the status stays, and so does the poller's claim,
    which the poller turns into its back-off (:func:`django_voiceotp.operations.claims.backoff`)."""
    fitted = _fit(VoiceCall, checked)
    VoiceCall.objects.using(router.db_for_write(VoiceCall)).filter(pk=call.pk, status=call.status).update(
        checks=F("checks") + 1, **fitted
    )
    for name, value in fitted.items():
        setattr(call, name, value)
    call.checks += 1


def _lease_ended(read: datetime | None) -> Case:
    """The call's claim after an answer: none, if it is still the one the row was read with."""
    return Case(
        When(poll_lease_until=read, then=Value(None)),
        default=F("poll_lease_until"),
        output_field=models.DateTimeField(),
    )


# -- the spend cap, and the steps ------------------------------------------------------------------


def charged_calls(now: datetime) -> models.QuerySet[VoiceCall]:
    """The calls the spend cap counts at ``now``: placed (or in flight) in the 24 hours before it,
    every one but those the gateway refused or never saw."""
    return VoiceCall.objects.charged_since(now - DAY)


def _count_against_the_cap(alias: str, limit: int) -> None:
    """Count one more call against ``limit`` under the one-row ledger's lock, so that counting and
    writing the call are one step across every process (SQLite has no row locks and serialises
    writers instead: exact in one process, which is what SQLite is for)."""
    from django.utils import timezone

    CallLedger.objects.using(alias).select_for_update().get_or_create(pk=1)
    now = timezone.now()
    counted = charged_calls(now).using(alias)
    if counted.count() >= limit:
        oldest = counted.order_by("created_at").values_list("created_at", flat=True).first()
        wait = (oldest + DAY - now).total_seconds() if oldest else 60
        raise SpendCapReached(limit, int(wait) + 1)


@contextlib.contextmanager
def _one_step(alias: str, *, atomic: bool) -> Iterator[None]:
    """A transaction when the step is several statements; for one statement, a savepoint only inside
    a caller's transaction, so that its failure dooms nothing else there (in autocommit a failed
    statement dooms nothing, and a ``BEGIN`` and a ``COMMIT`` would be two more round trips)."""
    if atomic or connections[alias].in_atomic_block:
        with transaction.atomic(using=alias):
            yield
    else:
        yield


def _length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    return getattr(field, "max_length", None) or 10**6


FITTED = frozenset({"send_code", "send_error", "check_code"})
"""The gateway's words a call row keeps as far as its column holds them (its raw answer keeps the
rest); never an identifier such as ``request_id``, which cut would name another call."""


def _fit(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value[: _length(model, name)] if name in FITTED and isinstance(value, str) else value
        for name, value in values.items()
    }
