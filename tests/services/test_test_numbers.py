"""``TEST_NUMBERS``: numbers the site controls, never dialled, whose code is the one the setting gives;
the per-number limits apply, but nothing is spent (the spend cap and the prefix guard do not count
them). Refused with ``DEBUG`` off unless ``ALLOW_TEST_NUMBERS_IN_PRODUCTION`` says the site means it,
and then each use is logged and signalled."""

from __future__ import annotations

import logging

import pytest
from django.core import checks
from django.test import override_settings

from django_voiceotp.conf import problems
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, PrefixBlock, VoiceCall
from django_voiceotp.signals import test_number_used

from ..helpers import NO_LIMITS, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db

TEST_NUMBER = "+84900000001"
TEST_CODE = "123456"
LOCAL = "0900000001"


@pytest.fixture
def test_numbers(simulator, settings):
    settings.DEBUG = True
    with voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}):
        yield simulator


def test_a_test_number_is_never_dialled_and_its_code_is_the_one_given(api, test_numbers):
    answer = start(api, phone=LOCAL)
    assert answer.status_code == 201
    assert test_numbers.count("postSMS") == 0
    [call] = VoiceCall.objects.all()
    assert (call.gateway, call.is_test, call.status) == ("test", True, CallStatus.CALLING)
    assert OtpChallenge.objects.get().is_test
    assert verify(api, answer.json()["id"], wrong(TEST_CODE)).json()["code"] == "invalid_code"
    assert verify(api, answer.json()["id"], TEST_CODE).status_code == 200


def test_a_resend_to_a_test_number_reads_the_same_code_and_dials_nothing(api, test_numbers):
    challenge = start(api, phone=LOCAL).json()["id"]
    with voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, RESEND_COOLDOWN=0):
        assert resend(api, challenge).status_code == 200
    assert VoiceCall.objects.filter(is_test=True).count() == 2
    assert test_numbers.count("postSMS") == 0
    assert verify(api, challenge, TEST_CODE).status_code == 200


def test_the_per_number_limits_apply_to_a_test_number(api, test_numbers):
    with voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, RATE_LIMITS={"request_per_phone": "1/10m"}):
        assert start(api, phone=LOCAL).status_code == 201
        assert start(api, phone=LOCAL).status_code == 429


def test_a_test_number_spends_nothing_of_the_spend_cap(api, test_numbers):
    with voiceotp(
        TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0, DAILY_CALL_LIMIT=1
    ):
        for _ in range(3):
            assert start(api, phone=LOCAL, purpose=f"p{_}").status_code == 201
        assert start(api, phone="0361234567").status_code == 201  # the one real call of the day
        assert start(api, phone="0361234568").status_code == 429
    assert test_numbers.count("postSMS") == 1


def test_a_test_number_counts_in_no_prefix_s_statistics(api, test_numbers):
    guard = {
        "min_calls": 2,
        "max_unverified_ratio": 0.5,
        "window": 3600,
        "block_for": 600,
        "prefix_digits": 6,
    }
    with voiceotp(
        TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, RATE_LIMITS=NO_LIMITS, RESEND_COOLDOWN=0, PREFIX_GUARD=guard
    ):
        for n in range(4):
            assert start(api, phone=LOCAL, purpose=f"p{n}").status_code == 201
        assert start(api, phone="0900000002").status_code == 201  # a real number of the same prefix
    assert not PrefixBlock.objects.exists()


def test_the_admin_marks_a_test_number_s_rows(api, test_numbers, admin_client):
    start(api, phone=LOCAL)
    challenges = admin_client.get("/admin/django_voiceotp/otpchallenge/").content.decode()
    assert "voiceotp-badge-test" in challenges
    call = VoiceCall.objects.get()
    page = admin_client.get(f"/admin/django_voiceotp/voicecall/{call.pk}/change/").content.decode()
    assert "voiceotp-badge-test" in page
    only_tests = admin_client.get("/admin/django_voiceotp/voicecall/?is_test__exact=1")
    assert only_tests.status_code == 200


def test_with_debug_off_test_numbers_are_refused_unless_the_site_means_it(settings):
    settings.DEBUG = False
    with voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}):
        found = [p for p in problems() if p.key == "TEST_NUMBERS"]
        assert found
        assert "ALLOW_TEST_NUMBERS_IN_PRODUCTION" in found[0].message
        assert "voiceotp.E003" in {m.id for m in checks.run_checks()}
    with voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, ALLOW_TEST_NUMBERS_IN_PRODUCTION=True):
        assert not [p for p in problems() if p.key == "TEST_NUMBERS"]


@pytest.mark.parametrize(
    "numbers",
    [
        {"0900000001": TEST_CODE},
        {TEST_NUMBER: "12345"},
        {TEST_NUMBER: "١٢٣٤٥٦"},
        ["+84900000001"],
        {TEST_NUMBER: 123456},
    ],
    ids=["not-e164", "short-code", "other-digits", "a-list", "an-int"],
)
def test_a_test_number_setting_that_is_not_valid_is_a_problem(settings, numbers):
    settings.DEBUG = True
    with voiceotp(TEST_NUMBERS=numbers):
        assert [p for p in problems() if p.key == "TEST_NUMBERS"]


def test_in_production_each_use_is_logged_and_signalled(api, simulator, settings, caplog):
    settings.DEBUG = False
    heard: list[str] = []

    def receiver(sender, phone, **kwargs):
        heard.append(phone)

    test_number_used.connect(receiver)
    try:
        with (
            voiceotp(TEST_NUMBERS={TEST_NUMBER: TEST_CODE}, ALLOW_TEST_NUMBERS_IN_PRODUCTION=True),
            caplog.at_level(logging.WARNING, logger="django_voiceotp"),
        ):
            challenge = start(api, phone=LOCAL).json()["id"]
    finally:
        test_number_used.disconnect(receiver)
    assert heard == [TEST_NUMBER]
    warnings = [r.getMessage() for r in caplog.records if "test number" in r.getMessage()]
    assert warnings
    assert all(TEST_NUMBER not in w and LOCAL not in w and TEST_CODE not in w for w in warnings)
    assert simulator.count("postSMS") == 0
    assert OtpChallenge.objects.get(pk=challenge).status == ChallengeStatus.PENDING


def test_another_number_still_goes_to_the_gateway(api, test_numbers):
    with override_settings(DEBUG=True):
        assert start(api, phone="0361234567").status_code == 201
    assert test_numbers.count("postSMS") == 1
    assert not VoiceCall.objects.get().is_test
