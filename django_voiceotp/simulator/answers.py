"""How the simulator writes an answer: every reading of the gateway's document a real one might use.

The document says "POST JSON" and shows its answers as text, so the simulator can answer in each
reading (``--answer-style``, or a ``style`` fault for one request), and write its balance in each
convention (``--balance-format``):

========== ======================================= =============== ===========================
style      postSMS taken / refused                  checkVoice      checkBalance
========== ======================================= =============== ===========================
plain      ``1,,,<id>`` / ``6``                     ``27``          ``{"errorcode":"1",...}``
prefixed   ``RESULT: 1,,,<id>`` / ``RESULT: 6``     ``RESULT: 27``  ``RESULT: {"errorcode":...}``
full       ``1,,,<id>`` / ``6,,,``                  ``27,,,``       as plain
json       ``{"code":"1","request_id":"<id>"}``     ``{"code":"27"}`` as plain
quoted     ``"1,,,<id>"`` / ``"6"`` (JSON strings)  ``"27"``        the JSON, as a JSON string
========== ======================================= =============== ===========================

Balance formats: ``number`` (``1000``), ``string`` (``"1000"``), ``vi`` (``"1.000"``, dots between
thousands), ``en`` (``"1,000.00"``).
"""

from __future__ import annotations

import json

ANSWER_STYLES = ("plain", "prefixed", "full", "json", "quoted")
BALANCE_FORMATS = ("number", "string", "vi", "en")
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")


def check_style(style: str) -> None:
    _check("answer_style", style, ANSWER_STYLES)


def check_balance_format(balance_format: str) -> None:
    _check("balance_format", balance_format, BALANCE_FORMATS)


def _text(style: str, text: str) -> tuple[bytes, str]:
    if style == "prefixed":
        return f"RESULT: {text}".encode(), TEXT
    if style == "quoted":
        return json.dumps(text).encode(), JSON
    return text.encode(), TEXT


def send_answer(style: str, code: int, request_id: str | None = None) -> tuple[bytes, str]:
    """A postSMS answer: ``code``, with the request id of a taken call."""
    if style == "json":
        return json.dumps({"code": str(code), "request_id": request_id or ""}).encode(), JSON
    if request_id is not None:
        return _text(style, f"{code},,,{request_id}")
    return _text(style, f"{code},,," if style == "full" else str(code))


def check_answer(style: str, code: int) -> tuple[bytes, str]:
    if style == "json":
        return json.dumps({"code": str(code)}).encode(), JSON
    return _text(style, f"{code},,," if style == "full" else str(code))


def amount(balance: int, balance_format: str) -> int | str:
    """``balance`` as the format writes it in JSON."""
    if balance_format == "string":
        return str(balance)
    if balance_format == "vi":
        return f"{balance:,}".replace(",", ".")
    if balance_format == "en":
        return f"{balance:,}.00"
    return balance


def balance_answer(style: str, errorcode: int, balance: int, balance_format: str) -> tuple[bytes, str]:
    """A checkBalance answer, the JSON object the document shows, wrapped as the style wraps it."""
    data = json.dumps({"errorcode": str(errorcode), "balance": amount(balance, balance_format)})
    if style in ("prefixed", "quoted"):
        return _text(style, data)
    return data.encode(), JSON
