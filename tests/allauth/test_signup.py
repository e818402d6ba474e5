"""Sign-up by phone through allauth's own views: the number is proved by the code a call read out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_voiceotp.contrib.allauth.models import AccountPhone
from django_voiceotp.models import ChallengeStatus, OtpChallenge
from tests.helpers import voiceotp, wrong

from .flows import (
    E164,
    LOGIN,
    OTHER,
    PHONE,
    SIGNUP,
    VERIFY_PHONE,
    allauth_code,
    change_to,
    error_codes,
    field_errors,
    messages_of,
    resend,
    sign_up,
    signed_in_user,
    type_code,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_the_code_the_call_read_out_verifies_the_number_and_signs_in(client, voiceotp_gateway):
    answer = sign_up(client, PHONE)
    assert answer.status_code == 302
    assert answer["Location"] == VERIFY_PHONE
    [call] = voiceotp_gateway.calls
    assert call.phone == E164
    user = User.objects.get()
    assert AccountPhone.objects.get(user=user).phone == E164
    assert not AccountPhone.objects.get(user=user).verified
    assert messages_of(client.get(VERIFY_PHONE)) == [
        "We are calling 090****456. Answer and type the code you hear."
    ]

    answer = type_code(client, call.code)
    assert answer.status_code == 302
    assert signed_in_user(client) == f"signed in: {user.pk}"
    assert AccountPhone.objects.get(user=user).verified
    challenge = OtpChallenge.objects.get()
    assert (challenge.status, challenge.purpose) == (ChallengeStatus.VERIFIED, "allauth.verify_phone")


def test_allauth_s_own_code_is_never_sent_nor_accepted(client, voiceotp_gateway):
    sign_up(client)
    theirs = allauth_code(client)
    assert theirs not in {code for _phone, code in voiceotp_gateway_attempts()}
    answer = type_code(client, theirs)
    assert answer.status_code == 200
    assert error_codes(answer, "code") == ["invalid_code"]
    assert signed_in_user(client) == "anonymous"
    assert not AccountPhone.objects.get().verified


def voiceotp_gateway_attempts():
    from django_voiceotp.gateways import locmem

    return locmem.attempts()


@pytest.mark.parametrize("typed", ["0905 123 456", "0905-123-456", "+84 905 123 456", "84905123456"])
def test_a_number_in_any_form_people_type_is_kept_in_e164(client, voiceotp_gateway, typed):
    assert sign_up(client, typed).status_code == 302
    assert AccountPhone.objects.get().phone == E164
    assert voiceotp_gateway.calls_to(E164)


def test_a_number_no_one_can_call_is_a_form_error(client, voiceotp_gateway):
    answer = sign_up(client, "1900 1234")
    assert answer.status_code == 200
    assert error_codes(answer, "phone") == ["invalid_phone"]
    assert not User.objects.exists()
    assert voiceotp_gateway.calls == []


@pytest.mark.parametrize(
    ("kind", "code", "text"),
    [
        (
            "recipient_refused",
            "recipient_refused",
            "This number does not accept such calls. Enter another number.",
        ),
        (
            "bad_number",
            "invalid_phone",
            "This is not a phone number we can call. Check the number and enter it again.",
        ),
        ("money", "provider_rejected", "The call service refused the call. Try again later."),
    ],
)
def test_a_refused_number_is_a_form_error_and_no_user_is_made(client, voiceotp_gateway, kind, code, text):
    voiceotp_gateway.refuse(PHONE, kind)
    answer = sign_up(client)
    assert answer.status_code == 200
    assert field_errors(answer, "phone") == [text]
    assert error_codes(answer, "phone") == [code]
    assert not User.objects.exists()
    assert not AccountPhone.objects.exists()
    assert "account_login" not in client.session


@pytest.mark.parametrize("how", ["unavailable", "timeout", "garbage"])
def test_an_unreachable_gateway_is_a_form_error_and_nothing_is_half_made(client, voiceotp_gateway, how):
    voiceotp_gateway.fail(PHONE, how)
    answer = sign_up(client)
    assert answer.status_code == 200
    assert field_errors(answer, "phone") == ["The call service is not answering. Try again in a moment."]
    assert not User.objects.exists()
    assert "account_login" not in client.session
    # The same person tries again once the gateway is back, and signs up.
    voiceotp_gateway.answer(PHONE)
    with voiceotp(RESEND_COOLDOWN=0):
        assert sign_up(client).status_code == 302
    assert type_code(client, voiceotp_gateway.last_code(PHONE)).status_code == 302
    assert AccountPhone.objects.get().verified


def test_a_wrong_code_tells_the_attempts_left_and_max_attempts_lock_the_challenge(client, voiceotp_gateway):
    sign_up(client)
    code = voiceotp_gateway.last_code(PHONE)
    answer = type_code(client, wrong(code))
    assert answer.status_code == 200
    assert field_errors(answer, "code") == [
        "The code is not right. Check it and try again.",
        "4 attempts left.",
    ]
    assert error_codes(answer, "code") == ["invalid_code", "invalid_code"]
    for left in (3, 2, 1):
        assert (
            field_errors(type_code(client, wrong(code)), "code")[1]
            == f"{left} attempt{'s' if left > 1 else ''} left."
        )
    answer = type_code(client, wrong(code))  # the fifth: MAX_ATTEMPTS
    assert OtpChallenge.objects.get().status == ChallengeStatus.LOCKED
    assert answer.status_code == 302  # allauth ends its flow at the same count
    assert answer["Location"] == LOGIN
    # The right code is dead with the challenge.
    type_code(client, code)
    assert signed_in_user(client) == "anonymous"
    assert not AccountPhone.objects.get().verified


def test_allauth_s_resend_places_a_new_call_and_the_old_code_dies(client, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0):
        sign_up(client)
        first = voiceotp_gateway.last_code(PHONE)
        answer = resend(client)
        assert answer.status_code == 302
        assert answer["Location"] == VERIFY_PHONE
        assert len(voiceotp_gateway.calls_to(PHONE)) == 2
        second = voiceotp_gateway.last_code(PHONE)
        assert messages_of(client.get(VERIFY_PHONE))[-1].startswith("We are calling 090****456.")
        assert error_codes(type_code(client, first), "code") == ["invalid_code", "invalid_code"]
        assert type_code(client, second).status_code == 302
    challenge = OtpChallenge.objects.get()
    assert (challenge.sends, challenge.status) == (2, ChallengeStatus.VERIFIED)
    assert AccountPhone.objects.get().verified


def test_a_resend_within_the_cooldown_is_an_error_message_and_the_code_lives_on(client, voiceotp_gateway):
    sign_up(client)
    code = voiceotp_gateway.last_code(PHONE)
    client.get(VERIFY_PHONE)  # the "we are calling" message is read
    answer = resend(client)
    assert answer.status_code == 302
    [text] = messages_of(client.get(VERIFY_PHONE))
    assert text.startswith("A call to this number was placed moments ago: answer it, or ask again in ")
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    assert type_code(client, code).status_code == 302
    assert AccountPhone.objects.get().verified


def test_a_resend_the_gateway_refuses_is_an_error_message_not_a_500(client, voiceotp_gateway):
    with voiceotp(RESEND_COOLDOWN=0):
        sign_up(client)
        client.get(VERIFY_PHONE)
        voiceotp_gateway.fail(PHONE, "unavailable")
        answer = resend(client)
        assert answer.status_code == 302
        assert messages_of(client.get(VERIFY_PHONE)) == [
            "The call service is not answering. Try again in a moment."
        ]
        # The failed call's code is gone; allauth's resend asks for a new call, and it verifies.
        voiceotp_gateway.answer(PHONE)
        assert resend(client).status_code == 302
        assert type_code(client, voiceotp_gateway.last_code(PHONE)).status_code == 302
    assert AccountPhone.objects.get().verified


def test_a_number_an_account_holds_answers_as_a_new_one_does(client, voiceotp_gateway):
    holder = User.objects.create(username="holder")
    AccountPhone.objects.create(user=holder, phone=E164, verified=True)
    answer = sign_up(client)
    assert (answer.status_code, answer["Location"]) == (302, VERIFY_PHONE)
    assert User.objects.count() == 1  # no second account
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1  # called all the same
    assert messages_of(client.get(VERIFY_PHONE)) == [
        "We are calling 090****456. Answer and type the code you hear."
    ]
    # Only the holder of the number, who heard the code, learns that it has an account.
    answer = type_code(client, voiceotp_gateway.last_code(PHONE))
    assert field_errors(answer, "code") == ["A user is already registered with this phone number."]
    assert signed_in_user(client) == "anonymous"


def test_a_number_held_by_an_unverified_claim_can_still_be_signed_up_by_its_holder(client, voiceotp_gateway):
    squatter = User.objects.create(username="squatter")
    AccountPhone.objects.create(user=squatter, phone=E164, verified=False)
    sign_up(client)
    assert type_code(client, voiceotp_gateway.last_code(PHONE)).status_code == 302
    newcomer = AccountPhone.objects.get(verified=True).user
    assert newcomer != squatter
    assert signed_in_user(client) == f"signed in: {newcomer.pk}"


@pytest.fixture
def change_at_sign_up(settings):
    """allauth's change of number on the sign-up code page: only where enumeration is not prevented
    (the page would tell which numbers have an account: voiceotp_allauth.E005)."""
    settings.ACCOUNT_PREVENT_ENUMERATION = False
    settings.ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True


def test_changing_the_number_at_verification_calls_the_new_one_and_the_old_code_dies(
    client, voiceotp_gateway, change_at_sign_up
):
    sign_up(client)
    old_code = voiceotp_gateway.last_code(PHONE)
    answer = change_to(client, OTHER)
    assert (answer.status_code, answer["Location"]) == (302, VERIFY_PHONE)
    new_code = voiceotp_gateway.last_code(OTHER)
    assert error_codes(type_code(client, old_code), "code") == ["invalid_code", "invalid_code"]
    assert type_code(client, new_code).status_code == 302
    number = AccountPhone.objects.get()
    assert (number.phone, number.verified) == ("+84936123456", True)


def test_a_refused_new_number_at_verification_is_a_form_error(client, voiceotp_gateway, change_at_sign_up):
    sign_up(client)
    voiceotp_gateway.refuse(OTHER, "recipient_refused")
    answer = change_to(client, OTHER)
    assert answer.status_code == 200
    assert error_codes(answer, "phone") == ["recipient_refused"]
    assert AccountPhone.objects.get().phone == E164  # the number is not changed
    assert type_code(client, voiceotp_gateway.last_code(PHONE)).status_code == 302


def test_the_sign_up_page_renders(client):
    answer = client.get(SIGNUP)
    assert answer.status_code == 200
    assert 'type="tel"' in answer.content.decode()
