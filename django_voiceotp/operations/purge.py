"""Deleting finished challenges, and their calls, past a given age (``voiceotp_purge``).

A pending challenge whose code is still live is never deleted, whatever its age; a pending one past
its expiry is finished in all but name. Rows go in batches, each in its own short transaction, so a
purge of a year of rows never holds locks the API is waiting on.

The call rows are also what three guards count: the spend cap (the calls of the last 24 hours), the
prefix guard (its ``window``) and the repeat window (the codes a number was sent). Deleting them
younger than that would hand out calls the cap already counted, so such ages are refused
(:func:`youngest_age`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..conf import VoiceOtpSettings, get_settings
from ..gateways import repeat_window
from ..guards import DAY
from ..models import ChallengeStatus, OtpChallenge, VoiceCall

MIN_AGE = 3600
"""Seconds: nothing younger is purged, so a typo cannot delete codes people are typing in."""
BATCH_SIZE = 500


@dataclass(frozen=True)
class PurgeFloor:
    """The youngest age a purge may delete, and the setting that makes it so."""

    seconds: int
    reason: str


def youngest_age(values: VoiceOtpSettings | None = None) -> PurgeFloor:
    """The youngest rows a purge may delete under these settings: older than every guard's window."""
    values = values or get_settings()
    floors = [
        PurgeFloor(MIN_AGE, "codes that young may still be in use"),
        PurgeFloor(repeat_window(), "REPEAT_WINDOW keeps the codes each number was sent"),
    ]
    if values.DAILY_CALL_LIMIT is not None:
        floors.append(
            PurgeFloor(int(DAY.total_seconds()), "DAILY_CALL_LIMIT counts the calls of the last 24 hours")
        )
    if values.PREFIX_GUARD is not None:
        floors.append(PurgeFloor(values.PREFIX_GUARD.window, "PREFIX_GUARD counts the calls of its window"))
    return max(floors, key=lambda floor: floor.seconds)


@dataclass(frozen=True)
class PurgeCount:
    challenges: int
    calls: int


def finished_before(cutoff: datetime, now: datetime | None = None) -> QuerySet[OtpChallenge]:
    """Challenges created before ``cutoff`` whose code can no longer be used."""
    now = now or timezone.now()
    live = Q(status=ChallengeStatus.PENDING, expires_at__gt=now)
    return OtpChallenge.objects.filter(created_at__lt=cutoff).exclude(live)


def count(older_than: int) -> PurgeCount:
    """What :func:`purge` would delete now."""
    challenges = finished_before(timezone.now() - timedelta(seconds=older_than))
    return PurgeCount(challenges.count(), VoiceCall.objects.filter(challenge__in=challenges).count())


def purge(older_than: int, *, batch_size: int = BATCH_SIZE) -> PurgeCount:
    """Delete finished challenges created more than ``older_than`` seconds ago, with their calls.

    Raises ``ValueError`` for an age under :func:`youngest_age`.
    """
    floor = youngest_age()
    if older_than < floor.seconds:
        raise ValueError(f"refusing to purge rows younger than {floor.seconds} seconds: {floor.reason}")
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than)
    challenges = calls = 0
    while True:
        with transaction.atomic():
            batch = list(finished_before(cutoff, now).values_list("pk", flat=True)[:batch_size])
            if not batch:
                return PurgeCount(challenges, calls)
            _, deleted = OtpChallenge.objects.filter(pk__in=batch).delete()
        challenges += deleted.get(OtpChallenge._meta.label, 0)
        calls += deleted.get(VoiceCall._meta.label, 0)
