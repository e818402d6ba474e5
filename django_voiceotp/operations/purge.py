"""Deleting finished challenges, and their calls, past a given age (``voiceotp_purge``).

A pending challenge whose code is still live is never deleted, whatever its age; a pending one past
its expiry is finished in all but name. Rows go in batches, each in its own short transaction, so a
purge of a year of rows never holds locks the API is waiting on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import ChallengeStatus, OtpChallenge, VoiceCall

MIN_AGE = 3600
"""Seconds: nothing younger is purged, so a typo cannot delete codes people are typing in."""
BATCH_SIZE = 500


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
    """Delete finished challenges created more than ``older_than`` seconds ago, with their calls."""
    if older_than < MIN_AGE:
        raise ValueError(f"refusing to purge challenges younger than {MIN_AGE} seconds")
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
