"""Which challenge each allauth flow checks codes against, kept in the session beside allauth's state.

allauth keeps one verification of each kind per session (a login stage, a change of number, a
reauthentication); the session here keeps, per kind, the number called and the challenge that call
belongs to. Only the challenge's id is kept: the code itself lives nowhere but as this app's hash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.http import HttpRequest

SESSION_KEY = "voiceotp_allauth"

PHONE = "phone"
"""allauth's phone verification: at sign-up, at login with an unverified number, a changed number."""
LOGIN = "login"
"""allauth's login by code, sent to the account's number."""
REAUTHENTICATE = "reauthenticate"
"""allauth's reauthentication by code, sent to the account's verified number."""


@dataclass(frozen=True)
class Slot:
    phone: str
    """E.164."""
    challenge: str | None
    """None when no call could be placed: the next resend starts a verification."""
    account: bool
    """False when allauth asked for a call without an account behind it (its enumeration guard):
    the call is placed all the same, so that no answer tells whether the number is known."""


def read(request: HttpRequest, flow: str) -> Slot | None:
    data: Any = request.session.get(SESSION_KEY, {}).get(flow)
    if not isinstance(data, dict):
        return None
    try:
        return Slot(phone=str(data["phone"]), challenge=data["challenge"], account=bool(data["account"]))
    except KeyError:
        return None


def keep(request: HttpRequest, flow: str, slot: Slot) -> None:
    stored = dict(request.session.get(SESSION_KEY, {}))
    stored[flow] = asdict(slot)
    request.session[SESSION_KEY] = stored
