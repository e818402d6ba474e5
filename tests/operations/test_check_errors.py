"""checkVoice answers that are no outcome (-1 wrong credentials, 11, 0, an undocumented code, an
unreadable answer) are errors of the poll: recorded on the call, which keeps its status, counted as
failures (the command exits 1 and says why), and asked less and less often until the give-up age."""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.management import call_command
from django.utils import timezone

from django_voiceotp import services, tasks
from django_voiceotp.gateways import GatewayProtocolError, GatewayRefused
from django_voiceotp.models import CallStatus, VoiceCall
from django_voiceotp.operations import claims
from django_voiceotp.operations.polling import DEFAULT_MAX_AGE, CallPool, poll_calls

from ..helpers import NO_LIMITS, stamped_between, start, voiceotp

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(simulator, api) -> VoiceCall:
    assert start(api).status_code == 201
    row = VoiceCall.objects.get()
    simulator.set_outcome(row.request_id, "pending")
    return row


def placed_ago(row: VoiceCall, seconds: int) -> VoiceCall:
    VoiceCall.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return VoiceCall.objects.get(pk=row.pk)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("voiceotp_poll_calls", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("fault", "code", "raw"),
    [
        ({"fault": "code", "code": -1}, "-1", "-1"),
        ({"fault": "code", "code": 11, "style": "full"}, "11", "11,,,"),
        ({"fault": "code", "code": -2, "status": 403, "style": "prefixed"}, "-2", "RESULT: -2"),
        ({"fault": "body", "body": '{"code": "0"}'}, "0", '{"code": "0"}'),
        ({"fault": "code", "code": 42}, "42", "42"),
    ],
)
def test_an_error_of_the_check_is_recorded_and_the_call_keeps_its_status(simulator, call, fault, code, raw):
    simulator.set_fault(**fault, endpoint="checkVoice")
    with pytest.raises(GatewayRefused):
        services.refresh_call(call)
    row = VoiceCall.objects.get()
    assert (row.status, row.check_code, row.check_raw, row.checks) == (CallStatus.CALLING, code, raw, 1)
    assert row.checked_at is not None
    assert row.check_ms is not None
    assert row.challenge.call_status == CallStatus.CALLING


def test_an_unreadable_check_answer_is_kept_safely_and_the_code_left_empty(simulator, call):
    simulator.set_fault("body", body="<html>\x00\u202e</html>", endpoint="checkVoice")
    with pytest.raises(GatewayProtocolError):
        services.refresh_call(call)
    row = VoiceCall.objects.get()
    assert (row.status, row.check_code, row.check_raw) == (CallStatus.CALLING, "", "<html>␀<U+202E></html>")


def test_the_next_outcome_settles_the_call_as_usual(simulator, call):
    simulator.set_fault("code", code=-1, endpoint="checkVoice", times=1)
    with pytest.raises(GatewayRefused):
        services.refresh_call(call)
    simulator.set_outcome(call.request_id, "answered")
    assert services.refresh_call(VoiceCall.objects.get())
    row = VoiceCall.objects.get()
    assert (row.status, row.check_code, row.checks) == (CallStatus.ANSWERED, "1", 2)


def test_wrong_credentials_make_the_poll_fail_and_say_why(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        for n in range(3):
            assert start(api, phone=f"036123450{n}").status_code == 201
    with voiceotp(KEY="not-the-key"):  # the simulator answers -1, as the gateway would
        status, out, err = run("--workers", "1")
    assert status == 1
    assert out == "checked 3, changed 0, still open 3, errors 3\n"
    why = "checkVoice answered -1 (User not found): Check USERNAME, PASSWORD and KEY"
    assert err.count(why) == 4  # one line per call, and the reason with its count
    assert f"why (3 calls): {why}" in err
    assert set(VoiceCall.objects.values_list("status", "check_code")) == {(CallStatus.CALLING, "-1")}


def test_refusals_in_a_row_stop_the_run_like_silence_does(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        for n in range(4):
            assert start(api, phone=f"036123460{n}").status_code == 201
    simulator.set_fault("code", code=-1, endpoint="checkVoice")
    report = poll_calls(CallPool(interval=10), workers=1, stop_after=2)
    assert (report.checked, report.not_asked) == (2, 2)
    assert simulator.count("checkVoice") == 2


# -- backing off --------------------------------------------------------------------------------------


def test_the_back_off_is_the_calls_age_from_one_interval_to_ten_minutes(call):
    now = datetime(2026, 1, 1, 12, tzinfo=dt_timezone.utc)
    row = VoiceCall(created_at=now - timedelta(seconds=3))
    assert claims.backoff(row, interval=10, now=now) == 10
    row.created_at = now - timedelta(seconds=75)
    assert claims.backoff(row, interval=10, now=now) == 75
    row.created_at = now - timedelta(hours=2)
    assert claims.backoff(row, interval=10, now=now) == claims.MAX_BACKOFF
    assert claims.backoff(row, interval=900, now=now) == 900  # never shorter than the interval


def test_a_broken_account_is_asked_about_a_dozen_times_in_a_calls_hour_not_every_interval():
    placed = datetime(2026, 1, 1, 12, tzinfo=dt_timezone.utc)
    row = VoiceCall(created_at=placed)
    asked, now = 0, placed + timedelta(seconds=10)
    while now - placed <= timedelta(seconds=DEFAULT_MAX_AGE):
        asked += 1
        now += timedelta(seconds=claims.backoff(row, interval=10, now=now))
    assert asked <= 12  # every 10 s it would have been 360


def test_a_refused_check_holds_the_call_for_its_back_off_for_every_poller(simulator, call):
    row = placed_ago(call, 120)
    simulator.set_fault("code", code=-1, endpoint="checkVoice")
    before = timezone.now()
    report = poll_calls(CallPool(interval=10), workers=1)
    after = timezone.now()
    assert len(report.errors) == 1
    held = VoiceCall.objects.get(pk=row.pk).poll_lease_until
    assert held is not None
    assert stamped_between(held, before, after, 120, 125)
    assert poll_calls(CallPool(interval=10), workers=1).checked == 0  # not asked again meanwhile
    assert simulator.count("checkVoice") == 1


def test_silence_still_holds_a_call_for_one_interval_only(simulator, call):
    row = placed_ago(call, 120)
    simulator.set_fault("http500", endpoint="checkVoice")
    before = timezone.now()
    poll_calls(CallPool(interval=10), workers=1)
    after = timezone.now()
    held = VoiceCall.objects.get(pk=row.pk).poll_lease_until
    assert held is not None
    assert stamped_between(held, before, after, 10, 15)


def test_the_task_backs_off_too_and_stops_at_the_give_up_age(simulator, call, monkeypatch, caplog):
    monkeypatch.setattr(tasks, "enqueue", lambda call_id, **kwargs: True)  # the chain is test_polling's
    row = placed_ago(call, 300)
    simulator.set_fault("code", code=11, endpoint="checkVoice")
    caplog.set_level(logging.WARNING)
    before = timezone.now()
    assert tasks.run_poll(row.pk) == CallStatus.CALLING
    after = timezone.now()
    held = VoiceCall.objects.get(pk=row.pk).poll_lease_until
    assert held is not None
    assert stamped_between(held, before, after, 300, 305)
    assert "checkVoice answered 11 (Has invalid parameters)" in caplog.text
    assert "asked again in 300 s" in caplog.text
    assert tasks.run_poll(row.pk) == "not due"
    placed_ago(row, DEFAULT_MAX_AGE + 1)
    assert tasks.run_poll(row.pk) == "given up"
    assert simulator.count("checkVoice") == 1
