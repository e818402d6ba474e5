"""Toll-fraud guards: the spend cap and the per-prefix block.

The attack that empties an account is not guessing codes but pumping: bots asking for calls to ranges
of numbers an attacker profits from. Both guards live in the database, not the cache, so they hold
exactly across processes and keep holding when the cache is down (a spend guard must fail closed, and
a database that is down fails everything anyway).

The spend cap is counted where each call row is written (:func:`django_voiceotp.store.open_challenge`
and its siblings take ``DAILY_CALL_LIMIT``): counting the last 24 hours and writing the new call are
one step under a row lock, so of 20 parallel requests with 3 calls left exactly 3 go on. What the
site is told then is decided here (:func:`spend_cap_refusal`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import store
from .conf import PrefixGuard, VoiceOtpSettings
from .exceptions import RateLimited
from .models import NOT_CHARGED, ChallengeStatus, PrefixBlock, VoiceCall
from .phones import Phone
from .signals import call_blocked, prefix_blocked

logger = logging.getLogger("django_voiceotp.guards")

DAY = store.DAY


def calls_in_last_day(now: datetime | None = None) -> int:
    """The calls the spend cap counts now."""
    return store.charged_calls(now or timezone.now()).count()


def spend_cap_refusal(spent: store.SpendCapReached) -> RateLimited:
    """The refusal of a call past ``DAILY_CALL_LIMIT``, signalled and logged so someone hears of it."""
    call_blocked.send(sender=VoiceCall, guard="daily_call_limit", prefix="")
    logger.warning("daily call limit of %d reached", spent.limit)
    return RateLimited(
        spent.retry_after, _("The site has placed all the calls it may for now. Try again later.")
    )


def prefix_of(number: Phone, digits: int) -> str:
    """The first ``digits`` digits of the number as the gateway sees it (``036123`` of 0361234567)."""
    return number.national[:digits]


def check_prefix(number: Phone, values: VoiceOtpSettings) -> None:
    """Refuse a number whose prefix is blocked, or whose recent calls look like pumping. The rules
    call it only for callers they do not recognise as the number's holder (the guard stops pumping
    into a range, not the people who live in it), and it answers every such caller alike, whatever
    the number's history: a blocked range tells nobody which of its numbers are in use."""
    guard = values.PREFIX_GUARD
    if guard is None:
        return
    now = timezone.now()
    prefix = prefix_of(number, guard.prefix_digits)
    block = _block_in_force(prefix, now) or _block_if_pumped(number, prefix, guard, now)
    if block is None:
        return
    call_blocked.send(sender=VoiceCall, guard="prefix_guard", prefix=prefix)
    raise RateLimited(
        int((block.blocked_until - now).total_seconds()) + 1,
        _("Calls to numbers like this one are paused. Try again later."),
    )


def _block_in_force(prefix: str, now: datetime) -> PrefixBlock | None:
    return (
        PrefixBlock.objects.filter(prefix=prefix, blocked_until__gt=now, lifted_at__isnull=True)
        .order_by("-blocked_until")
        .first()
    )


def _block_if_pumped(number: Phone, prefix: str, guard: PrefixGuard, now: datetime) -> PrefixBlock | None:
    """A new block of ``prefix`` when its calls in the window look like pumping, else None."""
    stats = VoiceCall.objects.filter(
        is_test=False,
        phone__startswith=e164_prefix(number, prefix),
        created_at__gt=now - timedelta(seconds=guard.window),
    ).aggregate(
        calls=Count("pk", filter=~Q(status__in=NOT_CHARGED)),
        verified=Count(
            "pk", filter=~Q(status__in=NOT_CHARGED) & Q(challenge__status=ChallengeStatus.VERIFIED)
        ),
    )
    calls, verified = stats["calls"], stats["verified"]
    if calls < guard.min_calls or (calls - verified) / calls <= guard.max_unverified_ratio:
        return None
    seconds = block_length(prefix, guard, now)
    block = PrefixBlock.objects.create(
        prefix=prefix,
        blocked_at=now,
        blocked_until=now + timedelta(seconds=seconds),
        calls=calls,
        unverified=calls - verified,
    )
    logger.warning(
        "prefix %s blocked for %d s: %d calls, %d never verified", prefix, seconds, calls, calls - verified
    )
    prefix_blocked.send(sender=PrefixBlock, block=block)
    return block


def block_length(prefix: str, guard: PrefixGuard, now: datetime) -> int:
    """Seconds a new block of ``prefix`` lasts: ``first_block_for``, or twice the last one (up to
    ``block_for``) when pumping resumed within ``block_for`` of its end. A block an operator lifted
    starts the count over: it was the guard's mistake."""
    last = PrefixBlock.objects.filter(prefix=prefix).order_by("-blocked_at").first()
    if (
        last is None
        or last.lifted_at is not None
        or now - last.blocked_until > timedelta(seconds=guard.block_for)
    ):
        return min(guard.first_block_for, guard.block_for)
    lasted = (last.blocked_until - last.blocked_at).total_seconds()
    return int(min(max(lasted * 2, guard.first_block_for), guard.block_for))


def lift(block: PrefixBlock, by: object) -> bool:
    """Lift a block in force (an operator's decision); False when it was over already."""
    lifted = PrefixBlock.objects.filter(pk=block.pk, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=by
    )
    if lifted:
        logger.warning("prefix %s unblocked by an operator", block.prefix)
    return bool(lifted)


def e164_prefix(number: Phone, local_prefix: str) -> str:
    """The stored (E.164) form of a local prefix: ``036123`` -> ``+8436123``."""
    if not number.national.startswith("0"):  # international digits already
        return "+" + local_prefix
    country_code = number.e164[1 : len(number.e164) - len(number.national) + 1]
    return f"+{country_code}{local_prefix[1:]}"
