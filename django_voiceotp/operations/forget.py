"""Forgetting a number (``voiceotp_forget``): a data subject's request under the GDPR (Art. 17) or
Vietnam's Decree 13/2023/ND-CP (Art. 16), answered by erasing every form of the number the app keeps.

Erased or anonymised, field by field (``docs/security.md`` says why each):

- a challenge's number (to ``""``), its account and address (the person's, and nothing counts
  them), its owner down to its lane (``member:42`` is an account; ``holder``, ``member`` or
  ``anyone`` is no one), its code's hash and salt; a live or resendable challenge is canceled;
- a call's number (to ``""``, or inside ``PREFIX_GUARD``'s window to the prefix the guard counts,
  ``+8436123*``: :data:`django_voiceotp.models.FORGOTTEN_MARK`), its code's digest (keyed with the
  number), the gateway's id of it (the gateway's own records give the number back), the gateway's
  raw answers (free text that may echo the number), and any other text of it that holds a form of
  the number;
- the number's limits in the cache (:func:`django_voiceotp.services.budgets.erase_number`);
- a blocked prefix so long that it hides fewer than :data:`HIDDEN_DIGITS` of the number's digits.

Kept: each row, its times, statuses, counts and gateway, so that the spend cap (``DAILY_CALL_LIMIT``)
goes on counting the calls it counted, the statistics stay whole, and ``voiceotp_purge`` deletes the
rows at the age it deletes any other.

A request for the number in flight while it is forgotten (written before the forget, its gateway's
answer still to come) is waited for, up to the gateway chain's deadline, and forgotten again once
answered; a request that reaches the database after the forget returned is a new one.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import OperationalError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from ..conf import VoiceOtpSettings, get_settings
from ..guards import e164_prefix, prefix_of
from ..models import FORGOTTEN_MARK, CallStatus, ChallengeStatus, OtpChallenge, PrefixBlock, VoiceCall
from ..phones import Phone, parse_any_number, stored_forms
from ..services import budgets
from ..services.caller import Lane
from ..signals import number_forgotten

__all__ = ["CacheNotErased", "Forgotten", "forget_number"]

logger = logging.getLogger("django_voiceotp.operations.forget")

HIDDEN_DIGITS = 4
"""A prefix kept must leave this many of the number's digits out: 10,000 numbers share it."""
PASSES = 5
"""Passes over the rows at most: a pass that finds no row with the number ends it (a row written
meanwhile by a request in flight is found by the next)."""
SETTLE_POLL = 0.2
"""Seconds between looks at calls whose gateway has not answered yet."""
SETTLE_SLACK = 1.0
"""Seconds past the gateway chain's deadline (its ``TIMEOUT`` together) for the answer's writes."""

OPEN_AGAIN = (ChallengeStatus.PENDING, ChallengeStatus.EXPIRED)
"""Statuses from which a guess or a resend could still use a challenge: forgetting cancels them."""
TEXT_KEPT = {
    OtpChallenge: ("failure",),
    VoiceCall: ("send_code", "send_error", "check_code"),
}
"""The app's own words and the gateway's outcome codes: kept (the admin and the outcome statistics
read them) unless one holds a form of the number."""


@dataclass(frozen=True)
class Forgotten:
    """What a forget found (a dry run) or erased: rows anonymised, cache keys and blocks deleted."""

    challenges: int
    calls: int
    cache_keys: int
    prefix_blocks: int
    in_flight: int = 0
    """Calls whose gateway had not answered when the forget began (waited for, then forgotten)."""


def forget_number(
    number: Phone | str, *, dry_run: bool = False, wait: bool = True, values: VoiceOtpSettings | None = None
) -> Forgotten:
    """Erase or anonymise every challenge and call of ``number`` and its limits in the cache, keeping
    what the spend cap counts (see the module's docstring), then send ``number_forgotten``; with
    ``dry_run``, count them and change nothing. ``wait``: wait for calls whose gateway had not
    answered yet (at most the chain's deadline), then forget their answers too.

    ``number``: a parsed number, or text in any form the API reads, of any region
    (:func:`django_voiceotp.phones.parse_any_number`, which raises ``UncallableNumber``). Raises
    :class:`CacheNotErased` when the cache fails, after the rows are forgotten: run it again (it is
    idempotent).
    """
    values = values or get_settings()
    if isinstance(number, str):
        number = parse_any_number(number, default_region=values.DEFAULT_REGION)
    if dry_run:
        return _count(number)
    found = _every_pass(number, values)
    if wait:
        found = _after_the_answers(found, number, values)
    blocks = _long_prefix_blocks(number)
    blocked = blocks.count()
    blocks.delete()
    logger.warning(
        "number %s forgotten: %d challenges and %d calls anonymised, %d blocked prefixes deleted",
        number.masked,
        found.challenges,
        found.calls,
        blocked,
    )
    number_forgotten.send(sender=OtpChallenge, phone=number.e164)
    done = Forgotten(found.challenges, found.calls, 0, blocked, len(found.unanswered))
    try:
        keys = budgets.erase_number(number.e164, found.owners)
    except Exception as exc:
        logger.error("forgetting %s: the cache failed while its limits were erased", number.masked)
        raise CacheNotErased(done) from exc
    return dataclasses.replace(done, cache_keys=keys)


def _count(number: Phone) -> Forgotten:
    """What a forget would find now (a dry run): :class:`CacheNotErased` when the cache cannot say."""
    owners = set(OtpChallenge.objects.filter(phone=number.e164).values_list("owner", flat=True))
    found = Forgotten(
        challenges=OtpChallenge.objects.filter(phone=number.e164).count(),
        calls=VoiceCall.objects.filter(phone=number.e164).count(),
        cache_keys=0,
        prefix_blocks=_long_prefix_blocks(number).count(),
    )
    try:
        return dataclasses.replace(found, cache_keys=budgets.erase_number(number.e164, owners, dry_run=True))
    except Exception as exc:
        raise CacheNotErased(found) from exc


class CacheNotErased(Exception):
    """The rows are forgotten (``forgotten``; in a dry run, counted), but the cache failed while the
    number's limits were erased (or counted): the forget is to be run again (the keys also lapse by
    themselves, within their period)."""

    def __init__(self, forgotten: Forgotten) -> None:
        super().__init__("the cache failed while the number's limits were erased")
        self.forgotten = forgotten


@dataclass(frozen=True)
class _Pass:
    """What passes over the rows found: the rows that had the number, the owners of its challenges
    (whose limits the cache holds), its calls whose gateway had not answered yet."""

    challenges: int = 0
    calls: int = 0
    owners: frozenset[str] = frozenset()
    unanswered: frozenset[int] = frozenset()

    def and_then(self, other: _Pass) -> _Pass:
        return _Pass(
            self.challenges + other.challenges,
            self.calls + other.calls,
            self.owners | other.owners,
            self.unanswered | other.unanswered,
        )


def _every_pass(number: Phone, values: VoiceOtpSettings) -> _Pass:
    """Passes until one finds no row with the number (a request in flight may write one meanwhile),
    at most :data:`PASSES`; a pass rolled back (a deadlock with a writer of the same rows) is retried."""
    found = _Pass()
    for _ in range(PASSES):
        try:
            this = _anonymise(number, values)
        except OperationalError:
            logger.warning("forgetting %s: a pass was rolled back; trying again", number.masked)
            continue
        if not this.challenges and not this.calls:
            break
        found = found.and_then(this)
    return found


def _anonymise(number: Phone, values: VoiceOtpSettings) -> _Pass:
    """One pass: every row that has the number now, anonymised in one transaction, its rows locked
    first so that a guess, a resend or a poller's answer waits for it and then finds the row
    forgotten (each of them writes only if the row is still as it read it)."""
    e164 = number.e164
    with transaction.atomic():
        found = list(
            OtpChallenge.objects.select_for_update()
            .filter(Q(phone=e164) | Q(pk__in=VoiceCall.objects.filter(phone=e164).values("challenge_id")))
            .values_list("pk", "owner", "phone")
        )
        ids = [pk for pk, _, _ in found]
        call_rows = VoiceCall.objects.select_for_update().filter(Q(phone=e164) | Q(challenge_id__in=ids))
        unanswered = set(call_rows.filter(status=CallStatus.QUEUED).values_list("pk", flat=True))
        calls = _anonymise_calls(call_rows, number, values)
        OtpChallenge.objects.filter(pk__in=ids).update(
            phone="",
            owner=_lane_of_owner(),
            user=None,
            client_ip=None,
            code_hash="",
            code_salt="",
            status=Case(
                When(status__in=OPEN_AGAIN, then=Value(ChallengeStatus.CANCELED)), default=F("status")
            ),
            **_scrubbed(OtpChallenge, number),
        )
    named = sum(1 for _, _, phone in found if phone == e164)
    return _Pass(named, calls, frozenset(owner for _, owner, _ in found), frozenset(unanswered))


def _anonymise_calls(rows: QuerySet[VoiceCall], number: Phone, values: VoiceOtpSettings) -> int:
    """The calls' numbers erased, or kept as the prefix guard's prefix inside its window; how many
    calls had the number."""
    named = rows.filter(phone=number.e164).count()
    changes: dict[str, object] = {
        "sent_digest": "",
        "request_id": None,
        "send_raw": "",
        "check_raw": "",
        **_scrubbed(VoiceCall, number),
    }
    kept = _counted_prefix(number, values)
    if kept is None or values.PREFIX_GUARD is None:
        rows.update(phone="", **changes)
        return named
    counted = Q(created_at__gt=timezone.now() - timedelta(seconds=values.PREFIX_GUARD.window), is_test=False)
    rows.filter(counted, phone=number.e164).update(phone=kept, **changes)
    rows.exclude(phone=kept).update(phone="", **changes)
    return named


def _counted_prefix(number: Phone, values: VoiceOtpSettings) -> str | None:
    """The number as the prefix guard counts it (``+8436123*``), or None when the guard is off or its
    prefix would leave fewer than :data:`HIDDEN_DIGITS` digits out."""
    guard = values.PREFIX_GUARD
    if guard is None or guard.prefix_digits > len(number.national) - HIDDEN_DIGITS:
        return None
    return e164_prefix(number, prefix_of(number, guard.prefix_digits)) + FORGOTTEN_MARK


def _lane_of_owner() -> Case:
    """``member:42`` -> ``member``, ``holder:member:42`` -> ``holder``, ``anyone:<tag>`` -> ``anyone``."""
    return Case(
        *(
            When(Q(owner=lane.value) | Q(owner__startswith=f"{lane.value}:"), then=Value(lane.value))
            for lane in Lane
        ),
        default=Value(""),
    )


def _scrubbed(model: type[OtpChallenge] | type[VoiceCall], number: Phone) -> dict[str, Case]:
    """Each kept text field, emptied where it holds a form of the number."""
    forms = stored_forms(number)
    changes = {}
    for name in TEXT_KEPT[model]:
        holds = Q()
        for form in forms:
            holds |= Q(**{f"{name}__contains": form})
        changes[name] = Case(When(holds, then=Value("")), default=F(name))
    return changes


def _after_the_answers(found: _Pass, number: Phone, values: VoiceOtpSettings) -> _Pass:
    """Wait for the gateway's answers to the calls it had not answered (up to the chain's deadline),
    erase what they wrote, and pass over the rows again: a request in flight may have written a
    further call meanwhile (the next gateway's), whose answer is waited for in turn."""
    end = time.monotonic() + sum(values.TIMEOUT) + SETTLE_SLACK
    waited: frozenset[int] = frozenset()
    while found.unanswered - waited and time.monotonic() < end:
        _settle(found.unanswered, end)
        _scrub_answers(found.unanswered, number)
        waited = found.unanswered
        found = found.and_then(_every_pass(number, values))
    return found


def _settle(calls: Iterable[int], end: float) -> None:
    """Wait until the gateway has answered each of these calls (its answer is written), or until
    ``end`` (on the monotonic clock)."""
    ids = list(calls)
    while time.monotonic() < end:
        if not VoiceCall.objects.filter(pk__in=ids, status=CallStatus.QUEUED).exists():
            return
        time.sleep(SETTLE_POLL)


def _scrub_answers(calls: Iterable[int], number: Phone) -> None:
    """Erase again what a gateway's late answer wrote on calls already forgotten."""
    VoiceCall.objects.filter(pk__in=list(calls)).update(
        request_id=None, send_raw="", check_raw="", **_scrubbed(VoiceCall, number)
    )


def _long_prefix_blocks(number: Phone) -> QuerySet[PrefixBlock]:
    """Blocked prefixes of the number that leave fewer than :data:`HIDDEN_DIGITS` of it out."""
    national = number.national
    longest = range(max(len(national) - HIDDEN_DIGITS + 1, 1), len(national) + 1)
    return PrefixBlock.objects.filter(prefix__in=[national[:n] for n in longest])
