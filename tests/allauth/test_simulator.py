"""The allauth flow over loopback HTTP against the gateway simulator: the operator's backend, its
client and its wire, as a site in production uses them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from django_voiceotp.contrib.allauth.models import AccountPhone

from .flows import error_codes, sign_up, signed_in_user, type_code

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_sign_up_with_the_code_the_simulator_read_out(client, simulator):
    answer = sign_up(client, "036 123 4567")
    assert answer.status_code == 302
    [call] = simulator.calls
    assert call.phone == "0361234567"
    assert type_code(client, call.code).status_code == 302
    user = AccountPhone.objects.get(phone="+84361234567", verified=True).user
    assert signed_in_user(client) == f"signed in: {user.pk}"


def test_a_number_the_gateway_refuses_is_a_form_error(client, simulator):
    answer = sign_up(client, "036 123 9907")  # the simulator answers 7: the subscriber refuses
    assert error_codes(answer, "phone") == ["recipient_refused"]
    assert not User.objects.exists()


def test_a_gateway_that_answers_500_is_a_form_error(client, simulator):
    answer = sign_up(client, "036 123 9801")
    assert error_codes(answer, "phone") == ["provider_unavailable"]
    assert not User.objects.exists()


def test_a_gateway_no_one_answers_at_is_a_form_error(client, simulator, settings):
    with override_settings(VOICEOTP={**settings.VOICEOTP, "BASE_URL": "http://127.0.0.1:9/onsmsapivoice"}):
        answer = sign_up(client, "036 123 4567")
    assert error_codes(answer, "phone") == ["provider_unavailable"]
    assert not User.objects.exists()
