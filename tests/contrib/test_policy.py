"""The site's policy through django-otp's device and django-two-factor-auth's wizards: its refusal is
the page's "no call was placed" message, never a 500, and no call is placed."""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from django_voiceotp.models import ChallengeStatus
from tests import policies

from ..helpers import voiceotp
from .conftest import E164, PASSWORD, PHONE
from .test_two_factor import login_step, start_setup, text

pytestmark = pytest.mark.django_db
CHALLENGE_REQUIRED = "Prove you are not a robot before we call: answer the challenge and ask again."


@pytest.fixture(autouse=True)
def _asked():
    policies.ASKED.clear()
    yield
    policies.ASKED.clear()


def policy(name: str, **changes):
    return voiceotp(POLICY=f"tests.policies.{name}", **changes)


def test_a_device_s_refused_call_is_its_message_and_the_policy_gets_no_request(device, voiceotp_gateway):
    with policy("Refusing"):
        assert device.generate_challenge() == "no call was placed: Not from here."
    assert isinstance(device.refusal, policies.Blocked)
    assert voiceotp_gateway.calls == []
    [(_, request, number, _)] = policies.ASKED
    assert (request, number) == (None, E164)


def test_a_device_given_a_request_hands_it_to_the_policy(device, voiceotp_gateway, rf):
    device.request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    with policy("Recording"):
        device.generate_challenge()
        assert device.verify_token(voiceotp_gateway.last_code(PHONE)) is True
    [before, after] = policies.ASKED
    assert before[1] is device.request
    assert (after[0], after[1].status) == ("after_verify", ChallengeStatus.VERIFIED)


def test_setup_tells_the_policy_s_challenge_as_no_call_placed(client, user, voiceotp_gateway):
    with policy("AskingForCaptcha"):
        _methods, page = start_setup(client, user, PHONE)
    assert page.status_code == 200
    assert f"No call was placed. {CHALLENGE_REQUIRED}" in text(page)
    assert voiceotp_gateway.calls == []
    assert isinstance(policies.ASKED[0][1], HttpRequest)


def test_the_login_wizard_tells_the_policy_s_refusal(client, user, device, voiceotp_gateway):
    with policy("Refusing"):
        page = login_step(client, "auth", {"username": "ana", "password": PASSWORD})
    assert page.status_code == 200
    assert "No call was placed. Not from here." in text(page)
    assert voiceotp_gateway.calls == []
