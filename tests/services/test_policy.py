"""``VOICEOTP["POLICY"]``: the site's say before a call and after a verify, end to end over loopback
HTTP to the simulator. A refusal of the policy is answered as the site's refusal (its status, machine
code and fields) and spends nothing: no limit counted, no row written, nothing dialled."""

from __future__ import annotations

import pytest
from django.core import checks
from rest_framework.request import Request

from django_voiceotp.models import ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.services import start_verification

from .. import policies
from ..helpers import PHONE, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db

POLICIES = "tests.policies."
TIGHT = {
    "request_per_ip": "1/h",
    "request_per_phone": "1/h",
    "calls_per_phone": "2/h",
    "resend_per_ip": "1/h",
}
"""Limits that one counted request (or resend) would spend."""


@pytest.fixture(autouse=True)
def _asked():
    policies.ASKED.clear()
    yield policies.ASKED
    policies.ASKED.clear()


def policy(name: str, **changes):
    return voiceotp(POLICY=POLICIES + name, **changes)


def test_a_refusal_is_answered_with_the_site_s_status_code_and_fields(simulator, api):
    with policy("Refusing"):
        answer = start(api)
    assert answer.status_code == 451
    assert answer.json() == {"code": "blocked_here", "detail": "Not from here.", "country": "XX"}
    assert simulator.count("postSMS") == 0
    assert not OtpChallenge.objects.exists()
    assert not VoiceCall.objects.exists()


def test_challenge_required_carries_the_challenge_and_a_right_answer_gets_the_call(simulator, api):
    with policy("AskingForCaptcha"):
        refused = start(api)
        assert refused.status_code == 403
        body = refused.json()
        assert body["code"] == "challenge_required"
        assert body["challenge"] == policies.CAPTCHA
        assert body["detail"]
        assert start(api, captcha_value="wrong").json()["code"] == "challenge_required"
        placed = api.post(
            "/api/otp/challenges/",
            {"phone": PHONE, "purpose": "login", "captcha_value": policies.ANSWER},
            format="json",
        )
    assert placed.status_code == 201
    assert simulator.count("postSMS") == 1


def test_the_refusal_s_detail_is_in_the_request_s_language(simulator, api):
    with policy("AskingForCaptcha"):
        answer = start(api, HTTP_ACCEPT_LANGUAGE="vi")
    assert answer.json()["code"] == "challenge_required"
    assert answer["Content-Language"] == "vi"


def test_a_refused_request_spends_none_of_the_limits(simulator, api):
    """The cooldown (60 s), the address's and the number's requests, the number's calls and the
    site's spend cap would each refuse a second counted request: after five refusals of the policy,
    the first request it lets through is placed."""
    with voiceotp(RATE_LIMITS=TIGHT, DAILY_CALL_LIMIT=1):
        with policy("Refusing", RATE_LIMITS=TIGHT, DAILY_CALL_LIMIT=1):
            for _ in range(5):
                assert start(api).status_code == 451
        assert not OtpChallenge.objects.exists()
        assert start(api).status_code == 201
        assert start(api, phone="0361234568").status_code == 429  # the limits do count, when asked
    assert simulator.count("postSMS") == 1


def test_a_refused_resend_spends_none_of_the_limits(simulator, api):
    with voiceotp(RATE_LIMITS=TIGHT, RESEND_COOLDOWN=0):
        challenge = start(api).json()["id"]
        with policy("Refusing", RATE_LIMITS=TIGHT, RESEND_COOLDOWN=0):
            for _ in range(3):
                assert resend(api, challenge).status_code == 451
        row = OtpChallenge.objects.get()
        assert (row.sends, VoiceCall.objects.count()) == (1, 1)
        answer = resend(api, challenge)
        assert answer.status_code == 200
        assert answer.json()["sends_left"] == 1
        assert resend(api, challenge).status_code == 429  # resend_per_ip counts, when asked
    assert simulator.count("postSMS") == 2


def test_a_refused_resend_writes_no_prefix_block(simulator, api):
    guard = {"min_calls": 1, "max_unverified_ratio": 0.0, "window": 3600, "block_for": 600}
    with voiceotp(RESEND_COOLDOWN=0):
        challenge = start(api).json()["id"]
    with policy("Refusing", RESEND_COOLDOWN=0, PREFIX_GUARD=guard):
        assert resend(api, challenge).status_code == 451
    from django_voiceotp.models import PrefixBlock

    assert not PrefixBlock.objects.exists()


def test_a_resend_goes_through_the_policy_with_the_api_s_request(simulator, api):
    with policy("Recording", RESEND_COOLDOWN=0):
        challenge = start(api, purpose="signup").json()["id"]
        assert resend(api, challenge).status_code == 200
    asked = [entry for entry in policies.ASKED if entry[0] == "before_call"]
    assert [(number, purpose) for _, _, number, purpose in asked] == [("+84361234567", "signup")] * 2
    assert all(isinstance(request, Request) for _, request, _, _ in asked)


def test_a_resend_needs_the_challenge_answered_too(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        challenge = start(api).json()["id"]
    with policy("AskingForCaptcha", RESEND_COOLDOWN=0):
        refused = resend(api, challenge)
        assert (refused.status_code, refused.json()["challenge"]) == (403, policies.CAPTCHA)
        answered = api.post(
            f"/api/otp/challenges/{challenge}/resend/", {"captcha_value": policies.ANSWER}, format="json"
        )
    assert answered.status_code == 200
    assert simulator.count("postSMS") == 2


def test_an_unknown_challenge_is_refused_before_the_policy_is_asked(simulator, api):
    with policy("Refusing"):
        answer = resend(api, "00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    assert policies.ASKED == []


def test_after_verify_is_called_once_with_the_verified_challenge_and_never_for_a_wrong_code(simulator, api):
    with policy("Recording"):
        challenge = start(api).json()["id"]
        code = simulator.calls[0].code
        assert verify(api, challenge, wrong(code)).status_code == 400
        assert [e for e in policies.ASKED if e[0] == "after_verify"] == []
        assert verify(api, challenge, code).status_code == 200
        assert verify(api, challenge, code).status_code == 409
    [(_, verified, _, _)] = [e for e in policies.ASKED if e[0] == "after_verify"]
    assert str(verified.pk) == challenge
    assert verified.status == ChallengeStatus.VERIFIED


def test_a_refusal_after_verify_is_answered_and_the_code_is_spent(simulator, api):
    with policy("FailingAfterVerify"):
        challenge = start(api).json()["id"]
        code = simulator.calls[0].code
        answer = verify(api, challenge, code)
        assert (answer.status_code, answer.json()["code"]) == (451, "blocked_here")
        assert "token" not in answer.json()
        assert verify(api, challenge, code).json()["code"] == "already_verified"


def test_a_policy_that_crashes_places_no_call(simulator, api):
    """Anything but a ``VoiceOtpError`` is the site's bug: it propagates (a 500), and fails closed."""
    with policy("Crashing"), pytest.raises(RuntimeError):
        start(api)
    assert simulator.count("postSMS") == 0
    assert not OtpChallenge.objects.exists()


def test_a_python_caller_without_a_request_gives_the_policy_none(simulator):
    with policy("Recording"):
        start_verification(PHONE, purpose="job", client_ip=None)
    [(_, request, number, purpose)] = policies.ASKED
    assert (request, number, purpose) == (None, "+84361234567", "job")


def test_the_policy_sees_the_client_address_as_the_limits_count_it(simulator, api):
    with policy("Recording"):
        start(api, REMOTE_ADDR="2001:db8:1:2::7")
    [(_, request, _, _)] = policies.ASKED
    from django_voiceotp.policy import get_policy

    assert get_policy().address_of(request) == "2001:db8:1:2::"
    assert get_policy().address_of(None) is None


def _policy_errors() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id == "voiceotp.E008"]


@pytest.mark.parametrize(
    "path",
    [
        "no.such.Policy",
        "tests.policies.NoSuchPolicy",
        "tests.policies.NOT_A_POLICY",
        "django.contrib.auth.models.User",
        "tests.policies.NeedsAnArgument",
    ],
)
def test_a_policy_that_cannot_be_used_is_a_check_error(path):
    with voiceotp(POLICY=path):
        [error] = _policy_errors()
    assert "POLICY" in error.msg


def test_a_policy_that_can_be_used_passes_the_check():
    with policy("Recording"):
        assert _policy_errors() == []
    assert _policy_errors() == []
