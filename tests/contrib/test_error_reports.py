"""Django's error report for a verify that fails deep inside shows no code: not the REST API's, not
django-otp's form's (the OTP admin's login), not django-two-factor-auth's wizards'."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.reports import assert_shows_no, failing

from .conftest import PASSWORD, PHONE, wizard_post

pytestmark = pytest.mark.django_db


def test_the_rest_api_s_verify(voiceotp_gateway):
    client = Client(raise_request_exception=False)
    challenge = client.post("/api/otp/challenges/", {"phone": PHONE}, content_type="application/json").json()
    code = voiceotp_gateway.last_code(PHONE)
    report = failing(
        lambda: client.post(
            f"/api/otp/challenges/{challenge['id']}/verify/", {"code": code}, content_type="application/json"
        )
    )
    assert_shows_no(code, report)


def test_django_otp_s_form_on_the_otp_admin_s_login(user, device, voiceotp_gateway):
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client(raise_request_exception=False)
    login = {"username": "ana", "password": PASSWORD, "otp_device": device.persistent_id}
    client.post("/otpadmin/login/", {**login, "otp_challenge": "1"})
    code = voiceotp_gateway.last_code(PHONE)
    report = failing(lambda: client.post("/otpadmin/login/", {**login, "otp_token": code}))
    assert_shows_no(code, report)


def test_two_factor_s_setup_wizard(user, voiceotp_gateway):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    setup = "/account/two_factor/setup/"
    client.get(setup)
    wizard_post(client, setup, "setup_view", "welcome", {})
    wizard_post(client, setup, "setup_view", "method", {"method": "call"})
    wizard_post(client, setup, "setup_view", "voice_call", {"number": PHONE})
    code = voiceotp_gateway.last_code(PHONE)
    report = failing(lambda: wizard_post(client, setup, "setup_view", "validation", {"token": code}))
    assert_shows_no(code, report)


def test_two_factor_s_login_wizard(user, device, voiceotp_gateway):
    client = Client(raise_request_exception=False)
    login = "/account/login/"
    wizard_post(client, login, "login_view", "auth", {"username": "ana", "password": PASSWORD})
    code = voiceotp_gateway.last_code(PHONE)
    report = failing(lambda: wizard_post(client, login, "login_view", "token", {"otp_token": code}))
    assert_shows_no(code, report)
