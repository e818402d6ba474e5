"""An HTTP answer of the gateway as a neutral result: the reader's code, its meaning, the status.

:mod:`.parsing` reads what an answer's body says; this module decides what it means here, with its
HTTP status beside it:

* a 2xx answer is what it reads as; one that cannot be read is a :class:`GatewayProtocolError` (for
  postSMS: the call may ring);
* a 4xx or 5xx whose body is a code this endpoint documents as an error or a refusal is that code
  (403 with ``-2`` is the IP refusal, 500 with ``-5`` the gateway's fault): the gateway read the
  request and said why it did not do it. Any other body (an error page, an undocumented code, a
  success, which an error status contradicts) leaves a :class:`GatewayUnavailable` with the status,
  which for postSMS may have reached the gateway;
* checkVoice codes that are no outcome (-1, -2, 11, 0, undocumented) are a :class:`GatewayRefused`.

``raw`` is the answer as it may be kept (the client redacts it); the reader reads the answer itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..base import (
    BalanceResult,
    CallOutcome,
    CheckResult,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    Kind,
    SendResult,
)
from ..http.exchange import HttpAnswer
from . import parsing
from .answer_codes import OUTCOME_KINDS, Endpoint, balance_code, check_code, documented, send_code

T = TypeVar("T")

CHECK_OUTCOMES = {
    Kind.TAKEN: CallOutcome.ANSWERED,
    Kind.FAILED: CallOutcome.FAILED,
    Kind.PENDING: CallOutcome.PENDING,
}
"""checkVoice's outcome kinds as outcomes; any other kind is a :class:`GatewayRefused`."""
_NOT_REFUSALS = {
    Endpoint.SEND: frozenset({Kind.TAKEN, Kind.PENDING}),
    Endpoint.CHECK: OUTCOME_KINDS,
    Endpoint.BALANCE: frozenset({Kind.TAKEN}),
}
"""What an error status contradicts: a success (or a pending call) cannot come with HTTP 500."""


def http_error(endpoint: Endpoint, answer: HttpAnswer, raw: str) -> GatewayUnavailable:
    """The error status as it is: no answer the rules can use; for postSMS, it may have reached."""
    return GatewayUnavailable(
        f"{endpoint.value}: HTTP {answer.status}",
        endpoint=endpoint.value,
        may_have_reached=True,
        status_code=answer.status,
        raw=raw,
        elapsed_ms=answer.elapsed_ms,
    )


def _read(endpoint: Endpoint, answer: HttpAnswer, raw: str, reader: Callable[[str], T]) -> T:
    """What ``reader`` makes of the body; the errors above when it makes nothing of it."""
    if answer.problem is not None:
        if not answer.ok:
            raise http_error(endpoint, answer, raw)
        raise _unreadable(endpoint, f"{endpoint.value}: {answer.problem}", answer, raw)
    try:
        return reader(answer.text)
    except GatewayProtocolError as exc:
        if not answer.ok:
            raise http_error(endpoint, answer, raw) from None
        raise _unreadable(endpoint, exc.message, answer, raw) from None


def _unreadable(endpoint: Endpoint, message: str, answer: HttpAnswer, raw: str) -> GatewayProtocolError:
    return GatewayProtocolError(
        message, endpoint=endpoint.value, raw=raw, elapsed_ms=answer.elapsed_ms, status_code=answer.status
    )


def _trusted(endpoint: Endpoint, answer: HttpAnswer, raw: str, value: int, kind: Kind) -> None:
    """Raise the error status unless its body is a documented error or refusal of this endpoint."""
    if not answer.ok and (not documented(endpoint, value) or kind in _NOT_REFUSALS[endpoint]):
        raise http_error(endpoint, answer, raw)


def send_result(answer: HttpAnswer, raw: str) -> SendResult:
    value, request_id = _read(Endpoint.SEND, answer, raw, parsing.parse_send_answer)
    kind = send_code(value).kind
    _trusted(Endpoint.SEND, answer, raw, value, kind)
    return SendResult(kind, str(value), request_id, raw, answer.elapsed_ms, answer.status)


def check_result(answer: HttpAnswer, raw: str) -> CheckResult:
    value = _read(Endpoint.CHECK, answer, raw, parsing.parse_check_answer)
    meaning = check_code(value)
    _trusted(Endpoint.CHECK, answer, raw, value, meaning.kind)
    outcome = CHECK_OUTCOMES.get(meaning.kind)
    if outcome is None:
        hint = f": {meaning.hint_en}" if meaning.hint_en else ""
        raise GatewayRefused(
            f"checkVoice answered {value} ({meaning.title_en}){hint}",
            endpoint=Endpoint.CHECK.value,
            code=str(value),
            kind=meaning.kind,
            raw=raw,
            status_code=answer.status,
            elapsed_ms=answer.elapsed_ms,
        )
    return CheckResult(outcome, str(value), raw, answer.elapsed_ms, answer.status)


def balance_result(answer: HttpAnswer, raw: str) -> BalanceResult:
    value, amount = _read(Endpoint.BALANCE, answer, raw, parsing.parse_balance_answer)
    kind = balance_code(value).kind
    _trusted(Endpoint.BALANCE, answer, raw, value, kind)
    amount = amount if kind is Kind.TAKEN else None
    return BalanceResult(kind, str(value), amount, raw, answer.elapsed_ms, answer.status)
