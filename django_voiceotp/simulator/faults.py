"""Failures on purpose: what each is, how one is checked when it is set, and the reply it gives.

=========== ==================================================================================
fault       what the matching request gets
=========== ==================================================================================
``code``    exactly ``code`` (in ``style``, with HTTP ``status``); no call is taken
``style``   the answer it would have had (a call taken and charged), in ``style``, with ``status``
``body``    exactly ``body`` with ``status`` (``{id}`` in it takes the call: its request id)
``http500`` HTTP 500 ``Internal Server Error``
``garbage`` HTTP 200 ``<html>oops``
``hang``    nothing for ``hang_seconds``, then the connection closes
``drop``    the connection closes at once
``drip``    the answer it would have had, one byte every ``drip_seconds``
``huge``    HTTP 200 and megabytes, with no ``Content-Length``
=========== ==================================================================================
"""

from __future__ import annotations

import http
from typing import Any

from .answers import ANSWER_STYLES, balance_answer, check_answer, send_answer
from .records import Fault, Reply

FAULTS = ("code", "hang", "drop", "http500", "garbage", "drip", "huge", "style", "body")
ENDPOINTS = ("postSMS", "checkVoice", "checkBalance")
_WITH_STATUS = ("code", "style", "body")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def new_fault(fault: str, *, number: str | None, endpoint: str, **fields: Any) -> Fault:
    """The fault ``set_fault`` was asked for, its fields checked: a ``ValueError`` says what is wrong."""
    code, times, status, style, body = (fields.get(k) for k in ("code", "times", "status", "style", "body"))
    if fault not in FAULTS:
        raise ValueError(f"fault must be one of {FAULTS}")
    if endpoint not in ENDPOINTS:
        raise ValueError(f"endpoint must be one of {ENDPOINTS}")
    if fault == "code" and not is_int(code):
        raise ValueError("a 'code' fault needs an integer code")
    if fault == "style" and style is None:
        raise ValueError("a 'style' fault needs a style")
    if style is not None and style not in ANSWER_STYLES:
        raise ValueError(f"style must be one of {ANSWER_STYLES}")
    if isinstance(body, bytes):
        body = body.decode("utf-8", "surrogateescape")
    if (fault == "body") != isinstance(body, str):
        raise ValueError("a 'body' fault, and only it, needs a body (a string)")
    if status is not None and (fault not in _WITH_STATUS or not _known_status(status)):
        raise ValueError(f"status is an HTTP status from 200 to 599, for {', '.join(_WITH_STATUS)} faults")
    if times is not None and (not is_int(times) or times < 1):
        raise ValueError("times must be a positive integer or null")
    if number is not None and not isinstance(number, str):
        raise ValueError("number must be a string or null")
    return Fault(fault, number, endpoint, code, times, status, style, body)


def _known_status(status: object) -> bool:
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        return False
    try:
        http.HTTPStatus(status)
    except ValueError:
        return False
    return True


def code_reply(fault: Fault, endpoint: str, style: str, balance_format: str) -> Reply:
    """A ``code`` fault's answer: the code alone, as the endpoint writes it."""
    assert fault.code is not None
    if endpoint == "checkBalance":
        body, content_type = balance_answer(style, fault.code, 0, balance_format)
    elif endpoint == "checkVoice":
        body, content_type = check_answer(style, fault.code)
    else:
        body, content_type = send_answer(style, fault.code)
    return Reply(fault.status or 200, body, content_type, fault="fault:code")


def body_reply(fault: Fault, request_id: str | None) -> Reply:
    """A ``body`` fault's answer, ``{id}`` replaced by ``request_id``."""
    assert fault.body is not None
    text = fault.body.replace("{id}", request_id or "")
    content_type = "application/json" if text.lstrip().startswith("{") else "text/plain; charset=utf-8"
    body = text.encode("utf-8", "surrogateescape")
    return Reply(fault.status or 200, body, content_type, fault="fault:body")


def wire_reply(kind: str) -> Reply:
    """The faults of the wire: no answer, an error page, an answer that never ends."""
    label = f"fault:{kind}"
    if kind in ("hang", "drop", "huge"):
        return Reply(action=kind, fault=label)
    if kind == "http500":
        return Reply(500, b"Internal Server Error", fault=label)
    return Reply(body=b"<html>oops", content_type="text/html; charset=utf-8", fault=label)
