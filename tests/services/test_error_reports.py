"""What Django's error reports show of a failure inside the rules: never the code.

Error reports (the 500 mail to ADMINS, and trackers that read Django's filtered frames) list every
frame's local variables. The functions that hold a code mark it with ``sensitive_variables``.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from django_voiceotp import services
from django_voiceotp.gateways.onsms import OnSmsGateway

from ..helpers import NO_LIMITS, PHONE, voiceotp

pytestmark = pytest.mark.django_db

CODE = "482913"
PLACED: list[str] = []
"""The codes the broken gateway was given: kept outside its frame, whose variables the report shows."""


class Broken(Exception):
    pass


def report_of(action) -> str:
    """Everything Django's error report would show of the exception ``action`` raises."""
    try:
        action()
    except Broken:
        exc_type, exc, tb = sys.exc_info()
    else:  # pragma: no cover - the action must fail
        raise AssertionError("the action did not fail")
    request = RequestFactory().post("/api/otp/challenges/")
    data = ExceptionReporter(request, exc_type, exc, tb).get_traceback_data()
    shown = [repr(value) for frame in data["frames"] for _, value in frame["vars"]]
    return "\n".join(shown)


@pytest.fixture
def known_code(monkeypatch):
    monkeypatch.setattr("django_voiceotp.codes.secrets.randbelow", lambda limit: int(CODE))


def test_a_failure_while_placing_the_call_shows_no_code(simulator, known_code, monkeypatch):
    PLACED.clear()

    def explode(self, phone, code):
        PLACED.append(code)
        raise Broken("the gateway client broke")

    monkeypatch.setattr(OnSmsGateway, "place_call", explode)
    with voiceotp(RATE_LIMITS=NO_LIMITS):
        shown = report_of(lambda: services.start_verification(PHONE, client_ip=None))
    assert PLACED == [CODE]  # the frames held this very code...
    assert "+84361234567" in shown  # ...and their variables are there...
    assert CODE not in shown  # ...but the code is not


def a_guess_judged_by_a_broken_database(monkeypatch) -> tuple[Any, str]:
    """A challenge, and the error report of a guess of :data:`CODE` at it that the database failed."""
    with voiceotp(RATE_LIMITS=NO_LIMITS):
        challenge = services.start_verification(PHONE, client_ip=None)

    def explode(*args, **kwargs):
        raise Broken("the database broke")

    monkeypatch.setattr("django_voiceotp.store.judge", explode)
    return challenge, report_of(lambda: services.check_code(challenge.pk, CODE, client_ip=None))


def test_a_failure_while_judging_a_guess_shows_no_guess(simulator, monkeypatch):
    _, shown = a_guess_judged_by_a_broken_database(monkeypatch)
    assert CODE not in shown


def test_the_report_still_shows_what_is_not_secret(simulator, monkeypatch):
    """The filter hides the code, not the frames: an operator can still read what failed."""
    challenge, shown = a_guess_judged_by_a_broken_database(monkeypatch)
    assert str(challenge.pk) in shown
    assert "********" in shown
