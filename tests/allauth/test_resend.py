"""allauth's "Request new code": a resend this app refuses (the cooldown, the gateway) is an error
message and uses up none of allauth's resends (``ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND``)."""

from __future__ import annotations

import pytest

from django_voiceotp.contrib.allauth.models import AccountPhone

from .flows import PHONE, VERIFY_PHONE, messages_of, resend, sign_up, type_code

pytestmark = pytest.mark.django_db


def offers_resend(client) -> bool:
    return bool(client.get(VERIFY_PHONE).context["can_resend"])


def test_a_resend_refused_by_the_cooldown_uses_up_no_resend(client, voiceotp_gateway):
    """``SUPPORTS_RESEND = 2`` (the suite's, as the docs set it): two real resends, whatever was refused."""
    sign_up(client)
    client.get(VERIFY_PHONE)
    resend(client)  # within the cooldown: refused
    assert messages_of(client.get(VERIFY_PHONE))[0].startswith("A call to this number was placed moments ago")
    for _real in range(2):
        assert offers_resend(client)
        voiceotp_gateway.skip_cooldown(PHONE)
        assert resend(client).status_code == 302
    assert len(voiceotp_gateway.calls_to(PHONE)) == 3
    assert not offers_resend(client)  # both of allauth's resends are spent now, by real calls
    assert type_code(client, voiceotp_gateway.last_code(PHONE)).status_code == 302
    assert AccountPhone.objects.get().verified


def test_a_resend_the_gateway_refuses_uses_up_no_resend(client, voiceotp_gateway):
    sign_up(client)
    client.get(VERIFY_PHONE)
    voiceotp_gateway.skip_cooldown(PHONE)
    voiceotp_gateway.fail(PHONE, "unavailable")
    resend(client)
    assert messages_of(client.get(VERIFY_PHONE)) == [
        "The call service is not answering. Try again in a moment."
    ]
    voiceotp_gateway.answer(PHONE)
    for _real in range(2):
        assert offers_resend(client)
        voiceotp_gateway.skip_cooldown(PHONE)
        resend(client)
    assert len(voiceotp_gateway.calls_to(PHONE)) == 3


def test_a_refused_resend_shows_one_message_the_app_s_own(client, voiceotp_gateway):
    sign_up(client)
    client.get(VERIFY_PHONE)
    resend(client)
    shown = messages_of(client.get(VERIFY_PHONE))
    assert len(shown) == 1
    assert "Be patient" not in shown[0]  # allauth's own words for its limits, not this refusal
