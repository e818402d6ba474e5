"""The gateway page's figures: a few aggregate queries over a time range, no loop over rows.

Calls count by when they were placed and challenges by when they were created, both in
``[since, until)``. "Reached" challenges are those with at least one call the gateway took or may have
taken (calling, answered, unanswered, unknown): conversion is how many of those were verified, the one
figure that tells whether people hear and type the codes. Check problems are the calls still open
whose last check the gateway answered with no outcome (checkVoice's -1 for wrong credentials, 11, an
undocumented code, an answer nobody could read): the sign that the account, not the calls, is broken.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from ..gateways import Kind, Meaning, Operation, describe
from ..models import OPEN_CALL_STATUSES, CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

REACHED_STATUSES = (CallStatus.CALLING, CallStatus.ANSWERED, CallStatus.UNANSWERED, CallStatus.UNKNOWN)
MEDIAN_SAMPLE = 5000
"""The newest verified challenges the median is taken over: plenty for a median, bounded in memory."""
HOURLY_UP_TO = timedelta(hours=72)
"""Longer ranges are drawn per day: more than 72 bars is no longer a chart a person reads."""
MAX_RANGE = timedelta(days=92)


@dataclass(frozen=True)
class Refusal:
    """Calls one gateway refused with one send code; ``code`` is empty when it gave no answer at all."""

    gateway: str
    code: str
    count: int

    @property
    def meaning(self) -> Meaning | None:
        return describe(self.gateway, Operation.SEND, self.code)


@dataclass(frozen=True)
class CheckProblem:
    """Open calls whose last check one gateway answered with one code that is no outcome; ``code``
    is empty when the answer could not be read at all."""

    gateway: str
    code: str
    count: int

    @property
    def meaning(self) -> Meaning | None:
        return describe(self.gateway, Operation.CHECK, self.code)


OUTCOME_KINDS = frozenset({Kind.TAKEN, Kind.FAILED, Kind.PENDING})


@dataclass(frozen=True)
class GatewayCalls:
    """One gateway's calls in the range: how many it was asked, took, refused, left unknown."""

    gateway: str
    attempted: int
    placed: int
    rejected: int
    unknown: int


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


@dataclass(frozen=True)
class GatewayStats:
    since: datetime
    until: datetime
    attempted: int
    placed: int
    answered: int
    unanswered: int
    calling: int
    unknown: int
    rejected: int
    refusals: list[Refusal]
    challenges: int
    reached: int
    verified: int
    median_seconds: float | None
    buckets: list[Bucket]
    hourly: bool
    check_problems: list[CheckProblem]
    by_gateway: list[GatewayCalls]

    @property
    def conversion(self) -> float | None:
        """Verified among reached challenges, 0 to 1; None when nothing was reached."""
        return self.verified / self.reached if self.reached else None


def gateway_stats(since: datetime, until: datetime) -> GatewayStats:
    """The figures for ``[since, until)``; a range longer than :data:`MAX_RANGE` is cut to its end."""
    since = max(since, until - MAX_RANGE)
    calls = VoiceCall.objects.filter(created_at__gte=since, created_at__lt=until)
    by_status = calls.aggregate(
        attempted=Count("pk"),
        placed=Count("pk", filter=Q(request_id__isnull=False)),
        answered=Count("pk", filter=Q(status=CallStatus.ANSWERED)),
        unanswered=Count("pk", filter=Q(status=CallStatus.UNANSWERED)),
        calling=Count("pk", filter=Q(status=CallStatus.CALLING)),
        unknown=Count("pk", filter=Q(status=CallStatus.UNKNOWN)),
        rejected=Count("pk", filter=Q(status=CallStatus.REJECTED)),
    )
    refusals = [
        Refusal(row["gateway"], row["send_code"], row["count"])
        for row in calls.filter(status=CallStatus.REJECTED)
        .values("gateway", "send_code")
        .annotate(count=Count("pk"))
        .order_by("-count", "gateway", "send_code")
    ]
    challenges = OtpChallenge.objects.filter(created_at__gte=since, created_at__lt=until)
    reached_call = VoiceCall.objects.filter(challenge=OuterRef("pk"), status__in=REACHED_STATUSES)
    outcome = challenges.annotate(has_reached_call=Exists(reached_call)).aggregate(
        challenges=Count("pk"),
        reached=Count("pk", filter=Q(has_reached_call=True)),
        verified=Count("pk", filter=Q(has_reached_call=True, status=ChallengeStatus.VERIFIED)),
    )
    hourly = until - since <= HOURLY_UP_TO
    return GatewayStats(
        since=since,
        until=until,
        **by_status,
        refusals=refusals,
        **outcome,
        median_seconds=_median_seconds_to_verify(challenges),
        buckets=_buckets(calls, since, until, hourly=hourly),
        hourly=hourly,
        check_problems=_check_problems(calls),
        by_gateway=_by_gateway(calls),
    )


def _by_gateway(calls: QuerySet[VoiceCall]) -> list[GatewayCalls]:
    """Each gateway's share of the calls (one query): which one carries the site, which one refuses."""
    rows = (
        calls.values("gateway")
        .annotate(
            attempted=Count("pk"),
            placed=Count("pk", filter=Q(request_id__isnull=False)),
            rejected=Count("pk", filter=Q(status=CallStatus.REJECTED)),
            unknown=Count("pk", filter=Q(status=CallStatus.UNKNOWN)),
        )
        .order_by("gateway")
    )
    return [GatewayCalls(**row) for row in rows]


def _check_problems(calls: QuerySet[VoiceCall]) -> list[CheckProblem]:
    """The open calls by the code of a last check that is no outcome, most first (one query)."""
    rows = (
        calls.filter(Q(check_code__gt="") | Q(check_raw__gt=""), status__in=OPEN_CALL_STATUSES)
        .values("gateway", "check_code")
        .annotate(count=Count("pk"))
        .order_by("-count", "gateway", "check_code")
    )
    found = [CheckProblem(row["gateway"], row["check_code"], row["count"]) for row in rows]
    return [p for p in found if p.meaning is None or p.meaning.kind not in OUTCOME_KINDS]


def _median_seconds_to_verify(challenges: QuerySet[OtpChallenge]) -> float | None:
    rows = (
        challenges.filter(status=ChallengeStatus.VERIFIED, verified_at__isnull=False)
        .order_by("-created_at")
        .values_list("created_at", "verified_at")[:MEDIAN_SAMPLE]
    )
    durations = [(verified - created).total_seconds() for created, verified in rows if verified]
    return statistics.median(durations) if durations else None


def _buckets(calls: QuerySet[VoiceCall], since: datetime, until: datetime, *, hourly: bool) -> list[Bucket]:
    """Calls per hour (UTC hours, exact steps) or per local day, with empty buckets filled in."""
    trunc: TruncHour | TruncDay
    if hourly:
        trunc = TruncHour("created_at", tzinfo=dt_timezone.utc)
        first = since.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)
        starts: list[datetime] = []
        while first < until:
            starts.append(first)
            first += timedelta(hours=1)
    else:
        zone = timezone.get_current_timezone()
        trunc = TruncDay("created_at", tzinfo=zone)
        day, last = timezone.localtime(since, zone).date(), timezone.localtime(until, zone).date()
        starts = []
        while day <= last:
            starts.append(datetime.combine(day, time.min, tzinfo=zone))
            day += timedelta(days=1)
    counts: dict[datetime, int] = {
        row["bucket"]: row["count"]
        for row in calls.annotate(bucket=trunc).values("bucket").annotate(count=Count("pk")).order_by()
    }
    return [Bucket(start, counts.get(start, 0)) for start in starts]
