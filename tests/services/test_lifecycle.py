"""A hypothesis state machine over the challenge lifecycle.

Requests, resends, right and wrong codes and time passing, in any order, for a few numbers and
purposes; after every step: at most one live code per number and purpose, attempts never above the
maximum, and a verified (or locked) challenge never changes again.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from django_voiceotp import services
from django_voiceotp.exceptions import VoiceOtpError
from django_voiceotp.models import ChallengeStatus, OtpChallenge, VoiceCall

from ..helpers import NO_LIMITS, voiceotp, wrong

pytestmark = pytest.mark.django_db

PHONES = ["0361234561", "0361234562"]
PURPOSES = ["login", "signup"]
FINAL = (ChallengeStatus.VERIFIED, ChallengeStatus.LOCKED)


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
            with contextlib.suppress(VoiceOtpError):
                services.start_verification(phone, purpose=purpose, client_ip=None)

        @rule(pick=st.integers(0, 20))
        def resend(self, pick: int) -> None:
            challenges = self._challenges()
            if challenges:
                with contextlib.suppress(VoiceOtpError):
                    services.resend_call(challenges[pick % len(challenges)].pk, client_ip=None)

        @rule(pick=st.integers(0, 20), right=st.booleans())
        def verify(self, pick: int, right: bool) -> None:
            challenges = self._challenges()
            if not challenges:
                return
            challenge = challenges[pick % len(challenges)]
            code = self._code(challenge) or "000000"
            with contextlib.suppress(VoiceOtpError):
                services.check_code(challenge.pk, code if right else wrong(code), client_ip=None)

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

    limits = {**NO_LIMITS, "verify_failures_per_phone": "20/d"}
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
