"""A hypothesis state machine over the challenge lifecycle.

Requests, resends, right and wrong codes and time passing, in any order, for a few numbers and
purposes. Each step's answer is the one the rules give for the state it found: a refusal of the
expected kind, or none (a request is always taken here: no limit is on). After every step: at most
one live code per number and purpose, attempts never above the maximum, and a verified (or locked)
challenge never changes again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from django_voiceotp import services
from django_voiceotp.exceptions import (
    AlreadyVerified,
    Expired,
    InvalidCode,
    Locked,
    RateLimited,
    VoiceOtpError,
)
from django_voiceotp.models import ChallengeStatus, OtpChallenge, VoiceCall

from ..helpers import NO_LIMITS, voiceotp, wrong

pytestmark = pytest.mark.django_db

PHONES = ["0361234561", "0361234562"]
PURPOSES = ["login", "signup"]
FINAL = (ChallengeStatus.VERIFIED, ChallengeStatus.LOCKED)
CLOSED: dict[str, type[VoiceOtpError]] = {
    ChallengeStatus.VERIFIED: AlreadyVerified,
    ChallengeStatus.LOCKED: Locked,
    ChallengeStatus.CANCELED: Expired,
    ChallengeStatus.FAILED: Expired,
}
"""The refusal of any request about a challenge that is closed, by its status."""
CLOSE_CALL = 5.0
"""Seconds from its expiry within which a challenge may be read as expired or not (the step runs on
a busy machine after the model read it)."""
Outcome = type[VoiceOtpError] | None


def outcome(step: Callable[[], object]) -> Outcome:
    """The kind of refusal the step met, or None when it was done."""
    try:
        step()
    except VoiceOtpError as refusal:
        return type(refusal)
    return None


def expired(challenge: OtpChallenge) -> set[bool]:
    """Whether the rules see the challenge past its time: both, within ``CLOSE_CALL`` of its expiry."""
    if challenge.status == ChallengeStatus.EXPIRED:
        return {True}
    left = (challenge.expires_at - timezone.now()).total_seconds()
    return {True, False} if abs(left) < CLOSE_CALL else {left <= 0}


def expected_for_a_guess(challenge: OtpChallenge, right: bool) -> set[Outcome]:
    if challenge.status in CLOSED:
        return {CLOSED[challenge.status]}
    wrong_guess = Locked if challenge.attempts + 1 >= challenge.max_attempts else InvalidCode
    return {Expired if past else None if right else wrong_guess for past in expired(challenge)}


def expected_for_a_resend(challenge: OtpChallenge) -> set[Outcome]:
    if challenge.status in CLOSED:
        return {CLOSED[challenge.status]}
    if challenge.sends >= challenge.max_sends:
        return {RateLimited}
    newer = OtpChallenge.objects.filter(
        phone=challenge.phone, purpose=challenge.purpose, status=ChallengeStatus.PENDING
    ).exclude(pk=challenge.pk)
    if challenge.status == ChallengeStatus.EXPIRED and newer.exists():
        return {Expired}  # replaced: an expired code cannot come back while a newer one is live
    return {None}


def test_the_challenge_lifecycle_keeps_its_invariants(simulator):
    class Lifecycle(RuleBasedStateMachine):
        @initialize()
        def fresh(self) -> None:
            OtpChallenge.objects.all().delete()
            simulator.reset()
            cache.clear()
            self.finished: dict[str, tuple[object, ...]] = {}

        def _challenges(self) -> list[OtpChallenge]:
            return list(OtpChallenge.objects.order_by("created_at"))

        def _code(self, challenge: OtpChallenge) -> str | None:
            call = (
                VoiceCall.objects.filter(challenge=challenge, request_id__isnull=False)
                .order_by("-pk")
                .first()
            )
            if call is None:
                return None
            return next((c.code for c in simulator.calls if c.request_id == call.request_id), None)

        @rule(phone=st.sampled_from(PHONES), purpose=st.sampled_from(PURPOSES))
        def request(self, phone: str, purpose: str) -> None:
            done = outcome(lambda: services.start_verification(phone, purpose=purpose, client_ip=None))
            assert done is None

        @rule(pick=st.integers(0, 20))
        def resend(self, pick: int) -> None:
            challenges = self._challenges()
            if challenges:
                challenge = challenges[pick % len(challenges)]
                expected = expected_for_a_resend(challenge)
                assert outcome(lambda: services.resend_call(challenge.pk, client_ip=None)) in expected

        @rule(pick=st.integers(0, 20), right=st.booleans())
        def verify(self, pick: int, right: bool) -> None:
            challenges = self._challenges()
            if not challenges:
                return
            challenge = challenges[pick % len(challenges)]
            code = self._code(challenge)
            right = right and code is not None
            guess = code if code is not None and right else wrong(code or "000000")
            expected = expected_for_a_guess(challenge, right)
            assert outcome(lambda: services.check_code(challenge.pk, guess, client_ip=None)) in expected

        @rule(seconds=st.sampled_from([30, 200, 400]))
        def time_passes(self, seconds: int) -> None:
            shift = timedelta(seconds=seconds)
            OtpChallenge.objects.update(
                expires_at=F("expires_at") - shift, resend_available_at=F("resend_available_at") - shift
            )

        @invariant()
        def one_live_code_per_number_and_purpose(self) -> None:
            live = OtpChallenge.objects.filter(status=ChallengeStatus.PENDING).values_list("phone", "purpose")
            assert len(list(live)) == len(set(live))

        @invariant()
        def attempts_never_above_the_maximum(self) -> None:
            assert not OtpChallenge.objects.filter(attempts__gt=F("max_attempts")).exists()
            assert not OtpChallenge.objects.filter(sends__gt=F("max_sends")).exists()

        @invariant()
        def a_finished_challenge_never_changes(self) -> None:
            for challenge in OtpChallenge.objects.filter(status__in=FINAL):
                state = (
                    challenge.status,
                    challenge.attempts,
                    challenge.sends,
                    challenge.code_hash,
                    challenge.verified_at,
                )
                assert self.finished.setdefault(str(challenge.pk), state) == state
            assert len(self.finished) == OtpChallenge.objects.filter(status__in=FINAL).count()

        @invariant()
        def locked_means_attempts_spent(self) -> None:
            for challenge in OtpChallenge.objects.filter(status=ChallengeStatus.LOCKED):
                assert challenge.attempts == challenge.max_attempts

    # A failure budget no run of the machine spends (25 steps): the slowed lane has tests of its own
    # (tests/services/test_lockout.py), and here every guess is judged.
    limits = {**NO_LIMITS, "verify_failures_per_phone": "100/d"}
    with voiceotp(RESEND_COOLDOWN=0, MAX_ATTEMPTS=3, RATE_LIMITS=limits):
        run_state_machine_as_test(
            Lifecycle,
            settings=settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
