"""A hostile person against allauth's pages and its headless API: numbers in other scripts, with
extensions, huge or with control characters, values of the wrong type, in every phone and code
field. Whatever comes in, no answer is a 500, nothing is dialled but the local form of a number the
app stored, and no code the gateway read out appears in any answer."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_voiceotp.models import VoiceCall
from tests.helpers import NO_LIMITS, voiceotp
from tests.hostile_input import (
    code_texts,
    dialled_only_stored_numbers,
    form_values,
    json_values,
    phone_texts,
    shows_no_code,
)

from .flows import CHANGE_PHONE, CONFIRM_LOGIN_CODE, LOGIN, SIGNUP, VERIFY_PHONE
from .headless_flows import HeadlessClient

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAGES = {
    "signup": (SIGNUP, "phone"),
    "login": (LOGIN, "login"),
    "request_login_code": ("/accounts/login/code/", "phone"),
    "change_phone": (CHANGE_PHONE, "phone"),
    "verify_phone": (VERIFY_PHONE, "code"),
    "confirm_login_code": (CONFIRM_LOGIN_CODE, "code"),
}
HEADLESS = {
    "signup": ("auth/signup", "phone"),
    "request_login_code": ("auth/code/request", "phone"),
    "login": ("auth/login", "phone"),
    "change_phone": ("account/phone", "phone"),
    "verify_phone": ("auth/phone/verify", "code"),
    "confirm_login_code": ("auth/code/confirm", "code"),
}


def fresh(simulator, django_user_model) -> None:
    """Each example on its own: allauth names phone-only accounts "user" and a random suffix, and
    Hypothesis seeds ``random`` alike for every example, so the names would run out."""
    cache.clear()
    simulator.reset()
    django_user_model.objects.all().delete()


def prepare(client, page: str, django_user_model) -> None:
    """Bring the client to where ``page`` takes its input: a code page after a real call."""
    if page == "verify_phone":
        client.post(SIGNUP, {"phone": "0905 123 456"})
    elif page == "confirm_login_code":
        client.post(LOGIN, {"login": "0905 123 457"})
    elif page == "change_phone":
        client.force_login(django_user_model.objects.create(username=f"u{django_user_model.objects.count()}"))


def judge(simulator, *answers) -> None:
    for answer in answers:
        assert answer.status_code < 500, answer.status_code
    dialled_only_stored_numbers(simulator.received, VoiceCall.objects.values_list("phone", flat=True))
    shows_no_code([call.code for call in simulator.calls], *(a.content for a in answers))


@FUZZ
@given(page=st.sampled_from(sorted(PAGES)), typed=st.one_of(phone_texts, code_texts, form_values))
def test_allauth_s_pages_take_hostile_input_without_a_500_or_a_stray_call(
    simulator, django_user_model, page, typed
):
    fresh(simulator, django_user_model)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        client = Client()
        prepare(client, page, django_user_model)
        path, field = PAGES[page]
        answer = client.post(path, {field: typed})
        again = client.get(path)
    judge(simulator, answer, again)


@FUZZ
@given(
    endpoint=st.sampled_from(sorted(HEADLESS)),
    kind=st.sampled_from(["browser", "app"]),
    typed=st.one_of(phone_texts, code_texts, json_values),
)
def test_allauth_s_headless_api_takes_hostile_input_without_a_500_or_a_stray_call(
    simulator, django_user_model, endpoint, kind, typed
):
    fresh(simulator, django_user_model)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        api = HeadlessClient(kind)
        if endpoint == "verify_phone":
            api.post_json("auth/signup", {"phone": "0905 123 456"})
        elif endpoint == "confirm_login_code":
            api.post_json("auth/code/request", {"phone": "0905 123 457"})
        elif endpoint == "change_phone":
            api.force_login(
                django_user_model.objects.create(username=f"u{django_user_model.objects.count()}")
            )
        route, field = HEADLESS[endpoint]
        body = {field: typed, "password": "a-long-Password-9"} if endpoint == "login" else {field: typed}
        answer = api.post_json(route, body)
        session = api.get_json("auth/session")
    judge(simulator, answer, session)
