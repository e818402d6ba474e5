"""The client over loopback HTTP against the simulator: every answer, every failure on the wire."""

from __future__ import annotations

import logging
import socket
import traceback
from decimal import Decimal

import pytest

from django_voiceotp.gateway import (
    CallOutcome,
    GatewayProtocolError,
    GatewayTimeout,
    GatewayUnavailable,
    Kind,
    get_client,
)
from django_voiceotp.gateway.codes import SEND_CODES
from django_voiceotp.gateway.session import USER_AGENT, get_session

from .conftest import SECRETS

PHONE = "0361234567"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_taken_call_has_a_request_id_and_is_charged(simulator, client_for):
    result = client_for().place_call(PHONE, "123456")
    assert result.taken
    assert result.code.value == 1
    assert result.request_id == simulator.calls[0].request_id
    assert simulator.calls[0].code == "123456"
    assert simulator.calls[0].phone == PHONE
    assert result.raw.startswith("1,,,")
    assert result.elapsed_ms >= 0
    assert simulator.balance == 1_000_000 - 1


def test_the_prefixed_answer_style_reads_the_same(simulator, client_for, monkeypatch):
    monkeypatch.setattr(simulator, "answer_style", "prefixed")
    result = client_for().place_call(PHONE, "654321")
    assert result.taken
    assert result.raw.startswith("RESULT: 1,,,")
    assert result.request_id == simulator.calls[0].request_id


def test_the_request_is_what_the_documentation_shows(simulator, client_for):
    client_for().place_call(PHONE, "000123")
    received = simulator.received[0]
    assert received.endpoint == "postSMS"
    assert received.phone == PHONE
    assert received.message == "000123"


@pytest.mark.parametrize("value", sorted(v for v in SEND_CODES if v != 1))
def test_every_documented_refusal_is_a_result_not_an_exception(simulator, client_for, value):
    simulator.set_fault("code", code=value, times=1)
    result = client_for().place_call(PHONE, "123456")
    assert not result.taken
    assert result.code.value == value
    assert result.code.kind is SEND_CODES[value].kind
    assert result.request_id is None


def test_an_undocumented_code_is_kept_as_a_gateway_fault(simulator, client_for):
    simulator.set_fault("code", code=42, times=1)
    result = client_for().place_call(PHONE, "123456")
    assert result.code.value == 42
    assert result.code.kind is Kind.GATEWAY_FAULT
    assert not result.code.documented


def test_the_simulators_own_refusals(simulator, client_for):
    client = client_for()
    assert client.place_call("01681234567", "123456").code.value == 31
    assert client.place_call("0361234567", "123456").taken
    assert client.place_call("0361234567", "123456").code.kind is Kind.REPEAT
    simulator.set_balance(0)
    assert client.place_call("0361234568", "123456").code.kind is Kind.MONEY


def test_wrong_credentials_are_refused_with_minus_one(simulator, client_for):
    client = client_for()
    object.__setattr__(client.credentials, "password", "wrong")
    result = client.place_call(PHONE, "123456")
    assert result.code.value == -1
    assert result.code.kind is Kind.ACCOUNT


def test_the_client_refuses_to_send_what_the_gateway_cannot_take(client_for):
    client = client_for()
    with pytest.raises(ValueError, match="local form"):
        client.place_call("+84361234567", "123456")
    with pytest.raises(ValueError, match="1 to 6 digits"):
        client.place_call(PHONE, "1234567")
    with pytest.raises(ValueError, match="1 to 6 digits"):
        client.place_call(PHONE, "12a4")


def test_call_outcome_pending_then_answered(simulator, client_for):
    client = client_for()
    request_id = client.place_call(PHONE, "123456").request_id
    first = client.call_outcome(request_id)
    assert first.outcome is CallOutcome.PENDING
    assert first.code.value == 27
    simulator.set_outcome(request_id, "answered")
    assert client.call_outcome(request_id).outcome is CallOutcome.ANSWERED


def test_call_outcome_failed_is_busy_or_no_answer(simulator, client_for):
    client = client_for()
    request_id = client.place_call(PHONE, "123456").request_id
    simulator.set_outcome(request_id, "failed")
    result = client.call_outcome(request_id)
    assert result.outcome is CallOutcome.FAILED
    assert result.code.kind is Kind.FAILED


def test_balance(simulator, client_for):
    simulator.set_balance(1234)
    result = client_for().balance()
    assert result.ok
    assert result.balance == Decimal(1234)


def test_balance_with_wrong_credentials(client_for):
    client = client_for()
    object.__setattr__(client.credentials, "key", "wrong")
    result = client.balance()
    assert not result.ok
    assert result.balance is None
    assert result.code.value == 0


def test_get_client_reads_the_sites_settings(simulator):
    client = get_client()
    assert client.base_url == simulator.base_url
    assert client.place_call(PHONE, "123456").taken


def test_one_pooled_session_with_a_clear_user_agent(simulator, client_for):
    client_for().place_call(PHONE, "123456")
    client_for().balance()
    assert client_for().session is get_session()
    assert USER_AGENT.startswith("django-voiceotp/")
    assert get_session().headers["User-Agent"] == USER_AGENT


# --- the wire failing --------------------------------------------------------------------------


def test_a_hanging_gateway_is_a_timeout_and_post_sms_is_sent_once(simulator, client_for):
    simulator.set_fault("hang")
    with pytest.raises(GatewayTimeout) as info:
        client_for(timeout=(1.0, 0.3)).place_call(PHONE, "123456")
    assert info.value.may_have_reached
    assert (info.value.elapsed_ms or 0) >= 300
    assert simulator.count("postSMS") == 1


def test_a_dropped_line_is_unavailable_and_post_sms_is_sent_once(simulator, client_for):
    simulator.set_fault("drop")
    with pytest.raises(GatewayUnavailable) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.may_have_reached
    assert simulator.count("postSMS") == 1


def test_http_500_on_post_sms_is_unavailable_and_not_retried(simulator, client_for):
    simulator.set_fault("http500")
    with pytest.raises(GatewayUnavailable) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.status_code == 500
    assert simulator.count("postSMS") == 1


def test_garbage_on_post_sms_is_a_protocol_error_keeping_what_came(simulator, client_for):
    simulator.set_fault("garbage")
    with pytest.raises(GatewayProtocolError) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.raw
    assert len(info.value.raw) <= 500
    assert simulator.count("postSMS") == 1


def test_a_refused_connection_is_unavailable_and_never_reached(simulator, client_for):
    base_url = f"http://127.0.0.1:{free_port()}/onsmsapivoice"
    with pytest.raises(GatewayUnavailable) as info:
        client_for(base_url=base_url).place_call(PHONE, "123456")
    assert not info.value.may_have_reached
    assert not isinstance(info.value, GatewayTimeout)


def test_read_calls_are_retried_on_500(simulator, client_for):
    request_id = client_for().place_call(PHONE, "123456").request_id
    simulator.set_fault("http500", endpoint="checkVoice", times=1)
    assert client_for().call_outcome(request_id).code.value == 27
    assert simulator.count("checkVoice") == 2


def test_read_calls_are_retried_on_a_dropped_line(simulator, client_for):
    simulator.set_fault("drop", endpoint="checkBalance", times=1)
    assert client_for().balance().ok
    assert simulator.count("checkBalance") == 2


def test_read_calls_give_up_after_their_retries(simulator, client_for):
    simulator.set_fault("http500", endpoint="checkBalance")
    with pytest.raises(GatewayUnavailable) as info:
        client_for().balance()
    assert info.value.status_code == 500
    assert simulator.count("checkBalance") == 3


def test_garbage_on_read_calls_is_a_protocol_error(simulator, client_for):
    simulator.set_fault("garbage", endpoint="checkBalance")
    with pytest.raises(GatewayProtocolError):
        client_for().balance()


# --- secrets -----------------------------------------------------------------------------------


def test_no_credential_or_code_in_any_log_record_or_exception_text(simulator, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(timeout=(1.0, 0.3))
    texts = [repr(client), repr(client.credentials)]
    tracebacks = []
    client.place_call(PHONE, "123456")
    client.balance()
    for fault in ("hang", "drop", "http500", "garbage"):
        for endpoint in ("postSMS", "checkBalance"):
            simulator.clear_faults()
            simulator.set_fault(fault, endpoint=endpoint)
            try:
                client.place_call(PHONE, "654321") if endpoint == "postSMS" else client.balance()
            except Exception as exc:
                texts += [str(exc), repr(exc), str(getattr(exc, "raw", ""))]
                tracebacks.append("".join(traceback.format_exception(exc)))
    simulator.clear_faults()
    try:
        client_for(base_url=f"http://127.0.0.1:{free_port()}/x").balance()
    except GatewayUnavailable as exc:
        texts += [str(exc), repr(exc)]
        tracebacks.append("".join(traceback.format_exception(exc)))
    texts += [record.getMessage() for record in caplog.records]
    assert len(texts) > 10
    for secret in SECRETS:
        assert not [t for t in texts + tracebacks if secret in t]
    # The code is in the test's own source, which tracebacks quote; it must be in nothing else.
    assert not [t for t in texts if "654321" in t]
    assert not [t for t in texts if "123456" in t]
