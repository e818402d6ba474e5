"""What each contender is asked: the app's API, the floor views and django-phone-verify.

Each contender turns a list of phone numbers into request calls, and the answers of those (ids or
session tokens) plus the codes the simulator read out into verify calls. Verifies alternate: even
positions send the right code (the success path: ``200``), odd positions a wrong one (the counted
failure: ``400``), so both paths are in every figure. Numbers are distinct per contender, round and
position (``03`` + contender digit + round digit + six digits), so no rule about repeats ever fires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .load import Call

CONTENDERS = ("voiceotp", "floor", "phone_verify")
LABELS = {
    "voiceotp": "django-voiceotp",
    "floor": "floor views",
    "phone_verify": "django-phone-verify",
}
DIGITS = {"voiceotp": 6, "floor": 7, "phone_verify": 8}


def phones(contender: str, round_no: int, count: int) -> list[str]:
    """Local-form Vietnamese mobile numbers (Viettel's 036/037/038 ranges), all distinct."""
    if count > 1_000_000 or not 0 <= round_no <= 9:
        raise ValueError("round 0 to 9, at most 1,000,000 numbers")
    return [f"03{DIGITS[contender]}{round_no}{i:06d}" for i in range(count)]


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


def request_calls(contender: str, site: str, numbers: Sequence[str]) -> list[Call]:
    if contender == "voiceotp":
        return [Call("POST", f"{site}/api/otp/challenges/", {"phone": n}, 201, keep=True) for n in numbers]
    if contender == "floor":
        return [
            Call("POST", f"{site}/bench/floor/challenges/", {"phone": n}, 201, keep=True) for n in numbers
        ]
    return [
        Call("POST", f"{site}/api/phone/register", {"phone_number": e164(n)}, 200, keep=True) for n in numbers
    ]


def started(contender: str, numbers: Sequence[str], answers: Mapping[int, str]) -> list[Started]:
    """The requests that succeeded (``answers``: the body of each, by position), with their handle;
    the others cannot be verified."""
    key = "session_token" if contender == "phone_verify" else "id"
    out = []
    for index, number in enumerate(numbers):
        text = answers.get(index)
        if text is None:
            continue
        try:
            handle = json.loads(text).get(key)
        except (ValueError, AttributeError):
            continue
        if isinstance(handle, str):
            out.append(Started(number, handle))
    return out


def verify_calls(contender: str, site: str, items: Sequence[Started], codes: dict[str, str]) -> list[Call]:
    calls = []
    for position, item in enumerate(items):
        right = codes.get(item.phone)
        if right is None:
            continue
        code, expect = (right, 200) if position % 2 == 0 else (wrong(right), 400)
        if contender == "voiceotp":
            url, body = f"{site}/api/otp/challenges/{item.handle}/verify/", {"code": code}
        elif contender == "floor":
            url, body = f"{site}/bench/floor/challenges/{item.handle}/verify/", {"code": code}
        else:
            url = f"{site}/api/phone/verify"
            body = {"phone_number": e164(item.phone), "session_token": item.handle, "security_code": code}
        calls.append(Call("POST", url, body, expect))
    return calls
