"""The site's policy on allauth's pages and headless API: its refusal is a form error (or the headless
error, with the challenge the client shows), no call is placed, and allauth's resends are not spent."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from django_voiceotp.contrib.allauth.models import AccountPhone
from tests import policies
from tests.helpers import voiceotp

from .flows import E164, PHONE, VERIFY_PHONE, error_codes, field_errors, log_in, messages_of, resend, sign_up
from .headless_flows import HeadlessClient, error

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _asked():
    policies.ASKED.clear()
    yield
    policies.ASKED.clear()


def policy(name: str, **changes):
    return voiceotp(POLICY=f"tests.policies.{name}", **changes)


@pytest.fixture
def member(db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    return user


def test_a_login_the_policy_refuses_is_a_form_error_and_no_call(client, voiceotp_gateway, member):
    with policy("AskingForCaptcha"):
        answer = log_in(client)
    assert answer.status_code == 200
    assert error_codes(answer, "login") == ["challenge_required"]
    assert voiceotp_gateway.calls_to(PHONE) == []
    [(_, request, number, purpose)] = policies.ASKED
    assert isinstance(request, HttpRequest)
    assert (number, purpose) == (E164, "allauth.login")


def test_a_sign_up_the_policy_refuses_makes_nobody(client, voiceotp_gateway):
    with policy("Refusing"):
        answer = sign_up(client)
    assert answer.status_code == 200
    assert (field_errors(answer, "phone"), error_codes(answer, "phone")) == (
        ["Not from here."],
        ["blocked_here"],
    )
    assert not User.objects.exists()
    assert voiceotp_gateway.calls_to(PHONE) == []


def test_a_resend_the_policy_refuses_is_a_message_and_spends_no_resend(client, voiceotp_gateway):
    sign_up(client)
    client.get(VERIFY_PHONE)
    voiceotp_gateway.skip_cooldown(PHONE)
    with policy("Refusing"):
        resend(client)
        assert messages_of(client.get(VERIFY_PHONE)) == ["Not from here."]
    assert len(voiceotp_gateway.calls_to(PHONE)) == 1
    for _real in range(2):  # SUPPORTS_RESEND = 2: both still there
        voiceotp_gateway.skip_cooldown(PHONE)
        assert resend(client).status_code == 302
    assert len(voiceotp_gateway.calls_to(PHONE)) == 3


@pytest.mark.parametrize("kind", ["browser", "app"])
def test_headless_sign_up_answers_the_challenge_the_client_shows(voiceotp_gateway, kind):
    api = HeadlessClient(kind)
    with policy("AskingForCaptcha"):
        answer = api.post_json("auth/signup", {"phone": PHONE})
    assert answer.status_code == 400
    refusal = error(answer)
    assert (refusal["code"], refusal["param"], refusal["challenge"]) == (
        "challenge_required",
        "phone",
        policies.CAPTCHA,
    )
    assert not User.objects.exists()
    assert voiceotp_gateway.calls_to(PHONE) == []


def test_after_verify_is_told_of_the_login_s_verified_challenge(client, voiceotp_gateway, member):
    with policy("Recording"):
        log_in(client)
        from .flows import CONFIRM_LOGIN_CODE, type_code

        type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE)
    [verified] = [challenge for what, challenge, _, _ in policies.ASKED if what == "after_verify"]
    assert (verified.purpose, verified.status) == ("allauth.login", "verified")
