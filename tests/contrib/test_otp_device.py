"""The voice call device through django-otp's own API: challenges, tokens, match_token, verify_token,
login and its middleware, and the rules' refusals as django-otp expects them."""

from __future__ import annotations

from datetime import timedelta

import django_otp
import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone, translation
from django_otp.models import GenerateNotAllowed

from django_voiceotp import services
from django_voiceotp.contrib.otp.models import VoiceCallDevice
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

from ..helpers import NO_LIMITS, run_together, voiceotp, wrong
from .conftest import E164, PHONE

pytestmark = pytest.mark.django_db


def test_a_challenge_calls_the_number_and_its_code_verifies_once(user, device, voiceotp_gateway):
    assert device.generate_challenge() == "calling 036****567"
    code = voiceotp_gateway.last_code(PHONE)
    challenge = OtpChallenge.objects.get()
    assert (challenge.phone, challenge.purpose, challenge.user) == (
        E164,
        f"django_otp:{device.persistent_id}",
        user,
    )
    assert VoiceCall.objects.get().challenge == challenge

    assert django_otp.verify_token(user, device.persistent_id, code) == device
    assert django_otp.verify_token(user, device.persistent_id, code) is None  # single use
    fresh = VoiceCallDevice.objects.get(pk=device.pk)
    assert fresh.last_used_at is not None
    assert isinstance(fresh.refusal, type(None))
    assert OtpChallenge.objects.get().status == ChallengeStatus.VERIFIED


def test_the_device_keeps_no_code_and_no_throttle_of_its_own(device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    row = VoiceCallDevice.objects.filter(pk=device.pk).values().get()
    assert code not in {str(value) for value in row.values()}
    assert not any(name.startswith("throttling_") for name in row)


def test_wrong_codes_count_once_each_and_the_last_attempt_locks(user, device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    for left in (4, 3, 2, 1):
        assert device.verify_token(wrong(code)) is False
        assert isinstance(device.refusal, services.InvalidCode)
        assert device.refusal.extra["attempts_left"] == left
        assert device.verify_is_allowed() == (True, None)
    assert device.verify_token(wrong(code)) is False
    assert isinstance(device.refusal, services.Locked)
    assert OtpChallenge.objects.get().attempts == 5

    allowed, data = device.verify_is_allowed()
    assert allowed is False
    assert data == {"error_message": "Too many wrong codes. Ask for a new call."}
    assert django_otp.verify_token(user, device.persistent_id, code) is None  # the right code, too late
    assert OtpChallenge.objects.get().status == ChallengeStatus.LOCKED


def test_a_second_challenge_calls_again_and_the_first_code_dies(user, device, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0):
        device.generate_challenge()
        first = voiceotp_gateway.last_code(PHONE)
        assert device.generate_challenge() == "calling 036****567"
    second = voiceotp_gateway.last_code(PHONE)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 2
    assert first != second

    assert device.verify_token(first) is False  # checked against the latest call only: a wrong code
    assert isinstance(device.refusal, services.InvalidCode)
    assert django_otp.verify_token(user, device.persistent_id, second) == device
    assert [c.status for c in OtpChallenge.objects.order_by("created_at")] == [
        ChallengeStatus.CANCELED,
        ChallengeStatus.VERIFIED,
    ]


def test_within_the_cooldown_a_second_challenge_places_no_call_and_the_first_code_still_works(
    user, device, voiceotp_gateway
):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    allowed, data = device.generate_is_allowed()
    assert allowed is False
    assert data is not None
    assert data["reason"] is GenerateNotAllowed.COOLDOWN_DURATION_PENDING
    assert data["next_generation_at"] == OtpChallenge.objects.get().resend_available_at

    message = device.generate_challenge()
    assert message.startswith("no call was placed: Ask for another call in ")
    assert isinstance(device.refusal, services.RateLimited)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    assert django_otp.verify_token(user, device.persistent_id, code) == device


def test_the_cooldown_ends_when_the_call_can_be_resent(device, voiceotp_gateway):
    device.generate_challenge()
    OtpChallenge.objects.update(resend_available_at=timezone.now() - timedelta(seconds=1))
    assert device.generate_is_allowed() == (True, None)


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (
            lambda gateway: gateway.refuse(PHONE, "recipient_refused"),
            "This number does not accept such calls. Enter another number.",
        ),
        (
            lambda gateway: gateway.refuse(PHONE, "bad_number"),
            "This is not a phone number we can call. Check the number and enter it again.",
        ),
        (
            lambda gateway: gateway.fail(PHONE, "unavailable"),
            "The call service is not answering. Try again in a moment.",
        ),
        (
            lambda gateway: gateway.refuse(PHONE, "money"),
            "The call service refused the call. Try again later.",
        ),
    ],
    ids=["recipient-refused", "bad-number", "unreachable", "no-money"],
)
def test_a_refused_call_is_a_message_not_an_exception_and_its_code_is_refused(
    user, device, voiceotp_gateway, arrange, reason
):
    arrange(voiceotp_gateway)
    assert device.generate_challenge() == f"no call was placed: {reason}"
    assert isinstance(device.refusal, services.VoiceOtpError)
    assert voiceotp_gateway.calls == []
    challenge = OtpChallenge.objects.get()
    assert challenge.status == ChallengeStatus.FAILED
    assert VoiceCall.objects.get().status in (CallStatus.REJECTED, CallStatus.UNKNOWN)
    # The device points to the failed challenge: no code verifies, and it says why.
    assert device.verify_token("123456") is False
    assert isinstance(device.refusal, services.Expired)
    assert "No call could be placed" in str(device.refusal.detail)
    assert device.generate_is_allowed() == (True, None)  # nothing to wait for


def test_the_rules_limits_refuse_a_call_as_a_message(device, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "request_per_phone": "1/h"}):
        device.generate_challenge()
        assert device.generate_challenge().startswith("no call was placed: Too many requests. Try again in ")
    assert isinstance(device.refusal, services.RateLimited)
    assert len(voiceotp_gateway.calls) == 1


def test_a_code_that_is_not_digits_counts_no_attempt(device, voiceotp_gateway):
    device.generate_challenge()
    for token in ("", "abc", "\uff11\uff12\uff13\uff14\uff15\uff16", "1" * 11, None):
        assert device.verify_token(token) is False
        assert device.refusal is not None
        assert device.refusal.code == "invalid_request"
    assert OtpChallenge.objects.get().attempts == 0


def test_a_code_with_spaces_or_dashes_is_read_as_its_digits(user, device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    assert device.verify_token(f" {code[:3]}-{code[3:]} ") is True


def test_no_call_yet_verifies_nothing(device):
    assert device.verify_token("123456") is False
    assert isinstance(device.refusal, services.NotFound)
    assert device.verify_is_allowed() == (True, None)
    assert device.generate_is_allowed() == (True, None)


def test_match_token_finds_the_users_device_and_no_other_users(user, other_user, device, voiceotp_gateway):
    other = VoiceCallDevice.objects.create(user=other_user, name="default", number="+84361234568")
    device.generate_challenge()
    other.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    others_code = voiceotp_gateway.last_code("0361234568")

    assert django_otp.match_token(other_user, code) is None
    assert django_otp.verify_token(other_user, device.persistent_id, code) is None
    assert django_otp.match_token(user, others_code) is None
    assert django_otp.match_token(user, code) == device
    assert django_otp.match_token(other_user, others_code) == other


def test_a_code_read_out_for_another_purpose_never_verifies_for_the_device(user, device, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0):
        signup = services.start_verification(PHONE, purpose="signup", client_ip="203.0.113.7")
        signup_code = voiceotp_gateway.last_code(PHONE)
        device.generate_challenge()
    device_code = voiceotp_gateway.last_code(PHONE)
    assert signup_code != device_code  # a number is never sent a code it was sent lately
    assert device.verify_token(signup_code) is False
    with pytest.raises(services.InvalidCode):
        services.check_code(signup.pk, device_code, client_ip="203.0.113.7")
    assert device.verify_token(device_code) is True


def test_a_device_never_checks_a_challenge_that_is_not_its_own(user, device, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0):
        signup = services.start_verification(PHONE, purpose="signup", client_ip="203.0.113.7")
    code = voiceotp_gateway.last_code(PHONE)
    VoiceCallDevice.objects.filter(pk=device.pk).update(challenge=signup)  # a row tampered with
    device.refresh_from_db()
    assert device.verify_token(code) is False
    assert isinstance(device.refusal, services.NotFound)
    assert OtpChallenge.objects.get(pk=signup.pk).status == ChallengeStatus.PENDING


def test_a_challenge_for_a_number_since_changed_verifies_nothing(device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    VoiceCallDevice.objects.filter(pk=device.pk).update(number="+84361234568")
    device.refresh_from_db()
    assert device.verify_token(code) is False
    assert isinstance(device.refusal, services.NotFound)


def test_an_unsaved_device_is_saved_by_its_first_call(user, voiceotp_gateway):
    device = VoiceCallDevice(user=user, name="default", number=E164, confirmed=False)
    device.generate_challenge()
    assert device.pk is not None
    assert VoiceCallDevice.objects.get().challenge == OtpChallenge.objects.get()


def test_the_number_is_read_as_a_person_types_it(user):
    device = VoiceCallDevice(user=user, name="default", number="0905 123 456")
    device.full_clean()
    assert device.number == "+84905123456"
    device.number = "+1 202 555 0143"
    with pytest.raises(ValidationError, match="Numbers in this country cannot be called"):
        device.full_clean()


def test_a_request_given_to_the_device_counts_against_the_per_ip_limits(device, voiceotp_gateway, rf):
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    device.request = request
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "request_per_ip": "1/h"}):
        device.generate_challenge()
        assert device.generate_challenge().startswith("no call was placed: Too many requests. Try again in ")
    assert OtpChallenge.objects.get().client_ip == "203.0.113.9"


def test_verify_and_login_through_a_sites_view_make_the_session_verified(
    client, user, device, voiceotp_gateway
):
    client.force_login(user)
    assert client.get("/signed-in/").content == b"verified=False device="
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    assert client.post("/verify/", {"device": device.persistent_id, "token": wrong(code)}).status_code == 403
    assert client.post("/verify/", {"device": device.persistent_id, "token": code}).status_code == 200
    assert client.get("/signed-in/").content == f"verified=True device={device.persistent_id}".encode()


def test_an_unconfirmed_device_verifies_no_session(client, user, device, voiceotp_gateway):
    VoiceCallDevice.objects.filter(pk=device.pk).update(confirmed=False)
    client.force_login(user)
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    client.post("/verify/", {"device": device.persistent_id, "token": code})
    assert client.get("/signed-in/").content == b"verified=False device="
    assert django_otp.match_token(user, code) is None  # match_token tries confirmed devices only


def test_messages_are_vietnamese_for_a_vietnamese_reader(device, voiceotp_gateway):
    with translation.override("vi"):
        assert device.generate_challenge() == "đang gọi 036****567"
        code = voiceotp_gateway.last_code(PHONE)
        assert device.verify_token(wrong(code)) is False
        assert str(device.refusal.detail) == "Mã xác minh không đúng. Hãy kiểm tra và thử lại."
        assert device.generate_challenge().startswith("chưa thực hiện được cuộc gọi: ")


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL (VOICEOTP_TEST_POSTGRES=1)"
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_right_codes_through_django_otp_verify_once(user, device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    results = run_together(
        10, lambda i: django_otp.verify_token(user, device.persistent_id, code), after=connections.close_all
    )
    assert sum(result is not None for result in results) == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_through_match_token_spend_exactly_the_attempts(user, device, voiceotp_gateway):
    device.generate_challenge()
    code = voiceotp_gateway.last_code(PHONE)
    with voiceotp(RATE_LIMITS=NO_LIMITS):
        results = run_together(
            12, lambda i: django_otp.match_token(user, wrong(code)), after=connections.close_all
        )
    assert results == [None] * 12
    challenge = OtpChallenge.objects.get()
    assert (challenge.attempts, challenge.status) == (5, ChallengeStatus.LOCKED)
