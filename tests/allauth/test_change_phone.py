"""A signed-in person changes their number on allauth's page: the new number is theirs once a call
proved it, and not before."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_voiceotp.contrib.allauth.models import AccountPhone
from tests.helpers import wrong

from .flows import CHANGE_PHONE, E164, OTHER, PHONE, VERIFY_PHONE, error_codes, field_errors, type_code

pytestmark = pytest.mark.django_db
User = get_user_model()
OTHER_E164 = "+84936123456"


@pytest.fixture
def member(client, db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    client.force_login(user)
    return user


def test_the_new_number_is_the_account_s_once_its_code_is_typed(client, voiceotp_gateway, member):
    answer = client.post(CHANGE_PHONE, {"phone": OTHER})
    assert (answer.status_code, answer["Location"]) == (302, VERIFY_PHONE)
    assert voiceotp_gateway.calls_to(OTHER)
    assert AccountPhone.objects.get(user=member).phone == E164  # not before the code
    answer = type_code(client, wrong(voiceotp_gateway.last_code(OTHER)))
    assert field_errors(answer, "code") == [
        "The code is not right. Check it and try again.",
        "4 attempts left.",
    ]
    assert type_code(client, voiceotp_gateway.last_code(OTHER)).status_code == 302
    number = AccountPhone.objects.get(user=member)
    assert (number.phone, number.verified) == (OTHER_E164, True)


def test_a_refused_new_number_is_a_form_error_and_the_old_one_stays(client, voiceotp_gateway, member):
    voiceotp_gateway.refuse(OTHER, "bad_number")
    answer = client.post(CHANGE_PHONE, {"phone": OTHER})
    assert answer.status_code == 200
    assert error_codes(answer, "phone") == ["invalid_phone"]
    assert AccountPhone.objects.get(user=member).phone == E164


def test_an_unreachable_gateway_is_a_form_error(client, voiceotp_gateway, member):
    voiceotp_gateway.fail(OTHER, "timeout")
    answer = client.post(CHANGE_PHONE, {"phone": OTHER})
    assert answer.status_code == 200
    assert error_codes(answer, "phone") == ["provider_unavailable"]


def test_a_number_another_account_holds_is_refused_after_its_code(client, voiceotp_gateway, member):
    other = User.objects.create(username="other")
    AccountPhone.objects.create(user=other, phone=OTHER_E164, verified=True)
    assert client.post(CHANGE_PHONE, {"phone": OTHER}).status_code == 302
    answer = type_code(client, voiceotp_gateway.last_code(OTHER))
    assert field_errors(answer, "code") == ["A user is already registered with this phone number."]
    assert AccountPhone.objects.get(user=member).phone == E164


def test_no_call_is_placed_before_a_required_reauthentication(client, voiceotp_gateway, member, settings):
    settings.ACCOUNT_REAUTHENTICATION_REQUIRED = True
    answer = client.post(CHANGE_PHONE, {"phone": OTHER})
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/reauthenticate/")
    assert voiceotp_gateway.calls == []


def test_a_number_typed_again_is_not_called(client, voiceotp_gateway, member):
    answer = client.post(CHANGE_PHONE, {"phone": PHONE})
    assert answer.status_code == 200
    assert error_codes(answer, "phone") == ["same_as_current"]
    assert voiceotp_gateway.calls == []
