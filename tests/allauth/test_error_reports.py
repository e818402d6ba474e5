"""Django's error report for a verify that fails deep inside shows no code: not allauth's code pages',
not its headless API's (the code the person typed still verifies, so it is a secret until then)."""

from __future__ import annotations

import pytest
from django.test import Client

from django_voiceotp.contrib.allauth.models import AccountPhone
from tests.reports import assert_shows_no, failing

from .flows import CONFIRM_LOGIN_CODE, E164, PHONE, VERIFY_PHONE, log_in, sign_up
from .headless_flows import HeadlessClient

pytestmark = pytest.mark.django_db


def test_allauth_s_sign_up_code_page(voiceotp_gateway):
    client = Client(raise_request_exception=False)
    sign_up(client)
    code = voiceotp_gateway.last_code(PHONE)
    assert_shows_no(code, failing(lambda: client.post(VERIFY_PHONE, {"code": code})))


def test_allauth_s_login_code_page(voiceotp_gateway, django_user_model):
    AccountPhone.objects.create(
        user=django_user_model.objects.create(username="m"), phone=E164, verified=True
    )
    client = Client(raise_request_exception=False)
    log_in(client)
    code = voiceotp_gateway.last_code(PHONE)
    assert_shows_no(code, failing(lambda: client.post(CONFIRM_LOGIN_CODE, {"code": code})))


@pytest.mark.parametrize("kind", ["browser", "app"])
def test_allauth_s_headless_verify(voiceotp_gateway, kind):
    api = HeadlessClient(kind, raise_request_exception=False)
    api.post_json("auth/signup", {"phone": PHONE})
    code = voiceotp_gateway.last_code(PHONE)
    assert_shows_no(code, failing(lambda: api.post_json("auth/phone/verify", {"code": code})))
