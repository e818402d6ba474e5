"""Cancel: a pending challenge becomes canceled and its code dies; a finished one is 409; the limits,
the cooldown and the spend cap keep what its calls spent; a call in flight stays recorded."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_voiceotp import services
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.signals import challenge_canceled

from .helpers import NO_LIMITS, PHONE, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


def cancel(api, challenge_id: str, **extra):
    return api.post(f"/api/otp/challenges/{challenge_id}/cancel/", format="json", **extra)


# -- the REST API ----------------------------------------------------------------------------------


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


# -- what a cancel gives back: nothing -----------------------------------------------------------


def test_cancel_then_request_again_still_waits_for_the_cooldown(simulator, api):
    challenge_id = start(api).json()["id"]
    assert cancel(api, challenge_id).status_code == 200
    again = start(api)
    assert again.status_code == 429
    assert 55 <= int(again["Retry-After"]) <= 60
    assert simulator.count("postSMS") == 1


def test_cancel_then_request_again_spends_calls_per_phone_as_any_request(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "calls_per_phone": "2/d"}):
        assert cancel(api, start(api).json()["id"]).status_code == 200
        assert cancel(api, start(api).json()["id"]).status_code == 200
        assert start(api).status_code == 429
    assert simulator.count("postSMS") == 2


def test_cancel_then_request_again_spends_request_per_phone_as_any_request(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "request_per_phone": "1/h"}):
        assert cancel(api, start(api).json()["id"]).status_code == 200
        assert start(api).status_code == 429


def test_a_canceled_call_still_counts_against_the_spend_cap(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS, DAILY_CALL_LIMIT=1):
        assert cancel(api, start(api).json()["id"]).status_code == 200
        refused = start(api)
    assert refused.status_code == 429
    assert simulator.count("postSMS") == 1


def test_a_call_in_flight_stays_recorded_and_is_still_settled(simulator, api):
    challenge_id = start(api).json()["id"]
    cancel(api, challenge_id)
    row = VoiceCall.objects.get()
    assert row.status == CallStatus.CALLING
    assert row.request_id == simulator.calls[0].request_id
    assert OtpChallenge.objects.get().call_status == CallStatus.CALLING
    simulator.set_outcome(row.request_id, "answered")
    assert services.refresh_call(row)
    row.refresh_from_db()
    assert row.status == CallStatus.ANSWERED
    challenge = OtpChallenge.objects.get()
    assert (challenge.status, challenge.call_status) == (ChallengeStatus.CANCELED, CallStatus.ANSWERED)


# -- the Python API --------------------------------------------------------------------------------


def test_cancel_challenge_sends_challenge_canceled_once(simulator):
    heard: list[dict[str, Any]] = []

    def listen(sender, **kwargs):
        heard.append({"sender": sender, **kwargs})

    challenge_canceled.connect(listen)
    try:
        challenge = services.start_verification(PHONE, purpose="signup", client_ip="203.0.113.9")
        canceled = services.cancel_challenge(challenge.pk, client_ip="203.0.113.9")
        with pytest.raises(services.AlreadyFinished) as again:
            services.cancel_challenge(challenge.pk, client_ip=None)
    finally:
        challenge_canceled.disconnect(listen)
    assert canceled.status == ChallengeStatus.CANCELED
    assert again.value.status_code == 409
    assert again.value.extra == {"status": "canceled"}
    [event] = heard
    assert event["sender"] is OtpChallenge
    assert event["challenge"].pk == challenge.pk
    assert (event["phone"], event["purpose"]) == ("+84361234567", "signup")


def test_a_replacement_sends_no_challenge_canceled(simulator):
    heard: list[object] = []
    challenge_canceled.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="replaced")
    try:
        with voiceotp(RESEND_COOLDOWN=0):
            services.start_verification(PHONE, client_ip=None)
            services.start_verification(PHONE, client_ip=None)
    finally:
        challenge_canceled.disconnect(dispatch_uid="replaced")
    assert heard == []
    assert OtpChallenge.objects.filter(status=ChallengeStatus.CANCELED).count() == 1


def test_cancel_challenge_needs_to_know_who_asks(simulator):
    challenge = services.start_verification(PHONE, client_ip=None)
    with pytest.raises(TypeError):
        services.cancel_challenge(challenge.pk)


def test_cancel_challenge_of_an_integration_without_integrations_is_not_found(simulator):
    mine = services.start_verification(PHONE, purpose="allauth.login", client_ip=None)
    with pytest.raises(services.NotFound):
        services.cancel_challenge(mine.pk, client_ip=None, integrations=False)
    assert services.cancel_challenge(mine.pk, client_ip=None).status == ChallengeStatus.CANCELED


def test_a_resend_of_a_canceled_challenge_places_no_call(simulator):
    challenge = services.start_verification(PHONE, client_ip=None)
    services.cancel_challenge(challenge.pk, client_ip=None)
    with voiceotp(RESEND_COOLDOWN=0), pytest.raises(services.Expired):
        services.resend_call(challenge.pk, client_ip=None)
    assert simulator.count("postSMS") == 1


def test_a_challenge_canceled_while_its_gateway_fails_gets_no_call_from_the_next(
    api, two_gateways, monkeypatch
):
    """The first gateway certainly placed nothing (out of money); the person canceled meanwhile: the
    next gateway is not asked, and what the first said is recorded."""
    from django_voiceotp.services import calls

    first, second = two_gateways
    first.set_fault("code", code=14)
    hear = calls._hear

    def canceled_meanwhile(gateway, number, code):
        heard = hear(gateway, number, code)
        for pending in OtpChallenge.objects.filter(status=ChallengeStatus.PENDING):
            services.cancel_challenge(pending.pk, client_ip=None)
        return heard

    monkeypatch.setattr(calls, "_hear", canceled_meanwhile)
    answer = start(api)
    assert answer.status_code == 502
    assert (first.count("postSMS"), second.count("postSMS")) == (1, 0)
    assert OtpChallenge.objects.get().status == ChallengeStatus.CANCELED
    assert list(VoiceCall.objects.values_list("gateway", "send_code")) == [("first", "14")]


def test_the_admin_lists_and_filters_canceled_challenges(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        cancel(api, start(api).json()["id"])
        start(api, phone="0361234568")
    page = admin_client.get("/admin/django_voiceotp/otpchallenge/?status__exact=canceled")
    assert page.status_code == 200
    html = page.content.decode()
    assert "?status__exact=canceled" in html  # the status filter offers it
    cells = re.findall(r'<td class="field-status">(.*?)</td>', html)
    assert cells == ["Canceled"]
