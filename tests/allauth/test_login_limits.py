"""Only this app's limits apply to a login by phone: allauth's own ``request_login_code`` limit
(3 a minute per number) is not added on top, on the login page nor on the "send me a code" page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_voiceotp import holders
from django_voiceotp.contrib.allauth.models import AccountPhone

from .flows import CONFIRM_LOGIN_CODE, E164, PHONE, cancel, field_errors, log_in, signed_in_user, type_code

pytestmark = pytest.mark.django_db
User = get_user_model()
REQUEST_LOGIN_CODE = "/accounts/login/code/"
ROOM_FOR_FOUR = {"request_per_phone": "5/10m"}
"""The app's own limit with room for the four sign-ins: what is tested is that allauth adds none."""


@pytest.fixture
def member(db):
    user = User.objects.create(username="member")
    AccountPhone.objects.create(user=user, phone=E164, verified=True)
    return user


def test_a_fourth_sign_in_within_a_minute_is_called_like_the_first(
    client, voiceotp_gateway, member, settings
):
    settings.VOICEOTP = {**settings.VOICEOTP, "RATE_LIMITS": ROOM_FOR_FOUR}
    for _attempt in range(4):
        voiceotp_gateway.skip_cooldown(PHONE)
        answer = log_in(client)
        assert (answer.status_code, answer.get("Location")) == (302, CONFIRM_LOGIN_CODE), field_errors(
            answer, "login"
        )
        cancel(client)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 4
    voiceotp_gateway.skip_cooldown(PHONE)
    log_in(client)
    assert type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE).status_code == 302
    assert signed_in_user(client) == f"signed in: {member.pk}"


def test_the_send_me_a_code_page_is_not_limited_by_allauth_either(client, voiceotp_gateway, member, settings):
    settings.VOICEOTP = {**settings.VOICEOTP, "RATE_LIMITS": ROOM_FOR_FOUR}
    for _attempt in range(4):
        voiceotp_gateway.skip_cooldown(PHONE)
        answer = client.post(REQUEST_LOGIN_CODE, {"phone": PHONE})
        assert answer.status_code == 302, answer.context["form"].errors
        cancel(client)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 4


def test_the_app_s_own_per_number_limit_still_binds(client, voiceotp_gateway, member, settings):
    settings.VOICEOTP = {**settings.VOICEOTP, "RATE_LIMITS": {"request_per_phone": "2/h"}}
    for _attempt in range(2):
        voiceotp_gateway.skip_cooldown(PHONE)
        assert log_in(client).status_code == 302
        cancel(client)
    voiceotp_gateway.skip_cooldown(PHONE)
    refused = log_in(client)
    assert refused.status_code == 200
    assert field_errors(refused, "login")[0].startswith("Too many requests")


def test_a_browser_that_verified_the_number_logs_in_though_strangers_spent_its_calls(
    client, voiceotp_gateway, member, settings
):
    """HolderCookieMiddleware leaves the holder cookie on allauth's page that took the right code; the
    browser that carries it is served in the holder's lane, apart from what strangers spend."""
    settings.VOICEOTP = {**settings.VOICEOTP, "RATE_LIMITS": {"request_per_phone": "3/h"}}
    log_in(client)  # in the strangers' lane: the browser has verified nothing yet
    signed_in = type_code(client, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE)
    assert signed_in.status_code == 302
    cookie = signed_in.cookies[holders.COOKIE]
    assert cookie["httponly"]
    assert E164 not in cookie.value

    stranger = Client()
    for _attempt in range(2):
        voiceotp_gateway.skip_cooldown(PHONE)
        assert log_in(stranger).status_code == 302
        cancel(stranger)
    voiceotp_gateway.skip_cooldown(PHONE)
    assert field_errors(log_in(stranger), "login")[0].startswith("Too many requests")

    holder = Client()
    holder.cookies[holders.COOKIE] = cookie.value
    voiceotp_gateway.skip_cooldown(PHONE)
    assert (log_in(holder).status_code, len(voiceotp_gateway.calls_to(PHONE))) == (302, 4)
    assert type_code(holder, voiceotp_gateway.last_code(PHONE), CONFIRM_LOGIN_CODE).status_code == 302
    assert signed_in_user(holder) == f"signed in: {member.pk}"
