"""The simulator speaks every reading of the gateway's document, over real HTTP on loopback: each
answer style on each endpoint, the balance formats, and the faults that make one request answer in
another form (a style, a code with an HTTP status, any body, NUL bytes and all)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from django_voiceotp.simulator import ANSWER_STYLES, BALANCE_FORMATS, GatewaySimulator, build_parser

CREDS = {"username": "demo", "pass": "p4ss-sim", "key": "k3y-sim"}
SEND = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "123456"}
UUID = r"[0-9a-f-]{36}"


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator(port=0, password=CREDS["pass"], key=CREDS["key"], answer_after=0.0) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _fresh(sim: GatewaySimulator) -> Iterator[None]:
    sim.reset()
    yield
    sim.answer_style, sim.balance_format = "plain", "number"


def ask(sim: GatewaySimulator, endpoint: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{sim.base_url}/{endpoint}", json=body, timeout=5)


def place(sim: GatewaySimulator, message: str = "123456") -> requests.Response:
    return ask(sim, "postSMS", {**SEND, "message": message})


def check(sim: GatewaySimulator, request_id: str, **changes: str) -> requests.Response:
    return ask(sim, "checkVoice", {**CREDS, "request_id": request_id, **changes})


EXPECTED = {
    "plain": (rf"1,,,{UUID}", "6", "1", "-1", r'\{"errorcode": "1", "balance": \d+\}'),
    "prefixed": (
        rf"RESULT: 1,,,{UUID}",
        "RESULT: 6",
        "RESULT: 1",
        "RESULT: -1",
        r'RESULT: \{"errorcode".*\}',
    ),
    "full": (rf"1,,,{UUID}", "6,,,", "1,,,", "-1,,,", r'\{"errorcode": "1", "balance": \d+\}'),
    "json": (
        rf'\{{"code": "1", "request_id": "{UUID}"\}}',
        r'\{"code": "6", "request_id": ""\}',
        r'\{"code": "1"\}',
        r'\{"code": "-1"\}',
        r'\{"errorcode": "1", "balance": \d+\}',
    ),
    "quoted": (rf'"1,,,{UUID}"', '"6"', '"1"', '"-1"', r'"\{\\"errorcode\\": \\"1\\", .*\}"'),
}


@pytest.mark.parametrize("style", ANSWER_STYLES)
def test_every_style_on_every_endpoint(sim, style):
    sim.answer_style = style
    taken, repeat, answered, wrong_login, balance = EXPECTED[style]
    first = place(sim)
    assert re.fullmatch(taken, first.text), first.text
    assert re.fullmatch(repeat, place(sim).text)  # the same code again: 6
    request_id = sim.calls[0].request_id
    assert re.fullmatch(answered, check(sim, request_id).text)
    assert re.fullmatch(wrong_login, check(sim, request_id, key="wrong").text)
    assert re.fullmatch(balance, ask(sim, "checkBalance", CREDS).text)
    is_json = style == "json" or style == "quoted"
    assert first.headers["Content-Type"].startswith("application/json" if is_json else "text/plain")


@pytest.mark.parametrize(
    ("balance_format", "written"), [("number", 1000), ("string", "1000"), ("vi", "1.000"), ("en", "1,000.00")]
)
def test_balance_formats(sim, balance_format, written):
    sim.balance_format = balance_format
    assert ask(sim, "checkBalance", CREDS).json() == {"errorcode": "1", "balance": written}


def test_the_formats_are_the_flags(sim):
    args = build_parser().parse_args(["--answer-style", "json", "--balance-format", "vi"])
    assert (args.answer_style, args.balance_format) == ("json", "vi")
    assert set(BALANCE_FORMATS) == {"number", "string", "vi", "en"}


def test_a_style_fault_answers_one_request_in_another_style_and_takes_the_call(sim):
    sim.set_fault("style", style="json", times=1)
    assert re.fullmatch(rf'\{{"code": "1", "request_id": "{UUID}"\}}', place(sim).text)
    assert len(sim.calls) == 1
    assert sim.balance == 999
    assert re.fullmatch(rf"1,,,{UUID}", place(sim, "654321").text)  # the fault is spent


def test_a_code_fault_in_a_style_with_an_http_status(sim):
    sim.set_fault("code", code=-2, status=403, style="prefixed")
    answer = place(sim)
    assert (answer.status_code, answer.text) == (403, "RESULT: -2")
    assert sim.calls == []
    sim.set_fault("code", code=-5, status=500, style="full", endpoint="checkVoice")
    answer = check(sim, "any")
    assert (answer.status_code, answer.text) == (500, "-5,,,")  # full refusals on every endpoint
    sim.set_fault("code", code=-1, endpoint="checkBalance", style="prefixed")
    assert ask(sim, "checkBalance", CREDS).text == 'RESULT: {"errorcode": "-1", "balance": 0}'


def test_a_body_fault_answers_exactly_its_body_and_an_id_in_it_takes_the_call(sim):
    sim.set_fault("body", body='{"Code": 1, "RequestId": "{id}"}', times=1)
    answer = place(sim)
    [call] = sim.calls
    assert answer.text == f'{{"Code": 1, "RequestId": "{call.request_id}"}}'
    assert answer.headers["Content-Type"] == "application/json"
    sim.set_fault("body", body="RESULT: 27,,,{id}", endpoint="checkVoice", times=1)
    assert check(sim, call.request_id).text == f"RESULT: 27,,,{call.request_id}"


def test_a_body_fault_carries_any_bytes_nul_included(sim):
    sim.set_fault("body", body=b"1,,,\x00\xff\xfe", status=200)
    assert requests.post(f"{sim.base_url}/postSMS", json=SEND, timeout=5).content == b"1,,,\x00\xff\xfe"
    assert sim.calls == []
    assert json.dumps(sim.state())  # the state still shows as JSON


def test_the_control_endpoint_takes_the_new_fault_fields(sim):
    control = f"{sim.url}/_control/faults"
    fault = {"fault": "body", "body": "6,,,\u0000", "status": 500, "endpoint": "postSMS"}
    assert requests.post(control, json=fault, timeout=5).json()["faults"][0]["body"] == "6,,,\x00"
    answer = place(sim)
    assert (answer.status_code, answer.content) == (500, b"6,,,\x00")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"fault": "style"}, "needs a style"),
        ({"fault": "style", "style": "xml"}, "style must be one of"),
        ({"fault": "body"}, "needs a body"),
        ({"fault": "code", "code": 6, "body": "6"}, "needs a body"),
        ({"fault": "code", "code": 6, "status": 299}, "status is an HTTP status"),
        ({"fault": "code", "code": 6, "status": 99}, "status is an HTTP status"),
        ({"fault": "drop", "status": 500}, "status is an HTTP status"),
        ({"fault": "code", "code": 6, "status": True}, "status is an HTTP status"),
    ],
)
def test_bad_fault_fields_are_refused_with_the_reason(sim, fault, message):
    answer = requests.post(f"{sim.url}/_control/faults", json=fault, timeout=5)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_checkvoice_answers_minus_one_to_wrong_credentials_and_11_to_an_unknown_id(sim):
    place(sim)
    request_id = sim.calls[0].request_id
    assert check(sim, request_id, **{"pass": "wrong"}).text == "-1"
    assert check(sim, "9b2c6a9e-1f7b-4a53-8d2e-3f6c1c0d5e7a").text == "11"
    assert check(sim, "9b2c6a9e-1f7b-4a53-8d2e-3f6c1c0d5e7a", key="wrong").text == "-1"
