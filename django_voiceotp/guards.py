"""Toll-fraud guards: the spend cap and the per-prefix block.

The attack that empties an account is not guessing codes but pumping: bots asking for calls to ranges
of numbers an attacker profits from. Both guards live in the database, not the cache, so they hold
exactly across processes and keep holding when the cache is down (a spend guard must fail closed, and
a database that is down fails everything anyway).

Every call row is created inside :func:`spend_slot`: under ``DAILY_CALL_LIMIT`` it takes a row lock on a
one-row ledger, counts the calls of the last 24 hours and lets the caller insert the new call in the
same short transaction, so of 20 parallel requests with 3 calls left exactly 3 go on. (SQLite has no
row locks and serialises writers instead: exact in one process, which is what SQLite is for.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import router, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import statements
from .conf import VoiceOtpSettings
from .exceptions import RateLimited
from .models import CallLedger, CallStatus, ChallengeStatus, PrefixBlock, VoiceCall
from .phones import Phone
from .signals import call_blocked

logger = logging.getLogger("django_voiceotp.guards")

DAY = timedelta(hours=24)
NOT_CHARGED = (CallStatus.REJECTED,)
"""Calls that do not count against the spend cap: the gateway refused them or never saw them."""


def _charged_in_last_day(now: datetime) -> QuerySet[VoiceCall]:
    """Calls placed (or in flight) across the site in the 24 hours before ``now``: what the cap counts."""
    return VoiceCall.objects.filter(created_at__gt=now - DAY).exclude(status__in=NOT_CHARGED)


def calls_in_last_day(now: datetime | None = None) -> int:
    return _charged_in_last_day(now or timezone.now()).count()


@contextmanager
def spend_slot(values: VoiceOtpSettings, *, one_statement: bool = False) -> Iterator[None]:
    """Hold one call's worth of the daily spend cap for the block: create the call row inside it.

    Opens a transaction; under ``DAILY_CALL_LIMIT`` it locks the one-row ledger, so that counting
    the last 24 hours and inserting the new call happen as one step across every process. A block
    that writes in ``one_statement`` is atomic on its own: without the cap it gets no transaction
    (a BEGIN and a COMMIT would be two more round trips), only a savepoint inside a caller's
    transaction, so that its failure dooms nothing else there.
    """
    if one_statement and values.DAILY_CALL_LIMIT is None:
        with statements.savepoint_in_a_transaction(VoiceCall):
            yield
        return
    with transaction.atomic(using=router.db_for_write(VoiceCall)):
        if values.DAILY_CALL_LIMIT is not None:
            CallLedger.objects.select_for_update().get_or_create(pk=1)
            now = timezone.now()
            counted = _charged_in_last_day(now)
            if counted.count() >= values.DAILY_CALL_LIMIT:
                # The cap frees up when the oldest counted call leaves the 24-hour window.
                oldest = counted.order_by("created_at").values_list("created_at", flat=True).first()
                wait = (oldest + DAY - now).total_seconds() if oldest else 60
                call_blocked.send(sender=VoiceCall, guard="daily_call_limit", prefix="")
                logger.warning("daily call limit of %d reached", values.DAILY_CALL_LIMIT)
                raise RateLimited(
                    int(wait) + 1, _("The site has placed all the calls it may for now. Try again later.")
                )
        yield


def prefix_of(number: Phone, digits: int) -> str:
    """The first ``digits`` digits of the number as the gateway sees it (``036123`` of 0361234567)."""
    return number.national[:digits]


def check_prefix(number: Phone, values: VoiceOtpSettings) -> None:
    """Refuse a number whose prefix is blocked, or whose recent calls look like pumping."""
    guard = values.PREFIX_GUARD
    if guard is None:
        return
    now = timezone.now()
    prefix = prefix_of(number, guard.prefix_digits)
    block = (
        PrefixBlock.objects.filter(prefix=prefix, blocked_until__gt=now, lifted_at__isnull=True)
        .order_by("-blocked_until")
        .first()
    )
    if block is None:
        stats = VoiceCall.objects.filter(
            phone__startswith=_e164_prefix(number, prefix),
            created_at__gt=now - timedelta(seconds=guard.window),
        ).aggregate(
            calls=Count("pk", filter=~Q(status__in=NOT_CHARGED)),
            verified=Count(
                "pk", filter=~Q(status__in=NOT_CHARGED) & Q(challenge__status=ChallengeStatus.VERIFIED)
            ),
        )
        calls, verified = stats["calls"], stats["verified"]
        if calls < guard.min_calls or (calls - verified) / calls <= guard.max_unverified_ratio:
            return
        block = PrefixBlock.objects.create(
            prefix=prefix,
            blocked_until=now + timedelta(seconds=guard.block_for),
            calls=calls,
            unverified=calls - verified,
        )
        logger.warning(
            "prefix %s blocked for %d s: %d calls, %d never verified",
            prefix,
            guard.block_for,
            calls,
            calls - verified,
        )
    call_blocked.send(sender=VoiceCall, guard="prefix_guard", prefix=prefix)
    raise RateLimited(
        int((block.blocked_until - now).total_seconds()) + 1,
        _("Calls to numbers like this one are paused. Try again later."),
    )


def _e164_prefix(number: Phone, local_prefix: str) -> str:
    """The stored (E.164) form of a local prefix: ``036123`` -> ``+8436123``."""
    if not number.national.startswith("0"):  # international digits already
        return "+" + local_prefix
    country_code = number.e164[1 : len(number.e164) - len(number.national) + 1]
    return f"+{country_code}{local_prefix[1:]}"
