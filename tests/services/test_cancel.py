"""cancel_challenge, and what a cancel gives back (nothing): the limits, the cooldown and the spend
cap keep what the challenge's calls spent; a call in flight stays recorded; the next gateway is not
asked for a challenge canceled meanwhile; the signal."""

from __future__ import annotations

from typing import Any

import pytest

from django_voiceotp import services
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.signals import challenge_canceled

from ..helpers import NO_LIMITS, PHONE, cancel, start, voiceotp

pytestmark = pytest.mark.django_db


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
