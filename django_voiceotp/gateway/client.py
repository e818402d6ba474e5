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

Each request, retries included, must be over within the two configured timeouts together: requests'
timeouts bound each socket operation, which a gateway answering a byte at a time never trips.
:mod:`.deadline` holds that budget; when it runs out the answer is a :class:`GatewayTimeout`.
"""

from __future__ import annotations

import enum
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables
from urllib3.exceptions import NewConnectionError

from . import deadline, parsing
from .codes import Endpoint, GatewayCode, Kind, balance_code, check_code, send_code
from .errors import (
    GatewayError,
    GatewayProtocolError,
    GatewayRequestError,
    GatewayTimeout,
    GatewayUnavailable,
    truncate,
)
from .session import get_session, send_url

logger = logging.getLogger("django_voiceotp.gateway")

# ASCII digits only: ``\d`` would take Arabic-Indic and other digits the gateway cannot read out.
_LOCAL_NUMBER = re.compile(r"[0-9]{9,15}")
_MESSAGE = re.compile(r"[0-9]{1,6}")
_HEADERS = {
    "Accept": "text/plain, application/json",
    "Accept-Encoding": "identity",  # nothing to inflate: a small compressed body cannot become a big one
    "Content-Type": "application/json",
}
MAX_ANSWER = 16 * 1024
"""Bytes of an answer read at most. The gateway answers ``1,,,<request_id>`` or a JSON object of two
fields; this leaves room for an error page in front of one (kept, cut, as ``raw`` for the operator)
and still bounds what a broken or hostile gateway can make a worker read and hold."""
_READ_SIZE = 4096


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
        """POST ``body``; the answer's text and the time it took, or a GatewayUnavailable.

        Exceptions are replaced, not chained: their text is rebuilt here from fixed words so that
        nothing of the request can travel into a log or an error report through them.
        """
        name = endpoint.value
        started = time.monotonic()
        with deadline.watch(sum(self.timeout)) as running:
            outcome = self._exchange(name, url, body, running)
        elapsed_ms = round((time.monotonic() - started) * 1000)
        if isinstance(outcome, GatewayError):
            outcome.elapsed_ms = elapsed_ms
            logger.warning("%s after %d ms", outcome.message, elapsed_ms)
            raise outcome
        status, text, problem = outcome
        if not 200 <= status < 300:
            logger.warning("%s: HTTP %d after %d ms", name, status, elapsed_ms)
            raise GatewayUnavailable(
                f"{name}: HTTP {status}",
                endpoint=name,
                may_have_reached=True,
                status_code=status,
                raw=text,
                elapsed_ms=elapsed_ms,
            )
        if problem is not None:
            logger.warning("%s: %s after %d ms", name, problem, elapsed_ms)
            raise GatewayProtocolError(f"{name}: {problem}", endpoint=name, raw=text, elapsed_ms=elapsed_ms)
        return text, elapsed_ms

    @sensitive_variables("body")
    def _exchange(
        self, name: str, url: str, body: bytes, running: deadline.Deadline
    ) -> tuple[int, str, str | None] | GatewayUnavailable:
        """The answer's status, text and what is wrong with it (too big, encoded), or the error to
        raise (returned, so that it is raised outside any ``except`` block and carries no context
        of what failed)."""
        try:
            response = self.session.post(
                url, data=body, timeout=self.timeout, headers=_HEADERS, allow_redirects=False, stream=True
            )
        except requests.RequestException as exc:
            return _transport_error(name, exc, self.timeout, running)
        except Exception as exc:  # whatever it was, the request may have gone out
            return _unexpected(name, exc)
        try:
            data, problem = _read_capped(response)
            return response.status_code, data.decode("utf-8", errors="replace"), problem
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            return _transport_error(name, exc, self.timeout, running)
        except Exception as exc:
            return _unexpected(name, exc)
        finally:
            # Read to the end, the connection went back to its pool on the way; read in part, this
            # closes it, so no later request can find the rest of this answer waiting on it.
            response.close()


def _read_capped(response: requests.Response) -> tuple[bytes, str | None]:
    """Up to :data:`MAX_ANSWER` bytes of the body, as sent (nothing inflated), and what is wrong."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        return b"", "answer in an encoding that was not asked for"
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_ANSWER:
        chunk = response.raw.read(min(_READ_SIZE, MAX_ANSWER + 1 - size), decode_content=False)
        if not chunk:
            return b"".join(chunks), None
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), f"answer over {MAX_ANSWER} bytes"


def _unexpected(name: str, exc: Exception) -> GatewayUnavailable:
    return GatewayUnavailable(
        f"{name}: the request failed unexpectedly ({type(exc).__name__})",
        endpoint=name,
        may_have_reached=True,
    )


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


def _transport_error(
    name: str, exc: Exception, timeout: tuple[float, float], running: deadline.Deadline
) -> GatewayUnavailable:
    """The fixed-words error for what requests raised, or urllib3 while the body was read.

    Past the deadline, whatever it was, it is the deadline's doing (a shut-down socket reads as a
    dropped line). A request of which no byte left (its connection refused or timed out, a TLS
    handshake included, which urllib3 calls a read timeout) cannot have reached the gateway.
    """
    unsent = running.tracked and not running.sent
    if running.expired:
        return GatewayTimeout(
            f"{name}: no complete answer within {running.budget:g} s",
            endpoint=name,
            may_have_reached=not unsent,
        )
    if unsent and isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError)):
        return GatewayTimeout(
            f"{name}: no connection within {timeout[0]} s", endpoint=name, may_have_reached=False
        )
    if unsent:
        return GatewayUnavailable(f"{name}: could not connect", endpoint=name, may_have_reached=False)
    if isinstance(exc, requests.ConnectTimeout):
        return GatewayTimeout(
            f"{name}: no connection within {timeout[0]} s", endpoint=name, may_have_reached=False
        )
    if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
        return GatewayTimeout(
            f"{name}: no answer within {timeout[1]} s", endpoint=name, may_have_reached=True
        )
    if isinstance(exc, requests.ConnectionError):
        refused = _connection_refused(exc)
        return GatewayUnavailable(
            f"{name}: could not connect" if refused else f"{name}: the connection dropped",
            endpoint=name,
            may_have_reached=not refused,
        )
    if isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError)):
        return GatewayUnavailable(f"{name}: the connection dropped", endpoint=name, may_have_reached=True)
    return GatewayUnavailable(
        f"{name}: request failed ({type(exc).__name__})", endpoint=name, may_have_reached=True
    )


def _connection_refused(exc: requests.ConnectionError) -> bool:
    """True when the connection was never opened, so the gateway cannot have seen the request."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)
