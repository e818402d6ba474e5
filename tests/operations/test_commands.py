"""The operators' commands, against the simulator over loopback: their output and their exit codes."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from django_voiceotp.management.commands.voiceotp_simulator import site_defaults
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.operations import purge
from django_voiceotp.operations.durations import format_duration, parse_duration
from django_voiceotp.signals import call_status_changed

from ..admin.pages import challenge_row
from ..conftest import KEY, PASSWORD, USERNAME
from ..helpers import an_interval_passes, start, voiceotp

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> tuple[int, str, str]:
    """Run a command; its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# -- voiceotp_balance ------------------------------------------------------------------------------


def test_balance_prints_the_balance_and_exits_0(simulator):
    assert run("voiceotp_balance") == (0, "Gateway balance: 1000000.\n", "")


def test_balance_exits_1_at_or_below_low_balance(simulator):
    with voiceotp(LOW_BALANCE=1_000_000):
        status, out, _ = run("voiceotp_balance")
    assert status == 1
    assert out == "Gateway balance: 1000000 (at or below the warning level 1000000).\n"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            "http500",
            "The gateway answered with an HTTP error (500).\nThe gateway answered: Internal Server Error\n",
        ),
        ("garbage", "The gateway's balance answer could not be read.\nThe gateway answered: <html>oops\n"),
        ("drop", "The gateway could not be reached.\n"),
    ],
)
def test_balance_exits_2_when_the_gateway_fails(simulator, fault, message):
    simulator.set_fault(fault, endpoint="checkBalance")
    assert run("voiceotp_balance") == (2, "", message)


def test_balance_exits_2_on_a_hanging_gateway_within_the_timeout(simulator, monkeypatch):
    monkeypatch.setattr(simulator, "hang_seconds", 20.0)
    simulator.set_fault("hang", endpoint="checkBalance")
    started = time.monotonic()
    with voiceotp(TIMEOUT=(0.5, 0.5)):
        status, _, err = run("voiceotp_balance")
    assert status == 2
    assert err == "The gateway did not answer within 0.5 s.\n"
    assert time.monotonic() - started < 10  # the timeout, not the 20 s hang (a wide margin)


def test_balance_exits_2_on_wrong_credentials(simulator):
    with voiceotp(KEY="wrong-key"):
        status, out, err = run("voiceotp_balance")
    assert status == 2
    assert "(code 0)" in err
    assert "wrong-key" not in out + err


def test_balance_bypasses_the_cache_and_refreshes_it(simulator, admin_client):
    run("voiceotp_balance")
    simulator.set_balance(7)
    assert run("voiceotp_balance")[1] == "Gateway balance: 7.\n"
    assert simulator.count("checkBalance") == 2
    assert "Gateway balance: 7." in admin_client.get("/admin/django_voiceotp/otpchallenge/").content.decode()
    assert simulator.count("checkBalance") == 2


# -- voiceotp_poll_calls ---------------------------------------------------------------------------


@pytest.fixture
def two_calls(simulator, api) -> tuple[VoiceCall, VoiceCall]:
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0361239700")  # never answered
    answered = VoiceCall.objects.get(phone="+84361234567")
    unanswered = VoiceCall.objects.get(phone="+84361239700")
    for call in (answered, unanswered):
        simulator.set_outcome(call.request_id, "pending")
    return answered, unanswered


@pytest.fixture
def changes() -> Any:
    seen: list[tuple[int, str, str]] = []

    def record(call: VoiceCall, old_status: str, new_status: str, **kwargs: Any) -> None:
        seen.append((call.pk, old_status, new_status))

    call_status_changed.connect(record, weak=False, dispatch_uid="test-commands")
    yield seen
    call_status_changed.disconnect(dispatch_uid="test-commands")


def test_poll_finds_pending_then_answered_and_unanswered_and_signals_each_change(
    simulator, two_calls, changes
):
    answered, unanswered = two_calls
    assert run("voiceotp_poll_calls", "--workers", "1") == (
        0,
        "checked 2, changed 0, still open 2, errors 0\n",
        "",
    )
    assert run("voiceotp_poll_calls")[1] == "checked 0, changed 0, still open 0, errors 0\n"  # asked just now
    an_interval_passes()
    simulator.set_outcome(answered.request_id, "answered")
    simulator.set_outcome(unanswered.request_id, "failed")
    status, out, _ = run("voiceotp_poll_calls", "--workers", "1")
    assert status == 0
    assert out.splitlines() == [
        f"036****700 calling -> unanswered (request {unanswered.request_id})",
        f"036****567 calling -> answered (request {answered.request_id})",
        "checked 2, changed 2, still open 0, errors 0",
    ]
    assert sorted(changes) == sorted(
        [(answered.pk, "calling", "answered"), (unanswered.pk, "calling", "unanswered")]
    )
    assert OtpChallenge.objects.get(phone="+84361234567").call_status == CallStatus.ANSWERED
    assert run("voiceotp_poll_calls")[1] == "checked 0, changed 0, still open 0, errors 0\n"
    assert simulator.count("checkVoice") == 4


def test_poll_exits_1_when_the_gateway_fails(simulator, two_calls):
    simulator.set_fault("http500", endpoint="checkVoice")
    status, out, err = run("voiceotp_poll_calls", "--workers", "1")
    assert status == 1
    assert out == "checked 2, changed 0, still open 2, errors 2\n"
    assert sorted(err.splitlines()[:2]) == sorted(
        f"call {call.pk}: checkVoice: HTTP 500" for call in two_calls
    )
    assert err.splitlines()[2:] == ["why (2 calls): checkVoice: HTTP 500"]
    assert VoiceCall.objects.filter(status=CallStatus.CALLING).count() == 2


def test_poll_dry_run_lists_and_asks_nothing(simulator, two_calls):
    status, out, _ = run("voiceotp_poll_calls", "--dry-run")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("would ask: 036****700 calling request ")
    assert lines[1].startswith("would ask: 036****567 calling request ")
    assert lines[2] == "2 open calls younger than 1h due for a check; nothing was asked (--dry-run)"
    assert simulator.count("checkVoice") == 0


def test_poll_skips_calls_older_than_max_age_and_stops_at_the_limit(simulator, two_calls):
    answered, _ = two_calls
    VoiceCall.objects.filter(pk=answered.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert run("voiceotp_poll_calls", "--max-age", "30m", "--dry-run")[1].count("would ask") == 1
    assert run("voiceotp_poll_calls", "--max-age", "1d", "--dry-run")[1].count("would ask") == 2
    assert run("voiceotp_poll_calls", "--max-age", "7200", "--limit", "1")[1].startswith("checked 1,")


@pytest.mark.parametrize(
    "args",
    [
        ["--max-age", "soon"],
        ["--workers", "0"],
        ["--limit", "x"],
        ["--processes", "0"],
        ["--processes", "17"],
        ["--processes", "two"],
    ],
)
def test_poll_refuses_what_it_cannot_read(args):
    with pytest.raises(CommandError):
        call_command("voiceotp_poll_calls", *args)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_poll_with_workers_asks_each_call_once_and_closes_its_connections(simulator, api, changes):
    with voiceotp(RESEND_COOLDOWN=0):
        for n in range(12):
            start(api, phone=f"03612345{n:02d}")
    for call in VoiceCall.objects.all():
        simulator.set_outcome(call.request_id, "answered")
    status, out, _ = run("voiceotp_poll_calls", "--workers", "4")
    assert status == 0
    assert out.splitlines()[-1] == "checked 12, changed 12, still open 0, errors 0"
    assert simulator.count("checkVoice") == 12
    assert len(changes) == 12
    # A closed connection's server process ends a moment after the client lets go: wait for it.
    others = None
    deadline = time.monotonic() + 5
    while others != 0 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchone()[0]
        if others:
            time.sleep(0.1)
    assert others == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="processes share no in-memory SQLite database")
@pytest.mark.django_db(transaction=True)
def test_poll_in_processes_asks_each_call_once_and_merges_what_they_did(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        for n in range(12):
            start(api, phone=f"03612345{n:02d}")
    calls = list(VoiceCall.objects.order_by("pk"))
    for call in calls[:9]:
        simulator.set_outcome(call.request_id, "answered")
    for call in calls[9:]:
        simulator.set_outcome(call.request_id, "pending")
    status, out, _ = run("voiceotp_poll_calls", "--processes", "3", "--workers", "2")
    assert status == 0
    assert out.splitlines()[-1] == "checked 12, changed 9, still open 3, errors 0"
    assert out.count("calling -> answered") == 9
    assert simulator.count("checkVoice") == 12
    assert (
        sorted(VoiceCall.objects.values_list("status", "checks"))
        == [("answered", 1)] * 9 + [("calling", 1)] * 3
    )
    assert set(OtpChallenge.objects.values_list("call_status", flat=True)) == {"answered", "calling"}


def test_poll_refuses_more_connections_than_64():
    with pytest.raises(CommandError, match="at most 64"):
        call_command("voiceotp_poll_calls", "--processes", "8", "--workers", "16")


@pytest.mark.django_db(transaction=True)
def test_poll_never_forks_inside_a_transaction_or_with_a_connection_pool(monkeypatch):
    with transaction.atomic(), pytest.raises(CommandError, match="inside a database transaction"):
        call_command("voiceotp_poll_calls", "--processes", "2")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"pool": True})
    with pytest.raises(CommandError, match="connection pool"):
        call_command("voiceotp_poll_calls", "--processes", "2")


def test_poll_records_a_failure_to_record_an_outcome_and_goes_on(simulator, two_calls, caplog):
    answered, unanswered = two_calls
    simulator.set_outcome(answered.request_id, "answered")
    simulator.set_outcome(unanswered.request_id, "failed")

    def broken(call: VoiceCall, **kwargs: Any) -> None:
        if call.pk == answered.pk:
            raise RuntimeError("a receiver failed")

    call_status_changed.connect(broken, weak=False, dispatch_uid="test-broken-receiver")
    try:
        status, out, err = run("voiceotp_poll_calls", "--workers", "1")
    finally:
        call_status_changed.disconnect(dispatch_uid="test-broken-receiver")
    assert status == 1
    assert err == f"call {answered.pk}: RuntimeError while recording or signalling the outcome\n"
    assert out.splitlines()[-1] == "checked 2, changed 1, still open 1, errors 1"
    assert VoiceCall.objects.get(pk=unanswered.pk).status == "unanswered"
    assert "recording or signalling the outcome of call" in caplog.text


# -- voiceotp_purge --------------------------------------------------------------------------------


@pytest.fixture
def aged_rows() -> dict[str, OtpChallenge]:
    """Challenges at several ages and statuses, each with one call; keyed by a name for each."""
    now = timezone.now()
    shapes = {
        "live_2h": (2, ChallengeStatus.PENDING, now + timedelta(minutes=5)),
        "verified_2h": (2, ChallengeStatus.VERIFIED, now),
        "verified_40d": (40 * 24, ChallengeStatus.VERIFIED, now),
        "failed_40d": (40 * 24, ChallengeStatus.FAILED, now),
        "expired_pending_40d": (40 * 24, ChallengeStatus.PENDING, now - timedelta(days=40)),
        "live_pending_40d": (40 * 24, ChallengeStatus.PENDING, now + timedelta(minutes=5)),
        "canceled_20d": (20 * 24, ChallengeStatus.CANCELED, now),
    }
    rows = {
        name: challenge_row(
            f"+8436123400{i}",
            status=status,
            created_at=now - timedelta(hours=hours),
            expires_at=expires,
        )
        for i, (name, (hours, status, expires)) in enumerate(shapes.items())
    }
    OtpChallenge.objects.bulk_create(rows.values())
    VoiceCall.objects.bulk_create(VoiceCall(challenge=c, phone=c.phone) for c in rows.values())
    return rows


def remaining() -> set[str]:
    return set(OtpChallenge.objects.values_list("phone", flat=True))


def test_purge_deletes_finished_challenges_older_than_the_age_and_their_calls(aged_rows):
    status, out, _ = run("voiceotp_purge", "--older-than", "30d")
    assert status == 0
    assert out.startswith("deleted 3 challenges and 3 calls older than 30d (created before ")
    kept = {aged_rows[n].phone for n in ("live_2h", "verified_2h", "live_pending_40d", "canceled_20d")}
    assert remaining() == kept
    assert VoiceCall.objects.count() == 4


def test_purge_dry_run_counts_the_same_and_deletes_nothing(aged_rows):
    status, out, _ = run("voiceotp_purge", "--older-than", "30d", "--dry-run")
    assert status == 0
    assert out.startswith("would delete 3 challenges and 3 calls older than 30d")
    assert out.rstrip().endswith("nothing was deleted (--dry-run)")
    assert len(remaining()) == 7
    assert VoiceCall.objects.count() == 7


@pytest.mark.parametrize(("age", "deleted"), [("12h", 4), ("3600s", 5), ("5400", 5), ("90m", 5), ("21d", 3)])
def test_purge_reads_every_form_of_age(aged_rows, age, deleted):
    assert run("voiceotp_purge", "--older-than", age)[1].startswith(f"deleted {deleted} challenges")


@pytest.mark.parametrize("age", ["30m", "59m", "3599", "0", "soon", "-1d"])
def test_purge_refuses_ages_under_an_hour_and_unreadable_ones(aged_rows, age):
    with pytest.raises(CommandError):
        call_command("voiceotp_purge", "--older-than", age)
    assert len(remaining()) == 7


@pytest.mark.parametrize(
    ("changes", "floor", "setting"),
    [
        ({"DAILY_CALL_LIMIT": 100}, "1d", "DAILY_CALL_LIMIT"),
        ({"PREFIX_GUARD": {"window": 4 * 3600}}, "4h", "PREFIX_GUARD"),
        ({"REPEAT_WINDOW": 3 * 3600}, "3h", "REPEAT_WINDOW"),
    ],
)
def test_purge_never_deletes_rows_a_guard_still_counts(aged_rows, changes, floor, setting):
    """The call rows are what the spend cap, the prefix guard and the repeat window count."""
    with voiceotp(**changes):
        with pytest.raises(CommandError, match=f"under {floor}: {setting}"):
            call_command("voiceotp_purge", "--older-than", "2h")
        with pytest.raises(ValueError, match=setting):
            purge.purge(2 * 3600)
        assert len(remaining()) == 7
        assert run("voiceotp_purge", "--older-than", "30d")[1].startswith("deleted 3 challenges")


def test_purge_works_in_batches(aged_rows):
    done = purge.purge(3600, batch_size=2)
    assert (done.challenges, done.calls) == (5, 5)
    assert remaining() == {aged_rows["live_2h"].phone, aged_rows["live_pending_40d"].phone}


def test_durations_read_and_print_the_same_forms():
    assert [parse_duration(t) for t in ("30", "30s", "90m", "2h", "1d", " 1D ")] == [
        30,
        30,
        5400,
        7200,
        86400,
        86400,
    ]
    assert [format_duration(s) for s in (30, 5400, 7200, 86400, 0)] == ["30s", "90m", "2h", "1d", "0s"]
    with pytest.raises(ValueError, match="3600s, 90m, 12h or 30d"):
        parse_duration("1w")


# -- voiceotp_simulator ----------------------------------------------------------------------------


def test_the_simulator_takes_its_defaults_from_the_site():
    with voiceotp(BASE_URL="http://localhost:8799/onsmsapivoice", SENDER="BRAND"):
        defaults = site_defaults()
    assert defaults == {
        "host": "localhost",
        "port": 8799,
        "username": USERNAME,
        "password": PASSWORD,
        "key": KEY,
        "sender": "BRAND",
    }
    with voiceotp(BASE_URL="https://gateway.example/onsmsapivoice"):
        assert "host" not in site_defaults()
    with voiceotp(BASE_URL="http://0.0.0.0:8799/onsmsapivoice"):  # reaches loopback: listen there only
        assert (site_defaults()["host"], site_defaults()["port"]) == ("127.0.0.1", 8799)


def test_the_simulator_command_serves_with_the_site_s_credentials_until_sigterm():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "voiceotp_simulator", "--port", "0"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Gateway simulator: BASE_URL=http://127.0.0.1:")
        base_url = line.split("BASE_URL=")[1].split()[0]
        answer = requests.post(
            f"{base_url}/checkBalance", json={"username": USERNAME, "pass": PASSWORD, "key": KEY}, timeout=30
        )
        assert answer.json() == {"errorcode": "1", "balance": 1000}
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)  # generous: a busy machine, not the claim
    assert code == 0
