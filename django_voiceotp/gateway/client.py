"""The client: the only code that knows the gateway's wire format.

It sends exactly what the documentation shows and reads answers liberally (see :mod:`.parsing`). It
knows nothing of challenges or Django models: it returns typed results that keep the gateway's own
code, its raw answer (truncated) and how long the gateway took, and leaves the rules to the service.
"""

from __future__ import annotations

import enum
import logging
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from . import parsing
from .codes import Endpoint, GatewayCode, Kind, balance_code, check_code, send_code
from .errors import GatewayProtocolError, GatewayTimeout, GatewayUnavailable, truncate
from .session import get_session, send_url

logger = logging.getLogger("django_voiceotp.gateway")

_LOCAL_NUMBER = re.compile(r"\d{9,15}")
_MESSAGE = re.compile(r"\d{1,6}")


class CallOutcome(str, enum.Enum):
    """What checkVoice says about a placed call."""

    ANSWERED = "answered"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Credentials:
    """The gateway login. ``repr`` shows the username only."""

    username: str
    password: str = field(repr=False)
    key: str = field(repr=False)

    def as_payload(self) -> dict[str, str]:
        return {"username": self.username, "pass": self.password, "key": self.key}


@dataclass(frozen=True)
class SendResult:
    """The gateway's answer to ``postSMS``: taken (with a request_id) or refused (with its code)."""

    code: GatewayCode
    request_id: str | None
    raw: str
    elapsed_ms: int

    @property
    def taken(self) -> bool:
        return self.code.kind is Kind.TAKEN


@dataclass(frozen=True)
class CheckResult:
    """The gateway's answer to ``checkVoice``."""

    code: GatewayCode
    raw: str
    elapsed_ms: int

    @property
    def outcome(self) -> CallOutcome:
        if self.code.kind is Kind.TAKEN:
            return CallOutcome.ANSWERED
        if self.code.kind is Kind.FAILED:
            return CallOutcome.FAILED
        # 27, and any code checkVoice does not document: we do not know yet, so ask again later.
        return CallOutcome.PENDING


@dataclass(frozen=True)
class BalanceResult:
    """The gateway's answer to ``checkBalance``. ``balance`` is ``None`` when the gateway said 0."""

    code: GatewayCode
    balance: Decimal | None
    raw: str
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return self.code.kind is Kind.TAKEN and self.balance is not None


class GatewayClient:
    """Places calls, reads their outcome and the balance over one pooled session.

    Build it with :func:`django_voiceotp.gateway.get_client` inside a site; build it directly to talk
    to a gateway without Django settings (the simulator's tests do).
    """

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        sender: str,
        timeout: tuple[float, float],
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.sender = sender
        self.timeout = timeout
        self._session = session

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={self.base_url!r}, username={self.credentials.username!r})"

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else get_session()

    def place_call(self, phone: str, code: str) -> SendResult:
        """Ask the gateway to call ``phone`` (local form, ``0361234567``) and read out ``code``.

        Never retried once the request may have reached the gateway: see :mod:`.session`.
        """
        if not _LOCAL_NUMBER.fullmatch(phone):
            raise ValueError("phone must be in the gateway's local form: digits only, e.g. 0361234567")
        if not _MESSAGE.fullmatch(code):
            raise ValueError("the gateway reads out 1 to 6 digits only")
        payload = {
            "phonesend": phone,
            "sender": self.sender,
            "key": self.credentials.key,
            "message": code,
            "pass": self.credentials.password,
            "username": self.credentials.username,
        }
        url = send_url(self.session, self.base_url)
        text, elapsed_ms = self._post(Endpoint.SEND, url, payload)
        try:
            value, request_id = parsing.parse_send_answer(text)
        except GatewayProtocolError as exc:
            exc.elapsed_ms = elapsed_ms
            raise
        gateway_code = send_code(value)
        if gateway_code.kind is Kind.TAKEN and not request_id:
            raise GatewayProtocolError(
                "postSMS took the call without a request_id",
                endpoint=Endpoint.SEND.value,
                raw=text,
                elapsed_ms=elapsed_ms,
            )
        logger.info("postSMS answered %s (%s) in %d ms", value, gateway_code.kind.value, elapsed_ms)
        return SendResult(gateway_code, request_id, truncate(text), elapsed_ms)

    def call_outcome(self, request_id: str) -> CheckResult:
        """Whether the call ``request_id`` was answered, is still pending, or failed (busy, no answer)."""
        if not request_id or len(request_id) > 100:
            raise ValueError("request_id must be the gateway's id of a placed call")
        payload = {**self.credentials.as_payload(), "request_id": request_id}
        text, elapsed_ms = self._post(Endpoint.CHECK, f"{self.base_url}/checkVoice", payload)
        try:
            value = parsing.parse_check_answer(text)
        except GatewayProtocolError as exc:
            exc.elapsed_ms = elapsed_ms
            raise
        logger.debug("checkVoice answered %s in %d ms", value, elapsed_ms)
        return CheckResult(check_code(value), truncate(text), elapsed_ms)

    def balance(self) -> BalanceResult:
        """The account's balance, in the gateway's unit."""
        payload = self.credentials.as_payload()
        text, elapsed_ms = self._post(Endpoint.BALANCE, f"{self.base_url}/checkBalance", payload)
        try:
            value, amount = parsing.parse_balance_answer(text)
        except GatewayProtocolError as exc:
            exc.elapsed_ms = elapsed_ms
            raise
        gateway_code = balance_code(value)
        if gateway_code.kind is not Kind.TAKEN:
            amount = None
        return BalanceResult(gateway_code, amount, truncate(text), elapsed_ms)

    def _post(self, endpoint: Endpoint, url: str, payload: dict[str, Any]) -> tuple[str, int]:
        """POST ``payload`` as JSON; the answer's text and the time it took, or a GatewayUnavailable.

        Exceptions from ``requests`` are replaced, not chained: their text is rebuilt here from fixed
        words so that nothing of the request can travel into a log through them.
        """
        name = endpoint.value
        started = time.monotonic()
        error: GatewayUnavailable | None = None
        try:
            response = self.session.post(
                url,
                json=payload,
                timeout=self.timeout,
                headers={"Accept": "text/plain, application/json"},
                allow_redirects=False,
            )
        except requests.ConnectTimeout:
            error = GatewayTimeout(
                f"{name}: no connection within {self.timeout[0]} s",
                endpoint=name,
                may_have_reached=False,
            )
        except requests.ReadTimeout:
            error = GatewayTimeout(
                f"{name}: no answer within {self.timeout[1]} s",
                endpoint=name,
                may_have_reached=True,
            )
        except requests.ConnectionError as exc:
            refused = _connection_refused(exc)
            error = GatewayUnavailable(
                f"{name}: could not connect" if refused else f"{name}: the connection dropped",
                endpoint=name,
                may_have_reached=not refused,
            )
        except requests.RequestException as exc:
            error = GatewayUnavailable(
                f"{name}: request failed ({type(exc).__name__})",
                endpoint=name,
                may_have_reached=True,
            )
        elapsed_ms = round((time.monotonic() - started) * 1000)
        if error is not None:
            error.elapsed_ms = elapsed_ms
            logger.warning("%s after %d ms", error.message, elapsed_ms)
            raise error
        text = response.content.decode("utf-8", errors="replace")
        if not 200 <= response.status_code < 300:
            logger.warning("%s: HTTP %d after %d ms", name, response.status_code, elapsed_ms)
            raise GatewayUnavailable(
                f"{name}: HTTP {response.status_code}",
                endpoint=name,
                may_have_reached=True,
                status_code=response.status_code,
                raw=text,
                elapsed_ms=elapsed_ms,
            )
        return text, elapsed_ms


def _connection_refused(exc: requests.ConnectionError) -> bool:
    """True when the connection was never opened, so the gateway cannot have seen the request."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)
