"""The gateway page's time range, read from its query string: ``?hours=N`` or ``?since=``/``?until=``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..operations.stats import MAX_RANGE

DEFAULT_HOURS = 24
HOURS_CHOICES = (1, 6, 24, 72, 24 * 7, 24 * 30)


def time_range(request: HttpRequest) -> tuple[datetime, datetime, str]:
    """``?hours=N`` back from now, or ``?since=`` / ``?until=`` local dates (both days included).

    Returns the range and, when the query could not be read, why (the default range is used then).
    """
    now = timezone.now()
    default = (now - timedelta(hours=DEFAULT_HOURS), now)
    params = request.GET
    if params.get("since") or params.get("until"):
        try:
            until_day = _day(params.get("until")) or timezone.localdate(now)
            since_day = _day(params.get("since")) or until_day
        except ValueError:
            return (*default, str(_("Dates are written YYYY-MM-DD; showing the last 24 hours.")))
        if since_day > until_day:
            since_day, until_day = until_day, since_day
        since = timezone.make_aware(datetime.combine(since_day, time.min))
        until = timezone.make_aware(datetime.combine(until_day + timedelta(days=1), time.min))
        return since, min(until, now), ""
    if "hours" in params:
        try:
            hours = int(params["hours"])
        except ValueError:
            hours = 0
        if not 1 <= hours <= MAX_RANGE.total_seconds() // 3600:
            return (*default, str(_("Choose from 1 hour to 92 days; showing the last 24 hours.")))
        return now - timedelta(hours=hours), now, ""
    return (*default, "")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text.strip()) if text and text.strip() else None
