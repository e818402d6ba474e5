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

__all__ = [
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
    "describe",
    "get_gateway",
    "repeat_window",
]

_lock = threading.Lock()
_built: tuple[GatewayConfig, tuple[float, float], VoiceGateway] | None = None


def backend_class(path: str) -> type[VoiceGateway]:
    """The backend class at ``path``; raises ``ImportError`` or ``TypeError`` when there is none."""
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, VoiceGateway)):
        raise TypeError(f"{path} is not a django_voiceotp.gateways.base.VoiceGateway subclass")
    return cls


def get_gateway() -> VoiceGateway:
    """The site's gateway, built from ``VOICEOTP["GATEWAY"]`` (rebuilt when the settings change)."""
    global _built
    values = get_settings()
    built = _built
    if built is None or built[0] is not values.GATEWAY or built[1] != values.TIMEOUT:
        gateway = backend_class(values.GATEWAY.BACKEND)(
            options=values.GATEWAY.OPTIONS, timeout=values.TIMEOUT
        )
        with _lock:
            _built = built = (values.GATEWAY, values.TIMEOUT, gateway)
    return built[2]


BUILT_IN = {
    "onsms": "django_voiceotp.gateways.onsms.OnSmsGateway",
    "locmem": "django_voiceotp.gateways.locmem.LocMemGateway",
}
"""The package's own backends by name, so that calls placed through one are still described after a
site moves to another."""


def describe(gateway_name: str, operation: Operation, code: str) -> Meaning | None:
    """What ``code`` meant to the gateway that answered it (a call row's ``gateway``); None when the
    row holds no code, an undocumented meaning when the backend is unknown here."""
    if not code:
        return None
    configured = get_settings().GATEWAY.BACKEND
    path = configured if backend_class(configured).name == gateway_name else BUILT_IN.get(gateway_name)
    if path is None:
        return VoiceGateway.describe(operation, code)
    return backend_class(path).describe(operation, code)


def repeat_window() -> int:
    """Seconds in which a number is never sent a code it was sent: the site's ``REPEAT_WINDOW``, or
    the gateway's own repeat window."""
    values = get_settings()
    if values.REPEAT_WINDOW is not None:
        return values.REPEAT_WINDOW
    return get_gateway().default_repeat_window
