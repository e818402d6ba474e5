"""A balance as the gateway may write it: ``10``, ``"10"``, ``"10.000"``, ``"10,000.50"``, ``"10 000 VND"``.

Vietnamese writes ``.`` between thousands and ``,`` before decimals (``1.234.567,50``); English the
other way round (``1,234,567.50``). One rule reads both without ever picking a wrong number, and
refuses what it would have to guess at (the table in ``docs/gateways.md``):

* digits alone are the amount; a leading ``-`` is a debt; a unit (``VND``, ``VNĐ``, ``đ``, ``₫``) before
  or after is dropped;
* groups of exactly three digits after a first group of one to three (not starting with 0), all
  joined by the same mark (``.``, ``,``, a space or a no-break space), are thousands, optionally
  followed by the other mark and decimals (``1.234.567,50``, ``1,234,567.50``, ``10 000,5``);
* one ``.`` or ``,`` followed by exactly three digits after such a first group is a thousands
  separator (``10.000`` and ``10,000`` are both ten thousand: the gateway's currency, the dong, has no
  fractional unit, so no balance is written with three decimals), and any other single mark is the
  decimal point (``10.5``, ``10,50``, ``0.500``, ``1234.567``);
* a JSON number is a number: ``10`` and ``10.5`` as they are; but ``10.000``, which JSON reads as ten and
  the Vietnamese hand that wrote it as ten thousand, is refused, and so is an exponent (``1e3``);
* anything else is unreadable (more than 15 integer digits among it).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .answer_forms import SPACE, JsonNumber, Unreadable

MAX_DIGITS = 15
"""A balance with more integer digits than this is not money, it is a broken answer."""

_UNIT = re.compile(r"^(?:VN[DĐ]|đ|₫)[ \u00a0]*|[ \u00a0]*(?:VN[DĐ]|đ|₫)$", re.IGNORECASE)
_FIRST_GROUP = r"[1-9][0-9]{0,2}"
_SINGLE = re.compile(r"(?P<whole>[0-9]+)(?P<mark>[.,])(?P<part>[0-9]+)")
_GROUPED = re.compile(
    rf"(?P<whole>{_FIRST_GROUP}(?P<mark>[., \u00a0\u202f])[0-9]{{3}}(?:(?P=mark)[0-9]{{3}})*)"
    r"(?:(?P<point>[.,])(?P<part>[0-9]+))?"
)
_JSON_NUMBER = re.compile(r"-?(?P<whole>[0-9]+)(?:\.(?P<part>[0-9]+))?")


def read_amount(value: object) -> Decimal:
    """The amount ``value`` (a JSON number or a string) says; :class:`Unreadable` when unsure."""
    if isinstance(value, JsonNumber):
        amount = _from_json(value.text)
    elif isinstance(value, str):
        amount = _from_text(value)
    else:
        raise Unreadable("the balance is not a number")
    if amount.adjusted() >= MAX_DIGITS:
        raise Unreadable(f"a balance of more than {MAX_DIGITS} digits")
    return amount


def _from_json(text: str) -> Decimal:
    match = _JSON_NUMBER.fullmatch(text)
    if match is None:
        raise Unreadable("a balance with an exponent")
    if _thousands(match["whole"], match["part"]):
        raise Unreadable("a JSON balance with three decimals: ten or ten thousand?")
    return _decimal(text)


def _from_text(text: str) -> Decimal:
    text = _UNIT.sub("", text.strip(SPACE)).strip(SPACE)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    if text.isascii() and text.isdigit():
        return _decimal(sign + text)
    single = _SINGLE.fullmatch(text)
    if single is not None:
        whole, part = single["whole"], single["part"]
        if _thousands(whole, part):
            return _decimal(sign + whole + part)
        return _decimal(f"{sign}{whole}.{part}")
    grouped = _GROUPED.fullmatch(text)
    if grouped is not None and grouped["point"] != grouped["mark"]:
        whole = re.sub(r"[^0-9]", "", grouped["whole"])
        part = grouped["part"]
        return _decimal(f"{sign}{whole}.{part}" if part else sign + whole)
    raise Unreadable("a balance in a form that could be read two ways, or none")


def _thousands(whole: str, part: str | None) -> bool:
    """Whether ``whole`` and ``part`` around one mark read as a thousands group (``10.000``)."""
    return part is not None and len(part) == 3 and re.fullmatch(_FIRST_GROUP, whole) is not None


def _decimal(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Unreadable("the balance is not a number") from None
    if not amount.is_finite():
        raise Unreadable("the balance is not a number")
    return amount
