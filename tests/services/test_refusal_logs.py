"""No refusal writes the number it refused into a log: every refusal path is driven through the API
with every log record kept, and none holds the number in any form (national, E.164, bare digits);
where a line names a number, it is the masked form (``036****567``)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from django_voiceotp.models import OtpChallenge

from ..helpers import NO_LIMITS, PHONE, cache_down, resend, start, verify, voiceotp, wrong
from .test_guards import GUARD, numbers

pytestmark = pytest.mark.django_db

FULL = PHONE[1:]
"""In every full form of :data:`PHONE` (``0361234567``, ``+84361234567``, ``84361234567``); its
masked form ``036****567`` holds none of it."""
MASKED = "036****567"


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every kept record as a handler would write it: the message, its arguments and its traceback."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) + repr(record.args) for record in caplog.records]


def assert_no_full_number(caplog: pytest.LogCaptureFixture) -> None:
    leaked = [line for line in logged(caplog) if FULL in line]
    assert not leaked, leaked


@pytest.fixture
def every_record(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_limits_and_the_code_refusals_log_no_number(simulator, api, every_record):
    with voiceotp(MAX_SENDS=1, MAX_ATTEMPTS=2):
        assert start(api).status_code == 201
        assert start(api).status_code == 429  # the number's cooldown
    challenge_id = OtpChallenge.objects.get().pk
    with voiceotp(RESEND_COOLDOWN=0):
        assert resend(api, str(challenge_id)).status_code == 429  # MAX_SENDS
    code = simulator.calls[0].code
    assert verify(api, str(challenge_id), wrong(code)).json()["code"] == "invalid_code"
    assert verify(api, str(challenge_id), wrong(code)).json()["code"] == "locked"
    assert start(api, phone="12").status_code == 400
    assert_no_full_number(every_record)


def test_a_per_number_rate_limit_logs_no_number(simulator, api, every_record):
    with voiceotp(RATE_LIMITS={**NO_LIMITS, "request_per_phone": "1/h"}, RESEND_COOLDOWN=0):
        assert start(api, purpose="login").status_code == 201
        assert start(api, purpose="signup").status_code == 429
    assert_no_full_number(every_record)


def test_an_expired_code_logs_no_number(simulator, api, every_record):
    challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert verify(api, challenge_id, simulator.calls[0].code).status_code == 410
    assert_no_full_number(every_record)


def test_the_toll_fraud_guards_log_no_number(simulator, api, every_record):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS, DAILY_CALL_LIMIT=1):
        assert start(api, phone="0371234567").status_code == 201
        assert start(api).status_code == 429  # the spend cap
    OtpChallenge.objects.all().delete()
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS, PREFIX_GUARD=GUARD):
        for phone in numbers(count=3):
            assert start(api, phone=phone).status_code == 201
        assert start(api, phone="0361234567").status_code == 429  # the prefix block
    assert any("blocked" in line for line in logged(every_record))
    assert_no_full_number(every_record)


def test_a_gateway_refusal_logs_no_number(simulator, api, every_record):
    simulator.set_fault("code", code=7)  # the subscriber refuses calls
    assert start(api).status_code >= 400
    assert any("no call was placed" in line for line in logged(every_record))
    assert_no_full_number(every_record)


def test_a_cache_that_is_down_refuses_and_logs_no_number(simulator, api, every_record):
    with cache_down():
        assert start(api).status_code == 429
    assert any("the cache failed" in line for line in logged(every_record))
    assert_no_full_number(every_record)


def test_a_test_number_in_production_is_logged_masked(simulator, api, every_record, settings):
    settings.DEBUG = False
    with voiceotp(TEST_NUMBERS={"+84361234567": "123456"}, ALLOW_TEST_NUMBERS_IN_PRODUCTION=True):
        assert start(api).status_code == 201
    assert any(MASKED in line for line in logged(every_record))
    assert_no_full_number(every_record)
