"""Prometheus metrics of the app (``pip install 'django-voiceotp[metrics]'``, ``VOICEOTP["METRICS"]``).

Counters and histograms are fed by the app's signals (:mod:`django_voiceotp.signals`): challenges
started, calls, the gateways' answer codes and latency, guesses, the API's refusals. The gauges (each
gateway's balance, the calls still open) are read when the metrics are scraped, from the database and
the cache only: a scrape never asks a gateway. Every label takes a bounded set of values (see
:mod:`.labels`): whatever a caller or a gateway sends, the number of series stays what the site's
settings make it, and no label ever holds a phone number or a code.

Nothing here imports ``prometheus_client`` until the metrics are switched on, so the app runs
without it. The receivers are connected when the app is ready and again whenever ``VOICEOTP``
changes (tests), and only while ``METRICS`` is on.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from ..conf import get_settings, metrics_asked_for


def installed() -> bool:
    """Whether ``prometheus_client`` can be imported (the ``metrics`` extra)."""
    return importlib.util.find_spec("prometheus_client") is not None


def switched_on() -> bool:
    """``METRICS`` is on and ``prometheus_client`` is there; False while the settings have problems
    (the system checks report them)."""
    try:
        return get_settings().METRICS and installed()
    except ImproperlyConfigured:
        return False


def sync() -> None:
    """Connect the receivers when the metrics are on, disconnect them when they are off. Reads the
    one key only (:func:`django_voiceotp.conf.metrics_asked_for`): this runs in the app's
    ``ready()``, before a test runner turns ``DEBUG`` off."""
    if metrics_asked_for() and installed():
        from . import receivers

        receivers.connect()
    elif installed():
        from . import receivers

        receivers.disconnect()


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "VOICEOTP":
        sync()


setting_changed.connect(_on_setting_changed, dispatch_uid="django_voiceotp.metrics.sync")
