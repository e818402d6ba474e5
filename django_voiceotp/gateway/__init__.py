"""The voice gateway: its codes, its wire format, and the client that speaks it.

Nothing here knows about challenges; :mod:`django_voiceotp.services` holds the rules.
"""

from __future__ import annotations

from .client import (
    BalanceResult,
    CallOutcome,
    CheckResult,
    Credentials,
    GatewayClient,
    SendResult,
)
from .codes import Endpoint, GatewayCode, Kind, lookup
from .errors import (
    GatewayError,
    GatewayProtocolError,
    GatewayRequestError,
    GatewayTimeout,
    GatewayUnavailable,
)

__all__ = [
    "BalanceResult",
    "CallOutcome",
    "CheckResult",
    "Credentials",
    "Endpoint",
    "GatewayClient",
    "GatewayCode",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayRequestError",
    "GatewayTimeout",
    "GatewayUnavailable",
    "Kind",
    "SendResult",
    "get_client",
    "lookup",
]


def get_client() -> GatewayClient:
    """A client built from ``settings.VOICEOTP`` (cheap: the HTTP session is shared per process)."""
    from ..conf import get_settings

    values = get_settings()
    return GatewayClient(
        base_url=values.BASE_URL,
        credentials=Credentials(values.USERNAME or "", values.PASSWORD or "", values.KEY or ""),
        sender=values.SENDER,
        timeout=values.TIMEOUT,
    )
