"""The gateway's protocol and what it remembers, with no socket in sight.

:class:`GatewayState` decides every answer: ``postSMS`` checks, in this order, a JSON object with
every field as a string (else 11), credentials (-1), sender (5), the number in Vietnamese local form
(a legacy 11-digit ``01...`` mobile: 31, anything else: 10), a message of 1 to 6 digits (11), the
number endings (see the package's table), the same message to the same number within the repeat
window (6), the balance (14). A taken call is charged and kept with the code it would read out.
``checkVoice`` answers -1 to wrong credentials and 11 to a request id it never gave. Answers are
written in the simulator's style (:mod:`.answers`), or as a fault says (:mod:`.faults`).

It returns a :class:`Reply` saying what to send and how (answer, drip, huge, hang, drop); carrying
it out is the server's job, so the protocol can be tested by calling it, without a port.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, cast

from django_voiceotp.gateways.base import Kind
from django_voiceotp.gateways.onsms.answer_codes import CHECK_CODES, SEND_CODES

from .answers import (
    balance_answer,
    check_answer,
    check_balance_format,
    check_style,
    send_answer,
)
from .faults import ENDPOINTS, body_reply, code_reply, is_int, new_fault, wire_reply
from .records import Fault, PlacedCall, ReceivedRequest, Reply, parse_json

OUTCOMES = ("pending", "answered", "failed")
PREFIX = "/onsmsapivoice/"
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
DEMO = {"username": "demo", "password": "demo-pass", "key": "demo-key"}


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


def local(number: str) -> str:
    """``+84...`` / ``84...`` as ``0...``, so faults and outcomes can be set with either form."""
    number = re.sub(r"[\s.\-()]", "", number)
    for prefix in ("+84", "84"):
        if number.startswith(prefix) and len(number) >= 11:
            return "0" + number[len(prefix) :]
    return number


@dataclass
class _Call:
    request_id: str
    phone: str
    code: str
    placed_at: float
    placed_clock: float
    forced: str | None = None
    checks: int = 0


def _fields(data: Any, names: Iterable[str]) -> dict[str, str] | None:
    """The named fields when ``data`` is an object holding each of them as a string, else None."""
    if not isinstance(data, dict):
        return None
    values = {name: data.get(name) for name in names}
    if not all(isinstance(v, str) for v in values.values()):
        return None
    return cast("dict[str, str]", values)


def _str_or_none(data: Any, name: str) -> str | None:
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


class GatewayState:
    """Calls, balance, faults and repeat history behind one lock, and the answers they lead to."""

    def __init__(
        self,
        *,
        username: str = DEMO["username"],
        password: str = DEMO["password"],
        key: str = DEMO["key"],
        sender: str = "DAUSO1",
        balance: int = 1000,
        price: int = 1,
        repeat_window: float = 900.0,
        answer_after: float = 2.0,
        answer_style: str = "plain",
        balance_format: str = "number",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_style(answer_style)
        check_balance_format(balance_format)
        self.username, self.password, self.key, self.sender = username, password, key, sender
        self.price, self.repeat_window, self.answer_after = price, repeat_window, answer_after
        self.answer_style, self.balance_format, self.clock = answer_style, balance_format, clock
        self.initial_balance = balance
        self._lock = threading.RLock()
        self._balance = balance
        self._calls: dict[str, _Call] = {}
        self._received: deque[ReceivedRequest] = deque(maxlen=MAX_RECEIVED)
        self._counts = dict.fromkeys(ENDPOINTS, 0)
        self._faults: list[Fault] = []
        self._repeat: dict[tuple[str, str], float] = {}

    # -- control ---------------------------------------------------------------------------------

    def set_fault(
        self,
        fault: str,
        *,
        number: str | None = None,
        endpoint: str = "postSMS",
        code: int | None = None,
        times: int | None = None,
        status: int | None = None,
        style: str | None = None,
        body: str | bytes | None = None,
    ) -> Fault:
        """Fail on purpose for ``number`` (or all numbers) on ``endpoint``, ``times`` times.

        ``code`` answers exactly that integer and takes no call (``code=1`` gives a bare ``1``
        without a request_id: a malformed success), in ``style`` and with HTTP ``status`` if given.
        ``style`` answers what the request would have had, in that style (and ``status``). ``body``
        answers exactly ``body``, a ``{id}`` in it taking the call and standing for its request id
        (on checkVoice: the id asked about). ``drip`` sends the answer the request would have had (a
        call is taken and charged), a byte at a time; ``huge`` answers 200 with a body of megabytes
        and takes nothing. On checkVoice the number is the call's phone; on checkBalance only
        ``number=None`` can match. The first matching fault wins. See :mod:`.faults`.
        """
        fields = {"code": code, "times": times, "status": status, "style": style, "body": body}
        new = new_fault(fault, number=number, endpoint=endpoint, **fields)
        if new.number:
            new.number = local(new.number)
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
        if not is_int(balance):
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
                phone = local(request_id_or_phone)
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

    def state(self) -> dict[str, Any]:
        """Balance, faults and request counts, as ``/_control/state`` shows them."""
        with self._lock:
            faults = [f.to_dict() for f in self._faults]
            return {"balance": self._balance, "faults": faults, "counts": dict(self._counts)}

    # -- the gateway -----------------------------------------------------------------------------

    def handle_gateway(self, endpoint: str, raw: bytes | None) -> Reply:
        """Record the request, then decide its answer; ``raw=None`` means the body was too big."""
        arrived = time.time()
        data = parse_json(raw) if raw is not None else None
        with self._lock:
            self._counts[endpoint] += 1
            request_id = _str_or_none(data, "request_id") if endpoint == "checkVoice" else None
            call = self._calls.get(request_id) if request_id else None
            phone = call.phone if call else _str_or_none(data, "phonesend")
            if call is not None:
                call.checks += 1
            fault = None if raw is None else self._take_fault(endpoint, phone and local(phone))
            if raw is None:
                reply = Reply(413, b"Request body too large")
            else:
                reply = self._reply(fault, endpoint, data, call)
            status = reply.status if reply.action in ("answer", "drip", "huge") else None
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

    def _reply(self, fault: Fault | None, endpoint: str, data: Any, call: _Call | None) -> Reply:
        """The answer to a request, as its fault (if any) has it."""
        if fault is None or fault.fault in ("drip", "style"):
            style = fault.style if fault is not None and fault.style else self.answer_style
            reply = self._answer(endpoint, data, call, style)
            if fault is None:
                return reply
            if fault.fault == "style":
                return replace(reply, status=fault.status or reply.status, fault="fault:style")
            return replace(reply, action="drip", fault="fault:drip") if reply.action == "answer" else reply
        if fault.fault == "code":
            return code_reply(fault, endpoint, fault.style or self.answer_style, self.balance_format)
        if fault.fault == "body":
            taken = self._take_any(data) if endpoint == "postSMS" and "{id}" in (fault.body or "") else None
            return body_reply(fault, taken.request_id if taken else _str_or_none(data, "request_id"))
        return wire_reply(fault.fault)

    def _answer(self, endpoint: str, data: Any, call: _Call | None, style: str) -> Reply:
        if endpoint == "postSMS":
            return self._post_sms(data, style)
        if endpoint == "checkVoice":
            return self._check_voice(data, call, style)
        return self._check_balance(data, style)

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

    def _post_sms(self, data: Any, style: str) -> Reply:
        def code(value: int, **kwargs: Any) -> Reply:
            body, content_type = send_answer(style, value)
            return Reply(body=body, content_type=content_type, **kwargs)

        names = ("username", "pass", "sender", "key", "phonesend", "message")
        fields = _fields(data, names)
        if fields is None:
            return code(11)
        if not self._authorised(fields):
            return code(-1)
        if fields["sender"] != self.sender:
            return code(5)
        phone, message = fields["phonesend"], fields["message"]
        if _LEGACY.fullmatch(phone):
            return code(31)
        if not _LOCAL.fullmatch(phone):
            return code(10)
        if not _MESSAGE.fullmatch(message):
            return code(11)
        ending = phone[-4:]
        if ending.startswith("99") and int(ending[2:]) in ENDING_CODES:
            return code(int(ending[2:]), fault=f"ending:{ending}")
        if ending in TRANSPORT_ENDINGS:
            return replace(wire_reply(TRANSPORT_ENDINGS[ending]), fault=f"ending:{ending}")
        last = self._repeat.get((phone, message))
        if last is not None and self.clock() - last < self.repeat_window:
            return code(6)
        if self._balance < self.price:
            return code(14)
        body, content_type = send_answer(style, 1, self._take(phone, message).request_id)
        return Reply(body=body, content_type=content_type)

    def _take(self, phone: str, message: str) -> _Call:
        """A call taken: charged, remembered for the repeat window, kept with its code."""
        now = self.clock()
        self._balance -= self.price
        self._repeat[(phone, message)] = now
        call = _Call(str(uuid.uuid4()), phone, message, time.time(), now)
        self._calls[call.request_id] = call
        return call

    def _take_any(self, data: Any) -> _Call:
        """A call taken for a ``body`` fault's ``{id}``, whatever the request held."""
        phone = _str_or_none(data, "phonesend") or ""
        return self._take(phone, _str_or_none(data, "message") or "")

    def _check_voice(self, data: Any, call: _Call | None, style: str) -> Reply:
        fields = _fields(data, ("username", "pass", "key", "request_id"))
        if fields is not None and not self._authorised(fields):
            value = -1  # wrong credentials, which the client reads as an error of the check
        elif fields is None or call is None:
            value = 11
        else:
            value = _CHECK_ANSWER[self._outcome(call, self.clock())]
        body, content_type = check_answer(style, value)
        return Reply(body=body, content_type=content_type)

    def _check_balance(self, data: Any, style: str) -> Reply:
        fields = _fields(data, ("username", "pass", "key"))
        ok = fields is not None and self._authorised(fields)
        errorcode, balance = (1, self._balance) if ok else (0, 0)
        body, content_type = balance_answer(style, errorcode, balance, self.balance_format)
        return Reply(body=body, content_type=content_type)
