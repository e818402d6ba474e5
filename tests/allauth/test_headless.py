"""allauth's headless API (single-page and mobile apps) with phone verification by voice call:
sign-up, login by code, a resend and a change of number through its real endpoints, both clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.test import override_settings

from django_voiceotp.contrib.allauth.models import AccountPhone
from django_voiceotp.models import OtpChallenge
from tests.helpers import wrong

from .flows import E164, OTHER, PHONE
from .headless_flows import HeadlessClient, error, is_authenticated, pending_flow

pytestmark = pytest.mark.django_db
User = get_user_model()
OTHER_E164 = "+84936123456"


@pytest.fixture(params=["browser", "app"])
def api(request):
    return HeadlessClient(request.param)


@pytest.fixture
def member(db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    return user


def test_sign_up_by_a_call_and_its_code(api, voiceotp_gateway):
    answer = api.post_json("auth/signup", {"phone": PHONE})
    assert (answer.status_code, pending_flow(answer)) == (401, "verify_phone")
    [call] = voiceotp_gateway.calls
    assert call.phone == E164
    refused = api.post_json("auth/phone/verify", {"code": wrong(call.code)})
    assert refused.status_code == 400
    assert error(refused) == {
        "code": "invalid_code",
        "message": "The code is not right. Check it and try again.",
        "param": "code",
        "attempts_left": 4,
    }
    answer = api.post_json("auth/phone/verify", {"code": call.code})
    assert answer.status_code == 200
    assert is_authenticated(answer)
    assert AccountPhone.objects.get().verified
    assert OtpChallenge.objects.get().purpose == "allauth.verify_phone"


def test_a_refused_number_at_sign_up_is_an_error_on_the_number_and_nothing_is_made(api, voiceotp_gateway):
    voiceotp_gateway.refuse(PHONE, "recipient_refused")
    answer = api.post_json("auth/signup", {"phone": PHONE})
    assert answer.status_code == 400
    assert error(answer) == {
        "code": "recipient_refused",
        "message": "This number does not accept such calls. Enter another number.",
        "param": "phone",
    }
    assert not User.objects.exists()


def test_a_limit_at_sign_up_says_when_to_come_back(api, voiceotp_gateway):
    api.post_json("auth/signup", {"phone": PHONE})
    again = HeadlessClient(api.kind).post_json("auth/signup", {"phone": PHONE})
    assert again.status_code == 400
    refusal = error(again)
    assert (refusal["code"], refusal["param"]) == ("rate_limited", "phone")
    assert 1 <= refusal["retry_after"] <= 60


def test_a_number_with_an_account_answers_at_sign_up_as_a_new_one_does(api, voiceotp_gateway, member):
    answer = api.post_json("auth/signup", {"phone": PHONE})
    assert (answer.status_code, pending_flow(answer)) == (401, "verify_phone")
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    assert User.objects.count() == 1
    taken = api.post_json("auth/phone/verify", {"code": voiceotp_gateway.last_code(PHONE)})
    assert taken.status_code == 400
    assert error(taken)["code"] == "phone_taken"


def test_login_by_code(api, voiceotp_gateway, member):
    answer = api.post_json("auth/code/request", {"phone": "0905.123.456"})
    assert (answer.status_code, pending_flow(answer)) == (401, "login_by_code")
    refused = api.post_json("auth/code/confirm", {"code": wrong(voiceotp_gateway.last_code(PHONE))})
    assert (refused.status_code, error(refused)["attempts_left"]) == (400, 4)
    answer = api.post_json("auth/code/confirm", {"code": voiceotp_gateway.last_code(PHONE)})
    assert answer.status_code == 200
    assert is_authenticated(answer)
    assert answer.json()["data"]["user"]["id"] == member.pk


def test_login_by_code_for_a_number_no_account_has_answers_as_a_known_one_does(api, voiceotp_gateway):
    answer = api.post_json("auth/code/request", {"phone": PHONE})
    assert (answer.status_code, pending_flow(answer)) == (401, "login_by_code")
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    answer = api.post_json("auth/code/confirm", {"code": voiceotp_gateway.last_code(PHONE)})
    assert (answer.status_code, error(answer)["code"]) == (400, "no_account")
    assert not is_authenticated(api.get_json("auth/session"))


def test_a_resend_calls_again_and_a_refused_one_says_why_and_uses_up_nothing(api, voiceotp_gateway):
    api.post_json("auth/signup", {"phone": PHONE})
    first = voiceotp_gateway.last_code(PHONE)
    refused = api.post_json("auth/phone/verify/resend")
    assert refused.status_code == 429
    assert error(refused)["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert error(refused)["retry_after"] == int(refused["Retry-After"])
    for _real in range(2):  # SUPPORTS_RESEND = 2: both still there
        voiceotp_gateway.skip_cooldown(PHONE)
        assert api.post_json("auth/phone/verify/resend").status_code == 200
    assert len(voiceotp_gateway.calls_to(PHONE)) == 3
    assert api.post_json("auth/phone/verify", {"code": first}).status_code == 400  # the old code died
    assert api.post_json("auth/phone/verify", {"code": voiceotp_gateway.last_code(PHONE)}).status_code == 200


def test_a_resend_the_gateway_cannot_place_is_a_503_that_says_so(api, voiceotp_gateway):
    api.post_json("auth/signup", {"phone": PHONE})
    voiceotp_gateway.skip_cooldown(PHONE)
    voiceotp_gateway.fail(PHONE, "unavailable")
    refused = api.post_json("auth/phone/verify/resend")
    assert (refused.status_code, error(refused)["code"]) == (503, "provider_unavailable")


def test_a_signed_in_person_changes_the_number(api, voiceotp_gateway, member):
    api.force_login(member)
    answer = api.post_json("account/phone", {"phone": OTHER})
    assert answer.status_code == 202
    assert answer.json()["data"] == [{"phone": OTHER_E164, "verified": False}]
    assert AccountPhone.objects.get(user=member).phone == E164  # not before the code
    answer = api.post_json("auth/phone/verify", {"code": voiceotp_gateway.last_code(OTHER)})
    assert answer.status_code == 200
    assert api.get_json("account/phone").json()["data"] == [{"phone": OTHER_E164, "verified": True}]


def test_a_refused_new_number_is_an_error_and_the_old_one_stays(api, voiceotp_gateway, member):
    api.force_login(member)
    voiceotp_gateway.refuse(OTHER, "bad_number")
    answer = api.post_json("account/phone", {"phone": OTHER})
    assert (answer.status_code, error(answer)["code"], error(answer)["param"]) == (
        400,
        "invalid_phone",
        "phone",
    )
    assert AccountPhone.objects.get(user=member).phone == E164


def test_reauthentication_by_a_call(api, voiceotp_gateway, member, settings):
    settings.ACCOUNT_REAUTHENTICATION_REQUIRED = True
    api.force_login(member)
    assert api.post_json("account/phone", {"phone": OTHER}).status_code == 401
    assert voiceotp_gateway.calls == []
    assert api.post_json("auth/reauthenticate/code/request", {"phone": PHONE}).status_code == 200
    code = voiceotp_gateway.last_code(PHONE)
    assert api.post_json("auth/reauthenticate/code/confirm", {"code": wrong(code)}).status_code == 400
    assert api.post_json("auth/reauthenticate/code/confirm", {"code": code}).status_code == 200
    assert api.post_json("account/phone", {"phone": OTHER}).status_code == 202
    assert OtpChallenge.objects.get(phone=OTHER_E164).purpose == "allauth.verify_phone"


def test_a_password_login_with_a_number_not_verified_yet_calls_it(api, voiceotp_gateway, settings):
    settings.ACCOUNT_SIGNUP_FIELDS = ["phone*", "password1*"]
    user = User.objects.create_user("late", password="a-long-Password-9")
    AccountPhone.objects.create(user=user, phone=E164, verified=False)
    answer = api.post_json("auth/login", {"phone": PHONE, "password": "a-long-Password-9"})
    assert (answer.status_code, pending_flow(answer)) == (401, "verify_phone")
    answer = api.post_json("auth/phone/verify", {"code": voiceotp_gateway.last_code(PHONE)})
    assert answer.status_code == 200
    assert is_authenticated(answer)


def test_allauth_s_own_headless_urls_are_an_error_at_check_time():
    def found():
        return sorted(
            m.id or ""
            for m in checks.run_checks(tags=["voiceotp"])
            if (m.id or "").startswith("voiceotp_allauth")
        )

    assert found() == []
    with override_settings(ROOT_URLCONF="tests.allauth.urls_allauth_headless"):
        assert found() == ["voiceotp_allauth.E006"]
