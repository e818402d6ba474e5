"""Claiming open calls, so that several pollers split them instead of each asking about every call.

Pollers are ``voiceotp_poll_calls`` runs (cron on several machines, forked processes) and the
background task. A claim stamps ``VoiceCall.poll_lease_until`` in a short transaction that commits
before the gateway is asked (a slow gateway holds no row lock), for as long as its checks may take
under the gateway client's deadline, so a dead poller's calls are free again soon. An answered check
ends the claim (:func:`django_voiceotp.services.refresh_call` clears the stamp it was claimed with); a
failed one holds the call for the poll interval, and one the gateway answered with an error (a broken
account) for longer, up to :data:`MAX_BACKOFF` (:func:`backoff`).

A poller may claim (:func:`claimable`) an open call within the give-up age, claimed by nobody and not
checked within the poll interval: with ``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it
(pollers never wait for each other), else by a conditional ``UPDATE`` one poller wins.
``refresh_call``'s own conditional update is the second line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .. import conf
from ..gateways import GatewayError, GatewayProtocolError, GatewayRefused
from ..models import OPEN_CALL_STATUSES, VoiceCall

LEASE_SLACK = 10
"""Seconds a claim outlasts the gateway requests it covers: the writes after the last answer."""
MAX_BACKOFF = 600
"""Seconds a call is held at most after the gateway answered its check with an error: an operator
who fixes the account sees its calls settle within ten minutes."""


def check_seconds() -> float:
    """The longest one check can take: the gateway client's deadline, retries included."""
    connect, read = conf.get_settings().TIMEOUT
    return connect + read


def lease_until(now: datetime, count: int) -> datetime:
    """When a claim on ``count`` calls, made at ``now``, runs out: after ``count`` checks one after
    another, each as long as it may be."""
    return now + timedelta(seconds=count * check_seconds() + LEASE_SLACK)


def claimable(now: datetime, *, interval: int, max_age: int | None) -> QuerySet[VoiceCall]:
    """The calls a poller may claim at ``now``, newest first (a person may still be waiting on those)."""
    calls = VoiceCall.objects.filter(
        Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lte=now),
        Q(checked_at__isnull=True) | Q(checked_at__lte=now - timedelta(seconds=interval)),
        status__in=OPEN_CALL_STATUSES,
        request_id__isnull=False,
    )
    if max_age:
        calls = calls.filter(created_at__gte=now - timedelta(seconds=max_age))
    return calls.order_by("-created_at", "-pk")


def claim(candidates: QuerySet[VoiceCall], *, count: int, now: datetime) -> list[VoiceCall]:
    """Claim up to ``count`` of ``candidates`` (a :func:`claimable` queryset, maybe narrowed, in the
    order to take them) for the caller; the calls it got, each with its stamp set."""
    until = lease_until(now, count)
    alias = router.db_for_write(VoiceCall)
    candidates = candidates.using(alias)
    if connections[alias].features.has_select_for_update_skip_locked:
        with transaction.atomic(using=alias):
            rows = list(candidates.select_for_update(skip_locked=True)[:count])
            if rows:
                VoiceCall.objects.using(alias).filter(pk__in=[row.pk for row in rows]).update(
                    poll_lease_until=until
                )
    else:
        # The candidates' own conditions, checked again by each UPDATE: of pollers that read the same
        # row, the first to write its stamp has it, and the others' UPDATEs match nothing.
        rows = [
            row
            for row in candidates[:count]
            if candidates.order_by().filter(pk=row.pk).update(poll_lease_until=until)
        ]
    for row in rows:
        row.poll_lease_until = until
    return rows


def retry_later(call: VoiceCall, *, interval: int) -> None:
    """After a failed check: hold the call until ``interval`` seconds from now, for every poller."""
    until = timezone.now() + timedelta(seconds=interval)
    VoiceCall.objects.filter(pk=call.pk, poll_lease_until=call.poll_lease_until).update(
        poll_lease_until=until
    )
    call.poll_lease_until = until


def answered_with_an_error(error: GatewayError) -> bool:
    """Whether the gateway answered the check, with no outcome in it (not silence): asking again
    soon will get the same answer."""
    return isinstance(error, (GatewayRefused, GatewayProtocolError))


def backoff(call: VoiceCall, *, interval: int, now: datetime) -> int:
    """Seconds to hold ``call`` after a check the gateway answered with an error: the call's age,
    at least ``interval`` and at most :data:`MAX_BACKOFF`. Each hold so doubles the call's age (10,
    20, 40, ... s after it was placed), with no count of failures to keep anywhere."""
    age = int((now - call.created_at).total_seconds())
    return min(max(interval, age), max(interval, MAX_BACKOFF))


def hold_after_failure(call: VoiceCall, error: GatewayError, *, interval: int) -> int:
    """After a failed check: hold the call for every poller, an interval when the gateway was silent,
    :func:`backoff` when it answered with an error; the seconds it is held."""
    seconds = (
        backoff(call, interval=interval, now=timezone.now()) if answered_with_an_error(error) else interval
    )
    retry_later(call, interval=seconds)
    return seconds


def release(calls: Sequence[VoiceCall]) -> None:
    """Give back calls claimed and not asked about (a run that stopped): free for the next poller."""
    stamps: dict[datetime | None, list[int]] = {}
    for call in calls:
        stamps.setdefault(call.poll_lease_until, []).append(call.pk)
    for stamp, pks in stamps.items():
        # Only a claim that is still this poller's: one that ran out may be another's by now.
        VoiceCall.objects.filter(pk__in=pks, poll_lease_until=stamp).update(poll_lease_until=None)
    for call in calls:
        call.poll_lease_until = None


def next_check_at(call: VoiceCall, *, interval: int, now: datetime) -> datetime:
    """When ``call`` falls due for a check: ``interval`` after its last one; while another poller holds
    it, when that claim runs out or an interval from now, whichever comes first."""
    due = now
    if call.checked_at is not None:
        due = max(due, call.checked_at + timedelta(seconds=interval))
    if call.poll_lease_until is not None and call.poll_lease_until > now:
        due = max(due, min(call.poll_lease_until, now + timedelta(seconds=interval)))
    return due
