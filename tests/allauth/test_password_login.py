"""Sign-up with a number and a password, and the call missed: the password signs in to the account
again, and a new call to its number must be answered before the login completes (allauth's own
flow, which an unverified number used to fall out of: "the phone number and/or password you
specified are not correct"). Only the account's own password and its number's code get in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_voiceotp.contrib.allauth.models import AccountPhone
from tests.helpers import wrong

from .flows import E164, LOGIN, PHONE, SIGNUP, VERIFY_PHONE, field_errors, signed_in_user, type_code

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-Password-9"
OTHER_PASSWORD = "another-long-Password-7"


@pytest.fixture(autouse=True)
def phone_and_password(settings):
    settings.ACCOUNT_SIGNUP_FIELDS = ["phone*", "password1*"]


def sign_up(client, password=PASSWORD, phone=PHONE):
    return client.post(SIGNUP, {"phone": phone, "password1": password})


def log_in(client, password=PASSWORD, phone=PHONE, **extra):
    return client.post(LOGIN, {"login": phone, "password": password}, **extra)


def test_a_missed_sign_up_call_is_made_again_by_logging_in_and_its_code_signs_in(client, voiceotp_gateway):
    assert sign_up(client).status_code == 302
    client.logout()  # the call was missed: the person leaves, and comes back another day
    voiceotp_gateway.skip_cooldown(PHONE)
    back = Client()
    answer = log_in(back)
    assert (answer.status_code, answer["Location"]) == (302, VERIFY_PHONE)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 2
    assert signed_in_user(back) == "anonymous"  # not before the code
    assert type_code(back, voiceotp_gateway.last_code(PHONE)).status_code == 302
    account = AccountPhone.objects.get()
    assert signed_in_user(back) == f"signed in: {account.user_id}"
    assert account.verified


def test_a_wrong_password_for_an_unverified_number_places_no_call(client, voiceotp_gateway):
    sign_up(client)
    client.logout()
    voiceotp_gateway.skip_cooldown(PHONE)
    answer = log_in(Client(), password=OTHER_PASSWORD)
    assert answer.status_code == 200
    assert field_errors(answer, "__all__") == [
        "The phone number and/or password you specified are not correct."
    ]
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1


def test_a_refused_call_at_the_password_login_is_a_form_error_and_signs_no_one_in(client, voiceotp_gateway):
    sign_up(client)
    client.logout()
    voiceotp_gateway.skip_cooldown(PHONE)
    voiceotp_gateway.fail(PHONE, "unavailable")
    back = Client()
    answer = log_in(back)
    assert answer.status_code == 200
    assert field_errors(answer, "login") == ["The call service is not answering. Try again in a moment."]
    assert signed_in_user(back) == "anonymous"
    assert "account_login" not in back.session


def test_an_unverified_claim_on_someone_s_number_gets_its_author_no_further_than_the_code(
    client, voiceotp_gateway
):
    """A squatter signed up with the holder's number and a password of their own: the password finds
    the squatter's account, but the login waits for the code of a call to the holder's phone."""
    squatter = Client()
    sign_up(squatter, password=OTHER_PASSWORD)
    squatter.logout()
    voiceotp_gateway.skip_cooldown(PHONE)
    assert log_in(squatter, password=OTHER_PASSWORD)["Location"] == VERIFY_PHONE
    for _guess in range(5):
        type_code(squatter, wrong(voiceotp_gateway.last_code(PHONE)))
    assert signed_in_user(squatter) == "anonymous"


def test_once_the_holder_verified_the_number_an_unverified_claim_s_password_finds_nothing(
    client, voiceotp_gateway
):
    squatter = Client()
    sign_up(squatter, password=OTHER_PASSWORD)
    squatter.logout()
    holder = User.objects.create_user("holder", password=PASSWORD)
    AccountPhone.objects.create(user=holder, phone=E164, verified=True)
    refused = log_in(Client(), password=OTHER_PASSWORD)
    assert refused.status_code == 200
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1  # the squatter's sign-up call only
    signed_in = Client()
    assert log_in(signed_in)["Location"] == "/signed-in/"  # verified: no call needed
    assert signed_in_user(signed_in) == f"signed in: {holder.pk}"


def test_two_unverified_claims_each_reach_their_own_account_by_their_own_password(client, voiceotp_gateway):
    first, second = Client(), Client()
    sign_up(first, password=PASSWORD)
    voiceotp_gateway.skip_cooldown(PHONE)
    sign_up(second, password=OTHER_PASSWORD)
    first_user, second_user = (p.user for p in AccountPhone.objects.order_by("pk"))
    for person, password, user in ((first, PASSWORD, first_user), (second, OTHER_PASSWORD, second_user)):
        person.logout()
        voiceotp_gateway.skip_cooldown(PHONE)
        assert log_in(person, password=password)["Location"] == VERIFY_PHONE
        assert type_code(person, voiceotp_gateway.last_code(PHONE)).status_code == 302
        assert signed_in_user(person) == f"signed in: {user.pk}"
        AccountPhone.objects.filter(user=user).update(verified=False)  # as if the other had not


def test_wrong_passwords_for_one_number_do_not_lock_another_number_out(client, voiceotp_gateway, settings):
    """allauth keys its failed-login limit on the e-mail or user name; a number has neither, so every
    number used to share one key: five wrong passwords anywhere locked every number out."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    holder = User.objects.create_user("holder", password=PASSWORD)
    AccountPhone.objects.create(user=holder, phone="+84936123456", verified=True)
    for attempt in range(6):
        log_in(Client(), password=OTHER_PASSWORD, phone=PHONE, REMOTE_ADDR=f"203.0.113.{attempt}")
    answer = log_in(Client(), phone="0936 123 456", REMOTE_ADDR="198.51.100.7")
    assert answer.status_code == 302, field_errors(answer, "__all__")
