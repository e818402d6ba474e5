"""Reading the gateway's answers liberally.

The documentation shows ``RESULT: code,,,request_id`` without saying whether ``RESULT:`` is part of
the body, and the gateway's answers have been seen with quotes, stray white space and a BOM. We accept
all of those and nothing looser: an answer we cannot read with confidence is a protocol error, because
guessing wrong would either lose a paid call or verify a person who never heard a code.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..base import GatewayProtocolError

_SEND = re.compile(r"(?P<code>[-+]?\d{1,6})(?:\s*,\s*,\s*,\s*(?P<request_id>[\w.:\-]{1,100}))?")
_CHECK = re.compile(r"(?P<code>[-+]?\d{1,6})")
_PREFIX = re.compile(r"^result\s*[:=]?\s*", re.IGNORECASE)
_QUOTES = "\"'`"
_MAX_DIGITS = 15
"""A balance with more digits than this is not money, it is a broken answer."""


def _unwrap(text: str) -> str:
    """Strip what surrounds the answer: BOM, white space, quotes, a ``RESULT:`` label, a JSON string."""
    text = text.lstrip("\ufeff").strip()
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, str):
            text = decoded.strip()
    for _ in range(2):  # quotes around the label, or around the value after it
        text = text.strip().strip(_QUOTES).strip()
        text = _PREFIX.sub("", text, count=1)
    return text.strip().strip(_QUOTES).strip()


def parse_send_answer(text: str, *, endpoint: str = "postSMS") -> tuple[int, str | None]:
    """``(code, request_id)`` from a postSMS answer; the request_id is ``None`` when absent."""
    match = _SEND.fullmatch(_unwrap(text))
    if match is None:
        raise GatewayProtocolError("unreadable postSMS answer", endpoint=endpoint, raw=text)
    return int(match["code"]), match["request_id"]


def parse_check_answer(text: str, *, endpoint: str = "checkVoice") -> int:
    """The integer code of a checkVoice answer."""
    unwrapped = _unwrap(text)
    match = _CHECK.fullmatch(unwrapped)
    if match is None:
        # Some gateways echo the send format here; take its code, ignore the id.
        send = _SEND.fullmatch(unwrapped)
        if send is None:
            raise GatewayProtocolError("unreadable checkVoice answer", endpoint=endpoint, raw=text)
        return int(send["code"])
    return int(match["code"])


def _number(value: Any, *, what: str, raw: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise GatewayProtocolError(f"checkBalance {what} is not a number", endpoint="checkBalance", raw=raw)
    try:
        number = Decimal(str(value).strip().strip(_QUOTES).strip())
    except InvalidOperation:
        raise GatewayProtocolError(
            f"checkBalance {what} is not a number", endpoint="checkBalance", raw=raw
        ) from None
    if not number.is_finite() or number.adjusted() > _MAX_DIGITS:
        raise GatewayProtocolError(
            f"checkBalance {what} is not a plausible number", endpoint="checkBalance", raw=raw
        )
    return number


def parse_balance_answer(text: str) -> tuple[int, Decimal | None]:
    """``(errorcode, balance)`` from a checkBalance answer; numbers may come as strings or numbers."""
    try:
        data = json.loads(text.lstrip("\ufeff").strip())
    except (ValueError, RecursionError):
        raise GatewayProtocolError(
            "checkBalance answer is not JSON", endpoint="checkBalance", raw=text
        ) from None
    if not isinstance(data, dict):
        raise GatewayProtocolError("checkBalance answer is not an object", endpoint="checkBalance", raw=text)
    fields = {str(k).strip().lower(): v for k, v in data.items()}
    if "errorcode" not in fields:
        raise GatewayProtocolError("checkBalance answer has no errorcode", endpoint="checkBalance", raw=text)
    errorcode = _number(fields["errorcode"], what="errorcode", raw=text)
    if errorcode.adjusted() > 6 or errorcode != errorcode.to_integral_value():
        raise GatewayProtocolError(
            "checkBalance errorcode is not an integer", endpoint="checkBalance", raw=text
        )
    balance = fields.get("balance")
    if balance is None or balance == "":
        return int(errorcode), None
    return int(errorcode), _number(balance, what="balance", raw=text)
