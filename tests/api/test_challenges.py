"""Contract section 3: the REST API, end to end over loopback HTTP to the simulator."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.signals import phone_verified
from django_voiceotp.tokens import InvalidToken, read_token

from ..helpers import NO_LIMITS, PHONE, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db

CHALLENGE_FIELDS = {
    "id",
    "phone",
    "purpose",
    "status",
    "call_status",
    "created_at",
    "expires_at",
    "resend_available_at",
    "attempts_left",
    "sends_left",
}


def test_a_challenge_calls_the_number_with_a_fresh_code(simulator, api):
    response = start(api)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == CHALLENGE_FIELDS
    assert body["phone"] == "036****567"
    assert body["purpose"] == "login"
    assert body["status"] == "pending"
    assert body["call_status"] == "calling"
    assert body["attempts_left"] == 5
    assert body["sends_left"] == 2
    [call] = simulator.calls
    assert call.phone == PHONE
    assert len(call.code) == 6
    assert call.code.isdigit()
    row = VoiceCall.objects.get()
    assert row.request_id == call.request_id
    assert row.send_code == "1"
    assert row.status == CallStatus.CALLING


def test_the_code_is_never_in_the_answer_or_the_database(simulator, api):
    response = start(api)
    code = simulator.calls[0].code
    assert code not in response.content.decode()
    challenge = OtpChallenge.objects.get()
    stored = " ".join(str(v) for v in challenge.__dict__.values())
    stored += " ".join(str(v) for v in VoiceCall.objects.get().__dict__.values())
    assert code not in stored.replace(simulator.calls[0].request_id, "")


def test_purpose_defaults_to_default(simulator, api):
    response = start(api, purpose=None)
    assert response.json()["purpose"] == "default"


@pytest.mark.parametrize("length", [4, 5, 6])
def test_code_length(simulator, api, length):
    with voiceotp(CODE_LENGTH=length):
        start(api)
    assert len(simulator.calls[0].code) == length


def test_the_right_code_verifies_once_and_yields_a_token(simulator, api):
    challenge_id = start(api).json()["id"]
    received = []
    phone_verified.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t")
    try:
        response = verify(api, challenge_id, simulator.calls[0].code)
    finally:
        phone_verified.disconnect(dispatch_uid="t")
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True
    assert body["challenge"]["status"] == "verified"
    assert read_token(body["token"], purpose="login") == "+84361234567"
    assert received[0]["phone"] == "+84361234567"
    assert received[0]["purpose"] == "login"
    assert received[0]["challenge"].pk.hex == challenge_id.replace("-", "")
    again = verify(api, challenge_id, simulator.calls[0].code)
    assert again.status_code == 409
    assert again.json()["code"] == "already_verified"


def test_the_token_is_bound_to_its_purpose_and_its_age(simulator, api):
    challenge_id = start(api).json()["id"]
    token = verify(api, challenge_id, simulator.calls[0].code).json()["token"]
    with pytest.raises(InvalidToken):
        read_token(token, purpose="signup")
    with pytest.raises(InvalidToken):
        read_token(token[:-2] + "xx", purpose="login")
    with pytest.raises(signing.SignatureExpired):
        read_token(token, purpose="login", max_age=-1)


def test_a_code_verifies_only_its_own_purpose(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        login = start(api, purpose="login").json()["id"]
        signup = start(api, purpose="signup").json()["id"]
    login_code, signup_code = simulator.calls[0].code, simulator.calls[1].code
    if login_code != signup_code:
        assert verify(api, signup, login_code).json()["code"] == "invalid_code"
    assert verify(api, login, login_code).status_code == 200
    assert verify(api, signup, signup_code).status_code == 200


def test_a_wrong_code_says_how_many_attempts_are_left_then_locks(simulator, api):
    challenge_id = start(api).json()["id"]
    bad = wrong(simulator.calls[0].code)
    for left in (4, 3, 2, 1):
        response = verify(api, challenge_id, bad)
        assert response.status_code == 400
        assert response.json() == {
            "code": "invalid_code",
            "detail": "The code is not right. Check it and try again.",
            "attempts_left": left,
        }
    response = verify(api, challenge_id, bad)
    assert response.status_code == 403
    assert response.json()["code"] == "locked"
    # Locked means locked: even the right code no longer works.
    response = verify(api, challenge_id, simulator.calls[0].code)
    assert response.status_code == 403
    assert OtpChallenge.objects.get().status == ChallengeStatus.LOCKED


def test_max_attempts_setting(simulator, api):
    with voiceotp(MAX_ATTEMPTS=2):
        challenge_id = start(api).json()["id"]
        bad = wrong(simulator.calls[0].code)
        assert verify(api, challenge_id, bad).json()["attempts_left"] == 1
        assert verify(api, challenge_id, bad).status_code == 403


def test_an_expired_code_is_410_and_can_be_resent(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        challenge_id = start(api).json()["id"]
        OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        assert api.get(f"/api/otp/challenges/{challenge_id}/").json()["status"] == "expired"
        response = verify(api, challenge_id, simulator.calls[0].code)
        assert response.status_code == 410
        assert response.json()["code"] == "expired"
        response = resend(api, challenge_id)
        assert response.status_code == 200
        assert response.json()["status"] == "pending"
        assert verify(api, challenge_id, simulator.calls[-1].code).status_code == 200


def test_code_ttl_sets_the_expiry(simulator, api):
    with voiceotp(CODE_TTL=120):
        before = timezone.now()
        start(api)
    challenge = OtpChallenge.objects.get()
    assert before + timedelta(seconds=119) < challenge.expires_at <= timezone.now() + timedelta(seconds=120)


def test_resend_calls_again_with_a_new_code_and_kills_the_old_one(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        challenge_id = start(api).json()["id"]
        response = resend(api, challenge_id)
    assert response.status_code == 200
    assert response.json()["sends_left"] == 1
    old, new = simulator.calls[0].code, simulator.calls[1].code
    assert old != new
    assert verify(api, challenge_id, old).json()["code"] == "invalid_code"
    assert verify(api, challenge_id, new).status_code == 200


def test_max_sends_counts_the_first_call_and_the_resends(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, MAX_SENDS=3):
        challenge_id = start(api).json()["id"]
        assert resend(api, challenge_id).status_code == 200
        assert resend(api, challenge_id).json()["sends_left"] == 0
        response = resend(api, challenge_id)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert response.json()["retry_after"] == int(response["Retry-After"])
    assert simulator.count("postSMS") == 3


def test_resend_cooldown_per_number_across_challenges(simulator, api):
    assert start(api, purpose="login").status_code == 201
    response = start(api, purpose="signup")
    assert response.status_code == 429
    assert 55 <= int(response["Retry-After"]) <= 60
    assert response.json()["retry_after"] == int(response["Retry-After"])
    challenge_id = str(OtpChallenge.objects.get().pk)
    assert resend(api, challenge_id).status_code == 429
    assert simulator.count("postSMS") == 1
    # Another number is not held back.
    assert start(api, phone="0361234568").status_code == 201


def test_resend_available_at_tells_the_front_end_when(simulator, api):
    body = start(api).json()
    available = datetime.fromisoformat(body["resend_available_at"])
    assert timedelta(seconds=59) < available - timezone.now() <= timedelta(seconds=60)


def test_a_new_challenge_cancels_the_older_one_for_the_same_number_and_purpose(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        first = start(api).json()["id"]
        second = start(api).json()["id"]
    response = verify(api, first, simulator.calls[0].code)
    assert response.status_code == 410
    assert OtpChallenge.objects.get(pk=first).status == ChallengeStatus.CANCELED
    assert verify(api, second, simulator.calls[1].code).status_code == 200
    assert OtpChallenge.objects.filter(status=ChallengeStatus.PENDING).count() == 0


def test_reading_a_challenge(simulator, api):
    challenge_id = start(api).json()["id"]
    response = api.get(f"/api/otp/challenges/{challenge_id}/")
    assert response.status_code == 200
    assert response.json()["id"] == challenge_id
    assert response.json()["phone"] == "036****567"


@pytest.mark.parametrize("bad_id", ["nope", "00000000-0000-0000-0000-000000000000", "1" * 200])
def test_an_unknown_challenge_is_404_for_every_call(simulator, api, bad_id):
    for response in (
        api.get(f"/api/otp/challenges/{bad_id}/"),
        verify(api, bad_id, "123456"),
        resend(api, bad_id),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No such verification. Start a new one."}


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("0361234567", "0361234567"),
        ("+84 36 123 4567", "0361234567"),
        ("84361234567", "0361234567"),
        ("036-123-4567", "0361234567"),
        ("01681234567", "0381234567"),  # retired 11-digit Viettel number, renumbered in 2018
        ("02438123456", "02438123456"),  # a Hanoi landline
    ],
)
def test_numbers_reach_the_gateway_in_its_local_form(simulator, api, typed, sent):
    assert start(api, phone=typed).status_code == 201
    assert simulator.calls[0].phone == sent


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "0123", "+14155552671", "1900123456", "01991234", "0361234567" * 4, "+84 10 234 5678"],
)
def test_numbers_the_gateway_cannot_call_are_refused_before_any_call(simulator, api, typed):
    response = start(api, phone=typed)
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_phone", "invalid_request"}
    assert simulator.count("postSMS") == 0


def test_allowed_regions(simulator, api):
    response = start(api, phone="+14155552671")
    assert response.json()["code"] == "invalid_phone"
    with voiceotp(ALLOWED_REGIONS=["VN", "US"]):
        # Allowed by the site's rule; the gateway itself then refuses the format (10).
        response = start(api, phone="+14155552671")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"
    assert simulator.count("postSMS") == 1


def test_default_region(simulator, api):
    with voiceotp(DEFAULT_REGION="US", ALLOWED_REGIONS=["VN"]):
        response = start(api, phone="0361234567")
    assert response.json()["code"] == "invalid_phone"


# --- the gateway's answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "machine_code"),
    [
        (7, 400, "recipient_refused"),
        (-4, 400, "invalid_phone"),
        (10, 400, "invalid_phone"),
        (31, 400, "invalid_phone"),
        (-1, 502, "provider_rejected"),
        (-2, 502, "provider_rejected"),
        (-8, 502, "provider_rejected"),
        (5, 502, "provider_rejected"),
        (9, 502, "provider_rejected"),
        (11, 502, "provider_rejected"),
        (14, 502, "provider_rejected"),
        (15, 502, "provider_rejected"),
        (16, 502, "provider_rejected"),
        (20, 502, "provider_rejected"),
        (22, 502, "provider_rejected"),
        (23, 502, "provider_rejected"),
    ],
)
def test_gateway_refusals_map_to_the_contracts_codes_and_are_kept(simulator, api, code, status, machine_code):
    simulator.set_fault("code", code=code)
    response = start(api)
    assert response.status_code == status
    assert response.json()["code"] == machine_code
    challenge = OtpChallenge.objects.get()
    assert challenge.status == ChallengeStatus.FAILED
    assert challenge.call_status == CallStatus.REJECTED
    assert str(code) in challenge.failure
    call = VoiceCall.objects.get()
    assert call.send_code == str(code)
    assert call.status == CallStatus.REJECTED
    assert call.send_raw.strip() == str(code)
    assert simulator.count("postSMS") == 1
    # A refusal costs nothing: the number may be called again at once.
    assert start(api).status_code == status


@pytest.mark.parametrize("code", [-5, -6, 99, 2, -3])
def test_answers_that_cannot_say_whether_the_call_was_placed_count_as_maybe_placed(simulator, api, code):
    """-5, -6 and undocumented codes: the gateway may have placed the call (and charged it)."""
    simulator.set_fault("code", code=code)
    response = start(api)
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"
    challenge = OtpChallenge.objects.get()
    assert challenge.status == ChallengeStatus.FAILED
    assert challenge.call_status == CallStatus.UNKNOWN
    call = VoiceCall.objects.get()
    assert (call.send_code, call.status) == (str(code), CallStatus.UNKNOWN)
    assert call.send_raw.strip() == str(code)
    # The cooldown is kept, as after a placed call: no second call to the number at once.
    again = start(api)
    assert again.status_code == 429
    assert simulator.count("postSMS") == 1


def test_27_at_send_keeps_the_challenge_pending_with_an_unknown_call(simulator, api):
    simulator.set_fault("code", code=27)
    response = start(api)
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["call_status"] == "unknown"
    assert VoiceCall.objects.get().status == CallStatus.UNKNOWN
    assert simulator.count("postSMS") == 1  # never re-sent by itself


def test_repeat_content_is_retried_once_with_a_fresh_code(simulator, api):
    simulator.set_fault("code", code=6, times=1)
    response = start(api)
    assert response.status_code == 201
    assert simulator.count("postSMS") == 2
    calls = list(VoiceCall.objects.order_by("created_at", "pk"))
    assert [c.send_code for c in calls] == ["6", "1"]
    # The code that verifies is the one of the call that was taken.
    assert verify(api, response.json()["id"], simulator.calls[0].code).status_code == 200


def test_repeat_content_twice_is_429(simulator, api):
    simulator.set_fault("code", code=6, times=2)
    response = start(api)
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert simulator.count("postSMS") == 2
    assert OtpChallenge.objects.get().status == ChallengeStatus.FAILED
    assert VoiceCall.objects.count() == 2


def test_250_codes_to_one_number_never_repeat_at_the_gateway(simulator):
    from django_voiceotp import services
    from django_voiceotp.exceptions import VoiceOtpError

    limits = {**NO_LIMITS, "verify_failures_per_phone": "20/d"}
    with voiceotp(CODE_LENGTH=4, RESEND_COOLDOWN=0, RATE_LIMITS=limits):
        refused = []
        for _ in range(250):
            try:
                services.start_verification(PHONE, client_ip=None)
            except VoiceOtpError as exc:
                refused.append(exc.code)
    sent = [r.message for r in simulator.received if r.endpoint == "postSMS"]
    assert refused == []
    assert len(sent) == 250
    assert len(set(sent)) == 250
    assert VoiceCall.objects.filter(send_code="6").count() == 0


@pytest.mark.parametrize("fault", ["hang", "drop", "http500", "garbage"])
def test_no_answer_from_the_gateway_is_503_and_the_challenge_is_kept(simulator, api, fault):
    simulator.set_fault(fault)
    with voiceotp(TIMEOUT=[1, 0.3]):
        response = start(api)
    assert response.status_code == 503
    assert response.json()["code"] == "provider_unavailable"
    challenge = OtpChallenge.objects.get()
    assert challenge.status == ChallengeStatus.FAILED
    assert challenge.failure
    call = VoiceCall.objects.get()
    assert call.send_error
    assert call.request_id is None
    assert call.status == CallStatus.UNKNOWN  # the call may still come
    assert simulator.count("postSMS") == 1


def test_a_refused_connection_is_503_and_no_call_can_come(simulator, api):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with voiceotp(BASE_URL=f"http://127.0.0.1:{port}/onsmsapivoice"):
        response = start(api)
    assert response.status_code == 503
    call = VoiceCall.objects.get()
    assert call.status == CallStatus.REJECTED
    assert "connect" in call.send_error
    # No call was placed, so the cooldown is given back.
    assert start(api).status_code == 201
