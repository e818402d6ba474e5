"""The REST API leaves the integrations' challenges alone: it refuses their purposes, and answers as
for no challenge at all when given one of their ids (a login in progress cannot be canceled, read,
resent or guessed at through it)."""

from __future__ import annotations

import pytest

from django_voiceotp import services

from ..helpers import PHONE, resend, start, verify

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "purpose", ["allauth.login", "allauth.verify_phone", "django_otp:otp_voice.voicecalldevice/1"]
)
def test_the_api_refuses_a_purpose_an_integration_owns(simulator, api, purpose):
    refused = start(api, purpose=purpose)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_request"
    assert "purpose" in refused.json()["errors"]
    assert simulator.count("postSMS") == 0


def test_an_integrations_challenge_is_no_challenge_to_the_api(simulator, api):
    mine = services.start_verification(PHONE, purpose="allauth.login", client_ip="203.0.113.9")
    code = simulator.calls[0].code
    for answer in (
        api.get(f"/api/otp/challenges/{mine.pk}/"),
        verify(api, str(mine.pk), code),
        resend(api, str(mine.pk)),
    ):
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    mine.refresh_from_db()
    assert mine.status == "pending"
    assert mine.attempts == 0
    assert services.check_code(mine.pk, code, client_ip="203.0.113.9").challenge.status == "verified"
