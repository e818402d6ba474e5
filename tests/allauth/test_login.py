"""Login by phone through allauth's own views: a call reads out the code, the code signs in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_voiceotp.contrib.allauth.models import AccountPhone
from django_voiceotp.models import ChallengeStatus, OtpChallenge
from tests.helpers import voiceotp, wrong

from .flows import (
    CONFIRM_LOGIN_CODE,
    E164,
    PHONE,
    cancel,
    error_codes,
    field_errors,
    log_in,
    messages_of,
    signed_in_user,
    type_code,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def member(db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    return user


def test_the_code_the_call_read_out_signs_in(client, voiceotp_gateway, member):
    answer = log_in(client, "0905.123.456")
    assert (answer.status_code, answer["Location"]) == (302, CONFIRM_LOGIN_CODE)
    assert messages_of(client.get(CONFIRM_LOGIN_CODE)) == [
        "We are calling 090****456. Answer and type the code you hear."
    ]
    answer = type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE)
    assert answer.status_code == 302
    assert signed_in_user(client) == f"signed in: {member.pk}"
    challenge = OtpChallenge.objects.get()
    assert (challenge.purpose, challenge.status, challenge.user) == ("allauth.login", "verified", member)


def test_a_wrong_code_tells_the_attempts_left(client, voiceotp_gateway, member):
    log_in(client)
    answer = type_code(client, wrong(voiceotp_gateway.last_code(PHONE)), CONFIRM_LOGIN_CODE)
    assert field_errors(answer, "code") == [
        "The code is not right. Check it and try again.",
        "4 attempts left.",
    ]
    assert signed_in_user(client) == "anonymous"


def test_max_attempts_lock_the_code_and_end_the_login(client, voiceotp_gateway, member):
    log_in(client)
    code = voiceotp_gateway.last_code(PHONE)
    for _ in range(5):
        answer = type_code(client, wrong(code), CONFIRM_LOGIN_CODE)
    assert OtpChallenge.objects.get().status == ChallengeStatus.LOCKED
    assert answer.status_code == 302
    type_code(client, code, CONFIRM_LOGIN_CODE)
    assert signed_in_user(client) == "anonymous"


def test_logging_in_again_places_a_new_call_and_the_old_code_dies(client, voiceotp_gateway, member):
    """allauth's resend of a login code stays off (see the checks): a person who missed the call
    logs in again."""
    log_in(client)
    first = voiceotp_gateway.last_code(PHONE)
    cancel(client)
    answer = log_in(client)  # within the cooldown: a form error, and the first code lives on
    assert answer.status_code == 200
    assert field_errors(answer, "login")[0].startswith("A call to this number was placed moments ago")
    with voiceotp(RESEND_COOLDOWN=0):
        assert log_in(client).status_code == 302
    second = voiceotp_gateway.last_code(PHONE)
    assert error_codes(type_code(client, first, CONFIRM_LOGIN_CODE), "code")[0] == "invalid_code"
    assert type_code(client, second, CONFIRM_LOGIN_CODE).status_code == 302
    assert signed_in_user(client) == f"signed in: {member.pk}"


def test_a_refused_number_is_a_form_error(client, voiceotp_gateway, member):
    voiceotp_gateway.refuse(PHONE, "recipient_refused")
    answer = log_in(client)
    assert answer.status_code == 200
    assert error_codes(answer, "login") == ["recipient_refused"]
    assert "account_login" not in client.session


def test_an_unreachable_gateway_is_a_form_error(client, voiceotp_gateway, member):
    voiceotp_gateway.fail(PHONE, "unavailable")
    answer = log_in(client)
    assert answer.status_code == 200
    assert error_codes(answer, "login") == ["provider_unavailable"]


def test_a_number_no_account_holds_answers_as_a_known_one_does(client, voiceotp_gateway):
    answer = log_in(client)
    assert (answer.status_code, answer["Location"]) == (302, CONFIRM_LOGIN_CODE)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    assert messages_of(client.get(CONFIRM_LOGIN_CODE)) == [
        "We are calling 090****456. Answer and type the code you hear."
    ]
    wrong_answer = type_code(client, wrong(voiceotp_gateway.last_code(PHONE)), CONFIRM_LOGIN_CODE)
    assert field_errors(wrong_answer, "code") == [
        "The code is not right. Check it and try again.",
        "4 attempts left.",
    ]
    # Only the holder of the number, who heard the code, learns that no account has it.
    answer = type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE)
    assert field_errors(answer, "code") == ["No account uses this number."]
    assert signed_in_user(client) == "anonymous"
    assert not User.objects.exists()


def test_logging_in_again_with_an_unknown_number_answers_as_a_known_one_does(client, voiceotp_gateway):
    log_in(client)
    cancel(client)
    answer = log_in(client)
    assert field_errors(answer, "login")[0].startswith("A call to this number was placed moments ago")
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1


def test_an_unverified_number_signs_no_one_in(client, voiceotp_gateway):
    user = User.objects.create(username="unverified")
    AccountPhone.objects.create(user=user, phone=E164, verified=False)
    log_in(client)
    answer = type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE)
    assert field_errors(answer, "code") == ["No account uses this number."]
    assert signed_in_user(client) == "anonymous"


def test_a_stranger_starting_a_login_for_the_number_leaves_the_holders_code_alive(
    client, voiceotp_gateway, member
):
    """Through allauth's own page, from another browser: one live code per number, purpose and
    caller, so the holder's code still signs in."""
    from django.test import Client

    assert log_in(client, REMOTE_ADDR="203.0.113.10").status_code == 302
    holders_code = voiceotp_gateway.calls_to(PHONE)[0].code
    voiceotp_gateway.skip_cooldown(PHONE)
    stranger = Client()
    assert log_in(stranger, REMOTE_ADDR="198.51.100.20").status_code == 302
    assert len(voiceotp_gateway.calls_to(PHONE)) == 2
    assert type_code(client, holders_code, CONFIRM_LOGIN_CODE).status_code == 302
    assert signed_in_user(client) == f"signed in: {member.pk}"
