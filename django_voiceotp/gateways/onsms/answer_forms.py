"""The forms the gateway's answers come in, taken apart: the shared part of the three readers.

The operator's document says "POST JSON" and shows its answers as text (``RESULT: code,,,request_id``,
``RESULT: {"errorcode":"1","balance":10}``), so a real gateway may answer in any of the forms those
two readings allow. This module peels what wraps an answer (white space, zero-width characters and
the byte order mark, a ``RESULT:`` label, quotes, a JSON string) down to either the text form
(``code``, ``code,,,id``) or a JSON object, and reads codes and ids out of those. What it cannot read
with confidence raises :class:`Unreadable`: a guess could lose a paid call, or read a success that
was none. ``docs/gateways.md`` holds the table of every form and what it is read as.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_LAYERS = 4
"""Wrappings peeled at most (``"RESULT: '1,,,id'"`` is three): more is no answer anyone writes."""

SPACE = " \t\r\n\u00a0"
"""White space around an answer and its parts: space, tab, CR, LF and the no-break space. Other
control characters (NUL, the separators from 0x1C that ``str.isspace`` counts) make it unreadable."""
_S = f"[{SPACE}]"
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_LABEL = re.compile(rf"result(?:{_S}*[:=]{_S}*|{_S}+)", re.IGNORECASE)
_QUOTES = "\"'`"
CODE = re.compile(r"-?[0-9]{1,6}")
"""An answer code: ASCII digits only (a fullwidth one, U+FF11, is no 1), a minus sign for the documented
negative codes, no plus sign, leading zeros allowed, at most six digits."""
REQUEST_ID = re.compile(r"(?=[A-Za-z0-9_.:\-]*[A-Za-z0-9])[A-Za-z0-9_.:\-]{1,100}")
"""A request id: up to 100 ASCII letters, digits and ``_ . : -``, at least one letter or digit. A UUID
is what the document shows; anything with spaces, control characters or other scripts is no id."""
_TEXT_ANSWER = re.compile(
    rf"(?P<code>{CODE.pattern})(?:{_S}*,(?:{_S}*,)*{_S}*(?P<id>{REQUEST_ID.pattern})?)?"
)
"""``code``, or ``code`` then any number of commas then an id or nothing (``6,,,``, ``1,id``)."""

CODE_NAMES = frozenset(
    {"code", "errorcode", "errcode", "resultcode", "statuscode", "returncode", "responsecode"}
    | {"result", "status"}
)
"""Where a JSON answer may hold its code, as keys are compared: lower case, without ``_``, ``-`` or
spaces (``errorCode``, ``error_code`` and ``ErrorCode`` are all ``errorcode``)."""
ID_NAMES = frozenset(
    {
        "requestid",
        "reqid",
        "id",
        "transactionid",
        "transid",
        "tranid",
        "msgid",
        "messageid",
        "smsid",
        "callid",
        "uuid",
        "refid",
    }
)
BALANCE_NAMES = frozenset({"balance", "sodu", "credit", "amount"})


class Unreadable(Exception):
    """An answer the readers cannot read with confidence; the text is a fixed reason."""


@dataclass(frozen=True)
class JsonNumber:
    """A number of a JSON answer, as it was written (``10.000`` stays ``10.000``, not ``10.0``)."""

    text: str


class JsonObject:
    """A JSON answer's fields by normalised name, each with every value given under that name (a
    duplicated key, or two spellings of one, keeps both: see :func:`values`)."""

    def __init__(self, pairs: Iterable[tuple[str, object]]) -> None:
        self.fields: dict[str, list[object]] = {}
        for key, value in pairs:
            self.fields.setdefault(normalised(key), []).append(value)

    def values(self, names: frozenset[str]) -> Iterator[object]:
        for name in sorted(names & self.fields.keys()):
            yield from self.fields[name]


def normalised(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN, Infinity: no gateway means those


def _json(text: str) -> object:
    try:
        return json.loads(
            text,
            object_pairs_hook=JsonObject,
            parse_int=JsonNumber,
            parse_float=JsonNumber,
            parse_constant=_no_constant,
        )
    except (ValueError, RecursionError):
        return None


def unwrap(answer: str) -> str | JsonObject:
    """The answer without what wraps it: the text form left (stripped), or a JSON object."""
    text = _ZERO_WIDTH.sub("", answer)
    for _ in range(MAX_LAYERS + 1):
        text = text.strip(SPACE)
        if text.startswith("{"):
            found = _json(text)
            if not isinstance(found, JsonObject):
                raise Unreadable("not a JSON object")
            return found
        peeled = _peel(text)
        if peeled is None:
            return text
        text = _ZERO_WIDTH.sub("", peeled)
    raise Unreadable(f"wrapped more than {MAX_LAYERS} times")


def _peel(text: str) -> str | None:
    """``text`` without its outer wrapping (a JSON string, a pair of quotes, a label), or None."""
    if text.startswith('"'):
        decoded = _json(text)
        if isinstance(decoded, str):
            return decoded
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        return text[1:-1]
    label = _LABEL.match(text)
    return text[label.end() :] if label else None


def text_answer(text: str) -> tuple[int, str | None]:
    """``(code, request_id)`` of the text form; the id is None when absent or empty (``6,,,``)."""
    match = _TEXT_ANSWER.fullmatch(text)
    if match is None:
        raise Unreadable("not a code, nor a code and an id")
    return int(match["code"]), match["id"]


def _code_of(value: object) -> tuple[int, str | None] | None:
    """The code (and id) a JSON value under a code's name holds: an integer, a string of one, or a
    string of the text form (``{"RESULT": "1,,,id"}``); None for anything else (``"success"``)."""
    if isinstance(value, JsonNumber):
        return (int(value.text), None) if CODE.fullmatch(value.text) else None
    if isinstance(value, str):
        try:
            inner = unwrap(value)
            return text_answer(inner) if isinstance(inner, str) else None
        except Unreadable:
            return None
    return None


def _id_of(value: object) -> str | None:
    if isinstance(value, JsonNumber) and value.text.isdigit():
        return value.text if REQUEST_ID.fullmatch(value.text) else None
    if isinstance(value, str):
        found = _ZERO_WIDTH.sub("", value).strip(SPACE)
        return found if REQUEST_ID.fullmatch(found) else None
    return None


def object_answer(found: JsonObject) -> tuple[int, str | None]:
    """``(code, request_id)`` of a JSON answer: every value under a code's name that is a code must
    be the same code, and every id the same id; values that are neither (``"status": "OK"``, an
    empty id, ``null``) say nothing."""
    codes: set[int] = set()
    ids: set[str] = set()
    for value in found.values(CODE_NAMES):
        read = _code_of(value)
        if read is not None:
            codes.add(read[0])
            if read[1]:
                ids.add(read[1])
    for value in found.values(ID_NAMES):
        request_id = _id_of(value)
        if request_id:
            ids.add(request_id)
    if not codes:
        raise Unreadable("no code in the JSON answer")
    if len(codes) > 1:
        raise Unreadable("two different codes in one answer")
    if len(ids) > 1:
        raise Unreadable("two different request ids in one answer")
    return codes.pop(), ids.pop() if ids else None
