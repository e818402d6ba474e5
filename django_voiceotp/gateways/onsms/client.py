"""The client: the only code that knows this gateway's wire format.

It sends exactly what the documentation shows, reads answers liberally (:mod:`.parsing`,
:mod:`.results`) and returns the neutral results of :mod:`..base`: the kind its code tables give, the
code as written, the raw answer with ``[password]``, ``[key]`` and ``[code]`` in place of what was sent
(a gateway that echoes its request must not put them on a call row or a page), and the time taken.

Every function holding the credentials or the code is marked ``sensitive_variables``, so error
reports show them as stars. Each body is built whole before anything is sent: a failure to build it
is a :class:`GatewayRequestError`, known to have sent nothing; anything after that is a
:class:`~..base.GatewayUnavailable` that may have reached the gateway. The wire itself (deadline,
answer cap) is :mod:`..http.exchange`'s.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.views.decorators.debug import sensitive_variables

from ..base import BalanceResult, CheckResult, GatewayRequestError, SendResult
from ..http import exchange
from ..http.network import Network
from ..http.session import get_session, no_retry_url
from . import results
from .answer_codes import Endpoint, send_code

logger = logging.getLogger("django_voiceotp.gateways")

# ASCII digits only: ``\d`` would take Arabic-Indic and other digits the gateway cannot read out.
_LOCAL_NUMBER = re.compile(r"[0-9]{9,15}")
_MESSAGE = re.compile(r"[0-9]{1,6}")
_WORD = re.compile(r"[0-9A-Za-z]+")
"""A run of ASCII letters and digits: a code is redacted where it is one whole."""


@dataclass(frozen=True)
class Credentials:
    """The gateway login. ``repr`` shows the username only."""

    username: str
    password: str = field(repr=False)
    key: str = field(repr=False)

    def as_payload(self) -> dict[str, str]:
        return {"username": self.username, "pass": self.password, "key": self.key}

    @sensitive_variables("text", "code")
    def redact(self, text: str, code: str | None = None) -> str:
        """``text`` with the password, the key and ``code`` (a whole number, not digits inside an
        id) replaced, as written and as JSON would escape them."""
        for secret, label in ((self.password, "[password]"), (self.key, "[key]")):
            if secret:
                for form in dict.fromkeys((secret, json.dumps(secret)[1:-1])):
                    text = text.replace(form, label)
        if code and code.isascii() and code.isalnum():
            # A pattern built with the code would be compiled anew for every call (each code is new).
            text = _WORD.sub(lambda word: "[code]" if word.group() == code else word.group(), text)
        elif code:
            text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(code)}(?![0-9A-Za-z])", "[code]", text)
        return text


class GatewayClient:
    """Places calls, reads their outcome and the balance over one pooled session.

    A site reaches it through :class:`.backend.OnSmsGateway`; build it directly to talk to a gateway
    without Django settings (the simulator's tests do). A ``session`` of its own should come from
    :func:`..http.session.new_session`: on a plain ``requests.Session`` nothing can cut a request at
    its deadline, and only requests' per-operation timeouts hold.
    """

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        sender: str,
        timeout: tuple[float, float],
        session: requests.Session | None = None,
        network: Network | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.sender = sender
        self.timeout = timeout
        self._session = session
        self.network = network or Network()
        self._proxies = self.network.proxies_for(self.base_url)

    def __repr__(self) -> str:
        return f"GatewayClient(base_url={self.base_url!r}, username={self.credentials.username!r})"

    @property
    def session(self) -> requests.Session:
        return self._session if self._session is not None else get_session()

    @sensitive_variables("phone", "code", "body", "answer")
    def place_call(self, phone: str, code: str) -> SendResult:
        """Ask the gateway to call ``phone`` (local form, ``0361234567``) and read out ``code``.

        Raises :class:`GatewayRequestError` (nothing sent) when ``phone`` is not the local digits
        form or ``code`` not 1 to 6 digits. Never retried once the request may have reached the
        gateway: see :mod:`..http.session`.
        """
        body = self._send_body(phone, code)
        url = no_retry_url(self.session, f"{self.base_url}/postSMS")
        answer = self._post(Endpoint.SEND, url, body)
        result = results.send_result(answer, self.credentials.redact(answer.text, code))
        logger.info("postSMS answered %s (%s) in %d ms", result.code, result.kind.value, result.elapsed_ms)
        if result.code == "5":
            logger.warning(
                "postSMS answered 5 (%s): SENDER is %r. %s",
                send_code(5).title_en,
                self.sender,
                send_code(5).hint_en,
            )
        return result

    @sensitive_variables("body", "answer")
    def call_outcome(self, request_id: str) -> CheckResult:
        """Whether the call ``request_id`` was answered, is still pending, or failed (busy, no answer).

        Raises :class:`~..base.GatewayRefused` when checkVoice answers a code that is no outcome (wrong
        credentials, bad parameters, an undocumented code): asking again would not help.
        """
        if not request_id or len(request_id) > 100:
            raise ValueError("request_id must be the gateway's id of a placed call")
        body = _encode(Endpoint.CHECK, lambda: {**self.credentials.as_payload(), "request_id": request_id})
        answer = self._post(Endpoint.CHECK, f"{self.base_url}/checkVoice", body)
        result = results.check_result(answer, self.credentials.redact(answer.text))
        logger.debug("checkVoice answered %s in %d ms", result.code, result.elapsed_ms)
        return result

    @sensitive_variables("body", "answer")
    def balance(self) -> BalanceResult:
        """The account's balance, in the gateway's unit."""
        body = _encode(Endpoint.BALANCE, self.credentials.as_payload)
        answer = self._post(Endpoint.BALANCE, f"{self.base_url}/checkBalance", body)
        return results.balance_result(answer, self.credentials.redact(answer.text))

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
    def _post(self, endpoint: Endpoint, url: str, body: bytes) -> exchange.HttpAnswer:
        """The answer, whatever its status (see :func:`..http.exchange.post`), through the site's network."""
        return exchange.post(
            self.session,
            endpoint.value,
            url,
            body,
            self.timeout,
            proxies=self._proxies,
            verify=self.network.verify,
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
