"""The client over loopback against the simulator speaking each reading: answer styles, HTTP error
statuses whose body is a documented code, answers that echo secrets, answers that lie."""

from __future__ import annotations

import pytest

from django_voiceotp.gateways import (
    CallOutcome,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    Kind,
)
from django_voiceotp.gateways.onsms.client import Credentials
from django_voiceotp.gateways.safe_text import is_safe
from django_voiceotp.simulator import ANSWER_STYLES

from ..conftest import KEY, PASSWORD

PHONE = "0361234567"


@pytest.mark.parametrize("style", ANSWER_STYLES)
def test_every_style_the_simulator_speaks_is_read_alike(simulator, client_for, monkeypatch, style):
    monkeypatch.setattr(simulator, "answer_style", style)
    client = client_for()
    taken = client.place_call(PHONE, "123456")
    assert (taken.kind, taken.request_id) == (Kind.TAKEN, simulator.calls[0].request_id)
    assert client.place_call(PHONE, "123456").kind is Kind.REPEAT
    assert client.call_outcome(taken.request_id).outcome in (CallOutcome.PENDING, CallOutcome.ANSWERED)
    assert client.balance().balance == 1_000_000 - 1


@pytest.mark.parametrize("balance_format", ["number", "string", "vi", "en"])
def test_every_balance_format_reads_as_the_same_amount(simulator, client_for, monkeypatch, balance_format):
    monkeypatch.setattr(simulator, "balance_format", balance_format)
    simulator.set_balance(1_234_567)
    assert client_for().balance().balance == 1_234_567


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, -2, Kind.ACCOUNT),
        (500, -5, Kind.GATEWAY_FAULT),
        (402, 14, Kind.MONEY),
        (400, 7, Kind.RECIPIENT_REFUSED),
    ],
)
def test_an_error_status_whose_body_is_a_documented_code_is_that_code(
    simulator, client_for, status, code, kind
):
    simulator.set_fault("code", code=code, status=status)
    result = client_for().place_call(PHONE, "123456")
    assert (result.kind, result.code, result.status_code) == (kind, str(code), status)
    assert simulator.count("postSMS") == 1  # never sent twice


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, "1,,,{id}"), (503, "27"), (500, "42"), (403, "<html>Forbidden</html>"), (502, "")],
)
def test_an_error_status_with_any_other_body_may_have_reached(simulator, client_for, status, body):
    simulator.set_fault("body", body=body, status=status)
    with pytest.raises(GatewayUnavailable) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.may_have_reached
    assert info.value.status_code == status
    assert simulator.count("postSMS") == 1


def test_checkvoice_wrong_credentials_are_an_error_not_pending(simulator, client_for):
    request_id = client_for().place_call(PHONE, "123456").request_id
    client = client_for()
    object.__setattr__(client.credentials, "key", "wrong")
    with pytest.raises(GatewayRefused) as info:
        client.call_outcome(request_id)
    assert (info.value.code, info.value.kind) == ("-1", Kind.ACCOUNT)
    assert info.value.message.startswith("checkVoice answered -1 (User not found): Check USERNAME")
    assert info.value.raw == "-1"


@pytest.mark.parametrize(
    ("fault", "code", "kind"),
    [
        ({"fault": "code", "code": 11}, "11", Kind.ACCOUNT),
        ({"fault": "code", "code": 0, "style": "prefixed"}, "0", Kind.ACCOUNT),
        ({"fault": "code", "code": -2, "status": 403}, "-2", Kind.ACCOUNT),
        ({"fault": "body", "body": '{"code": "42"}'}, "42", Kind.GATEWAY_FAULT),
    ],
)
def test_checkvoice_codes_that_are_no_outcome_are_refusals(simulator, client_for, fault, code, kind):
    request_id = client_for().place_call(PHONE, "123456").request_id
    simulator.set_fault(**fault, endpoint="checkVoice")
    with pytest.raises(GatewayRefused) as info:
        client_for().call_outcome(request_id)
    assert (info.value.code, info.value.kind) == (code, kind)


def test_a_read_retried_on_500_still_reads_the_code_of_its_last_answer(simulator, client_for):
    request_id = client_for().place_call(PHONE, "123456").request_id
    simulator.set_fault("code", code=-5, status=500, endpoint="checkVoice")
    with pytest.raises(GatewayRefused) as info:
        client_for().call_outcome(request_id)
    assert (info.value.code, info.value.status_code) == ("-5", 500)
    assert simulator.count("checkVoice") == 3  # the read policy retries a 500 twice


def test_a_balance_refused_with_an_error_status(simulator, client_for):
    simulator.set_fault("body", body='{"errorcode": "0", "balance": 0}', status=401, endpoint="checkBalance")
    result = client_for().balance()
    assert (result.kind, result.code, result.balance, result.status_code) == (Kind.ACCOUNT, "0", None, 401)


def test_an_answer_that_echoes_the_secrets_keeps_none_of_them(simulator, client_for):
    echo = f'{{"code": 9, "pass": "{PASSWORD}", "key": "{KEY}", "message": "123456", "id": "x123456y"}}'
    simulator.set_fault("body", body=echo, times=1)
    result = client_for().place_call(PHONE, "123456")
    assert result.kind is Kind.ACCOUNT
    assert (
        result.raw
        == '{"code": 9, "pass": "[password]", "key": "[key]", "message": "[code]", "id": "x123456y"}'
    )
    simulator.set_fault("body", body=f"<html>{PASSWORD} 123456</html>", status=500)
    with pytest.raises(GatewayUnavailable) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.raw == "<html>[password] [code]</html>"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("123456", "[code]"),
        ("1,,,123456", "1,,,[code]"),
        ("123456 and 123456.", "[code] and [code]."),
        ("x123456 1234567 0123456 123456y a_123456", "x123456 1234567 0123456 123456y a_[code]"),
        ("é123456ü", "é[code]ü"),
        ("12345", "12345"),
    ],
)
def test_a_code_is_redacted_where_it_stands_whole(text, said):
    assert Credentials("bench", "pw-secret", "key-secret").redact(text, "123456") == said


@pytest.mark.parametrize(
    "body",
    [
        "1,,,{id}\x00",
        "1,,,\x00",
        "1,,," + "a" * 10_000,
        "1,,,abc\x1b[2J",
        '{"code": 1, "request_id": "\\u0000abc"}',
        '{"code": 1, "request_id": "' + "a" * 101 + '"}',
        '{"code": 1}',
        "1",
        '{"code": "1", "errorcode": "6", "request_id": "abc"}',
        "[" * 10_000,
    ],
)
def test_a_gateway_that_lies_about_a_success_is_unreadable_and_kept_safely(simulator, client_for, body):
    simulator.set_fault("body", body=body)
    with pytest.raises(GatewayProtocolError) as info:
        client_for().place_call(PHONE, "123456")
    assert is_safe(info.value.raw)
    assert len(info.value.raw) <= 500
    assert info.value.status_code == 200
    assert simulator.count("postSMS") == 1
