"""The test kit: the in-process gateway under the real rules, and a site's own suite built on it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase, override_settings

from django_voiceotp import services
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.testing import FakeGateway, VoiceOtpTestMixin

from ..helpers import NO_LIMITS, resend, start, verify, voiceotp

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_fixture_reads_the_code_and_the_rules_verify_it(voiceotp_gateway: FakeGateway, api):
    challenge = start(api).json()
    code = voiceotp_gateway.last_code("0361234567")
    assert voiceotp_gateway.calls[-1].phone == "+84361234567"
    assert verify(api, challenge["id"], code).json()["verified"] is True
    assert VoiceCall.objects.get().gateway == "locmem"


@pytest.mark.parametrize(
    ("kind", "status", "machine_code"),
    [
        ("bad_number", 400, "invalid_phone"),
        ("recipient_refused", 400, "recipient_refused"),
        ("money", 502, "provider_rejected"),
        ("account", 502, "provider_rejected"),
        ("gateway_fault", 503, "provider_unavailable"),
        ("repeat", 429, "rate_limited"),
    ],
)
def test_a_number_can_be_refused_by_kind(voiceotp_gateway, api, kind, status, machine_code):
    voiceotp_gateway.refuse("0361234567", kind)
    answer = start(api)
    assert (answer.status_code, answer.json()["code"]) == (status, machine_code)
    assert voiceotp_gateway.calls == []


@pytest.mark.parametrize(
    ("how", "call_status"),
    [("unavailable", CallStatus.REJECTED), ("timeout", CallStatus.UNKNOWN), ("garbage", CallStatus.UNKNOWN)],
)
def test_a_number_can_make_the_gateway_fail(voiceotp_gateway, api, how, call_status):
    voiceotp_gateway.fail("0361234567", how)
    assert start(api).status_code == 503
    assert VoiceCall.objects.get().status == call_status


def test_calls_can_ring_forever_ring_out_or_be_answered(voiceotp_gateway):
    voiceotp_gateway.ring_forever("0361234561")
    voiceotp_gateway.leave_unanswered("0361234562")
    with voiceotp(RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0):
        for phone in ("0361234561", "0361234562", "0361234563"):
            services.start_verification(phone, client_ip=None)
    for call in VoiceCall.objects.all():
        services.refresh_call(call)
    assert dict(VoiceCall.objects.values_list("phone", "status")) == {
        "+84361234561": CallStatus.CALLING,
        "+84361234562": CallStatus.UNANSWERED,
        "+84361234563": CallStatus.ANSWERED,
    }


def test_the_fixture_starts_every_test_with_no_calls(voiceotp_gateway):
    assert voiceotp_gateway.calls == []
    with pytest.raises(LookupError):
        voiceotp_gateway.last_code("0361234567")


def test_the_kit_keeps_its_cache_when_a_test_replaces_caches(voiceotp_gateway, settings, api):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert start(api).status_code == 201
    again = start(api)  # the kit's cache still holds the number's cooldown
    assert (again.status_code, again.json()["code"]) == (429, "rate_limited")
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        assert start(api, "0361234568").status_code == 201
    assert len(voiceotp_gateway.calls) == 2


def test_the_kit_keeps_its_gateway_when_a_test_replaces_voiceotp(voiceotp_gateway, settings, api):
    settings.VOICEOTP = {"CODE_TTL": 120, "RATE_LIMITS": NO_LIMITS}
    assert start(api).status_code == 201
    assert voiceotp_gateway.last_code("0361234567")
    challenge = OtpChallenge.objects.get()
    assert challenge.expires_at - challenge.created_at == timedelta(seconds=120)


def test_the_kit_leaves_the_site_s_settings_as_they_were():
    from django.conf import settings

    from django_voiceotp.testing import CACHE_ALIAS, in_process_gateway

    before = (settings.CACHES, settings.VOICEOTP)
    with in_process_gateway(), override_settings(CACHES={"default": {"BACKEND": LOCMEM}}):
        assert CACHE_ALIAS in settings.CACHES
    assert before == (settings.CACHES, settings.VOICEOTP)
    assert CACHE_ALIAS not in settings.CACHES


def test_expire_code_makes_the_live_code_expired_and_a_resend_calls_again(voiceotp_gateway, api):
    challenge = start(api).json()
    code = voiceotp_gateway.last_code("0361234567")
    voiceotp_gateway.expire_code("036 123 4567")
    answer = verify(api, challenge["id"], code)
    assert (answer.status_code, answer.json()["code"]) == (410, "expired")
    voiceotp_gateway.skip_cooldown("0361234567")
    assert resend(api, challenge["id"]).status_code == 200
    assert verify(api, challenge["id"], voiceotp_gateway.last_code("0361234567")).status_code == 200


def test_skip_cooldown_lets_the_number_be_called_again_at_once(voiceotp_gateway, api):
    first = start(api).json()
    assert start(api).status_code == 429
    voiceotp_gateway.skip_cooldown("+84361234567")
    second = start(api)
    assert second.status_code == 201
    assert resend(api, second.json()["id"]).status_code == 429  # the new call has its own cooldown
    assert first["id"] != second.json()["id"]


class MixinTests(VoiceOtpTestMixin, TestCase):
    def test_the_mixin_runs_each_test_on_the_in_process_gateway(self):
        challenge = services.start_verification("0361234567", client_ip=None)
        code = self.voiceotp_gateway.last_code("0361234567")
        verification = services.check_code(challenge.pk, code, client_ip=None)
        assert verification.challenge.status == ChallengeStatus.VERIFIED


# -- a site of its own ------------------------------------------------------------------------------

SITE_SETTINGS = """
import socket

SECRET_KEY = "a-site-of-its-own"
USE_TZ = True
ROOT_URLCONF = "site_urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "django_voiceotp",
]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001", "voiceotp.W002"]
# No credentials anywhere: the test kit's gateway needs none.
VOICEOTP = {"GATEWAY": {"BACKEND": "django_voiceotp.gateways.locmem.LocMemGateway"}}


def _no_network(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        raise OSError(f"this test suite must not use the network (tried {address!r})")
    return _connect(self, address)


_connect = socket.socket.connect
socket.socket.connect = _no_network
"""

SITE_URLS = """
from django.urls import include, path

urlpatterns = [path("api/otp/", include("django_voiceotp.urls"))]
"""

SITE_PYTEST = """
import pytest

from django_voiceotp.services import check_code, start_verification, consume_token

pytestmark = pytest.mark.django_db


def test_sign_up_by_voice_call(client, voiceotp_gateway):
    challenge = client.post("/api/otp/challenges/", {"phone": "0905 123 456", "purpose": "signup"},
                            content_type="application/json").json()
    code = voiceotp_gateway.last_code("0905123456")
    verified = client.post(f"/api/otp/challenges/{challenge['id']}/verify/", {"code": code},
                           content_type="application/json").json()
    assert consume_token(verified["token"], purpose="signup") == "+84905123456"


def test_a_refused_number(client, voiceotp_gateway):
    voiceotp_gateway.refuse("0905123456", "recipient_refused")
    answer = client.post("/api/otp/challenges/", {"phone": "0905123456"}, content_type="application/json")
    assert answer.json()["code"] == "recipient_refused"


def test_the_python_api(voiceotp_gateway):
    challenge = start_verification("0905123456", purpose="login", client_ip="203.0.113.7")
    assert check_code(challenge.pk, voiceotp_gateway.last_code("0905123456"), client_ip="203.0.113.7")
"""

SITE_UNITTEST = """
from django.test import TestCase

from django_voiceotp.services import check_code, start_verification
from django_voiceotp.testing import VoiceOtpTestMixin


class SignUpTests(VoiceOtpTestMixin, TestCase):
    def test_a_code_read_out_verifies(self):
        challenge = start_verification("0905123456", client_ip=None)
        code = self.voiceotp_gateway.last_code("0905123456")
        self.assertTrue(check_code(challenge.pk, code, client_ip=None).token)
"""


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (tmp_path / "site_settings.py").write_text(textwrap.dedent(SITE_SETTINGS))
    (tmp_path / "site_urls.py").write_text(textwrap.dedent(SITE_URLS))
    (tmp_path / "test_signup.py").write_text(textwrap.dedent(SITE_PYTEST))
    (tmp_path / "tests_unittest.py").write_text(textwrap.dedent(SITE_UNITTEST))
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = site_settings\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP", "DJANGO_"))}
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{ROOT}"
    return tmp_path, env


def run_in(folder: Any, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the site's folder, as its developer would run it."""
    return subprocess.run(
        [sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_sites_pytest_suite_passes_with_no_credentials_network_or_simulator(site):
    folder, env = site
    run = run_in(folder, env, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_signup.py")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_a_sites_manage_py_test_suite_passes_and_its_checks_too(site):
    folder, env = site
    env["DJANGO_SETTINGS_MODULE"] = "site_settings"
    run = run_in(folder, env, "-m", "django", "test", "tests_unittest", "-v", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Ran 1 test" in run.stderr
    assert "System check identified no issues" in run.stdout + run.stderr
