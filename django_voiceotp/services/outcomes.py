"""What each answer to "place this call" costs and tells the person: one table, for a request and a
resend alike.

A call's row is written before the gateway is asked and completed after, whatever happened; what the
row then says decides what the call costs. A call that may have reached the gateway (it may ring,
and be charged) keeps the number's resend cooldown and counts against the spend cap and the prefix
guard, as a placed call does; one that certainly did not (it could not be built, the connection never
opened, the gateway refused it) gives the cooldown back and counts against nothing. ``docs/gateways.md``
shows this table; a test renders it from :data:`OUTCOMES` and checks that the two agree.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from ..conf import VoiceOtpSettings
from ..exceptions import (
    InvalidPhone,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    RecipientRefused,
    VoiceOtpError,
)
from ..models import NOT_CHARGED, CallStatus, ChallengeStatus


class Answer(str, enum.Enum):
    """What came of asking the gateway to place a call: the kind of its answer, or of its silence."""

    TAKEN = "taken"
    """The gateway took the call and gave its request_id."""
    PENDING = "pending"
    """The gateway cannot say yet (its 27): the call may still come."""
    REPEAT = "repeat"
    """The gateway refuses the same content to the number within its repeat window."""
    REPEATED = "repeat, twice"
    """The gateway refused the repeat again, after one more try with a new code."""
    RECIPIENT_REFUSED = "recipient refused"
    BAD_NUMBER = "bad number"
    ACCOUNT = "account refused"
    MONEY = "no money"
    GATEWAY_FAULT = "gateway fault"
    """The gateway's own error, or a code its documentation does not list."""
    NUMBER_NOT_SENT = "number not sent"
    """The request could not be built from the number: nothing was sent."""
    NOT_SENT = "not sent"
    """The request could not be built (the code, the body): nothing was sent."""
    UNREACHABLE = "unreachable"
    """No connection: the request never left."""
    NO_ANSWER = "no answer"
    """The request may have left, and no whole answer came (a timeout, a dropped line, an HTTP error)."""
    UNREADABLE = "unreadable"
    """An answer its documentation does not describe."""
    REQUEST_ID_REUSED = "request_id reused"
    """A request_id the gateway had already given another call: its outcome could never be told apart."""
    REQUEST_ID_TOO_LONG = "request_id too long"
    """A request_id longer than a call row holds."""


class Health(str, enum.Enum):
    """What an answer says of the gateway itself (:mod:`django_voiceotp.health`)."""

    WORKED = "worked"
    """It answered as a gateway should (a refusal of the number or the content included)."""
    FAILED = "failed"
    """It is in trouble: counted, and paused after a few in a row."""
    DOWN = "down"
    """It cannot place calls until someone acts (the account, the money): paused at once."""
    UNTOUCHED = "untouched"
    """Nothing reached it (the request could not be built)."""


@dataclass(frozen=True)
class Outcome:
    """One row of the table: what an answer does to the call, its challenge, the number and the person."""

    call_status: CallStatus
    challenge_status: ChallengeStatus
    """``pending``: the person may type the code; ``failed``: no call could be placed for it."""
    keeps_cooldown: bool
    """The number's resend cooldown stays (the call may ring); otherwise it is given back."""
    refusal: type[VoiceOtpError] | None
    """What the person is answered, when not the challenge."""
    retried: bool = False
    """Asked again at once with a new code (the gateway's repeat rule), once: the row of that second
    answer is what the number and the person get."""
    fails_over: bool = False
    """This gateway certainly did not place the call, for reasons of its own (no connection, the
    account, the money): the next gateway is asked, and this row is what the person gets only when
    there is none."""
    health: Health = Health.WORKED

    @property
    def charged(self) -> bool:
        """Whether the call counts against the spend cap and the prefix guard."""
        return self.call_status not in NOT_CHARGED

    @property
    def placed(self) -> bool:
        """The challenge stays pending with a call that may come: ``call_placed`` is sent."""
        return self.challenge_status == ChallengeStatus.PENDING and not self.retried

    def refuse(self, values: VoiceOtpSettings) -> VoiceOtpError | None:
        if self.refusal is RateLimited:
            return RateLimited(values.RESEND_COOLDOWN)
        return self.refusal() if self.refusal is not None else None


_PENDING, _FAILED = ChallengeStatus.PENDING, ChallengeStatus.FAILED
_CALLING, _UNKNOWN, _REJECTED = CallStatus.CALLING, CallStatus.UNKNOWN, CallStatus.REJECTED

_WORKED, _FAILED_GATEWAY, _DOWN, _UNTOUCHED = Health.WORKED, Health.FAILED, Health.DOWN, Health.UNTOUCHED

OUTCOMES: Mapping[Answer, Outcome] = {
    Answer.TAKEN: Outcome(_CALLING, _PENDING, keeps_cooldown=True, refusal=None),
    Answer.PENDING: Outcome(_UNKNOWN, _PENDING, keeps_cooldown=True, refusal=None),
    Answer.REPEAT: Outcome(_REJECTED, _PENDING, keeps_cooldown=False, refusal=None, retried=True),
    Answer.REPEATED: Outcome(_REJECTED, _FAILED, keeps_cooldown=True, refusal=RateLimited),
    Answer.RECIPIENT_REFUSED: Outcome(_REJECTED, _FAILED, keeps_cooldown=False, refusal=RecipientRefused),
    Answer.BAD_NUMBER: Outcome(_REJECTED, _FAILED, keeps_cooldown=False, refusal=InvalidPhone),
    Answer.ACCOUNT: Outcome(
        _REJECTED, _FAILED, keeps_cooldown=False, refusal=ProviderRejected, fails_over=True, health=_DOWN
    ),
    Answer.MONEY: Outcome(
        _REJECTED, _FAILED, keeps_cooldown=False, refusal=ProviderRejected, fails_over=True, health=_DOWN
    ),
    Answer.GATEWAY_FAULT: Outcome(
        _UNKNOWN, _FAILED, keeps_cooldown=True, refusal=ProviderUnavailable, health=_FAILED_GATEWAY
    ),
    Answer.NUMBER_NOT_SENT: Outcome(
        _REJECTED, _FAILED, keeps_cooldown=False, refusal=InvalidPhone, health=_UNTOUCHED
    ),
    Answer.NOT_SENT: Outcome(
        _REJECTED, _FAILED, keeps_cooldown=False, refusal=ProviderRejected, fails_over=True, health=_UNTOUCHED
    ),
    Answer.UNREACHABLE: Outcome(
        _REJECTED,
        _FAILED,
        keeps_cooldown=False,
        refusal=ProviderUnavailable,
        fails_over=True,
        health=_FAILED_GATEWAY,
    ),
    Answer.NO_ANSWER: Outcome(
        _UNKNOWN, _FAILED, keeps_cooldown=True, refusal=ProviderUnavailable, health=_FAILED_GATEWAY
    ),
    Answer.UNREADABLE: Outcome(
        _UNKNOWN, _FAILED, keeps_cooldown=True, refusal=ProviderUnavailable, health=_FAILED_GATEWAY
    ),
    Answer.REQUEST_ID_REUSED: Outcome(
        _UNKNOWN, _FAILED, keeps_cooldown=True, refusal=ProviderUnavailable, health=_FAILED_GATEWAY
    ),
    Answer.REQUEST_ID_TOO_LONG: Outcome(
        _UNKNOWN, _FAILED, keeps_cooldown=True, refusal=ProviderUnavailable, health=_FAILED_GATEWAY
    ),
}
