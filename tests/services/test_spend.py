"""What a call costs: the spend cap, the prefix guard and the cooldown count what may have been placed.

A call that never reached the gateway (the request could not be built, the connection never opened)
or that the gateway refused costs nothing: it counts against no guard and gives the cooldown back.
An answer that cannot say whether the call was placed (-5, -6, an undocumented code, a timeout or a
dropped line after sending, nonsense) costs as a placed call does.
"""

from __future__ import annotations

import uuid

import pytest

from django_voiceotp import guards
from django_voiceotp.gateways import GatewayRequestError
from django_voiceotp.gateways.onsms import OnSmsGateway
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, PrefixBlock, VoiceCall

from ..helpers import NO_LIMITS, start, voiceotp

pytestmark = pytest.mark.django_db

GUARD = {"min_calls": 2, "max_unverified_ratio": 0.5, "window": 3600, "block_for": 600, "prefix_digits": 6}


def guarded(**changes):
    return voiceotp(**{"RATE_LIMITS": NO_LIMITS, "DAILY_CALL_LIMIT": 2, "PREFIX_GUARD": GUARD, **changes})


def fail_to_build(monkeypatch) -> None:
    """The gateway request cannot be built (for instance a local form the client refuses)."""

    def refuse(self, phone, code):
        raise GatewayRequestError(
            "postSMS: the phone is not the gateway's local form", endpoint="postSMS", field="phone"
        )

    monkeypatch.setattr(OnSmsGateway, "place_call", refuse)


def test_a_request_that_cannot_be_built_is_a_refused_call_and_no_500(simulator, api, monkeypatch):
    fail_to_build(monkeypatch)
    with guarded():
        response = start(api)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"
    call = VoiceCall.objects.get()
    assert call.status == CallStatus.REJECTED
    assert call.send_error
    assert OtpChallenge.objects.get().status == ChallengeStatus.FAILED
    assert simulator.count("postSMS") == 0


def test_calls_that_never_left_count_against_no_guard(simulator, api, monkeypatch):
    """Were they counted, anyone could spend the site's daily cap, or block a prefix, for nothing."""
    fail_to_build(monkeypatch)
    with guarded():
        for i in range(5):
            assert start(api, phone=f"036123400{i}").status_code == 400
        assert guards.calls_in_last_day() == 0
        monkeypatch.undo()
        assert start(api, phone="0361234100").status_code == 201
        assert start(api, phone="0361234101").status_code == 201
    assert not PrefixBlock.objects.exists()
    assert simulator.count("postSMS") == 2


def test_a_connection_that_never_opened_counts_against_no_guard(simulator, api):
    with guarded(BASE_URL="http://127.0.0.1:9/onsmsapivoice"):  # nothing listens on port 9
        for i in range(3):
            assert start(api, phone=f"036123400{i}").status_code == 503
        assert set(VoiceCall.objects.values_list("status", flat=True)) == {CallStatus.REJECTED}
        assert guards.calls_in_last_day() == 0
    with guarded():
        assert start(api, phone="0361234000").status_code == 201  # and no cooldown was kept


@pytest.mark.parametrize("code", [-5, -6, 42])
def test_answers_that_cannot_vouch_count_against_the_spend_cap(simulator, api, code):
    """The gateway may have placed (and charged) those calls: the cap must not let more through."""
    simulator.set_fault("code", code=code)
    with guarded(PREFIX_GUARD=None):
        assert start(api, phone="0361230001").status_code == 503
        assert start(api, phone="0371230002").status_code == 503
        simulator.clear_faults()
        capped = start(api, phone="0381230003")
    assert capped.status_code == 429
    assert guards.calls_in_last_day() == 2
    assert simulator.count("postSMS") == 2
    assert set(VoiceCall.objects.values_list("status", flat=True)) == {CallStatus.UNKNOWN}


@pytest.mark.parametrize("fault", ["hang", "drop", "http500", "garbage"])
def test_silence_or_nonsense_after_sending_counts_and_keeps_the_cooldown(simulator, api, fault):
    simulator.set_fault(fault, times=1)
    with voiceotp(RATE_LIMITS=NO_LIMITS, DAILY_CALL_LIMIT=5, TIMEOUT=(1.0, 0.5)):
        assert start(api).status_code == 503
        again = start(api)
        assert guards.calls_in_last_day() == 1
    assert again.status_code == 429
    call = VoiceCall.objects.get()
    assert call.status == CallStatus.UNKNOWN
    assert call.send_error or call.send_raw


def test_a_request_id_the_gateway_hands_out_twice_is_kept_as_said_without_a_500(simulator, api, monkeypatch):
    same = uuid.UUID("12345678-1234-5678-1234-567812345678")
    monkeypatch.setattr(uuid, "uuid4", lambda: same)  # the simulator's ids, not the challenges'
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        assert start(api, phone="0361230001").status_code == 201
        second = start(api, phone="0361230002")
    assert second.status_code == 503
    assert second.json()["code"] == "provider_unavailable"
    first_call, second_call = VoiceCall.objects.order_by("pk")
    assert first_call.request_id == str(same)
    assert second_call.request_id is None
    assert second_call.status == CallStatus.UNKNOWN
    assert str(same) in second_call.send_raw
    assert "request_id" in second_call.send_error
    assert OtpChallenge.objects.get(phone="+84361230002").status == ChallengeStatus.FAILED


def test_codes_and_ids_too_long_for_their_columns_are_kept_without_a_500(api, voiceotp_gateway, monkeypatch):
    """A backend may answer anything: a code longer than its column is cut (the raw answer keeps it
    all), a request_id too long to be looked up again makes the call unknown."""
    from django_voiceotp.gateways import Kind, SendResult
    from django_voiceotp.gateways.locmem import LocMemGateway

    answers = iter(
        [
            SendResult(Kind.RECIPIENT_REFUSED, "x" * 100, None, "a long refusal", 1),
            SendResult(Kind.TAKEN, "1", "i" * 101, "a long id", 1),
        ]
    )
    monkeypatch.setattr(LocMemGateway, "place_call", lambda self, phone, code: next(answers))
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        assert start(api, phone="0361234561").status_code == 400
        assert start(api, phone="0361234562").status_code == 503
    refused, long_id = VoiceCall.objects.order_by("pk")
    assert refused.send_code == "x" * 32
    assert (long_id.status, long_id.request_id) == (CallStatus.UNKNOWN, None)
