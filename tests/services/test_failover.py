"""A second gateway: a call goes to the next one only when the one before certainly did not place it,
over loopback against two simulators (``first`` and ``second``, the site's ``GATEWAYS`` in that order).

What may have placed the call (a timeout after sending, 27, -5/-6, an unreadable answer, a proxy's
502/504) never fails over: a second call would cost twice and ring twice. What refuses the number or
the content (6, 7, -4, 10, 31) never fails over either: the next gateway would refuse it too.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_voiceotp import health, store
from django_voiceotp.gateways import GatewayUnavailable, Kind
from django_voiceotp.gateways.onsms import OnSmsGateway
from django_voiceotp.gateways.onsms.answer_codes import SEND_CODES
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.services import calls
from django_voiceotp.services.calls import refresh_call

from ..conftest import gateway_entry
from ..helpers import NO_LIMITS, start, verify, voiceotp

pytestmark = pytest.mark.django_db

CLOSED_PORT = "http://127.0.0.1:9/onsmsapivoice"
"""Nothing listens there: the connection is refused at once, the request never leaves."""
FAILS_OVER = sorted(
    value for value, meaning in SEND_CODES.items() if meaning.kind in (Kind.ACCOUNT, Kind.MONEY)
)
"""Every postSMS code the REST API answers provider_rejected for: the account or the money."""


@pytest.fixture
def first_down(two_gateways, settings):
    """The first gateway refuses connections; the second works."""
    first, second = two_gateways
    down = {**gateway_entry("first", first), "OPTIONS": {**gateway_entry("first", first)["OPTIONS"]}}
    down["OPTIONS"]["BASE_URL"] = CLOSED_PORT
    with override_settings(
        VOICEOTP={**settings.VOICEOTP, "GATEWAYS": [down, gateway_entry("second", second)]}
    ):
        yield first, second


def rows() -> list[tuple[str, str]]:
    return [(call.gateway, call.status) for call in VoiceCall.objects.order_by("created_at", "pk")]


def started(api: APIClient, **extra: Any) -> dict[str, Any]:
    answer = start(api, **extra)
    assert answer.status_code == 201, answer.json()
    body: dict[str, Any] = answer.json()
    return body


def test_a_healthy_first_gateway_places_every_call(api, two_gateways):
    first, second = two_gateways
    challenge = started(api)
    assert rows() == [("first", CallStatus.CALLING)]
    assert (first.count("postSMS"), second.count("postSMS")) == (1, 0)
    assert verify(api, challenge["id"], first.calls[-1].code).status_code == 200


def test_a_first_gateway_that_is_down_fails_over_and_the_second_s_code_verifies(api, first_down):
    _first, second = first_down
    challenge = started(api)
    assert rows() == [("first", CallStatus.REJECTED), ("second", CallStatus.CALLING)]
    first_row = VoiceCall.objects.get(gateway="first")
    assert first_row.request_id is None
    assert first_row.send_error  # why it never left, for the operator
    assert OtpChallenge.objects.get().status == ChallengeStatus.PENDING
    assert verify(api, challenge["id"], second.calls[-1].code).status_code == 200


@pytest.mark.parametrize("code", FAILS_OVER)
def test_a_refusal_for_the_account_or_the_money_fails_over(api, two_gateways, code):
    first, second = two_gateways
    first.set_fault("code", code=code)
    challenge = started(api)
    assert rows() == [("first", CallStatus.REJECTED), ("second", CallStatus.CALLING)]
    assert VoiceCall.objects.get(gateway="first").send_code == str(code)  # what the first one said, kept
    assert verify(api, challenge["id"], second.calls[-1].code).status_code == 200


def test_a_first_gateway_out_of_money_is_skipped_at_once_until_its_pause_ends(api, two_gateways):
    first, second = two_gateways
    first.set_balance(0)  # the simulator answers 14
    started(api)
    assert VoiceCall.objects.get(gateway="first").send_code == "14"
    assert health.health_of("first").state == "paused"
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        started(api, phone="0361234568")
    assert (first.count("postSMS"), second.count("postSMS")) == (1, 2)  # not asked again while paused


@pytest.mark.parametrize(
    ("fault", "options", "call_status"),
    [
        ("hang", {}, CallStatus.UNKNOWN),  # a timeout after sending
        ("http500", {}, CallStatus.UNKNOWN),
        ("garbage", {}, CallStatus.UNKNOWN),
        ("body", {"status": 502, "body": "<html>502 Bad Gateway</html>"}, CallStatus.UNKNOWN),
        ("body", {"status": 504, "body": "<html>504 Gateway Time-out</html>"}, CallStatus.UNKNOWN),
        ("code", {"code": -5}, CallStatus.UNKNOWN),
        ("code", {"code": -6}, CallStatus.UNKNOWN),
    ],
    ids=["timeout-after-sending", "http-500", "unreadable", "proxy-502", "proxy-504", "-5", "-6"],
)
def test_what_may_have_placed_the_call_never_fails_over(api, two_gateways, fault, options, call_status):
    first, second = two_gateways
    first.set_fault(fault, **options)
    answer = start(api)
    assert (answer.status_code, answer.json()["code"]) == (503, "provider_unavailable")
    assert rows() == [("first", call_status)]
    assert second.count("postSMS") == 0
    assert OtpChallenge.objects.get().status == ChallengeStatus.FAILED


def test_a_27_may_still_ring_and_never_fails_over(api, two_gateways):
    first, second = two_gateways
    first.set_fault("code", code=27)
    started(api)
    assert rows() == [("first", CallStatus.UNKNOWN)]
    assert second.count("postSMS") == 0
    assert OtpChallenge.objects.get().status == ChallengeStatus.PENDING


@pytest.mark.parametrize(
    ("code", "refusal"),
    [
        (6, "rate_limited"),
        (7, "recipient_refused"),
        (-4, "invalid_phone"),
        (10, "invalid_phone"),
        (31, "invalid_phone"),
    ],
)
def test_a_refusal_of_the_number_or_the_content_never_fails_over(api, two_gateways, code, refusal):
    first, second = two_gateways
    first.set_fault("code", code=code)
    assert start(api).json()["code"] == refusal
    assert second.count("postSMS") == 0
    assert {gateway for gateway, _status in rows()} == {"first"}


def test_when_every_gateway_refuses_the_person_hears_the_last_and_keeps_no_cooldown(api, two_gateways):
    first, second = two_gateways
    first.set_balance(0)
    second.set_fault("code", code=-1)
    answer = start(api)
    assert (answer.status_code, answer.json()["code"]) == (502, "provider_rejected")
    assert rows() == [("first", CallStatus.REJECTED), ("second", CallStatus.REJECTED)]
    assert OtpChallenge.objects.get().status == ChallengeStatus.FAILED
    assert store.charged_calls(timezone.now()).count() == 0
    second.clear_faults()
    first.set_balance(1_000_000)
    health.worked("first")
    assert start(api).status_code == 201  # nothing was placed: no cooldown was kept


def test_a_call_is_asked_about_at_the_gateway_that_placed_it(api, first_down, settings):
    first, second = first_down
    challenge = started(api)
    call = VoiceCall.objects.get(gateway="second")
    second.set_outcome(call.request_id, "answered")
    refresh_call(call)
    call.refresh_from_db()
    assert call.status == CallStatus.ANSWERED
    assert (first.count("checkVoice"), second.count("checkVoice")) == (0, 1)
    assert verify(api, challenge["id"], second.calls[-1].code).status_code == 200


def test_a_call_of_a_gateway_the_site_no_longer_has_is_not_asked_anywhere(api, two_gateways, settings):
    first, second = two_gateways
    started(api)
    call = VoiceCall.objects.get()
    only_second = {**settings.VOICEOTP, "GATEWAYS": [gateway_entry("second", second)]}
    with override_settings(VOICEOTP=only_second), pytest.raises(GatewayUnavailable):
        refresh_call(call)
    assert (first.count("checkVoice"), second.count("checkVoice")) == (0, 0)


def test_a_slow_refusal_leaves_the_next_gateway_only_the_rest_of_the_deadline(api, two_gateways, monkeypatch):
    """The chain has the configured timeouts together (3 s here): what the first one took is what
    the second one no longer has."""
    first, _second = two_gateways
    first.set_fault("code", code=14)
    given: list[float] = []
    real_within = OnSmsGateway.within

    def within(self, seconds):
        given.append(seconds)
        return real_within(self, seconds)

    monkeypatch.setattr(OnSmsGateway, "within", within)
    readings = iter([100.0, 100.0, 100.0])  # the deadline, then the first gateway's turn; then 2.5 s on
    monkeypatch.setattr(calls, "time", SimpleNamespace(monotonic=lambda: next(readings, 102.5)))
    started(api)
    assert given[0] == pytest.approx(3.0)
    assert given[1] == pytest.approx(0.5)


def test_within_cuts_a_gateway_s_timeouts_to_what_is_left():
    gateway = OnSmsGateway(
        options={"BASE_URL": CLOSED_PORT, "USERNAME": "u", "PASSWORD": "p", "KEY": "k"}, timeout=(1.0, 2.0)
    )
    assert sum(gateway.within(10).timeout) == pytest.approx(3.0)
    assert sum(gateway.within(0.5).timeout) <= 0.5 + 1e-9


def test_the_spend_cap_counts_the_calls_of_every_gateway(api, first_down):
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0, DAILY_CALL_LIMIT=2):
        started(api, phone="0361234561")
        started(api, phone="0361234562")
        refused = start(api, phone="0361234563")
    assert refused.status_code == 429
    assert [status for gateway, status in rows() if gateway == "second"] == [CallStatus.CALLING] * 2


def test_a_spend_cap_spent_meanwhile_by_other_requests_stops_the_failover(api, two_gateways, monkeypatch):
    """The first call row was counted when it was written; if other requests spent the cap while the
    first gateway refused, the next gateway is not asked, and the person hears the cap."""
    first, second = two_gateways
    first.set_balance(0)
    tell = calls._tell_health

    def and_meanwhile(gateway, outcome):
        tell(gateway, outcome)
        other = OtpChallenge.objects.get()
        VoiceCall.objects.create(
            challenge=other, phone=other.phone, gateway="first", status=CallStatus.CALLING
        )

    monkeypatch.setattr(calls, "_tell_health", and_meanwhile)
    with voiceotp(DAILY_CALL_LIMIT=1):
        answer = start(api)
    assert (answer.status_code, answer.json()["code"]) == (429, "rate_limited")
    assert second.count("postSMS") == 0
    challenge = OtpChallenge.objects.get()
    assert challenge.status == ChallengeStatus.FAILED
    assert "daily call limit" in challenge.failure
    assert rows() == [("first", CallStatus.REJECTED), ("first", CallStatus.CALLING)]
