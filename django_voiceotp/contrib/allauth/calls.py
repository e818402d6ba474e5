"""Placing the calls of allauth's flows through the rules, once per send, never with allauth's code.

A form that comes before a send places the call while it is validated (:func:`place`) and lets a
refusal raise, for the form to show. allauth then asks its adapter to send; the adapter hands over
to :func:`deliver`, which adopts the call that form placed in the same request, or places one now
when no form came first: a stage allauth starts by itself, or a resend through allauth's own resend
control. A refusal of a resend raises allauth's own ``RateLimited``, which allauth's resend controls
catch (its page, its headless endpoint) without counting the resend; a refusal anywhere else cannot
raise (allauth's views would answer 500), so it becomes an error message on the page allauth shows
next. Either way the refusal stays on the request (:func:`refusal`), for what answers it.

A flow's challenge is canceled when allauth tells that the person left the flow: a new call of the
same flow in the session (allauth keeps one verification of each kind per session, so the previous
one can no longer be finished), and a logout (:func:`abandon`).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from allauth.core.exceptions import RateLimited
from django.contrib import messages
from django.http import HttpRequest

from ...services import (
    AlreadyVerified,
    Expired,
    NotFound,
    VoiceOtpError,
    cancel_challenge,
    normalize_phone,
    resend_call,
    start_verification,
)
from . import errors, slots

logger = logging.getLogger("django_voiceotp")

PURPOSES = {
    slots.PHONE: "allauth.verify_phone",
    slots.LOGIN: "allauth.login",
    slots.REAUTHENTICATE: "allauth.reauthenticate",
}
"""The challenges' purposes: a code verifies only its own flow, and the admin tells them apart."""


@dataclass
class _ThisRequest:
    placed: dict[str, str] = field(default_factory=dict)
    """E.164 -> the challenge a form placed for it while this request was validated."""
    delivered: set[str] = field(default_factory=set)
    refusal: VoiceOtpError | None = None
    """Why the call this request asked for was not placed."""
    resend: bool = False
    """Set by a resend endpoint that posts no ``action`` (allauth's headless API)."""


def _this_request(request: HttpRequest) -> _ThisRequest:
    found = getattr(request, "_voiceotp_allauth", None)
    if not isinstance(found, _ThisRequest):
        found = _ThisRequest()
        setattr(request, "_voiceotp_allauth", found)  # noqa: B010 - HttpRequest declares no such slot
    return found


def is_resend(request: HttpRequest) -> bool:
    """allauth's resend control: its code pages post ``action=resend``; its headless endpoints are
    marked by :func:`mark_resend`."""
    if _this_request(request).resend:
        return True
    return request.method == "POST" and request.POST.get("action") == "resend"


def mark_resend(request: HttpRequest) -> None:
    _this_request(request).resend = True


def refusal(request: HttpRequest) -> VoiceOtpError | None:
    """The refusal of the call this request asked for, if it was refused."""
    return _this_request(request).refusal


def place(request: HttpRequest, flow: str, phone: str, *, user: Any = None, account: Any = None) -> None:
    """Call ``phone`` for ``flow`` now; raises the ``VoiceOtpError`` a form shows as its error.
    ``user``: an account the person proved; ``account``: one the number names (see
    :func:`django_voiceotp.services.start_verification`)."""
    challenge = start_verification(phone, purpose=PURPOSES[flow], request=request, user=user, account=account)
    _this_request(request).placed[challenge.phone] = str(challenge.pk)


def deliver(request: HttpRequest, flow: str, phone: str, *, account: bool, user: Any = None) -> bool:
    """What allauth's "send the code" becomes: True when a call is on its way.

    ``account`` False: allauth asked for a call with no account behind it (its enumeration guard).
    The call is placed all the same, under the same limits, so that no answer and no refusal tells
    whether the number is known; only its code can never sign anyone in.
    """
    this = _this_request(request)
    this.delivered.add(flow)
    previous = slots.read(request, flow)
    e164 = phone
    try:
        e164 = normalize_phone(phone).e164
        placed = this.placed.pop(e164, None)
        if placed is None:
            placed = _call(request, flow, e164, previous, user)
    except VoiceOtpError as refused:
        this.refusal = refused
        logger.info("allauth's %s call was refused: %s", flow, refused.code)
        if previous is None or previous.phone != e164:
            _replace(request, flow, previous, slots.Slot(phone=e164, challenge=None, account=account))
        if is_resend(request):
            # allauth counted the resend but has not stored it yet: its resend controls catch this,
            # store nothing, and say so (the adapter puts this refusal's words in its message).
            raise RateLimited() from None
        messages.error(request, errors.message(refused), fail_silently=True)
        return False
    _replace(request, flow, previous, slots.Slot(phone=e164, challenge=placed, account=account))
    return True


def abandon(request: HttpRequest) -> None:
    """Cancel the challenges of every flow the session holds: the person left them (a logout, which
    in allauth's headless API also ends a pending login)."""
    for flow in PURPOSES:
        slot = slots.read(request, flow)
        if slot is not None and slot.challenge:
            _cancel(slot.challenge)


def _replace(request: HttpRequest, flow: str, previous: slots.Slot | None, slot: slots.Slot) -> None:
    """Keep ``slot`` as the flow's; the previous call's challenge, if another, is abandoned."""
    slots.keep(request, flow, slot)
    if previous is not None and previous.challenge and previous.challenge != slot.challenge:
        _cancel(previous.challenge)


def _cancel(challenge_id: str) -> None:
    """Cancel a challenge of the session's, if it is still pending. Its id comes from the session,
    never from the client, so no guess is counted against the client's address."""
    with contextlib.suppress(VoiceOtpError):  # finished already (verified, replaced, ...), or purged
        cancel_challenge(challenge_id, client_ip=None)


def on_its_way(request: HttpRequest, flow: str) -> bool:
    """Whether the call of the send allauth just reported is on its way.

    allauth skips the resend of a flow with no account behind it; it is resent here all the same,
    so that a resend answers alike (cooldown, refusals) whether the number is known or not.
    """
    this = _this_request(request)
    if flow not in this.delivered and is_resend(request):
        previous = slots.read(request, flow)
        if previous is not None:
            return deliver(request, flow, previous.phone, account=previous.account)
    return this.refusal is None


def _call(request: HttpRequest, flow: str, e164: str, previous: slots.Slot | None, user: Any) -> str:
    """A resend calls the flow's challenge again (a new code, the old one dies); anything else, or a
    resend of a challenge that is over (replaced, no call placed), starts a verification."""
    if is_resend(request) and previous is not None and previous.phone == e164 and previous.challenge:
        try:
            return str(resend_call(previous.challenge, request=request).pk)
        except (Expired, NotFound, AlreadyVerified):
            pass
    # allauth names an account, but only a signed-in session proves it here (the request's user is
    # the caller's lane then); the account is kept with the challenge for the admin.
    return str(start_verification(e164, purpose=PURPOSES[flow], request=request, account=user).pk)
