"""allauth's code pages as this app ships them: they say the code comes in a call, show the number
masked, and look the same whether or not the number typed at sign-up has an account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import get_template

from django_voiceotp.contrib.allauth.models import AccountPhone

from .flows import (
    CONFIRM_LOGIN_CODE,
    E164,
    PHONE,
    VERIFY_PHONE,
    change_to,
    log_in,
    sign_up,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
SHOWN = "090****456"
WHOLE = ("+84905123456", "0905123456", "905123456")


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def assert_says_a_call_to_the_masked_number(response, *, resend: bool = True) -> None:
    body = response.content.decode()
    assert response.status_code == 200
    assert f"The code is read out in a call to {SHOWN}." in page_text(response)
    assert not any(whole in body for whole in WHOLE)
    assert "We've sent a code" not in body
    assert "We&#x27;ve sent a code" not in body
    assert ("Call me again" in body) is resend


def test_the_sign_up_code_page_says_a_call_comes_to_the_masked_number(client, voiceotp_gateway):
    sign_up(client)
    assert_says_a_call_to_the_masked_number(client.get(VERIFY_PHONE))


def test_the_login_code_page_says_a_call_comes_to_the_masked_number(client, voiceotp_gateway):
    AccountPhone.objects.create(user=User.objects.create(username="member"), phone=E164, verified=True)
    log_in(client)
    # allauth's resend of login codes stays off (see the checks): a person logs in again instead.
    assert_says_a_call_to_the_masked_number(client.get(CONFIRM_LOGIN_CODE), resend=False)


def test_the_verified_message_shows_the_number_masked(client, voiceotp_gateway):
    from .flows import messages_of, type_code

    sign_up(client)
    client.get(VERIFY_PHONE)
    type_code(client, voiceotp_gateway.last_code(PHONE))
    shown = messages_of(client.get("/signed-in/"))
    assert shown
    assert not any(whole in text for text in shown for whole in WHOLE)
    assert any(SHOWN in text for text in shown)


def test_this_app_s_pages_are_the_ones_allauth_renders():
    for name in (
        "account/confirm_phone_verification_code.html",
        "account/confirm_login_code.html",
        "account/confirm_reauthentication_code.html",
    ):
        origin = getattr(get_template(name), "origin", None)
        assert "django_voiceotp" in str(getattr(origin, "name", "")), name


# -- 21.3: a registered number and a new one get the same page ------------------------------------


def normalized(response) -> str:
    """The page without what differs from any request to the next (the CSRF token)."""
    body = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', body)


def forms_offered(response) -> list[tuple[str, ...]]:
    body = response.content.decode()
    return [tuple(re.findall(r'name="([^"]+)"', form)) for form in re.findall(r"<form.*?</form>", body, re.S)]


def test_the_code_page_is_the_same_for_a_new_number_and_a_registered_one(voiceotp_gateway, django_user_model):
    from django.test import Client

    holder = django_user_model.objects.create(username="holder")
    AccountPhone.objects.create(user=holder, phone="+84936123456", verified=True)
    new, registered = Client(), Client()
    assert sign_up(new, PHONE).status_code == sign_up(registered, "0936 123 456").status_code == 302
    new_page, registered_page = new.get(VERIFY_PHONE), registered.get(VERIFY_PHONE)
    assert new_page.status_code == registered_page.status_code == 200
    assert forms_offered(new_page) == forms_offered(registered_page)
    assert "Use a different phone number" not in new_page.content.decode()
    assert normalized(new_page).replace(SHOWN, "") == normalized(registered_page).replace("093****456", "")

    # Trying to change the number anyway answers alike too: allauth ignores the action for both.
    new_change, registered_change = change_to(new, "0912 345 678"), change_to(registered, "0912 345 679")
    assert new_change.status_code == registered_change.status_code == 200
    assert forms_offered(new_change) == forms_offered(registered_change)
    assert len(voiceotp_gateway.calls) == 2  # no call to either number typed as a change
