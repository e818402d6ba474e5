"""A gateway in process memory, for a site's own tests: no sockets, no credentials, no simulator.

Like Django's ``locmem`` e-mail backend, it keeps what it was asked to do where a test can read it:
every call, with the code it would have read out. A test can also tell it, per number, how to
behave: refuse (with any :class:`~.base.Kind`), ring forever, ring out unanswered, be answered, or
fail as a gateway fails (no answer, a timeout, nonsense). :mod:`django_voiceotp.testing` wraps it in
a pytest fixture and a ``TestCase`` mixin.

Numbers are matched in E.164 (``+84361234567``); the control functions also take what a person
would type (``0361234567``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

import phonenumbers

from .base import (
    BalanceResult,
    CallOutcome,
    CheckResult,
    GatewayProtocolError,
    GatewayTimeout,
    GatewayUnavailable,
    Kind,
    Meaning,
    Operation,
    SendResult,
    VoiceGateway,
)

BEHAVIOURS = ("answer", "unanswered", "ring", "unavailable", "timeout", "garbage")
"""What :func:`behave` can make a number do besides refusing: ``answer`` (the default: answered at
the first check), ``unanswered`` (rings out, busy or no answer), ``ring`` (still ringing at every
check), ``unavailable`` (no answer, never reached), ``timeout`` (no answer after the request went
out: the call may ring), ``garbage`` (an answer nobody can read)."""

_ANSWER_CODES = {
    Kind.TAKEN: "taken",
    Kind.PENDING: "pending",
    Kind.REPEAT: "repeat",
    Kind.RECIPIENT_REFUSED: "recipient_refused",
    Kind.BAD_NUMBER: "bad_number",
    Kind.ACCOUNT: "account",
    Kind.MONEY: "money",
    Kind.GATEWAY_FAULT: "gateway_fault",
}
"""The locmem gateway's own answer codes: the kinds' names, so that the admin reads them as they are."""
_CHECK_CODES = {
    CallOutcome.ANSWERED: "answered",
    CallOutcome.FAILED: "failed",
    CallOutcome.PENDING: "pending",
}


@dataclass(frozen=True)
class LocMemCall:
    """A call the gateway took: the number (E.164), the code it would have read out, its id."""

    phone: str
    code: str
    request_id: str
    checks: int = 0


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[LocMemCall] = field(default_factory=list)
    attempts: list[tuple[str, str]] = field(default_factory=list)
    refusals: dict[str, Kind] = field(default_factory=dict)
    behaviours: dict[str, str] = field(default_factory=dict)
    balance: Decimal = Decimal(1000)


_state = _State()


def e164(phone: str, region: str = "VN") -> str:
    """``phone`` in E.164, read as a person would type it; unreadable text is kept as it is."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(phone, region), phonenumbers.PhoneNumberFormat.E164
        )
    except phonenumbers.NumberParseException:
        return phone


def reset() -> None:
    """Forget every call and every behaviour; the balance is 1000 again."""
    with _state.lock:
        _state.calls.clear()
        _state.attempts.clear()
        _state.refusals.clear()
        _state.behaviours.clear()
        _state.balance = Decimal(1000)


def calls(phone: str | None = None) -> list[LocMemCall]:
    """The calls taken, oldest first; only those to ``phone`` when it is given."""
    with _state.lock:
        taken = list(_state.calls)
    return taken if phone is None else [c for c in taken if c.phone == e164(phone)]


def attempts() -> list[tuple[str, str]]:
    """Every ``(phone, code)`` the gateway was asked to call, taken or not."""
    with _state.lock:
        return list(_state.attempts)


def refuse(phone: str, kind: Kind | str) -> None:
    """Make the gateway refuse calls to ``phone`` with ``kind`` (``"bad_number"``, ``Kind.MONEY``...)."""
    with _state.lock:
        _state.refusals[e164(phone)] = Kind(kind)


def behave(phone: str, behaviour: str) -> None:
    """Make calls to ``phone`` do ``behaviour`` (one of :data:`BEHAVIOURS`); undoes a refusal."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
    with _state.lock:
        _state.refusals.pop(e164(phone), None)
        _state.behaviours[e164(phone)] = behaviour


def set_balance(balance: int | Decimal) -> None:
    with _state.lock:
        _state.balance = Decimal(balance)


class LocMemGateway(VoiceGateway):
    """The in-process gateway. It takes no options and needs no credentials."""

    name: ClassVar[str] = "locmem"

    def place_call(self, phone: str, code: str) -> SendResult:
        with _state.lock:
            _state.attempts.append((phone, code))
            refusal = _state.refusals.get(phone)
            behaviour = _state.behaviours.get(phone, "answer")
            if refusal is None and behaviour not in ("unavailable", "timeout", "garbage"):
                call = LocMemCall(phone, code, str(uuid.uuid4()))
                _state.calls.append(call)
        if refusal is not None:
            return SendResult(refusal, _ANSWER_CODES[refusal], None, _ANSWER_CODES[refusal], 0)
        _fail_if_told(behaviour, "place_call")
        return SendResult(Kind.TAKEN, "taken", call.request_id, f"taken {call.request_id}", 0)

    def call_outcome(self, request_id: str) -> CheckResult:
        with _state.lock:
            for index, call in enumerate(_state.calls):
                if call.request_id == request_id:
                    _state.calls[index] = LocMemCall(call.phone, call.code, call.request_id, call.checks + 1)
                    behaviour = _state.behaviours.get(call.phone, "answer")
                    break
            else:
                raise GatewayProtocolError("unknown request_id", endpoint="call_outcome", raw=request_id)
        _fail_if_told(behaviour, "call_outcome")
        outcome = {"unanswered": CallOutcome.FAILED, "ring": CallOutcome.PENDING}.get(
            behaviour, CallOutcome.ANSWERED
        )
        return CheckResult(outcome, _CHECK_CODES[outcome], _CHECK_CODES[outcome], 0)

    def balance(self) -> BalanceResult:
        with _state.lock:
            balance = _state.balance
        return BalanceResult(Kind.TAKEN, "taken", balance, str(balance), 0)

    @classmethod
    def codes(cls, operation: Operation) -> list[Meaning]:
        if operation is Operation.CHECK:
            kinds = {"answered": Kind.TAKEN, "failed": Kind.FAILED, "pending": Kind.PENDING}
            return [Meaning(code, kind, code, code) for code, kind in kinds.items()]
        return [Meaning(code, kind, code, code) for kind, code in _ANSWER_CODES.items()]

    @contextmanager
    def for_a_person(self) -> Iterator[VoiceGateway]:
        yield self


def _fail_if_told(behaviour: str, endpoint: str) -> None:
    if behaviour == "unavailable":
        raise GatewayUnavailable("could not connect", endpoint=endpoint, may_have_reached=False)
    if behaviour == "timeout":
        raise GatewayTimeout("no answer in time", endpoint=endpoint, may_have_reached=True)
    if behaviour == "garbage":
        raise GatewayProtocolError("unreadable answer", endpoint=endpoint, raw="<html>")
