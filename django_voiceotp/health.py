"""Which gateways are worth asking now: a circuit breaker per gateway, shared through the cache.

A gateway that fails (no connection, no answer, nonsense, its own fault, the account or the money)
is skipped for :data:`PAUSE` seconds after :data:`TRIP_AFTER` failures in a row, at once for the
account or the money (certain until someone acts). After the pause it is *half open*: the first
request to ask wins the one real call (a ``cache.add``), and its outcome closes the breaker or opens
it again; the others keep going to the next gateway. The breaker's state lives in the cache so
every process sees it. It is advice, not a limit: a cache that fails means every gateway is
healthy, and a gateway that is paused is still asked when every one before it has certainly not
placed the call (a site is never dark while one gateway might answer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.core.cache import caches

from .conf import get_settings
from .gateways import VoiceGateway

logger = logging.getLogger("django_voiceotp.health")

PAUSE = 60
"""Seconds a failed gateway is skipped before one call tries it again."""
TRIP_AFTER = 3
"""Failures in a row that open a gateway's breaker (unless the failure is certain: account, money)."""
_KEY = "voiceotp:gateway-health:"


@dataclass(frozen=True)
class Health:
    """A gateway's breaker as the gateway page shows it."""

    label: str
    failures: int
    paused_until: float | None
    """When the pause ends (epoch seconds), None while the breaker is closed."""

    @property
    def paused(self) -> bool:
        return self.paused_until is not None and self.paused_until > time.time()

    @property
    def paused_until_at(self) -> datetime | None:
        """The end of the pause (``paused_until``) as a time a page shows."""
        return (
            None if self.paused_until is None else datetime.fromtimestamp(self.paused_until, tz=timezone.utc)
        )

    @property
    def state(self) -> str:
        """``answering``, ``failing`` (failures not yet enough to pause it), ``paused``, or
        ``probing`` (the pause is over: the next call tries it)."""
        if self.paused_until is None:
            return "failing" if self.failures else "answering"
        return "paused" if self.paused else "probing"


def _cache() -> Any:
    return caches[get_settings().CACHE]


def health_of(label: str) -> Health:
    try:
        state = _cache().get(_KEY + label) or {}
    except Exception:
        logger.warning("the cache did not answer: gateway %s counts as healthy", label, exc_info=True)
        state = {}
    until = state.get("open_until")
    return Health(label, int(state.get("failures", 0)), float(until) if until else None)


def in_order(gateways: Sequence[VoiceGateway]) -> list[VoiceGateway]:
    """The gateways to try, in the site's order: the healthy (and one half-open probe) first, then
    those paused."""
    ready: list[VoiceGateway] = []
    paused: list[VoiceGateway] = []
    for gateway in gateways:
        (ready if _may_ask(gateway.label) else paused).append(gateway)
    return ready + paused


def _may_ask(label: str) -> bool:
    health = health_of(label)
    if health.paused_until is None:
        return True
    if health.paused:
        return False
    try:  # half open: one request asks it, the others go on to the next gateway
        return bool(_cache().add(f"{_KEY}probe:{label}", 1, PAUSE))
    except Exception:
        return True


def failed(label: str, *, certain: bool) -> None:
    """The gateway failed a call: counted, and its breaker opened at the :data:`TRIP_AFTER`-th failure
    in a row, or at once when ``certain``."""
    health = health_of(label)
    failures = health.failures + 1
    state: dict[str, Any] = {"failures": failures}
    if certain or failures >= TRIP_AFTER:
        state["open_until"] = time.time() + PAUSE
        if not health.paused:
            logger.warning("gateway %s is paused for %d s after %d failures", label, PAUSE, failures)
    try:
        _cache().set(_KEY + label, state, PAUSE * 10)
        _cache().delete(f"{_KEY}probe:{label}")
    except Exception:
        logger.warning("the cache did not answer: gateway %s's failure is not kept", label, exc_info=True)


def worked(label: str) -> None:
    """The gateway answered as a gateway should: its breaker closes."""
    if health_of(label).failures == 0:
        return
    try:
        _cache().delete_many([_KEY + label, f"{_KEY}probe:{label}"])
        logger.info("gateway %s answers again", label)
    except Exception:
        logger.warning("the cache did not answer: gateway %s stays counted", label, exc_info=True)
