"""One POST to the gateway on the wire: within its deadline, its answer capped, its failures in words.

Each request, retries included, must be over within the two configured timeouts together: requests'
timeouts bound each socket operation, which a gateway answering a byte at a time never trips, so
:mod:`.deadline` holds that budget and, when it runs out, the answer is a :class:`GatewayTimeout`.
The answer is read as a stream and no further than :data:`MAX_ANSWER`, exactly as sent (nothing is
inflated), and handed back whole, whatever its HTTP status, as an :class:`HttpAnswer`: what an
error status's body says (a documented code, often) is the backend's to read, as is what to keep of
it. Whatever goes wrong on the wire comes back as an error rebuilt from fixed words, never chained to
what raised it, so nothing of the request can travel into a log or an error report through it.
"""

from __future__ import annotations

import codecs
import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables
from urllib3.exceptions import NewConnectionError

from ..base import GatewayError, GatewayTimeout, GatewayUnavailable
from . import deadline

logger = logging.getLogger("django_voiceotp.gateways")

_HEADERS = {
    "Accept": "text/plain, application/json",
    "Accept-Encoding": "identity",  # nothing to inflate: a small compressed body cannot become a big one
    "Content-Type": "application/json",
}
MAX_ANSWER = 16 * 1024
"""Bytes of an answer read at most. Voice gateways answer a short line or a small JSON object; this
leaves room for an error page in front of one (kept, cut, as ``raw`` for the operator) and still
bounds what a broken or hostile gateway can make a worker read and hold."""
_READ_SIZE = 4096


@dataclass(frozen=True)
class HttpAnswer:
    """What the gateway sent back: its HTTP status, its body as text (unredacted, uncleaned: the
    backend makes it safe before keeping any of it), how long it took, and what is wrong with the
    body on the wire (too big, compressed), if anything."""

    status: int
    text: str
    elapsed_ms: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@sensitive_variables("body")
def post(
    session: requests.Session,
    name: str,
    url: str,
    body: bytes,
    timeout: tuple[float, float],
    *,
    proxies: dict[str, str] | None = None,
    verify: bool | str | None = None,
) -> HttpAnswer:
    """POST ``body`` to ``url`` for endpoint ``name`` and read the answer, whatever its status.

    ``proxies`` and ``verify`` are requests' (a proxy for the URL's scheme, a CA bundle's path);
    None leaves the session's own. Raises :class:`GatewayUnavailable` (:class:`GatewayTimeout`
    among them) when no whole answer came.
    """
    started = time.monotonic()
    with deadline.watch(sum(timeout)) as running:
        outcome = _exchange(session, name, url, body, timeout, running, proxies, verify)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if isinstance(outcome, GatewayError):
        outcome.elapsed_ms = elapsed_ms
        logger.warning("%s after %d ms", outcome.message, elapsed_ms)
        raise outcome
    status, text, problem = outcome
    if not 200 <= status < 300:
        logger.warning("%s: HTTP %d after %d ms", name, status, elapsed_ms)
    elif problem is not None:
        logger.warning("%s: %s after %d ms", name, problem, elapsed_ms)
    return HttpAnswer(status, text, elapsed_ms, problem)


@sensitive_variables("body")
def _exchange(
    session: requests.Session,
    name: str,
    url: str,
    body: bytes,
    timeout: tuple[float, float],
    running: deadline.Deadline,
    proxies: dict[str, str] | None,
    verify: bool | str | None,
) -> tuple[int, str, str | None] | GatewayUnavailable:
    """The answer's status, text and what is wrong with it (too big, encoded), or the error to
    raise (returned, so that it is raised outside any ``except`` block and carries no context
    of what failed)."""
    try:
        template, settings = _prepared(session, url, proxies, verify)
        request = template.copy()
        request.body = body
        request.headers["Content-Length"] = str(len(body))
        # The adapter mounted for this URL (its retry policy, its watched pool) sends it, with the
        # session's TLS and proxy settings: the session's own round of cookie jars, hooks and
        # redirect handling has nothing to do for a gateway that answers one POST with one small
        # body, and cost as much again as the send.
        response = session.get_adapter(url).send(request, timeout=timeout, **settings)
    except requests.RequestException as exc:
        return _transport_error(name, exc, timeout, running)
    except Exception as exc:  # whatever it was, the request may have gone out
        return _unexpected(name, exc)
    try:
        data, problem = _read_capped(response)
        return response.status_code, decode(data), problem
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        return _transport_error(name, exc, timeout, running)
    except Exception as exc:
        return _unexpected(name, exc)
    finally:
        # Read to the end, the connection went back to its pool on the way; read in part, this
        # closes it, so no later request can find the rest of this answer waiting on it.
        response.close()


_Template = tuple[requests.PreparedRequest, dict[str, Any]]


def _prepared(
    session: requests.Session, url: str, proxies: dict[str, str] | None, verify: bool | str | None
) -> _Template:
    """The POST to ``url`` as the session would prepare it (its headers, ours), without a body, and
    what the session would send it with (``verify``, ``cert``, proxies: the ones given, else the
    session's and, if it trusts the environment, the environment's, as ``Session.request`` merges
    them): worked out once per session, URL, proxies and CA bundle."""
    templates: dict[Any, _Template] | None = getattr(session, "_voiceotp_requests", None)
    if templates is None:
        templates = {}
        setattr(session, "_voiceotp_requests", templates)  # noqa: B010 (a session of our own)
    key = (url, tuple(sorted((proxies or {}).items())), verify)
    found = templates.get(key)
    if found is None:
        request = session.prepare_request(requests.Request("POST", url, headers=_HEADERS))
        settings = dict(session.merge_environment_settings(url, dict(proxies or {}), True, verify, None))
        found = templates[key] = (request, settings)
    return found


def decode(data: bytes) -> str:
    """The body as text: UTF-16 when it starts with a UTF-16 byte order mark, else UTF-8 (its byte
    order mark left for the readers to skip); bytes that are neither are replaced, not fatal."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


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
