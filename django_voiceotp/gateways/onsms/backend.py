"""The operator's gateway behind the neutral interface: its options, its number form, its codes.

The wire lives in :mod:`.client` (what is sent, how answers are read) and :mod:`..http` (time and
size limits, retries); the code tables in :mod:`.answer_codes`. This module is what a site configures:
``VOICEOTP["GATEWAY"] = {"BACKEND": "django_voiceotp.gateways.onsms.OnSmsGateway", "OPTIONS": {...}}``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import urlsplit

import phonenumbers
import requests
from django.views.decorators.debug import sensitive_variables

from ...phones import national_of_e164
from ..base import (
    BalanceResult,
    CheckResult,
    GatewayRequestError,
    Meaning,
    Operation,
    SendResult,
    VoiceGateway,
)
from ..http.network import PROXY_SCHEMES, Network, proxy_scheme
from ..http.session import new_session
from .answer_codes import TABLES, Endpoint, lookup
from .client import Credentials, GatewayClient

DEFAULT_BASE_URL = "http://210.211.108.20:8080/onsmsapivoice"
DEFAULT_SENDER = "DAUSO1"
REPEAT_WINDOW = 900
"""Seconds in which the gateway refuses the same message to the same number (its code 6)."""
CREDENTIALS = ("USERNAME", "PASSWORD", "KEY")
NETWORK = ("PROXY", "PROXY_FROM_ENV", "CA_BUNDLE")
"""How the gateway is reached (:mod:`..http.network`): a proxy URL, the environment's proxies (a
bool), a CA bundle's path."""
READ_TIMEOUT_CAP = 5.0
"""Seconds: for a read a person waits on, each timeout is capped here (longer than the gateway takes
on a good day, short enough for a person to wait), and nothing is retried."""

_ENDPOINTS = {
    Operation.SEND: Endpoint.SEND,
    Operation.CHECK: Endpoint.CHECK,
    Operation.BALANCE: Endpoint.BALANCE,
}
_INTEGER = re.compile(r"[-+]?[0-9]{1,6}")


def local_form(e164: str) -> str:
    """The number as this gateway dials it: its documentation's ``036xxxxxxx``, the national form
    (Vietnamese numbers with their trunk 0, others as international digits without ``+``)."""
    return national_of_e164(e164)


def quick_timeout(timeout: tuple[float, float], cap: float = READ_TIMEOUT_CAP) -> tuple[float, float]:
    """The site's ``(connect, read)`` timeouts, each capped at ``cap`` seconds."""
    return (min(timeout[0], cap), min(timeout[1], cap))


class OnSmsGateway(VoiceGateway):
    """Options: ``BASE_URL`` (default: the operator's address), ``USERNAME``, ``PASSWORD``, ``KEY`` (as
    the operator issued them), ``SENDER`` (default ``DAUSO1``: the operator's document also spells it
    ``DAUS01``, with a zero; a wrong one is refused with code 5), and how the gateway is reached:
    ``PROXY`` (an ``http://`` or ``https://`` proxy for both schemes), ``PROXY_FROM_ENV`` (True: the
    environment's ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``) and ``CA_BUNDLE`` (PEM certificates
    to check an HTTPS gateway with)."""

    name: ClassVar[str] = "onsms"
    default_repeat_window: ClassVar[int] = REPEAT_WINDOW
    option_names: ClassVar[tuple[str, ...]] = ("BASE_URL", *CREDENTIALS, "SENDER", *NETWORK)

    def __init__(
        self,
        *,
        options: Mapping[str, Any],
        timeout: tuple[float, float],
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(options=options, timeout=timeout)
        get = self.options.get
        self.client = GatewayClient(
            base_url=str(get("BASE_URL") or DEFAULT_BASE_URL),
            credentials=Credentials(
                str(get("USERNAME") or ""), str(get("PASSWORD") or ""), str(get("KEY") or "")
            ),
            sender=str(get("SENDER") or DEFAULT_SENDER),
            timeout=timeout,
            session=session,
            network=Network(
                proxy=str(get("PROXY") or "") or None,
                proxy_from_env=get("PROXY_FROM_ENV") is True,
                ca_bundle=str(get("CA_BUNDLE") or "") or None,
            ),
        )

    def __repr__(self) -> str:
        """The address and how it is reached (a proxy's password left out)."""
        return f"<OnSmsGateway {self.client.base_url}, {self.client.network.describe(self.client.base_url)}>"

    @property
    def base_url(self) -> str:
        return self.client.base_url

    @sensitive_variables("code")
    def place_call(self, phone: str, code: str) -> SendResult:
        try:
            local = local_form(phone)
        except phonenumbers.NumberParseException:
            raise GatewayRequestError(
                "postSMS: the phone is not a number", endpoint=Endpoint.SEND.value, field="phone"
            ) from None
        return self.client.place_call(local, code)

    def call_outcome(self, request_id: str) -> CheckResult:
        return self.client.call_outcome(request_id)

    def balance(self) -> BalanceResult:
        return self.client.balance()

    @classmethod
    def describe(cls, operation: Operation, code: str) -> Meaning:
        if not _INTEGER.fullmatch(code.strip()):
            return super().describe(operation, code)
        return lookup(_ENDPOINTS[operation], int(code))

    @classmethod
    def codes(cls, operation: Operation) -> list[Meaning]:
        return list(TABLES[_ENDPOINTS[operation]].values())

    def problems(self) -> list[str]:
        found = super().problems()
        missing = [key for key in CREDENTIALS if not self.options.get(key)]
        if missing:
            found.append(
                f"the gateway credentials are missing: {', '.join(missing)} (as the operator issued them; "
                "in development, the simulator's)"
            )
        base_url = self.options.get("BASE_URL") or DEFAULT_BASE_URL
        if not isinstance(base_url, str) or not re.match(r"https?://", base_url):
            found.append("BASE_URL must start with http:// or https://")
        return found + _network_problems(self.options)

    def deploy_problems(self) -> list[str]:
        """The credentials and the codes travel in clear to a gateway on plain HTTP (the operator's
        documented address is ``http://210.211.108.20:8080``), unless it is this machine."""
        base_url = str(self.options.get("BASE_URL") or DEFAULT_BASE_URL)
        host = urlsplit(base_url).hostname or ""
        if urlsplit(base_url).scheme != "http" or _loopback(host):
            return []
        return [
            f"the credentials (USERNAME, PASSWORD, KEY) and every code go over plain HTTP to {host}: "
            "anyone on the network path can read them. The operator's documented address "
            f"({DEFAULT_BASE_URL}) is itself plain HTTP: ask the operator for an HTTPS one (BASE_URL "
            "'https://...', and CA_BUNDLE if its certificate is from a private CA), or reach it over a "
            "private link or a VPN"
        ]

    def within(self, seconds: float) -> VoiceGateway:
        connect, read = self.timeout
        if connect + read <= seconds:
            return self
        connect = min(connect, seconds / 2)
        cut = OnSmsGateway(options=self.options, timeout=(connect, max(seconds - connect, 0.05)))
        cut.label = self.label
        return cut

    @contextmanager
    def for_a_person(self) -> Iterator[VoiceGateway]:
        """The same gateway on a session of its own, with no retries and each timeout capped at
        :data:`READ_TIMEOUT_CAP`: the process's session retries reads, which is right for a poller
        and wrong for a page, where a hanging gateway would hold a person for every retry."""
        session = new_session(0, pool_connections=1)
        try:
            quick = OnSmsGateway(options=self.options, timeout=quick_timeout(self.timeout), session=session)
            quick.label = self.label
            yield quick
        finally:
            session.close()


def _loopback(host: str) -> bool:
    try:
        return host.lower() == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _network_problems(options: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``PROXY``, ``PROXY_FROM_ENV`` and ``CA_BUNDLE`` (the filesystem is looked at,
    the network is not). ``PROXY`` wins over ``PROXY_FROM_ENV`` when both are set."""
    found = []
    proxy = options.get("PROXY")
    if proxy is not None and not _usable_proxy(proxy):
        found.append(
            "PROXY must be an http:// or https:// proxy URL with a host (SOCKS proxies are not used)"
        )
    if options.get("PROXY_FROM_ENV") not in (None, True, False):
        found.append("PROXY_FROM_ENV must be True or False")
    bundle = options.get("CA_BUNDLE")
    if bundle is not None and (not isinstance(bundle, str) or not os.path.exists(bundle)):
        found.append("CA_BUNDLE must be the path of a PEM file or a directory of certificates that exists")
    return found


def _usable_proxy(proxy: object) -> bool:
    if not isinstance(proxy, str) or proxy_scheme(proxy) not in PROXY_SCHEMES:
        return False
    try:
        return bool(urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname)
    except ValueError:
        return False
