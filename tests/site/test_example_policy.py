"""The example site's policy (example_project/policy.py): a captcha from an address's fourth request
in an hour on, django-simple-captcha's, answered once, over the REST API to the simulator."""

from __future__ import annotations

import re

import pytest
from django.db import connection, connections

from django_voiceotp.exceptions import ChallengeRequired

from ..helpers import NO_LIMITS, PHONE, cache_down, resend, run_together, voiceotp

captcha = pytest.importorskip("captcha")

from captcha.conf import settings as captcha_settings  # noqa: E402 - only with captcha installed
from captcha.models import CaptchaStore  # noqa: E402

from example_project.policy import CaptchaAfterThree  # noqa: E402

pytestmark = pytest.mark.django_db
ME = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture(autouse=True)
def _policy():
    with voiceotp(
        POLICY="example_project.policy.CaptchaAfterThree", RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS
    ):
        yield


def ask(api, n: int, **body):
    """Request number ``n`` (another purpose each time, so the rules let each one through)."""
    return api.post("/api/otp/challenges/", {"phone": PHONE, "purpose": f"p{n}", **body}, format="json", **ME)


def over_the_threshold(api):
    for n in range(3):
        assert ask(api, n).status_code == 201
    refused = ask(api, 3)
    assert (refused.status_code, refused.json()["code"]) == (403, "challenge_required")
    return refused.json()["challenge"]


def answer_of(key: str) -> str:
    return str(CaptchaStore.objects.get(hashkey=key).response)


def test_three_requests_call_and_the_fourth_asks_for_a_captcha_it_can_show(simulator, api, client):
    challenge = over_the_threshold(api)
    assert challenge["type"] == "captcha"
    assert re.fullmatch(r"[0-9a-f]{40}", challenge["key"])
    assert challenge["image_url"] == f"/captcha/image/{challenge['key']}/"
    assert "audio_url" not in challenge  # no flite here: the picture only
    picture = client.get(challenge["image_url"])
    assert (picture.status_code, picture["Content-Type"]) == (200, "image/png")
    assert simulator.count("postSMS") == 3


def test_the_right_answer_gets_the_call_once(simulator, api):
    key = over_the_threshold(api)["key"]
    right = {"captcha_key": key, "captcha_value": answer_of(key).upper()}
    assert ask(api, 4, **right).status_code == 201
    again = ask(api, 5, **right)
    assert again.json()["code"] == "challenge_required"  # spent: a new captcha
    assert again.json()["challenge"]["key"] != key
    assert simulator.count("postSMS") == 4


def test_a_wrong_answer_spends_the_captcha_and_brings_a_new_one(simulator, api):
    key = over_the_threshold(api)["key"]
    right = answer_of(key)
    wrong = ask(api, 4, captcha_key=key, captcha_value=right + "x")
    assert wrong.json()["challenge"]["key"] != key
    assert ask(api, 5, captcha_key=key, captcha_value=right).json()["code"] == "challenge_required"
    assert simulator.count("postSMS") == 3


def test_a_resend_past_the_threshold_needs_the_captcha_too(simulator, api):
    ids = [ask(api, n).json()["id"] for n in range(3)]
    refused = resend(api, ids[0], **ME)
    key = refused.json()["challenge"]["key"]
    answered = api.post(
        f"/api/otp/challenges/{ids[0]}/resend/",
        {"captcha_key": key, "captcha_value": answer_of(key)},
        format="json",
        **ME,
    )
    assert answered.status_code == 200
    assert simulator.count("postSMS") == 4


def test_another_address_has_its_own_count(simulator, api):
    over_the_threshold(api)
    other = api.post(
        "/api/otp/challenges/", {"phone": PHONE, "purpose": "x"}, format="json", REMOTE_ADDR="198.51.100.9"
    )
    assert other.status_code == 201


def test_the_audio_is_offered_when_flite_can_speak_it(simulator, api, monkeypatch):
    monkeypatch.setattr(captcha_settings, "CAPTCHA_FLITE_PATH", "/usr/bin/flite")
    challenge = over_the_threshold(api)
    assert challenge["audio_url"] == f"/captcha/audio/{challenge['key']}.wav"


@pytest.mark.parametrize(
    "body",
    [
        {"captcha_key": 7, "captcha_value": "abcd"},
        {"captcha_key": ["a" * 40], "captcha_value": "abcd"},
        {"captcha_key": "../../etc", "captcha_value": "abcd"},
        {"captcha_key": "a" * 40, "captcha_value": "x" * 5000},
        {"captcha_key": "a" * 40, "captcha_value": None},
    ],
    ids=["number", "list", "path", "long", "null"],
)
def test_odd_answers_are_a_new_captcha_never_a_500(simulator, api, body):
    over_the_threshold(api)
    answer = ask(api, 4, **body)
    assert answer.status_code in (403, 413)


def test_a_resend_body_that_is_no_object_is_a_refusal_not_a_500(simulator, api):
    ids = [ask(api, n).json()["id"] for n in range(3)]
    answer = api.post(f"/api/otp/challenges/{ids[0]}/resend/", ["captcha"], format="json", **ME)
    assert answer.json()["code"] == "challenge_required"


class OnPagesToo(CaptchaAfterThree):
    pages_too = True


def test_pages_are_not_asked_unless_the_site_says_so(rf):
    for _ in range(5):
        CaptchaAfterThree().before_call(rf.post("/", **ME), "+84361234567", "allauth.login")


def test_a_page_s_form_answers_the_captcha_too(rf):
    policy = OnPagesToo()
    for _ in range(3):
        policy.before_call(rf.post("/", **ME), "+84361234567", "login")
    with pytest.raises(ChallengeRequired) as refused:
        policy.before_call(rf.post("/", **ME), "+84361234567", "login")
    key = refused.value.extra["challenge"]["key"]
    form = rf.post("/", {"captcha_key": key, "captcha_value": answer_of(key)}, **ME)
    policy.before_call(form, "+84361234567", "login")  # accepted: no refusal


def test_a_cache_that_does_not_answer_asks_for_the_captcha(rf):
    with cache_down(), pytest.raises(ChallengeRequired):
        OnPagesToo().before_call(rf.post("/", **ME), "+84361234567", "login")


def test_an_address_shown_its_captchas_waits_and_no_row_is_written(simulator, api):
    over_the_threshold(api)
    answers = [ask(api, n).json()["code"] for n in range(4, 30)]
    assert answers.count("challenge_required") == CaptchaAfterThree.max_captchas - 1
    assert set(answers[CaptchaAfterThree.max_captchas - 1 :]) == {"rate_limited"}
    assert CaptchaStore.objects.count() == CaptchaAfterThree.max_captchas


def test_no_request_is_never_asked():
    CaptchaAfterThree().before_call(None, "+84361234567", "job")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_one_solved_captcha_lets_one_of_many_parallel_requests_through(rf):
    key = CaptchaStore.generate_key()
    right = answer_of(key)
    policy = CaptchaAfterThree()
    request = rf.post("/", {"captcha_key": key, "captcha_value": right}, **ME)
    passed = run_together(8, lambda _i: policy._solved(request), after=connections.close_all)
    assert passed.count(True) == 1
