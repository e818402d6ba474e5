"""Authentication on the API: session only by default, no HTTP Basic, CSRF for logged-in callers."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.test import Client

from django_voiceotp.models import OtpChallenge

from ..helpers import NO_LIMITS, voiceotp

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("lan", password=PASSWORD)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def ask(client: Client, phone: str, **extra):
    return client.post("/api/otp/challenges/", {"phone": phone}, content_type="application/json", **extra)


def test_http_basic_credentials_are_not_read_at_all(simulator, user, monkeypatch):
    """A right and a wrong password answer alike, and no password hash is ever computed: the API is
    no oracle for account passwords, and no way to burn the hasher's CPU."""
    checked: list[str] = []

    def counting(*args, **kwargs):
        checked.append("checked")
        return check_password(*args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.base_user.check_password", counting)
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        right = ask(Client(), "0361234561", HTTP_AUTHORIZATION=basic("lan", PASSWORD))
        wrong = ask(Client(), "0361234562", HTTP_AUTHORIZATION=basic("lan", "guess"))
    assert right.status_code == wrong.status_code == 201
    assert right.json().keys() == wrong.json().keys()
    assert checked == []
    assert not OtpChallenge.objects.exclude(user=None).exists()


def test_a_logged_in_caller_is_recognised_by_its_session_and_needs_csrf(simulator, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    refused = ask(client, "0361234561")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]
    client.get("/admin/login/")  # any page that sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    taken = ask(client, "0361234561", HTTP_X_CSRFTOKEN=token)
    assert taken.status_code == 201
    assert OtpChallenge.objects.get().user == user


def test_anonymous_callers_need_no_csrf_token(simulator):
    assert ask(Client(enforce_csrf_checks=True), "0361234561").status_code == 201


class HeaderAuthentication:
    """A site's own authentication class: the user named in a header (for this test only)."""

    def authenticate(self, request):
        name = request.META.get("HTTP_X_TEST_USER")
        if not name:
            return None
        return get_user_model().objects.get(username=name), None

    def authenticate_header(self, request):
        return "X-Test-User"


def test_a_site_chooses_its_own_authentication_classes(simulator, user):
    with voiceotp(AUTHENTICATION_CLASSES=["tests.api.test_auth.HeaderAuthentication"]):
        ask(Client(enforce_csrf_checks=True), "0361234561", HTTP_X_TEST_USER="lan")
    assert OtpChallenge.objects.get().user == user
