"""A hostile person against django-two-factor-auth's wizards with "call me": numbers in other scripts,
with extensions, huge or with control characters, values of the wrong type, in the setup's number
field and in both wizards' code fields. Whatever comes in, no answer is a 500, nothing is dialled but
the local form of a number the app stored, and no code the gateway read out appears on a page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_voiceotp.contrib.otp.models import VoiceCallDevice
from django_voiceotp.models import VoiceCall
from tests.helpers import NO_LIMITS, voiceotp
from tests.hostile_input import (
    code_texts,
    dialled_only_stored_numbers,
    form_values,
    phone_texts,
    shows_no_code,
)

from .conftest import E164, PASSWORD, wizard_post

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SETUP = "/account/two_factor/setup/"
LOGIN = "/account/login/"


def fresh(simulator) -> None:
    cache.clear()
    simulator.reset()
    VoiceCallDevice.objects.all().delete()


def judge(simulator, *answers) -> None:
    for answer in answers:
        assert answer.status_code < 500, answer.status_code
    dialled_only_stored_numbers(simulator.received, VoiceCall.objects.values_list("phone", flat=True))
    shows_no_code([call.code for call in simulator.calls], *(a.content for a in answers))


def to_the_number_step(client, user) -> None:
    client.force_login(user)
    client.get(SETUP)
    wizard_post(client, SETUP, "setup_view", "welcome", {})
    wizard_post(client, SETUP, "setup_view", "method", {"method": "call"})


@FUZZ
@given(typed=st.one_of(phone_texts, form_values))
def test_the_setup_wizard_s_number_field(simulator, user, typed):
    fresh(simulator)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        client = Client()
        to_the_number_step(client, user)
        answer = wizard_post(client, SETUP, "setup_view", "voice_call", {"number": typed})
    judge(simulator, answer)


@FUZZ
@given(typed=st.one_of(code_texts, form_values))
def test_the_setup_wizard_s_code_field(simulator, user, typed):
    fresh(simulator)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        client = Client()
        to_the_number_step(client, user)
        wizard_post(client, SETUP, "setup_view", "voice_call", {"number": "0905 123 456"})
        answer = wizard_post(client, SETUP, "setup_view", "validation", {"token": typed})
    judge(simulator, answer)


@pytest.fixture
def quick_user(django_user_model, settings):
    """A user whose password checks fast: the login wizard checks it at every example."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user("ana", "ana@example.com", PASSWORD)


@FUZZ
@given(typed=st.one_of(code_texts, form_values))
def test_the_login_wizard_s_code_field(simulator, quick_user, typed):
    fresh(simulator)
    VoiceCallDevice.objects.create(user=quick_user, name="default", number=E164)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        client = Client()
        token_step = wizard_post(
            client, LOGIN, "login_view", "auth", {"username": "ana", "password": PASSWORD}
        )
        answer = wizard_post(client, LOGIN, "login_view", "token", {"otp_token": typed})
    judge(simulator, token_step, answer)
