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


def _failures_key(label: str) -> str:
    return f"{_KEY}failures:{label}"


def _open_key(label: str) -> str:
    return f"{_KEY}open:{label}"


def _probe_key(label: str) -> str:
    return f"{_KEY}probe:{label}"


def health_of(label: str) -> Health:
    return _read([label])[label]


def _read(labels: Sequence[str]) -> dict[str, Health]:
    """The breakers of these gateways, in one round trip to the cache."""
    keys = [key for label in labels for key in (_failures_key(label), _open_key(label))]
    try:
        found = _cache().get_many(keys)
    except Exception:
        logger.warning("the cache did not answer: the gateways count as healthy", exc_info=True)
        found = {}
    read = {}
    for label in labels:
        until = found.get(_open_key(label))
        read[label] = Health(
            label, int(found.get(_failures_key(label)) or 0), float(until) if until else None
        )
    return read


def in_order(gateways: Sequence[VoiceGateway]) -> list[VoiceGateway]:
    """The gateways to try, in the site's order: the healthy (and one half-open probe) first, then
    those paused. A site's only gateway is asked whatever its breaker says (there is nowhere else to
    go), so its breaker is not read here."""
    if len(gateways) < 2:
        return list(gateways)
    read = _read([gateway.label for gateway in gateways])
    ready: list[VoiceGateway] = []
    paused: list[VoiceGateway] = []
    for gateway in gateways:
        (ready if _may_ask(read[gateway.label]) else paused).append(gateway)
    return ready + paused


def _may_ask(health: Health) -> bool:
    if health.paused_until is None:
        return True
    if health.paused:
        return False
    try:  # half open: one request asks it, the others go on to the next gateway
        return bool(_cache().add(_probe_key(health.label), 1, PAUSE))
    except Exception:
        return True


def failed(label: str, *, certain: bool) -> None:
    """The gateway failed a call: counted (one atomic increment, so that failures in parallel all
    count), and its breaker opened at the :data:`TRIP_AFTER`-th failure in a row, or at once when
    ``certain``."""
    cache = _cache()
    try:
        cache.add(_failures_key(label), 0, PAUSE * 10)
        try:
            failures = cache.incr(_failures_key(label))
        except ValueError:  # the count ran out between the add and the increment: this one starts anew
            cache.set(_failures_key(label), 1, PAUSE * 10)
            failures = 1
        if certain or failures >= TRIP_AFTER:
            if cache.add(_open_key(label), time.time() + PAUSE, PAUSE * 10):
                logger.warning("gateway %s is paused for %d s after %d failures", label, PAUSE, failures)
            else:  # a probe that failed, or a failure in parallel: the pause starts again from now
                cache.set(_open_key(label), time.time() + PAUSE, PAUSE * 10)
            cache.delete(_probe_key(label))
    except Exception:
        logger.warning("the cache did not answer: gateway %s's failure is not kept", label, exc_info=True)


def worked(label: str) -> None:
    """The gateway answered as a gateway should: its breaker closes."""
    health = health_of(label)
    if health.failures == 0 and health.paused_until is None:
        return
    try:
        _cache().delete_many([_failures_key(label), _open_key(label), _probe_key(label)])
        logger.info("gateway %s answers again", label)
    except Exception:
        logger.warning("the cache did not answer: gateway %s stays counted", label, exc_info=True)
