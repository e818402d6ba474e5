"""The gateway page's time range, read from its query string: ``?hours=N`` or ``?since=``/``?until=``.

Whatever the query holds, the answer is a range the page can count and draw. Text that is not a plain
``YYYY-MM-DD`` date or a whole number of hours (in ASCII digits: ``int()`` would also take ``١٢``,
``1_0`` and ``+1``) gives the default range and says why. Dates that do parse are held between
:data:`EARLIEST_DAY` and today: the page has nothing to show after today, and near ``date.min`` or
``date.max`` the range's own arithmetic (the day after ``until``, the cut to :data:`MAX_RANGE`, the move
to UTC) would leave what a ``datetime`` can hold.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..operations.stats import MAX_RANGE

DEFAULT_HOURS = 24
HOURS_CHOICES = (1, 6, 24, 72, 24 * 7, 24 * 30)
MAX_HOURS = int(MAX_RANGE.total_seconds() // 3600)
EARLIEST_DAY = date.min + MAX_RANGE + timedelta(days=2)
"""The first day a range may start or end on: its midnight, moved back by :data:`MAX_RANGE` and then
to UTC from any time zone (less than a day away), is still a datetime."""

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE_HOURS = re.compile(r"[0-9]{1,6}")


class TimeRange(NamedTuple):
    since: datetime
    until: datetime
    problem: str
    """Why the query could not be read, when the default range is shown instead; empty otherwise."""


def time_range(request: HttpRequest) -> TimeRange:
    """``?hours=N`` back from now, or ``?since=`` / ``?until=`` local dates (both days included).

    Of a repeated parameter the last value counts, as ``QueryDict.get`` reads it.
    """
    now = timezone.now()
    params = request.GET
    if params.get("since") or params.get("until"):
        return _days(params.get("since", ""), params.get("until", ""), now)
    if "hours" in params:
        return _hours(params.get("hours", ""), now)
    return _default(now, "")


def _days(since_text: str, until_text: str, now: datetime) -> TimeRange:
    today = timezone.localdate(now)
    try:
        until_day = _day(until_text) or today
        since_day = _day(since_text) or until_day
    except ValueError:
        return _default(now, str(_("Dates are written YYYY-MM-DD; showing the last 24 hours.")))
    since_day, until_day = sorted((_held(since_day, today), _held(until_day, today)))
    since = timezone.make_aware(datetime.combine(since_day, time.min))
    until = timezone.make_aware(datetime.combine(until_day + timedelta(days=1), time.min))
    return TimeRange(since, min(until, now), "")


def _hours(text: str, now: datetime) -> TimeRange:
    text = text.strip()
    hours = int(text) if _WHOLE_HOURS.fullmatch(text) else 0
    if not 1 <= hours <= MAX_HOURS:
        return _default(now, str(_("Choose from 1 hour to 92 days; showing the last 24 hours.")))
    return TimeRange(now - timedelta(hours=hours), now, "")


def _default(now: datetime, problem: str) -> TimeRange:
    return TimeRange(now - timedelta(hours=DEFAULT_HOURS), now, problem)


def _day(text: str) -> date | None:
    """The date ``text`` names, None for no text; ValueError for anything but a real ``YYYY-MM-DD``."""
    text = text.strip()
    if not text:
        return None
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)  # ValueError for 2026-02-30 and year 0


def _held(day: date, today: date) -> date:
    return min(max(day, EARLIEST_DAY), today)
