"""The client: the only code that knows the gateway's wire format.

It sends exactly what the documentation shows and reads answers liberally (see :mod:`.parsing`). It
knows nothing of challenges or Django models: it returns typed results that keep the gateway's own
code, its raw answer (truncated) and how long the gateway took, and leaves the rules to the service.

The credentials and the code pass through here, so every function that holds them is marked with
Django's ``sensitive_variables``: an error report (the 500 mail, the debug page's filter) shows those
locals as stars, in these frames and in any frame below them. Each body is built and encoded whole
before anything is sent, so a failure to build it is a :class:`GatewayRequestError` that is known to
have sent nothing, and anything that goes wrong after that is a :class:`GatewayUnavailable` that may
have reached the gateway; nothing else leaves, and never with the request in its text.

How a request goes over the wire (its deadline, the cap on its answer) is :mod:`.exchange`'s part.
"""

from __future__ import annotations

import enum
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.views.decorators.debug import sensitive_variables

from . import exchange, parsing
from .codes import Endpoint, GatewayCode, Kind, balance_code, check_code, send_code
from .errors import GatewayProtocolError, GatewayRequestError, truncate
from .session import get_session, send_url

logger = logging.getLogger("django_voiceotp.gateway")

# ASCII digits only: ``\d`` would take Arabic-Indic and other digits the gateway cannot read out.
_LOCAL_NUMBER = re.compile(r"[0-9]{9,15}")
_MESSAGE = re.compile(r"[0-9]{1,6}")


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
    to a gateway without Django settings (the simulator's tests do). A ``session`` of its own should
    come from :func:`.session.new_session`: on a plain ``requests.Session`` nothing can cut a request
    at its deadline, and only requests' per-operation timeouts hold.
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

    @sensitive_variables("phone", "code", "body")
    def place_call(self, phone: str, code: str) -> SendResult:
        """Ask the gateway to call ``phone`` (local form, ``0361234567``) and read out ``code``.

        Raises :class:`GatewayRequestError` (nothing sent) when ``phone`` is not the local digits
        form or ``code`` not 1 to 6 digits. Never retried once the request may have reached the
        gateway: see :mod:`.session`.
        """
        body = self._send_body(phone, code)
        url = send_url(self.session, self.base_url)
        text, elapsed_ms = self._post(Endpoint.SEND, url, body)
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

    @sensitive_variables("body")
    def call_outcome(self, request_id: str) -> CheckResult:
        """Whether the call ``request_id`` was answered, is still pending, or failed (busy, no answer)."""
        if not request_id or len(request_id) > 100:
            raise ValueError("request_id must be the gateway's id of a placed call")
        body = _encode(Endpoint.CHECK, lambda: {**self.credentials.as_payload(), "request_id": request_id})
        text, elapsed_ms = self._post(Endpoint.CHECK, f"{self.base_url}/checkVoice", body)
        try:
            value = parsing.parse_check_answer(text)
        except GatewayProtocolError as exc:
            exc.elapsed_ms = elapsed_ms
            raise
        logger.debug("checkVoice answered %s in %d ms", value, elapsed_ms)
        return CheckResult(check_code(value), truncate(text), elapsed_ms)

    @sensitive_variables("body")
    def balance(self) -> BalanceResult:
        """The account's balance, in the gateway's unit."""
        body = _encode(Endpoint.BALANCE, self.credentials.as_payload)
        text, elapsed_ms = self._post(Endpoint.BALANCE, f"{self.base_url}/checkBalance", body)
        try:
            value, amount = parsing.parse_balance_answer(text)
        except GatewayProtocolError as exc:
            exc.elapsed_ms = elapsed_ms
            raise
        gateway_code = balance_code(value)
        if gateway_code.kind is not Kind.TAKEN:
            amount = None
        return BalanceResult(gateway_code, amount, truncate(text), elapsed_ms)

    @sensitive_variables("phone", "code")
    def _send_body(self, phone: str, code: str) -> bytes:
        """The postSMS body, checked and encoded before anything is sent."""
        if not isinstance(phone, str) or not _LOCAL_NUMBER.fullmatch(phone):
            raise GatewayRequestError(
                "postSMS: the phone is not in the gateway's local form (digits only, e.g. 0361234567)",
                endpoint=Endpoint.SEND.value,
                field="phone",
            )
        if not isinstance(code, str) or not _MESSAGE.fullmatch(code):
            raise GatewayRequestError(
                "postSMS: the message is not 1 to 6 digits",
                endpoint=Endpoint.SEND.value,
                field="message",
            )
        return _encode(
            Endpoint.SEND,
            lambda: {
                "phonesend": phone,
                "sender": self.sender,
                "key": self.credentials.key,
                "message": code,
                "pass": self.credentials.password,
                "username": self.credentials.username,
            },
        )

    @sensitive_variables("body")
    def _post(self, endpoint: Endpoint, url: str, body: bytes) -> tuple[str, int]:
        """The answer's text and the time it took (see :func:`.exchange.post`)."""
        return exchange.post(self.session, endpoint.value, url, body, self.timeout)


@sensitive_variables("build", "payload")
def _encode(endpoint: Endpoint, build: Callable[[], dict[str, str]]) -> bytes:
    """The JSON body ``build()`` makes, as requests' ``json=`` would send it; any failure to build or
    encode it is a :class:`GatewayRequestError`, raised with no trace of the values."""
    try:
        payload = build()
        body: bytes | None = json.dumps(payload, allow_nan=False).encode("ascii")
    except Exception:  # what was wrong is in the values, which must not travel on
        body = None
    if body is None:
        raise GatewayRequestError(
            f"{endpoint.value}: the request could not be built", endpoint=endpoint.value, field="payload"
        )
    return body
