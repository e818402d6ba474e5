"""The three readers of the gateway's answers, one per endpoint: liberal in the forms, strict in sense.

Each takes the answer's text and gives back what it says, or raises :class:`GatewayProtocolError`
(with the answer kept, as safe text) when it cannot tell with confidence; nothing else leaves them,
whatever the text. The forms they take apart are :mod:`.answer_forms`' (text with or without a
``RESULT:`` label, quotes, JSON strings, JSON objects) and balances :mod:`.amounts`'; every form is a
row of the table in ``docs/gateways.md``. Two rules decide what is read as what:

* never a success without what a success must carry: a postSMS ``1`` without a request id, a
  checkBalance ``1`` without a balance, are unreadable (for postSMS: "may have reached");
* when two readings are possible (two different codes, two ids, ``10.000`` as a JSON number), the
  answer is unreadable: a wrong guess costs more than an answer kept for the operator to read.
"""

from __future__ import annotations

from decimal import Decimal

from ..base import GatewayProtocolError, Kind
from .amounts import read_amount
from .answer_codes import send_code
from .answer_forms import BALANCE_NAMES, JsonObject, Unreadable, object_answer, text_answer, unwrap


def _unreadable(endpoint: str, text: str, reason: Unreadable) -> GatewayProtocolError:
    return GatewayProtocolError(f"unreadable {endpoint} answer ({reason})", endpoint=endpoint, raw=text)


def _code_and_id(text: str) -> tuple[int, str | None, JsonObject | None]:
    found = unwrap(text)
    if isinstance(found, JsonObject):
        return *object_answer(found), found
    return *text_answer(found), None


def parse_send_answer(text: str, *, endpoint: str = "postSMS") -> tuple[int, str | None]:
    """``(code, request_id)`` from a postSMS answer; the request_id is ``None`` when absent."""
    try:
        code, request_id, _ = _code_and_id(text)
        if send_code(code).kind is Kind.TAKEN and not request_id:
            raise Unreadable("a success without a request_id")
    except Unreadable as reason:
        raise _unreadable(endpoint, text, reason) from None
    return code, request_id


def parse_check_answer(text: str, *, endpoint: str = "checkVoice") -> int:
    """The code of a checkVoice answer (an id beside it, as some gateways echo it, is ignored)."""
    try:
        code, _, _ = _code_and_id(text)
    except Unreadable as reason:
        raise _unreadable(endpoint, text, reason) from None
    return code


BARE_BALANCE_CODES = frozenset({-1, -2, -5, -6})
"""Codes checkBalance's answer may be alone (``-2``, ``RESULT: -1``): postSMS's errors, which no
balance is written as. A bare ``0``, ``1`` or ``10`` could be an amount as much as a code: unreadable."""


def parse_balance_answer(text: str, *, endpoint: str = "checkBalance") -> tuple[int, Decimal | None]:
    """``(errorcode, balance)`` from a checkBalance answer; the balance is None unless the code is 1."""
    try:
        code, request_id, found = _code_and_id(text)
        if found is None:
            if request_id is not None or code not in BARE_BALANCE_CODES:
                raise Unreadable("a balance answer outside JSON")
            return code, None
        if code != 1:
            return code, None
        return code, _balance(found)
    except Unreadable as reason:
        raise _unreadable(endpoint, text, reason) from None


def _balance(found: JsonObject) -> Decimal:
    """The one amount under the balance's names; a success without one, or with two, is unreadable."""
    amounts = {read_amount(value) for value in found.values(BALANCE_NAMES) if value not in (None, "")}
    if not amounts:
        raise Unreadable("a success without a balance")
    if len(amounts) > 1:
        raise Unreadable("two different balances in one answer")
    return amounts.pop()
