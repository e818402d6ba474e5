"""The gauges, read when Prometheus scrapes: what is true now, not what a worker saw.

Each worker of a site counts its own events, but the calls still open and the balances are the
site's: read from the database (one grouped count over the open calls' index) and from the balance
readings the cache keeps (:func:`django_voiceotp.operations.balance.cached_balance`). A scrape never
asks a gateway: a balance the cache no longer holds is simply not reported until a page or
``voiceotp_balance`` reads it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..gateways import get_gateways
from ..models import OPEN_CALL_STATUSES, VoiceCall
from ..operations.balance import CacheDown, cached_balance
from . import families, labels

logger = logging.getLogger("django_voiceotp.metrics")

BALANCE = "voiceotp_gateway_balance"
OPEN_CALLS = "voiceotp_calls_open"


def _balance_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        BALANCE,
        "Each gateway's balance as last read (cached; a scrape never asks the gateway), in its unit.",
        labels=["gateway"],
    )


def _open_calls_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        OPEN_CALLS,
        "Calls whose outcome is not known yet (calling or unknown), by gateway.",
        labels=["gateway"],
    )


class StateCollector(Collector):
    """The two gauges; a database or cache that does not answer leaves its gauge out of the scrape
    (logged) rather than failing the counters with it."""

    def describe(self) -> Iterable[Metric]:
        return [_balance_family(), _open_calls_family()]

    def collect(self) -> Iterator[Metric]:
        yield self._open_calls()
        yield self._balances()

    def _open_calls(self) -> GaugeMetricFamily:
        family = _open_calls_family()
        counts = dict.fromkeys(labels.gateway_names(), 0)
        try:
            rows = (
                VoiceCall.objects.filter(status__in=OPEN_CALL_STATUSES)
                .values_list("gateway")
                .annotate(open=Count("id"))
                .order_by()
            )
            for name, number in rows:
                key = labels.gateway(name)
                counts[key] = counts.get(key, 0) + number
        except DatabaseError:
            logger.warning("the open calls could not be counted for the metrics", exc_info=True)
            return family
        for name, number in counts.items():
            family.add_metric([name], number)
        return family

    def _balances(self) -> GaugeMetricFamily:
        family = _balance_family()
        for gateway in get_gateways():
            try:
                reading = cached_balance(gateway)
            except CacheDown:
                return family
            if reading is not None and reading.ok and reading.balance is not None:
                family.add_metric([labels.gateway(gateway.label)], float(reading.balance))
        return family


STATE = StateCollector()
families.REGISTRY.register(STATE)
