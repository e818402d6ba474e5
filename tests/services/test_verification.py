"""A right code: the challenge verified at the moment it was judged, told to the site once with the
challenge as its sender says (mutation testing found these unheld)."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from django_voiceotp import services
from django_voiceotp.models import ChallengeStatus, OtpChallenge
from django_voiceotp.signals import phone_verified

from ..helpers import start

pytestmark = pytest.mark.django_db


def test_a_right_code_verifies_at_the_moment_it_was_judged_and_says_so_once(simulator, api):
    heard: list[dict[str, object]] = []
    phone_verified.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="test-verified")
    challenge_id = start(api).json()["id"]
    try:
        with time_machine.travel(timezone.now(), tick=False):
            judged = timezone.now()
            verification = services.check_code(challenge_id, simulator.calls[0].code, client_ip=None)
    finally:
        phone_verified.disconnect(dispatch_uid="test-verified")
    stored = OtpChallenge.objects.get()
    assert (stored.status, stored.verified_at) == (ChallengeStatus.VERIFIED, judged)
    assert verification.challenge.verified_at == judged
    assert [(kw["sender"], kw["phone"], kw["purpose"]) for kw in heard] == [
        (OtpChallenge, "+84361234567", "login")
    ]
    assert heard[0]["challenge"].pk == stored.pk  # type: ignore[attr-defined]


def test_the_app_checks_a_code_for_an_integrations_challenge(simulator, api):
    """The Python API serves the integrations by default; only the REST API is kept from their challenges."""
    challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(purpose="allauth.login")
    verification = services.check_code(challenge_id, simulator.calls[0].code, client_ip=None)
    assert verification.challenge.status == ChallengeStatus.VERIFIED
