"""What each contender is asked: the app's API, the two floors and django-phone-verify.

Each contender turns phone numbers into request calls, and the answers of those (ids or session
tokens) plus the codes the gateway was asked to read out into verify calls. Every challenge is
verified twice, first with a wrong code (the counted failure: ``400``), then with the right one (the
success path: ``200``), so both paths weigh the same in every figure and a request phase feeds twice
its count of verifies. Calls go in blocks: a block's wrong codes, then the same challenges' right
codes, so the wrong guess at a challenge has long been answered when the right one is sent.

Numbers are distinct per contender, round and position (``03`` + contender digit + round digit + six
digits, Viettel's ranges), so no rule about repeats or cooldowns ever fires.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .load import Call

CONTENDERS = ("voiceotp", "guarantees", "floor", "phone_verify")
LABELS = {
    "voiceotp": "django-voiceotp",
    "guarantees": "floor, same guarantees",
    "floor": "bare floor",
    "phone_verify": "django-phone-verify",
}
PHASES = {
    "voiceotp": ("request", "verify"),
    "guarantees": ("request",),
    "floor": ("request", "verify"),
    "phone_verify": ("request", "verify"),
}
"""The floor of the same guarantees has no verify of its own: its floor is the bare floor's one
conditional ``UPDATE``, which judges its challenges too."""
DIGITS = {"voiceotp": 6, "guarantees": 3, "floor": 7, "phone_verify": 8}
NUMBERS_PER_ROUND = 1_000_000
BLOCK = 128
"""Challenges per block of verify calls: far more than there are requests in flight at once."""


def phone(contender: str, round_no: int, index: int) -> str:
    """A local-form Vietnamese mobile number, distinct for each contender, round and index."""
    if not 0 <= index < NUMBERS_PER_ROUND or not 0 <= round_no <= 9:
        raise ValueError("round 0 to 9, index below 1,000,000")
    return f"03{DIGITS[contender]}{round_no}{index:06d}"


def phones(contender: str, round_no: int, count: int) -> list[str]:
    return [phone(contender, round_no, i) for i in range(count)]


def e164(local: str) -> str:
    return "+84" + local[1:]


def wrong(code: str) -> str:
    """A code that is certainly not ``code``: same length, last digit moved by one."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


@dataclass(frozen=True)
class Started:
    """A request's answer that a verify needs: the challenge id, or phone-verify's session token."""

    phone: str
    handle: str


def request_call(contender: str, site: str, number: str) -> Call:
    if contender == "voiceotp":
        return Call("POST", f"{site}/api/otp/challenges/", {"phone": number}, 201, keep=True)
    if contender == "floor":
        return Call("POST", f"{site}/bench/floor/challenges/", {"phone": number}, 201, keep=True)
    if contender == "guarantees":
        return Call("POST", f"{site}/bench/floor-guarantees/challenges/", {"phone": number}, 201, keep=True)
    return Call("POST", f"{site}/api/phone/register", {"phone_number": e164(number)}, 200, keep=True)


def request_calls(contender: str, site: str, numbers: Sequence[str]) -> list[Call]:
    return [request_call(contender, site, n) for n in numbers]


def request_maker(contender: str, site: str, round_no: int, first: int) -> Callable[[int], Call | None]:
    """Call ``index`` of a request feed: the number at ``first + index`` of this round's range."""

    def make(index: int) -> Call | None:
        position = first + index
        if position >= NUMBERS_PER_ROUND:
            return None
        return request_call(contender, site, phone(contender, round_no, position))

    return make


def started(contender: str, number_of: Callable[[int], str], answers: Mapping[int, str]) -> list[Started]:
    """The requests that succeeded (``answers``: the body of each, by feed index), with their handle;
    the others cannot be verified."""
    key = "session_token" if contender == "phone_verify" else "id"
    out = []
    for index in sorted(answers):
        try:
            handle = json.loads(answers[index]).get(key)
        except (ValueError, AttributeError):
            continue
        if isinstance(handle, str):
            out.append(Started(number_of(index), handle))
    return out


def verify_call(contender: str, site: str, item: Started, code: str, expect: int) -> Call:
    if contender == "voiceotp":
        return Call("POST", f"{site}/api/otp/challenges/{item.handle}/verify/", {"code": code}, expect)
    if contender in ("floor", "guarantees"):
        return Call("POST", f"{site}/bench/floor/challenges/{item.handle}/verify/", {"code": code}, expect)
    body = {"phone_number": e164(item.phone), "session_token": item.handle, "security_code": code}
    return Call("POST", f"{site}/api/phone/verify", body, expect)


def verify_calls(contender: str, site: str, items: Sequence[Started], codes: Mapping[str, str]) -> list[Call]:
    """Two verifies per challenge whose code is known: block by block, the wrong codes, then the right."""
    known = [(item, codes[item.phone]) for item in items if item.phone in codes]
    calls = []
    for start in range(0, len(known), BLOCK):
        block = known[start : start + BLOCK]
        calls += [verify_call(contender, site, item, wrong(code), 400) for item, code in block]
        calls += [verify_call(contender, site, item, code, 200) for item, code in block]
    return calls
