"""Voice gateways: one interface (:mod:`.base`), the operator's backend (:mod:`.onsms`), and an
in-process one for tests (:mod:`.locmem`).

Nothing here knows about challenges: the rules (:mod:`django_voiceotp.services`) ask the gateway the
site chose, through :func:`get_gateway`, and decide on the neutral results it gives back.
"""

from __future__ import annotations

import threading

from django.utils.module_loading import import_string

from ..conf import GatewayConfig, get_settings
from .base import (
    BalanceResult,
    CallOutcome,
    CheckResult,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayRequestError,
    GatewayTimeout,
    GatewayUnavailable,
    Kind,
    Meaning,
    Operation,
    SendResult,
    VoiceGateway,
)
from .test_numbers import TEST_GATEWAY

__all__ = [
    "TEST_GATEWAY",
    "BalanceResult",
    "CallOutcome",
    "CheckResult",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayRefused",
    "GatewayRequestError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "Kind",
    "Meaning",
    "Operation",
    "SendResult",
    "VoiceGateway",
    "backend_class",
    "build",
    "describe",
    "gateway_named",
    "get_gateway",
    "get_gateways",
    "repeat_window",
]

_lock = threading.Lock()
_built: tuple[tuple[GatewayConfig, ...], tuple[float, float], list[VoiceGateway]] | None = None


def backend_class(path: str) -> type[VoiceGateway]:
    """The backend class at ``path``; raises ``ImportError`` or ``TypeError`` when there is none."""
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, VoiceGateway)):
        raise TypeError(f"{path} is not a django_voiceotp.gateways.base.VoiceGateway subclass")
    return cls


def build(config: GatewayConfig, timeout: tuple[float, float]) -> VoiceGateway:
    """One gateway of the settings, with the name call rows keep."""
    gateway = backend_class(config.BACKEND)(options=config.OPTIONS, timeout=timeout)
    gateway.label = config.NAME or gateway.name
    return gateway


def get_gateways() -> list[VoiceGateway]:
    """The site's gateways in the order calls go to them, built from ``VOICEOTP["GATEWAYS"]`` (or its
    one ``GATEWAY``), and built again when the settings change."""
    global _built
    values = get_settings()
    built = _built
    if built is None or built[0] is not values.GATEWAYS or built[1] != values.TIMEOUT:
        gateways = [build(config, values.TIMEOUT) for config in values.GATEWAYS]
        with _lock:
            _built = built = (values.GATEWAYS, values.TIMEOUT, gateways)
    return built[2]


def get_gateway() -> VoiceGateway:
    """The site's first gateway (its only one, on a site that sets ``GATEWAY``)."""
    return get_gateways()[0]


def gateway_named(label: str) -> VoiceGateway | None:
    """The gateway that has this name on the site (a call row's ``gateway``), or None."""
    if label == TEST_GATEWAY.label:
        return TEST_GATEWAY
    return next((gateway for gateway in get_gateways() if gateway.label == label), None)


BUILT_IN = {
    "onsms": "django_voiceotp.gateways.onsms.OnSmsGateway",
    "locmem": "django_voiceotp.gateways.locmem.LocMemGateway",
    "test": "django_voiceotp.gateways.test_numbers.TestNumbersGateway",
}
"""The package's own backends by name, so that calls placed through one are still described after a
site moves to another."""


def describe(gateway_name: str, operation: Operation, code: str) -> Meaning | None:
    """What ``code`` meant to the gateway that answered it (a call row's ``gateway``); None when the
    row holds no code, an undocumented meaning when the backend is unknown here."""
    if not code:
        return None
    configured = gateway_named(gateway_name)
    if configured is not None:
        return type(configured).describe(operation, code)
    path = BUILT_IN.get(gateway_name)
    if path is None:
        return VoiceGateway.describe(operation, code)
    return backend_class(path).describe(operation, code)


def repeat_window() -> int:
    """Seconds in which a number is never sent a code it was sent, whichever gateway carried it: the
    site's ``REPEAT_WINDOW``, or the longest of its gateways' own repeat windows."""
    values = get_settings()
    if values.REPEAT_WINDOW is not None:
        return values.REPEAT_WINDOW
    return max(gateway.default_repeat_window for gateway in get_gateways())
