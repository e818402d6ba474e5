"""Cancel through the REST API: a pending challenge becomes canceled and its code dies; a finished
one is 409 already_finished with its status; a challenge is found as verify finds one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from django_voiceotp import services
from django_voiceotp.models import ChallengeStatus, OtpChallenge

from ..helpers import NO_LIMITS, PHONE, cancel, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


def test_a_pending_challenge_is_canceled_and_its_code_dies(simulator, api):
    challenge_id = start(api).json()["id"]
    response = cancel(api, challenge_id)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == challenge_id
    assert body["status"] == "canceled"
    assert body["phone"] == "036****567"
    assert (body["attempts_left"], body["sends_left"]) == (0, 0)
    assert OtpChallenge.objects.get().status == ChallengeStatus.CANCELED
    answer = verify(api, challenge_id, simulator.calls[0].code)
    assert answer.status_code == 410
    assert answer.json()["code"] == "expired"
    assert resend(api, challenge_id).status_code == 410
    assert simulator.count("postSMS") == 1


def test_a_canceled_code_answers_as_a_replaced_one(simulator, api):
    """Canceled by the person or by a newer challenge: one status, one answer to a later verify."""
    with voiceotp(RESEND_COOLDOWN=0):
        replaced = start(api).json()["id"]
        newer = start(api).json()["id"]
    cancel(api, newer)
    answers = [verify(api, replaced, simulator.calls[0].code), verify(api, newer, simulator.calls[1].code)]
    assert [a.status_code for a in answers] == [410, 410]
    assert answers[0].json() == answers[1].json()


def finished(simulator, api, how: str) -> str:
    challenge_id = str(start(api).json()["id"])
    challenge = OtpChallenge.objects.get(pk=challenge_id)
    if how == "verified":
        assert verify(api, challenge_id, simulator.calls[0].code).status_code == 200
    elif how == "locked":
        for _ in range(challenge.max_attempts):
            verify(api, challenge_id, wrong(simulator.calls[0].code))
    elif how == "expired":  # past its time, never written as expired
        OtpChallenge.objects.filter(pk=challenge_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "failed":
        OtpChallenge.objects.filter(pk=challenge_id).update(status=ChallengeStatus.FAILED)
    elif how == "canceled":
        assert cancel(api, challenge_id).status_code == 200
    return challenge_id


@pytest.mark.parametrize("how", ["verified", "locked", "expired", "failed", "canceled"])
def test_a_finished_challenge_is_409_already_finished_and_stays_as_it_was(simulator, api, how):
    with voiceotp(RATE_LIMITS=NO_LIMITS):
        challenge_id = finished(simulator, api, how)
        response = cancel(api, challenge_id)
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_finished",
        "detail": "This verification is already over: there is nothing to cancel.",
        "status": how,
    }
    assert OtpChallenge.objects.get().status == how  # one past its time is marked expired on the way


def test_the_409_answers_in_the_readers_language(simulator, api):
    challenge_id = start(api).json()["id"]
    cancel(api, challenge_id)
    response = cancel(api, challenge_id, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 409
    assert response["Content-Language"] == "vi"


@pytest.mark.parametrize("bad_id", ["nope", "00000000-0000-0000-0000-000000000000", "1" * 200])
def test_an_unknown_challenge_is_404_as_for_every_other_call(simulator, api, bad_id):
    response = cancel(api, bad_id)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such verification. Start a new one."}


def test_unknown_ids_count_against_verify_per_ip(simulator, api):
    with voiceotp(RATE_LIMITS={**NO_LIMITS, "verify_per_ip": "2/h"}):
        assert cancel(api, str(uuid.uuid4())).status_code == 404
        assert cancel(api, str(uuid.uuid4())).status_code == 404
        limited = cancel(api, str(uuid.uuid4()))
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1


def test_an_integrations_challenge_cannot_be_canceled_through_the_api(simulator, api):
    mine = services.start_verification(PHONE, purpose="allauth.login", client_ip="203.0.113.9")
    response = cancel(api, str(mine.pk))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    mine.refresh_from_db()
    assert mine.status == ChallengeStatus.PENDING


def test_cancel_takes_no_other_method(simulator, api):
    challenge_id = start(api).json()["id"]
    assert api.get(f"/api/otp/challenges/{challenge_id}/cancel/").status_code == 405
    assert OtpChallenge.objects.get().status == ChallengeStatus.PENDING
