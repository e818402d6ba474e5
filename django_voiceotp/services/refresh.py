"""A challenge as a person waiting on it should see it: its call's outcome first asked of the gateway
when it is stale and nothing else asks."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone

from .. import conf, ratelimits, store
from ..gateways import GatewayError
from ..models import OPEN_CALL_STATUSES, ChallengeStatus, OtpChallenge
from . import calls, states

logger = logging.getLogger("django_voiceotp")


def refresh_challenge(challenge_id: Any, *, integrations: bool = True) -> OtpChallenge:
    """The challenge, its call status first refreshed from the gateway when it is stale (see
    :func:`_refresh_on_read`); ``NotFound`` when there is none. ``read_challenge`` is its older name."""
    challenge = states.get_challenge(challenge_id, integrations=integrations)
    if challenge.call_status in OPEN_CALL_STATUSES and _refresh_on_read(challenge):
        challenge.refresh_from_db()
    return challenge


def _refresh_on_read(challenge: OtpChallenge) -> bool:
    """Ask the gateway about a pending challenge's open latest call, when nothing else does.

    Sites without a task worker still show outcomes to the person waiting, at the cost of at most one
    check per call per ``POLL_ON_READ_INTERVAL``: the interval must have passed since the call was
    placed or last checked, and a cache ``add`` lets only one of many parallel readers ask. The check
    uses the gateway's variant for a person waiting (no retries, short timeouts); a gateway failure is
    logged and the challenge is shown as it is. True when the call's status changed.
    """
    values = conf.get_settings()
    interval = values.POLL_ON_READ_INTERVAL
    now = timezone.now()
    if not interval or challenge.effective_status(now) != ChallengeStatus.PENDING:
        return False
    stale_before = now - timedelta(seconds=interval)
    if challenge.created_at > stale_before:  # no call of it can have been placed earlier
        return False
    if conf.polls_in_background():
        return False
    row = store.latest_call(challenge)
    if row is None or row.status not in OPEN_CALL_STATUSES or not row.request_id:
        return False
    if (row.checked_at or row.created_at) > stale_before:
        return False
    if row.poll_lease_until is not None and row.poll_lease_until > now:
        return False  # a poller is asking about it, or holds it after a failed check
    try:
        if not ratelimits.first_to_ask(f"voiceotp:read-check:{row.pk}", interval):
            return False
        with calls.placed_by(row).for_a_person() as gateway:
            return calls.refresh_call(row, gateway)
    except GatewayError as exc:
        logger.warning("checking call %s on read failed: %s", row.pk, exc.message)
    except Exception:  # a cache outage must not fail a read that needs no cache
        logger.exception("refreshing call %s on read failed", row.pk)
    return False
