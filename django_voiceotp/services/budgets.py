"""A number's budgets as the rules spend them: per lane (:mod:`.caller`), and slowing, not stopping.

Strangers can ask for calls to any number and guess at the challenges they started; nothing they do
may keep the number's holder from a call and a right code for more than ten minutes at a time
(``docs/security.md`` has the arithmetic and the one exception, ``calls_per_phone``). So:

- the limits on calls (``request_per_phone``, ``calls_per_phone``, the cooldown) count per lane
  principal: a stranger spends the ``anyone`` lane's, never the holder's or a signed-in user's;
- the failure budget (``verify_failures_per_phone``) counts the wrong codes of all a lane's
  challenges of the number; once it is spent the lane *slows*: one guess per call (a call leaves its
  challenge exactly one attempt, and a code is checked only on a challenge with one attempt left),
  and the lane's calls to the number are spaced by a wait that starts at a minute and doubles with
  each wrong code, up to ten. A right code starts the lane's budgets over.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..conf import VoiceOtpSettings
from ..ratelimits import Admission, Step, Usage, admit, admitted, erase, forget, lift_cooldown
from .caller import Caller, Lane, Standing

SLOW_START = 60
"""Seconds between a slowed lane's calls after its first wrong code past the budget."""
SLOWEST = 600
"""The longest a slowed lane waits for its next call: the ten minutes a holder may be kept waiting."""
FAILURES = "verify_failures_per_phone"


def slow_wait(failures: int, budget: int) -> int:
    """Seconds before a lane with ``failures`` wrong codes (of a ``budget``) may be called again."""
    beyond = max(failures - budget, 0)
    return SLOWEST if beyond >= 10 else min(SLOW_START * 2**beyond, SLOWEST)


def _slowed(standing: Standing) -> str:
    """The subject of a slowed lane's wait between calls."""
    return f"slow|{standing.guesses}"


def for_a_request(who: Caller, standing: Standing, values: VoiceOtpSettings) -> Admission:
    """The limits a new challenge meets, in one round trip where the cache allows: the caller's
    address, the principal's requests and calls today, the lane's wait when it is slowed (checked
    before anything is counted), then the principal's cooldown, claimed only when all pass."""
    steps = [
        *who.steps("request_per_ip", standing),
        Step("request_per_phone", standing.calls),
        Step("calls_per_phone", standing.calls),
        Step(FAILURES, standing.guesses, count=False, refuses=False),
    ]
    admission = admitted(
        steps, cooldown=(standing.calls, values.RESEND_COOLDOWN), held=_waits(standing, values)
    )
    _slow_down(admission, standing)
    return admission


def for_a_resend(standing: Standing, values: VoiceOtpSettings) -> Admission:
    """The limits another call of a challenge meets: the principal's calls today and its cooldown, and
    the lane's wait when it is slowed."""
    steps = [
        Step("calls_per_phone", standing.calls),
        Step(FAILURES, standing.guesses, count=False, refuses=False),
    ]
    admission = admitted(
        steps, cooldown=(standing.calls, values.RESEND_COOLDOWN), held=_waits(standing, values)
    )
    _slow_down(admission, standing)
    return admission


def _waits(standing: Standing, values: VoiceOtpSettings) -> list[str]:
    """The lane's wait between calls, checked before anything is counted; none when the failure
    budget is off (nothing can slow the lane)."""
    return [_slowed(standing)] if values.rate(FAILURES) is not None else []


def _slow_down(admission: Admission, standing: Standing) -> None:
    """A lane whose failure budget is spent waits between calls: claimed with the call, and given back
    with it when no call could be placed."""
    failures = admission.usage(FAILURES)
    if failures is not None and failures.spent:
        admission.also_claim(_slowed(standing), slow_wait(failures.count, failures.limit))


def for_a_guess(who: Caller, standing: Standing) -> Usage | None:
    """The caller's guesses and the lane's failure budget, in one round trip where the cache allows:
    the guess is counted before it is judged (so parallel guesses cannot outrun the budget) and given
    back with :func:`django_voiceotp.ratelimits.release` unless it is judged wrong. None when the
    budget is off; a spent budget does not refuse (see :func:`slowed`)."""
    usages = admit([*who.steps("verify_per_ip", standing), Step(FAILURES, standing.guesses, refuses=False)])
    return next((u for u in usages if u.name == FAILURES), None)


def slowed(guess: Usage | None) -> bool:
    """Whether this guess is past its lane's failure budget: it is then checked only on a challenge
    with one attempt left (see :func:`one_guess_per_call`)."""
    return guess is not None and guess.count > guess.limit


def one_guess_per_call(admission: Admission) -> bool:
    """Whether the call this admission lets through leaves its challenge exactly one attempt (the
    lane's failure budget is spent)."""
    failures = admission.usage(FAILURES)
    return failures is not None and failures.spent


def lift_waits(number: str, owners: Iterable[str]) -> None:
    """End every wait between calls to ``number`` of the lanes and principals of these challenge
    owners, and of anyone's (the test kit's "as if the cooldown had passed")."""
    for owner in {*owners, Lane.ANYONE.value}:
        standing = Standing.of_owner(owner, number)
        lift_cooldown(standing.calls)
        lift_cooldown(_slowed(standing))


def erase_number(number: str, owners: Iterable[str], *, dry_run: bool = False) -> int:
    """Delete every limit of ``number`` (E.164) the cache holds: the requests, calls and cooldown of
    each principal of these challenge owners, of the holder's and of anyone's, and the failures and
    wait of each lane. How many such keys the cache held (with ``dry_run``, only that). Raises what
    the cache raises."""
    principals = {Standing.of_owner(owner, number) for owner in {*owners, *(lane.value for lane in Lane)}}
    lanes = {Standing.of_owner(lane.value, number) for lane in Lane}
    steps = [Step(name, s.calls) for s in principals for name in ("request_per_phone", "calls_per_phone")]
    steps += [Step(FAILURES, s.guesses) for s in lanes]
    cooldowns = [s.calls for s in principals] + [_slowed(s) for s in lanes]
    return erase(steps, cooldowns, dry_run=dry_run)


def after_a_verify(standing: Standing) -> None:
    """The holder proved the number: the principal's calls and cooldown, and the lane's failures and
    wait, start over (their next step, a login right after setting up a second factor, may call the
    number at once)."""
    forget(
        [Step("calls_per_phone", standing.calls), Step(FAILURES, standing.guesses)],
        cooldowns=[standing.calls, _slowed(standing)],
    )
