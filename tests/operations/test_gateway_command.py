"""``manage.py voiceotp_gateway``: one question to the gateway, its answer as it came, how the app read
it, the HTTP status and the time; a call only when confirmed; never a credential or a code shown."""

from __future__ import annotations

import builtins
import io
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from django_voiceotp.models import VoiceCall

from ..conftest import SECRETS
from ..helpers import free_port, voiceotp

ROOT = Path(__file__).resolve().parent.parent.parent


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("voiceotp_gateway", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def fields(out: str) -> dict[str, str]:
    return {line[:12].rstrip(": "): line[12:] for line in out.splitlines()}


def test_the_balance_with_the_status_the_time_the_answer_and_its_reading(simulator):
    status, out, err = run("--balance")
    assert (status, err) == (0, "")
    shown = fields(out)
    assert shown["gateway"] == f"<OnSmsGateway {simulator.base_url}, directly>"
    assert shown["asked"] == "checkBalance, once, with no retry"
    assert shown["HTTP"] == "200"
    assert re.fullmatch(r"[0-9]+ ms", shown["time"])
    assert shown["answer"] == '{"errorcode": "1", "balance": 1000000}'
    assert shown["read as"] == "the balance, 1000000 (code 1: Success / Thành công)"
    assert simulator.count("checkBalance") == 1  # once


@pytest.mark.django_db
def test_a_call_placed_when_told_yes_shows_its_request_id_and_never_the_code(simulator):
    status, out, _ = run("--call", "0905 123 456", "--code", "4321", "--yes")
    assert status == 0
    [call] = simulator.calls
    assert (call.phone, call.code) == ("0905123456", "4321")
    shown = fields(out)
    assert shown["asked"] == "postSMS to 090****456 (a code of 4 digits, not shown), once, with no retry"
    assert shown["answer"] == f"1,,,{call.request_id}"
    assert shown["read as"].startswith(f"taken, request id {call.request_id} (code 1: Successfully received")
    assert f"voiceotp_gateway --check {call.request_id}" in shown["read as"]
    assert "4321" not in out
    assert VoiceCall.objects.count() == 0  # nothing recorded: an operator's test, not a challenge's call
    assert run("--check", call.request_id)[1].count("the call is pending (code 27: PENDDING") == 1


def test_a_call_is_refused_without_yes_where_nobody_can_answer(simulator):
    with pytest.raises(CommandError, match="costs money: pass --yes") as info:
        run("--call", "0905123456")
    assert info.value.returncode == 4
    with pytest.raises(CommandError, match="pass --yes"):
        run("--call", "0905123456", "--no-input")
    assert simulator.count("postSMS") == 0


@pytest.mark.parametrize(("typed", "placed"), [("yes", 1), ("no", 0), ("", 0)])
def test_a_person_at_a_terminal_is_asked_first(simulator, monkeypatch, typed, placed):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(builtins, "input", lambda prompt: typed)
    if placed:
        assert run("--call", "0905123456")[0] == 0
    else:
        with pytest.raises(CommandError, match="no call placed"):
            run("--call", "0905123456")
    assert simulator.count("postSMS") == placed


@pytest.mark.parametrize(
    ("fault", "exit_code", "reading"),
    [
        ({"fault": "code", "code": 5}, 1, "account (code 5: Brandname Not declared"),
        ({"fault": "code", "code": -2, "status": 403}, 1, "account (code -2: IP not allow"),
        ({"fault": "body", "body": "<html>\x00\x1b[2J</html>"}, 2, "unreadable postSMS answer"),
        ({"fault": "http500"}, 3, "no answer: postSMS: HTTP 500 (the call may still ring: it is unknown)"),
        ({"fault": "drop"}, 3, "no answer: postSMS: the connection dropped"),
    ],
)
def test_every_kind_of_answer_has_its_reading_and_exit_status(simulator, fault, exit_code, reading):
    simulator.set_fault(**fault)
    status, out, _ = run("--call", "0905123456", "--yes")
    assert status == exit_code
    assert fields(out)["read as"].startswith(reading)
    assert "\x00" not in out
    assert "\x1b" not in out


def test_what_to_do_about_a_5_is_to_check_the_sender(simulator):
    simulator.set_fault("code", code=5)
    assert "Check SENDER" in fields(run("--call", "0905123456", "--yes")[1])["what to do"]


def test_an_unreadable_answer_is_shown_as_it_came_safely(simulator):
    simulator.set_fault("body", body="RESULT = ok\r\n\x00", endpoint="checkBalance")
    status, out, _ = run("--balance")
    assert status == 2
    assert fields(out)["answer"] == "RESULT = ok␍␊␀"
    assert fields(out)["what to do"].startswith("A form the app does not read")


def test_an_error_of_the_check_exits_1_and_says_why(simulator):
    simulator.set_fault("code", code=-1, endpoint="checkVoice")
    status, out, _ = run("--check", "9b2c6a9e-1f7b-4a53-8d2e-3f6c1c0d5e7a")
    assert status == 1
    assert "checkVoice answered -1 (User not found): Check USERNAME, PASSWORD and KEY" in out


def test_nothing_is_asked_of_a_gateway_that_is_not_configured_or_for_a_number_it_cannot_call(simulator):
    with voiceotp(KEY=""):
        status, out, _ = run("--balance")
    assert status == 4
    assert "the gateway is not configured: the gateway credentials are missing: KEY" in out
    with pytest.raises(CommandError, match="not a number the site calls") as info:
        run("--call", "+1 202 555 0100", "--yes")
    assert info.value.returncode == 4
    with pytest.raises(CommandError, match="--code goes with --call"):
        run("--balance", "--code", "1234")
    with pytest.raises(CommandError, match="the code is 4 to 6 digits"):
        run("--call", "0905123456", "--code", "12", "--yes")
    assert simulator.received == []


def test_credentials_over_plain_http_are_a_warning_line(simulator):
    with voiceotp(BASE_URL="http://192.0.2.1:9/onsmsapivoice", TIMEOUT=(0.2, 0.2)):
        status, out, _ = run("--balance")
    assert status == 3
    assert fields(out)["warning"].startswith(
        "the credentials (USERNAME, PASSWORD, KEY) and every code go over"
    )


def test_no_credential_or_code_in_the_output_even_when_the_gateway_echoes_them(simulator):
    password, key = SECRETS
    said = ""
    for fault in (
        {"fault": "body", "body": f'{{"code": "9", "pass": "{password}", "key": "{key}", "msg": "4321"}}'},
        {"fault": "body", "body": f"<p>{password} {key} 4321</p>", "status": 500},
        {"fault": "body", "body": f"<p>{password} {key}</p>", "endpoint": "checkBalance"},
    ):
        simulator.clear_faults()
        simulator.set_fault(**fault)
        for question in (["--call", "0905123456", "--code", "4321", "--yes"], ["--balance"]):
            said += "".join(run(*question)[1:])
    assert "[password]" in said
    assert "[key]" in said
    assert "[code]" in said
    for secret in (password, key, "4321"):
        assert secret not in said


# -- in make demo ---------------------------------------------------------------------------------


def test_the_command_works_against_the_demo_s_simulator(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP_", "DJANGO_SETTINGS"))}
    env.update(
        PORT=str(free_port()),
        SIMULATOR_PORT=str(free_port()),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PYTHONUNBUFFERED="1",
        TASK_BACKEND="none",
    )
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(
        [sys.executable, "-m", "example_project.demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        banner = ""
        for _ in range(300):  # the banner is printed once the site is migrated: seconds
            log.seek(0)
            banner = log.read()
            if "ask it yourself:" in banner or demo.poll() is not None:
                break
            time.sleep(0.1)
        assert "balance main: HTTP 200, read as the balance, 1000 (code 1: Success" in banner, banner
        assert "balance backup: HTTP 200, read as the balance, 1000 (code 1: Success" in banner, banner
        line = re.search(r"ask it yourself: (.*) python manage.py (voiceotp_gateway --balance)", banner)
        assert line is not None
        asked = {**env, **dict(word.split("=", 1) for word in shlex.split(line[1]))}
        done = subprocess.run(
            [sys.executable, "manage.py", *shlex.split(line[2])],
            cwd=ROOT,
            env=asked,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        demo.terminate()
        demo.wait(15)
        log.close()
    assert done.returncode == 0, done.stderr
    assert "read as:    the balance, 1000 (code 1: Success / Thành công)" in done.stdout


@pytest.mark.django_db
def test_gateway_names_the_one_asked_among_several(two_gateways):
    first, second = two_gateways
    second.set_balance(4321)
    status, out, _ = run("--balance", "--gateway", "second")
    assert status == 0
    shown = fields(out)
    assert shown["gateway"] == f"<OnSmsGateway {second.base_url}, directly>"
    assert "4321" in shown["read as"]
    assert (first.count("checkBalance"), second.count("checkBalance")) == (0, 1)

    status, out, _ = run("--call", "0905 123 456", "--yes", "--gateway", "second")
    assert status == 0
    assert (len(first.calls), len(second.calls)) == (0, 1)
    [call] = second.calls
    status, out, _ = run("--check", call.request_id, "--gateway", "second")
    assert status == 0
    assert (first.count("checkVoice"), second.count("checkVoice")) == (0, 1)


def test_an_unknown_gateway_name_asks_nothing_and_names_the_site_s(two_gateways):
    first, second = two_gateways
    with pytest.raises(
        CommandError, match=r"no gateway is named 'third': the site has first, second"
    ) as caught:
        run("--balance", "--gateway", "third")
    assert caught.value.returncode == 4
    assert first.count("checkBalance") == second.count("checkBalance") == 0
