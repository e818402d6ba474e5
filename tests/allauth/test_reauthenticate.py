"""Reauthentication by code, sent to the account's verified number: a call, then a changed number."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from django_voiceotp.contrib.allauth.models import AccountPhone
from django_voiceotp.models import OtpChallenge
from tests.helpers import wrong

from .flows import CHANGE_PHONE, E164, OTHER, PHONE, VERIFY_PHONE, field_errors, type_code

pytestmark = pytest.mark.django_db
User = get_user_model()
REQUEST_CODE = "/accounts/reauthenticate/code/"
CONFIRM_CODE = "/accounts/reauthenticate/code/confirm/"


@pytest.fixture
def member(client, db, settings):
    settings.ACCOUNT_REAUTHENTICATION_REQUIRED = True
    user = User.objects.create(username="member")
    user.set_unusable_password()
    user.save()
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    client.force_login(user)
    return user


def test_a_call_reauthenticates_and_the_suspended_change_of_number_goes_on(client, voiceotp_gateway, member):
    answer = client.post(CHANGE_PHONE, {"phone": OTHER})
    assert answer["Location"].startswith(REQUEST_CODE)
    assert voiceotp_gateway.calls == []
    next_url = answer["Location"]

    answer = client.post(next_url, {"recipient": E164})
    assert answer.status_code == 302
    assert answer["Location"].startswith(CONFIRM_CODE)
    confirm = answer["Location"]
    assert OtpChallenge.objects.get().purpose == "allauth.reauthenticate"
    code = voiceotp_gateway.last_code(PHONE)
    answer = client.post(confirm, {"code": wrong(code)})
    assert field_errors(answer, "code") == [
        "The code is not right. Check it and try again.",
        "4 attempts left.",
    ]

    # The right code reauthenticates; allauth replays the change of number, which calls the new one.
    answer = client.post(confirm, {"code": code})
    assert (answer.status_code, answer["Location"]) == (302, VERIFY_PHONE)
    assert type_code(client, voiceotp_gateway.last_code(OTHER)).status_code == 302
    assert AccountPhone.objects.get(user=member).phone == "+84936123456"


def test_a_refused_reauthentication_call_is_an_error_message(client, voiceotp_gateway, member):
    voiceotp_gateway.fail(PHONE, "unavailable")
    answer = client.post(REQUEST_CODE, {"recipient": E164})
    assert answer.status_code == 302
    page = client.get(answer["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "The call service is not answering. Try again in a moment."
    ]
