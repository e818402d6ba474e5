"""A stand-in for the voice gateway: a real HTTP server speaking its protocol, for demos and tests.

Nobody can try voice OTP without a paid gateway account and a phone, and nobody can test what
happens when that gateway misbehaves. This module fills both gaps with the standard library only,
so ``python -m django_voiceotp.simulator`` runs anywhere, with no Django settings and no dependency.

It serves ``postSMS``, ``checkVoice`` and ``checkBalance`` under ``/onsmsapivoice/`` and answers as
``gateway-api.txt`` says. ``postSMS`` checks, in this order: a JSON object with every field as
a string (else 11), credentials (-1), sender (5), the number in Vietnamese local form (a legacy
11-digit ``01...`` mobile: 31, anything else: 10), a message of 1 to 6 digits (11), the number
endings below, the same message to the same number within the repeat window (6), the balance (14).
A taken call is charged and shown on the calls page (``/calls``) with the code it would read out.

Failures on purpose, by the ending of the local-form number (the demo tells people to try these):

=========  ===============================================================================
ending     what the simulator does
=========  ===============================================================================
``99NN``   postSMS answers code NN for NN in 05 06 07 09 10 11 14 15 16 20 22 23 27 31
           (27 is "pending/unknown": recorded, not taken; a real gateway might still ring)
``9801``   postSMS answers HTTP 500
``9802``   postSMS hangs: no answer for ``hang_seconds`` (or until ``stop()``), then closes
``9803``   postSMS drops the connection without any HTTP answer
``9804``   postSMS answers HTTP 200 with an unreadable body
``9700``   taken, never answered: checkVoice says 27 until ``answer_after``, then 23
``9701``   taken, checkVoice says 27 forever
other      taken: checkVoice says 27 until ``answer_after`` seconds, then 1
=========  ===============================================================================

Faults can also be set for one number or for all, by :meth:`GatewaySimulator.set_fault` or
``POST /_control/faults``; they fire before any other check, right after the request is recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import html
import inspect
import json
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from django_voiceotp.gateway.codes import CHECK_CODES, SEND_CODES, Kind

ENDPOINTS = ("postSMS", "checkVoice", "checkBalance")
FAULTS = ("code", "hang", "drop", "http500", "garbage")
OUTCOMES = ("pending", "answered", "failed")
ANSWER_STYLES = ("plain", "prefixed")
PREFIX = "/onsmsapivoice/"
MAX_BODY = 64 * 1024
MAX_RECEIVED = 10_000
"""Received requests kept for ``/_control/received``: a long demo must not grow without bound."""

ENDING_CODES = frozenset(v for v, row in SEND_CODES.items() if v > 0 and row.kind is not Kind.TAKEN)
TRANSPORT_ENDINGS = {"9801": "http500", "9802": "hang", "9803": "drop", "9804": "garbage"}
ENDING_LIST = sorted(ENDING_CODES)
NEVER_ANSWERED, PENDING_FOREVER = "9700", "9701"
# checkVoice codes come from the shared table, so the simulator can never disagree with the client.
_OUTCOME_KINDS = {"answered": Kind.TAKEN, "failed": Kind.FAILED, "pending": Kind.PENDING}
_CHECK_ANSWER = {
    outcome: next(v for v, row in CHECK_CODES.items() if row.kind is kind)
    for outcome, kind in _OUTCOME_KINDS.items()
}
_LOCAL = re.compile(r"0[35789][0-9]{8}|02[0-9]{9}")
_LEGACY = re.compile(r"01[0-9]{9}")
_MESSAGE = re.compile(r"[0-9]{1,6}")
_CONTROL = {"calls": "GET", "received": "GET", "state": "GET", "faults": "POST, DELETE"}
_CONTROL |= {"balance": "POST", "outcome": "POST", "reset": "POST"}
_DEMO = {"username": "demo", "password": "demo-pass", "key": "demo-key"}


def endings() -> list[tuple[str, str]]:
    """The number-ending table, one row per ending, for the calls page and the demo."""
    rows = [(f"99{v:02d}", f"postSMS answers {v}: {SEND_CODES[v].title_en}") for v in ENDING_LIST]
    return [
        *rows,
        ("9801", "postSMS answers HTTP 500"),
        ("9802", "postSMS hangs, then closes without an answer"),
        ("9803", "postSMS drops the connection"),
        ("9804", "postSMS answers an unreadable body"),
        (NEVER_ANSWERED, "call taken, never answered (checkVoice 27, then 23)"),
        (PENDING_FOREVER, "call taken, checkVoice says 27 forever"),
    ]


def _local(number: str) -> str:
    """``+84...`` / ``84...`` as ``0...``, so faults and outcomes can be set with either form."""
    number = re.sub(r"[\s.\-()]", "", number)
    for prefix in ("+84", "84"):
        if number.startswith(prefix) and len(number) >= 11:
            return "0" + number[len(prefix) :]
    return number


@dataclass(frozen=True)
class PlacedCall:
    """A call the simulator took (it answered ``1,,,request_id``), as seen when it was read."""

    request_id: str
    phone: str
    code: str
    placed_at: float
    outcome: str
    checks: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request on a gateway endpoint, recorded on arrival; never holds the password or key."""

    endpoint: str
    received_at: float
    username: str | None
    phone: str | None
    request_id: str | None
    message: str | None
    answer: str
    """The body sent back, or ``hang``, ``drop``, ``HTTP 500``, ``HTTP 413``."""
    status: int | None
    """The HTTP status, ``None`` when nothing was answered (hang, drop)."""
    fault: str | None
    """What made it fail on purpose: ``fault:<name>`` or ``ending:<digits>``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fault:
    """A failure on purpose; mutable only so ``times`` can count down under the lock."""

    fault: str
    number: str | None = None
    endpoint: str = "postSMS"
    code: int | None = None
    times: int | None = None
    """Matching requests left before the fault disappears; ``None`` until cleared."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Call:
    request_id: str
    phone: str
    code: str
    placed_at: float
    placed_clock: float
    forced: str | None = None
    checks: int = 0


@dataclass(frozen=True)
class _Reply:
    """What a handler should do: answer, hang or drop. Decided under the lock, done outside it."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    action: str = "answer"
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None

    @property
    def summary(self) -> str:
        if self.action != "answer":
            return self.action
        if self.status != 200:
            return f"HTTP {self.status}"
        return self.body.decode("utf-8", "replace")


def _json_reply(data: object, status: int = 200, *, cors: bool = False) -> _Reply:
    headers = (("Access-Control-Allow-Origin", "*"),) if cors else ()
    body = json.dumps(data).encode()
    return _Reply(status, body, "application/json", headers=headers)


def _error(status: int, message: str, *headers: tuple[str, str]) -> _Reply:
    body = json.dumps({"error": message}).encode()
    return _Reply(status, body, "application/json", headers=headers)


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _fields(data: Any, names: Iterable[str]) -> dict[str, str] | None:
    """The named fields when ``data`` is an object holding each of them as a string, else None."""
    if not isinstance(data, dict):
        return None
    values = {name: data.get(name) for name in names}
    if not all(isinstance(v, str) for v in values.values()):
        return None
    return cast("dict[str, str]", values)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clock_time(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp))


def _str_or_none(data: Any, name: str) -> str | None:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


class GatewaySimulator:
    """The gateway in process: start it, point ``BASE_URL`` at :attr:`base_url`, see what it got.

    All state sits behind one lock; handlers decide their answer under it and then write, hang or
    drop outside it, so a hanging request never blocks the others.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        username: str = _DEMO["username"],
        password: str = _DEMO["password"],
        key: str = _DEMO["key"],
        sender: str = "DAUSO1",
        balance: int = 1000,
        price: int = 1,
        repeat_window: float = 900.0,
        answer_after: float = 2.0,
        answer_style: str = "plain",
        hang_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        verbose: bool = False,
        log: TextIO | None = None,
    ) -> None:
        if answer_style not in ANSWER_STYLES:
            raise ValueError(f"answer_style must be one of {ANSWER_STYLES}")
        self.host, self.port = host, port
        self.username, self.password, self.key, self.sender = username, password, key, sender
        self.price, self.repeat_window, self.answer_after = price, repeat_window, answer_after
        self.answer_style, self.hang_seconds, self.clock = answer_style, hang_seconds, clock
        self.verbose, self.log = verbose, log
        self.initial_balance = balance
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._bound_port: int | None = None
        self._balance = balance
        self._calls: dict[str, _Call] = {}
        self._received: deque[ReceivedRequest] = deque(maxlen=MAX_RECEIVED)
        self._counts = dict.fromkeys(ENDPOINTS, 0)
        self._faults: list[Fault] = []
        self._repeat: dict[tuple[str, str], float] = {}

    @classmethod
    def from_args(cls, args: argparse.Namespace, **overrides: Any) -> GatewaySimulator:
        """Build from :func:`build_parser` flags; other flags (Django's own) are ignored."""
        wanted = inspect.signature(cls).parameters
        options = {name: value for name, value in vars(args).items() if name in wanted}
        return cls(**{**options, **overrides})

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> GatewaySimulator:
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        server = _Server((self.host, self.port), self)
        self._bound_port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms, not the default 500
            name=f"voiceotp-simulator-{self._bound_port}",
            daemon=True,
        )
        self._server = server
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging handlers wake at once (they wait on an event, not a sleep)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("start() the simulator first: the port is chosen when it binds")
        return f"http://{self.host}:{self._bound_port}"

    @property
    def base_url(self) -> str:
        return self.url + PREFIX.rstrip("/")

    # -- control ---------------------------------------------------------------------------------

    def set_fault(
        self,
        fault: str,
        *,
        number: str | None = None,
        endpoint: str = "postSMS",
        code: int | None = None,
        times: int | None = None,
    ) -> Fault:
        """Fail on purpose for ``number`` (or all numbers) on ``endpoint``, ``times`` times.

        ``code`` answers exactly that integer and takes no call (``code=1`` gives a bare ``1``
        without a request_id: a malformed success). On checkVoice the number is the call's phone;
        on checkBalance only ``number=None`` can match. The first matching fault wins.
        """
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}")
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}")
        if fault == "code" and not _is_int(code):
            raise ValueError("a 'code' fault needs an integer code")
        if times is not None and (not _is_int(times) or times < 1):
            raise ValueError("times must be a positive integer or null")
        if number is not None and not isinstance(number, str):
            raise ValueError("number must be a string or null")
        new = Fault(fault, _local(number) if number else None, endpoint, code, times)
        with self._lock:
            self._faults.append(new)
        return new

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget calls, requests, counts, faults and repeat history; the balance starts over."""
        with self._lock:
            self._calls.clear()
            self._received.clear()
            self._counts = dict.fromkeys(ENDPOINTS, 0)
            self._faults.clear()
            self._repeat.clear()
            self._balance = self.initial_balance

    def set_balance(self, balance: int) -> None:
        if not _is_int(balance):
            raise ValueError("balance must be an integer")
        with self._lock:
            self._balance = balance

    def set_outcome(self, request_id_or_phone: str, outcome: str) -> PlacedCall:
        """Force what checkVoice says for a call, found by request_id or (its latest) phone."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        with self._lock:
            call = self._calls.get(request_id_or_phone)
            if call is None:
                phone = _local(request_id_or_phone)
                matches = [c for c in self._calls.values() if c.phone == phone]
                if not matches:
                    raise LookupError(f"no call for {request_id_or_phone!r}")
                call = matches[-1]
            call.forced = outcome
            return self._snapshot(call, self.clock())

    @property
    def balance(self) -> int:
        with self._lock:
            return self._balance

    @property
    def calls(self) -> list[PlacedCall]:
        with self._lock:
            now = self.clock()
            return [self._snapshot(call, now) for call in self._calls.values()]

    @property
    def received(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return [Fault(**f.to_dict()) for f in self._faults]

    def count(self, endpoint: str) -> int:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}")
        with self._lock:
            return self._counts[endpoint]

    # -- the gateway -----------------------------------------------------------------------------

    def _outcome(self, call: _Call, now: float) -> str:
        if call.forced is not None:
            return call.forced
        if call.phone.endswith(PENDING_FOREVER) or now - call.placed_clock < self.answer_after:
            return "pending"
        return "failed" if call.phone.endswith(NEVER_ANSWERED) else "answered"

    def _snapshot(self, call: _Call, now: float) -> PlacedCall:
        outcome = self._outcome(call, now)
        c = call
        return PlacedCall(c.request_id, c.phone, c.code, c.placed_at, outcome, c.checks)

    def _text(self, answer: str, **kwargs: Any) -> _Reply:
        body = f"RESULT: {answer}" if self.answer_style == "prefixed" else answer
        return _Reply(body=body.encode(), **kwargs)

    def _authorised(self, fields: dict[str, str]) -> bool:
        pairs = (
            (fields["username"], self.username),
            (fields["pass"], self.password),
            (fields["key"], self.key),
        )
        return all(hmac.compare_digest(a.encode(), b.encode()) for a, b in pairs)

    def _take_fault(self, endpoint: str, phone: str | None) -> Fault | None:
        for fault in self._faults:
            if fault.endpoint == endpoint and fault.number in (None, phone):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _fault_reply(self, kind: str, endpoint: str, code: int | None, label: str) -> _Reply:
        if kind == "code":
            if endpoint == "checkBalance":
                return _Reply(
                    body=json.dumps({"errorcode": str(code), "balance": 0}).encode(),
                    content_type="application/json",
                    fault=label,
                )
            return self._text(str(code), fault=label)
        if kind in ("hang", "drop"):
            return _Reply(action=kind, fault=label)
        if kind == "http500":
            return _Reply(500, b"Internal Server Error", fault=label)
        return _Reply(body=b"<html>oops", content_type="text/html; charset=utf-8", fault=label)

    def _post_sms(self, data: Any) -> _Reply:
        names = ("username", "pass", "sender", "key", "phonesend", "message")
        fields = _fields(data, names)
        if fields is None:
            return self._text("11")
        if not self._authorised(fields):
            return self._text("-1")
        if fields["sender"] != self.sender:
            return self._text("5")
        phone, message = fields["phonesend"], fields["message"]
        if _LEGACY.fullmatch(phone):
            return self._text("31")
        if not _LOCAL.fullmatch(phone):
            return self._text("10")
        if not _MESSAGE.fullmatch(message):
            return self._text("11")
        ending = phone[-4:]
        if ending.startswith("99") and int(ending[2:]) in ENDING_CODES:
            return self._text(str(int(ending[2:])), fault=f"ending:{ending}")
        if ending in TRANSPORT_ENDINGS:
            return self._fault_reply(TRANSPORT_ENDINGS[ending], "postSMS", None, f"ending:{ending}")
        now = self.clock()
        last = self._repeat.get((phone, message))
        if last is not None and now - last < self.repeat_window:
            return self._text("6")
        if self._balance < self.price:
            return self._text("14")
        self._balance -= self.price
        self._repeat[(phone, message)] = now
        call = _Call(str(uuid.uuid4()), phone, message, time.time(), now)
        self._calls[call.request_id] = call
        return self._text(f"1,,,{call.request_id}")

    def _check_voice(self, data: Any, call: _Call | None) -> _Reply:
        fields = _fields(data, ("username", "pass", "key", "request_id"))
        if fields is None:
            return self._text("11")
        if not self._authorised(fields):
            return self._text("-1")
        if call is None:
            return self._text("11")
        return self._text(str(_CHECK_ANSWER[self._outcome(call, self.clock())]))

    def _check_balance(self, data: Any) -> _Reply:
        fields = _fields(data, ("username", "pass", "key"))
        ok = fields is not None and self._authorised(fields)
        if not ok:
            return _json_reply({"errorcode": "0", "balance": 0})
        return _json_reply({"errorcode": "1", "balance": self._balance})

    def _handle_gateway(self, endpoint: str, raw: bytes | None) -> _Reply:
        """Record the request, then decide its answer; ``raw=None`` means the body was too big."""
        arrived = time.time()
        data = _parse_json(raw) if raw is not None else None
        with self._lock:
            self._counts[endpoint] += 1
            request_id = _str_or_none(data, "request_id") if endpoint == "checkVoice" else None
            call = self._calls.get(request_id) if request_id else None
            phone = call.phone if call else _str_or_none(data, "phonesend")
            if call is not None:
                call.checks += 1
            fault = None if raw is None else self._take_fault(endpoint, phone and _local(phone))
            if raw is None:
                reply = _Reply(413, b"Request body too large")
            elif fault is not None:
                reply = self._fault_reply(fault.fault, endpoint, fault.code, f"fault:{fault.fault}")
            elif endpoint == "postSMS":
                reply = self._post_sms(data)
            elif endpoint == "checkVoice":
                reply = self._check_voice(data, call)
            else:
                reply = self._check_balance(data)
            status = reply.status if reply.action == "answer" else None
            self._received.append(
                ReceivedRequest(
                    endpoint,
                    arrived,
                    _str_or_none(data, "username"),
                    phone,
                    request_id,
                    _str_or_none(data, "message"),
                    reply.summary,
                    status,
                    reply.fault,
                )
            )
        return reply

    def _handle_control(self, method: str, name: str, raw: bytes | None) -> _Reply:
        """``/_control/<name>``: JSON in and out, 400 ``{"error": ...}`` for bad input.

        GET ``calls`` and ``received`` (newest first) and ``state``; POST ``faults`` (``set_fault``
        keyword arguments), ``balance``, ``outcome``, ``reset``; DELETE ``faults``. The GETs allow
        any origin, so a demo page served elsewhere can show the calls.
        """
        if name not in _CONTROL:
            return _error(404, f"no control endpoint {name!r}")
        if method not in _CONTROL[name].split(", "):
            return _error(405, f"use {_CONTROL[name]}", ("Allow", _CONTROL[name]))
        if method == "GET":
            return _json_reply(self._control_view(name), cors=True)
        if raw is None:
            return _error(413, "request body too large")
        data = _parse_json(raw) if raw.strip() else {}
        if not isinstance(data, dict):
            return _error(400, "the body must be a JSON object")
        try:
            return _json_reply(self._control_change(method, name, data))
        except (ValueError, LookupError, TypeError) as exc:
            return _error(400, str(exc).strip("'\""))

    def _control_view(self, name: str) -> dict[str, Any]:
        if name == "calls":
            return {"calls": [c.to_dict() for c in reversed(self.calls)]}
        if name == "received":
            return {"received": [r.to_dict() for r in reversed(self.received)]}
        with self._lock:
            faults = [f.to_dict() for f in self._faults]
            return {"balance": self._balance, "faults": faults, "counts": dict(self._counts)}

    def _control_change(self, method: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        if name == "faults" and method == "DELETE":
            self.clear_faults()
        elif name == "faults":
            unknown = set(data) - {"fault", "number", "endpoint", "code", "times"}
            if unknown or not isinstance(data.get("fault"), str):
                raise ValueError(f"unknown fields {sorted(unknown)}" if unknown else "need fault")
            self.set_fault(data.pop("fault"), **data)
        elif name == "balance":
            self.set_balance(data.get("balance"))  # type: ignore[arg-type]  # checked at run time
        elif name == "outcome":
            target = data.get("request_id") or data.get("phone")
            if not isinstance(target, str) or not isinstance(data.get("outcome"), str):
                raise ValueError("give request_id or phone, and outcome")
            return {"call": self.set_outcome(target, data["outcome"]).to_dict()}
        else:
            self.reset()
        return self._control_view("state")

    def _log_line(self, line: str) -> None:
        """One line per request with ``--verbose``: path and answer only, never the body."""
        if self.verbose:
            print(f"[voiceotp-simulator] {line}", file=self.log or sys.stderr, flush=True)

    def render_page(self) -> str:
        """The calls page: what a person trying the demo needs to finish the flow, nothing more."""
        e = html.escape
        calls = (
            "".join(
                f"<tr><td>{e(_clock_time(c.placed_at))}</td>"
                f"<td>{e(c.phone)}</td><td class=code>{e(c.code)}</td>"
                f"<td class={e(c.outcome)}>{e(c.outcome)}</td><td>{c.checks}</td></tr>"
                for c in reversed(self.calls)
            )
            or "<tr><td colspan=5>No call yet.</td></tr>"
        )
        recent = "".join(
            f"<tr><td>{e(_clock_time(r.received_at))}</td>"
            f"<td>{e(r.endpoint)}</td><td>{e(str(r.phone or r.request_id or ''))}</td>"
            f"<td>{e(r.answer[:80])}</td><td>{e(r.fault or '')}</td></tr>"
            for r in list(reversed(self.received))[:20]
        )
        table = "".join(f"<tr><td>…{e(end)}</td><td>{e(what)}</td></tr>" for end, what in endings())
        faults = ", ".join(e(json.dumps(f.to_dict())) for f in self.faults) or "none"
        return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=2>
<title>Voice gateway simulator</title><style>
body{{font:15px system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}}
.code{{font:bold 2em ui-monospace,monospace;letter-spacing:.15em}}
.answered{{color:#070}} .failed{{color:#b00}} .pending{{color:#a60}} h2{{margin-top:1.5em}}
</style></head><body>
<h1>Voice gateway simulator</h1>
<p>Base URL: <code>{e(self.base_url)}</code> · balance: <b>{self.balance}</b> · faults: {faults}</p>
<h2>Calls placed (newest first)</h2>
<table><tr><th>time</th><th>phone</th><th>code read out</th><th>outcome</th><th>checks</th></tr>
{calls}</table>
<h2>Last requests</h2>
<table><tr><th>time</th><th>endpoint</th><th>phone / request</th><th>answer</th><th>why</th></tr>
{recent}</table>
<h2>Number endings that fail on purpose</h2>
<table><tr><th>ending</th><th>what happens</th></tr>{table}</table>
</body></html>
"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], simulator: GatewaySimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent by default: a client that hangs up mid-answer is normal here, not news."""
        if self.simulator.verbose:
            traceback.print_exc(file=self.simulator.log or sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    server_version = "VoiceOTPSimulator/1.0"
    timeout = 10.0  # a client that sends half a body must not pin a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing: the default writes every request to stderr, which drowns test output."""

    def _read_body(self) -> bytes | None:
        """The body, or None when over 64 KiB (read and dropped, so the 413 reaches the client)."""
        try:
            length = max(0, int(self.headers.get("Content-Length", "0")))
        except ValueError:
            length = 0
        if length > MAX_BODY:
            remaining = min(length, 1 << 20)
            while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 16))):
                remaining -= len(chunk)
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        sim = cast(_Server, self.server).simulator
        path = urlsplit(self.path).path
        try:
            if path.startswith(PREFIX) and path[len(PREFIX) :] in ENDPOINTS:
                if method != "POST":
                    reply = _error(405, "use POST", ("Allow", "POST"))
                else:
                    reply = sim._handle_gateway(path[len(PREFIX) :], self._read_body())
            elif path in ("/", "/calls") and method != "GET":
                reply = _error(405, "use GET", ("Allow", "GET"))
            elif path in ("/", "/calls"):
                page = sim.render_page().encode()
                reply = _Reply(body=page, content_type="text/html; charset=utf-8")
            elif path.startswith("/_control/"):
                raw = self._read_body() if method in ("POST", "DELETE") else b""
                reply = sim._handle_control(method, path[len("/_control/") :], raw)
            else:
                reply = _error(404, "not found")
            self._perform(reply, sim, method)
        except Exception:
            sim._log_line(f"{self.client_address[0]} {method} {path} -> crashed")
            with contextlib.suppress(Exception):
                self.send_error(500)
            return
        sim._log_line(f"{self.client_address[0]} {method} {path} -> {reply.summary[:80]}")

    def _perform(self, reply: _Reply, sim: GatewaySimulator, method: str) -> None:
        if reply.action == "hang":
            sim._stopping.wait(sim.hang_seconds)
        if reply.action in ("hang", "drop"):
            self.close_connection = True
            with contextlib.suppress(Exception):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        for name, value in (
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            *reply.headers,
        ):
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)

    def _any_method(self) -> None:
        """Every method goes through one router, so a wrong one gets 405 rather than 501."""
        self._dispatch(self.command)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any_method


def build_parser() -> argparse.ArgumentParser:
    """The flags, without ``-h``, so ``voiceotp_simulator`` can take them via ``parents``."""
    parser = argparse.ArgumentParser(
        prog="python -m django_voiceotp.simulator",
        description="Serve a stand-in for the voice OTP gateway (postSMS, checkVoice, ...).",
        add_help=False,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    add("--port", type=int, default=8765, help="port, 0 for any free one (default: %(default)s)")
    add("--username", default=_DEMO["username"], help="gateway username (default: %(default)s)")
    add("--password", default=_DEMO["password"], help="gateway password (default: %(default)s)")
    add("--key", default=_DEMO["key"], help="gateway key (default: %(default)s)")
    add("--sender", default="DAUSO1", help="the only sender accepted (default: %(default)s)")
    add("--balance", type=int, default=1000, help="starting balance (default: %(default)s)")
    add("--price", type=int, default=1, help="charged per taken call (default: %(default)s)")
    add("--repeat-window", type=float, default=900.0, help="code 6 window, s (default: 900)")
    add("--answer-after", type=float, default=2.0, help="s before a call settles (default: 2)")
    add(
        "--answer-style",
        choices=ANSWER_STYLES,
        default="plain",
        help="'1,,,id' or 'RESULT: 1,,,id'",
    )
    add("--hang-seconds", type=float, default=30.0, help="how long a hang lasts (default: 30)")
    add("--verbose", action="store_true", help="log one line per request (never a password or key)")
    return parser


def serve(sim: GatewaySimulator, *, out: TextIO | None = None) -> int:
    """Start ``sim``, say where, serve until Ctrl-C or SIGTERM, stop cleanly; the exit status."""
    out = out or sys.stdout
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot listen on {sim.host}:{sim.port}: {exc}", file=sys.stderr)
        return 1
    line = f"Gateway simulator: BASE_URL={sim.base_url}  calls page: {sim.url}/calls"
    print(line, file=out, flush=True)
    done = threading.Event()
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_term(signum: int, frame: FrameType | None) -> None:
        done.set()

    if in_main:
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        while not done.wait(0.5):  # a timed wait keeps Ctrl-C responsive on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    flags = build_parser()
    parser = argparse.ArgumentParser(parents=[flags], prog=flags.prog, description=flags.description)
    return serve(GatewaySimulator.from_args(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
