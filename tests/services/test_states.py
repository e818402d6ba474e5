"""What a challenge's state lets happen next, refusal by refusal (mutation testing found these unheld)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.connection import ConnectionDoesNotExist

from django_voiceotp.exceptions import Expired, NotFound
from django_voiceotp.models import ChallengeStatus, OtpChallenge
from django_voiceotp.services import states

from ..helpers import resend, start, verify, voiceotp
from ..store.test_writers import ReadsFromAReplica

pytestmark = pytest.mark.django_db


def test_an_integrations_challenge_is_found_by_the_app_and_not_by_the_api(simulator, api):
    challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(purpose="allauth.login")
    assert str(states.get_challenge(challenge_id).pk) == challenge_id
    with pytest.raises(NotFound):
        states.get_challenge(challenge_id, integrations=False)
    assert api.get(f"/api/otp/challenges/{challenge_id}/").status_code == 404
    assert resend(api, challenge_id).status_code == 404


@pytest.mark.parametrize(
    ("status", "http", "code", "detail"),
    [
        (ChallengeStatus.VERIFIED, 409, "already_verified", None),
        (ChallengeStatus.LOCKED, 403, "locked", None),
        (
            ChallengeStatus.CANCELED,
            410,
            "expired",
            "This code was canceled: a newer code was sent to this number, or the verification was stopped. "
            "Use the latest code, or start again.",
        ),
        (
            ChallengeStatus.FAILED,
            410,
            "expired",
            "No call could be placed for this code. Start a new verification.",
        ),
    ],
)
def test_a_closed_challenge_refuses_a_resend_and_a_guess_saying_why(
    simulator, api, status, http, code, detail
):
    with voiceotp(RESEND_COOLDOWN=0):
        challenge_id = start(api).json()["id"]
        OtpChallenge.objects.update(status=status)
        for answer in (resend(api, challenge_id), verify(api, challenge_id, simulator.calls[0].code)):
            assert (answer.status_code, answer.json()["code"]) == (http, code)
            if detail is not None:
                assert answer.json()["detail"] == detail
    assert simulator.count("postSMS") == 1


def test_an_expired_code_with_no_call_left_says_so(simulator, api):
    with voiceotp(MAX_SENDS=1):
        challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = verify(api, challenge_id, simulator.calls[0].code)
    assert answer.status_code == 410
    assert answer.json()["detail"] == (
        "The code has expired and no call is left for it. Start a new verification."
    )


def test_a_code_is_expired_at_its_expiry_instant():
    challenge = OtpChallenge(status=ChallengeStatus.PENDING, expires_at=timezone.now(), sends=1, max_sends=3)
    with pytest.raises(Expired):
        states.expire_or_refuse(challenge, challenge.expires_at)


def test_seconds_until_a_moment_now_or_past_is_one():
    assert states.seconds_until(timezone.now()) == 1
    assert states.seconds_until(timezone.now() - timedelta(hours=1)) == 1


def test_a_challenge_read_for_a_write_is_read_where_the_writes_go(simulator, api, settings):
    """A replica's older copy must not be the row a resend or a guess is judged against; a plain
    read may go where the site's router sends reads."""
    challenge_id = start(api).json()["id"]
    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    assert states.get_challenge(challenge_id, for_write=True)._state.db == "default"
    with pytest.raises(ConnectionDoesNotExist):
        states.get_challenge(challenge_id)
