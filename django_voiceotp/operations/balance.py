"""Each gateway's balance, as the admin and ``voiceotp_balance`` show it.

A site with several gateways (``GATEWAYS``) has a reading per gateway, kept apart by its name: the
one that runs dry is the one an operator tops up. A reading comes from the gateway's variant for a
person waiting (``for_a_person``: no retries, short timeouts) and is kept in the ``VOICEOTP['CACHE']``
cache for ``BALANCE_CACHE_TTL`` seconds. A failure is kept too, for at most :data:`FAILURE_TTL`
seconds, so a dead gateway costs one slow page per that time rather than every page view. The cache
holds plain data (a problem name and numbers); the message is built when it is shown, in the
reader's language, and never holds anything the gateway was sent.

A cache that does not answer (Redis down) is a problem of its own, not an error: a page then shows the
balance as unknown rather than asking the gateway on every view, and a refresh asks the gateway and
keeps nothing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..conf import get_settings
from ..gateways import (
    GatewayError,
    GatewayProtocolError,
    GatewayTimeout,
    GatewayUnavailable,
    Kind,
    VoiceGateway,
    get_gateway,
    get_gateways,
)
from ..gateways import heard as told
from ..gateways.base import RAW_LIMIT, Operation
from ..gateways.safe_text import safe_text

logger = logging.getLogger("django_voiceotp.operations")

CACHE_KEY = "voiceotp:balance"
FAILURE_TTL = 15
"""Seconds a failed reading is reused: long enough to spare a dead gateway, short enough to notice it back."""

NOT_CONFIGURED = "not_configured"
TIMEOUT = "timeout"
HTTP_ERROR = "http_error"
UNREACHABLE = "unreachable"
UNREADABLE = "unreadable"
CREDENTIALS = "credentials"
REFUSED = "refused"
CACHE_DOWN = "cache_down"


@dataclass(frozen=True)
class BalanceReading:
    """One answer to "how much is left?": a balance, or the problem that kept us from knowing."""

    balance: Decimal | None
    threshold: Decimal
    checked_at: datetime
    problem: str = ""
    number: float | None = None
    """The figure the problem's message names: seconds waited or the HTTP status."""
    code: str = ""
    """The gateway's answer code, when it refused."""
    raw: str = ""
    """What the gateway answered, when it refused or could not be read: safe text, credentials
    redacted, kept for the operator to see which form it spoke."""
    cached: bool = False
    gateway: str = ""
    """The gateway's name on the site (``GATEWAYS``' ``NAME``)."""

    @property
    def ok(self) -> bool:
        return not self.problem and self.balance is not None

    @property
    def low(self) -> bool:
        return self.balance is not None and self.balance <= self.threshold

    @property
    def message(self) -> str:
        """One line for a person: the balance, or what went wrong, in the active language."""
        if self.ok:
            if self.low:
                return str(
                    _("Gateway balance: %(balance)s (at or below the warning level %(threshold)s).")
                    % {"balance": self.balance, "threshold": self.threshold}
                )
            return str(_("Gateway balance: %(balance)s.") % {"balance": self.balance})
        number = "" if self.number is None else f"{self.number:g}"
        texts: dict[str, Any] = {
            NOT_CONFIGURED: _("The gateway is not configured: manage.py check says what is missing."),
            TIMEOUT: _("The gateway did not answer within %(number)s s."),
            HTTP_ERROR: _("The gateway answered with an HTTP error (%(number)s)."),
            UNREACHABLE: _("The gateway could not be reached."),
            UNREADABLE: _("The gateway's balance answer could not be read."),
            CREDENTIALS: _(
                "The gateway refused the credentials (code %(code)s): check VOICEOTP['GATEWAY']['OPTIONS']."
            ),
            REFUSED: _("The gateway did not give the balance (code %(code)s)."),
            CACHE_DOWN: _(
                "The balance is unknown: the cache (VOICEOTP CACHE) is not answering. Refresh balance "
                "asks the gateway."
            ),
        }
        return str(texts.get(self.problem, texts[UNREACHABLE]) % {"number": number, "code": self.code})

    @property
    def named_message(self) -> str:
        """:attr:`message`, after the gateway's name: what a site with several gateways shows."""
        return f"{self.gateway}: {self.message}"

    def to_cache(self) -> dict[str, Any]:
        data = asdict(self)
        data["balance"] = None if self.balance is None else str(self.balance)
        data["threshold"] = str(self.threshold)
        data.pop("cached")
        return data

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> BalanceReading:
        balance = data.get("balance")
        return cls(
            balance=None if balance is None else Decimal(balance),
            threshold=Decimal(data["threshold"]),
            checked_at=data["checked_at"],
            problem=data.get("problem", ""),
            number=data.get("number"),
            code=str(data.get("code", "")),
            raw=safe_text(str(data.get("raw", "")), RAW_LIMIT),
            cached=True,
            gateway=str(data.get("gateway", "")),
        )


def read_balances(*, refresh: bool = False) -> list[BalanceReading]:
    """Every gateway's balance, in the site's order (see :func:`read_balance`)."""
    return [read_balance(gateway, refresh=refresh) for gateway in get_gateways()]


def read_balance(gateway: VoiceGateway | None = None, *, refresh: bool = False) -> BalanceReading:
    """The balance of ``gateway`` (the site's first by default), from the cache unless ``refresh`` or
    it is not there.

    Never raises for the gateway or the cache. Without ``refresh``, a cache that does not answer gives
    a :data:`CACHE_DOWN` reading instead of asking the gateway: the cache is what holds the gateway to
    one question per ``BALANCE_CACHE_TTL``, and without it every page view would wait on the gateway.
    """
    values = get_settings()
    gateway = gateway or get_gateway()
    cache = caches[values.CACHE]
    key = f"{CACHE_KEY}:{gateway.label}"
    threshold = plain(Decimal(str(values.LOW_BALANCE)))
    if not refresh:
        try:
            reading = cached_balance(gateway)
        except CacheDown:
            return BalanceReading(None, threshold, timezone.now(), CACHE_DOWN, gateway=gateway.label)
        if reading is not None:
            return reading
    reading = fetch_balance(threshold, gateway)
    ttl = values.BALANCE_CACHE_TTL if reading.ok else min(values.BALANCE_CACHE_TTL, FAILURE_TTL)
    if ttl > 0:
        try:
            cache.set(key, reading.to_cache(), ttl)
        except Exception:  # as above: the reading is still worth showing
            logger.warning(
                "the %r cache did not answer; the balance is not kept", values.CACHE, exc_info=True
            )
    return reading


class CacheDown(Exception):
    """The ``VOICEOTP['CACHE']`` cache did not answer (logged where it is raised)."""


def cached_balance(gateway: VoiceGateway) -> BalanceReading | None:
    """The reading of ``gateway`` kept in the cache, or None when there is none: never asks the gateway,
    so a metrics scrape or a page can read it as often as it likes. Raises :class:`CacheDown`."""
    values = get_settings()
    try:
        data = caches[values.CACHE].get(f"{CACHE_KEY}:{gateway.label}")
    except Exception:  # each backend raises its own (redis-py's ConnectionError, pymemcache's, ...)
        logger.warning("the %r cache did not answer; the balance is not read", values.CACHE, exc_info=True)
        raise CacheDown() from None
    if not isinstance(data, dict):
        return None
    try:
        reading = BalanceReading.from_cache(data)
    except (KeyError, ValueError, ArithmeticError):
        return None
    if reading.gateway != gateway.label:
        return None
    return replace(reading, threshold=plain(Decimal(str(values.LOW_BALANCE))))


def plain(number: Decimal) -> Decimal:
    """``1000000.0`` as ``1000000``: the settings hold a float, people read whole amounts."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def fetch_balance(threshold: Decimal, gateway: VoiceGateway | None = None) -> BalanceReading:
    """Ask ``gateway`` (the site's first by default) now, as for a person waiting."""
    gateway = gateway or get_gateway()
    return replace(_fetch(threshold, gateway), gateway=gateway.label)


def _fetch(threshold: Decimal, gateway: VoiceGateway) -> BalanceReading:
    now = timezone.now()
    if gateway.problems():
        return BalanceReading(None, threshold, now, NOT_CONFIGURED)
    try:
        with gateway.for_a_person() as quick:
            result = quick.balance()
    except GatewayError as exc:
        told.failed(gateway, Operation.BALANCE, exc)
        return _failed(exc, threshold, now)
    told.answered(gateway, Operation.BALANCE, result.code, result.elapsed_ms)
    if result.ok:
        return BalanceReading(result.balance, threshold, now)
    logger.warning("gateway %s refused the balance: %s (%s)", gateway.label, result.code, result.kind.value)
    problem = CREDENTIALS if result.kind is Kind.ACCOUNT else REFUSED
    return BalanceReading(None, threshold, now, problem, code=result.code, raw=result.raw)


def _failed(exc: GatewayError, threshold: Decimal, now: datetime) -> BalanceReading:
    """The reading for a gateway that gave no balance answer: what kept us from knowing."""
    if isinstance(exc, GatewayTimeout):
        waited = None if exc.elapsed_ms is None else round(exc.elapsed_ms / 1000, 1)
        return BalanceReading(None, threshold, now, TIMEOUT, waited)
    if isinstance(exc, GatewayUnavailable) and exc.status_code is not None:
        return BalanceReading(None, threshold, now, HTTP_ERROR, exc.status_code, raw=exc.raw)
    if isinstance(exc, GatewayProtocolError):
        return BalanceReading(None, threshold, now, UNREADABLE, raw=exc.raw)
    return BalanceReading(None, threshold, now, UNREACHABLE)
