"""The client over loopback HTTP against the simulator: every answer, every failure on the wire."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from django_voiceotp.gateways import (
    CallOutcome,
    GatewayProtocolError,
    GatewayRequestError,
    GatewayTimeout,
    GatewayUnavailable,
    Kind,
    Operation,
    get_gateway,
)
from django_voiceotp.gateways.http.session import USER_AGENT, get_session
from django_voiceotp.gateways.onsms import OnSmsGateway
from django_voiceotp.gateways.onsms.answer_codes import SEND_CODES

from ..helpers import PHONE, free_port


def test_a_taken_call_has_a_request_id_and_is_charged(simulator, client_for):
    result = client_for().place_call(PHONE, "123456")
    assert result.kind is Kind.TAKEN
    assert result.code == "1"
    assert result.request_id == simulator.calls[0].request_id
    assert simulator.calls[0].code == "123456"
    assert simulator.calls[0].phone == PHONE
    assert result.raw.startswith("1,,,")
    assert result.elapsed_ms >= 0
    assert simulator.balance == 1_000_000 - 1


def test_the_prefixed_answer_style_reads_the_same(simulator, client_for, monkeypatch):
    monkeypatch.setattr(simulator, "answer_style", "prefixed")
    result = client_for().place_call(PHONE, "654321")
    assert result.kind is Kind.TAKEN
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
    assert result.kind is not Kind.TAKEN
    assert result.code == str(value)
    assert result.kind is SEND_CODES[value].kind
    assert result.request_id is None


def test_an_undocumented_code_is_kept_as_a_gateway_fault(simulator, client_for):
    simulator.set_fault("code", code=42, times=1)
    result = client_for().place_call(PHONE, "123456")
    assert result.code == "42"
    assert result.kind is Kind.GATEWAY_FAULT
    assert not OnSmsGateway.describe(Operation.SEND, result.code).documented


def test_the_simulators_own_refusals(simulator, client_for):
    client = client_for()
    assert client.place_call("01681234567", "123456").code == "31"
    assert client.place_call("0361234567", "123456").kind is Kind.TAKEN
    assert client.place_call("0361234567", "123456").kind is Kind.REPEAT
    simulator.set_balance(0)
    assert client.place_call("0361234568", "123456").kind is Kind.MONEY


def test_wrong_credentials_are_refused_with_minus_one(simulator, client_for):
    client = client_for()
    object.__setattr__(client.credentials, "password", "wrong")
    result = client.place_call(PHONE, "123456")
    assert result.code == "-1"
    assert result.kind is Kind.ACCOUNT


@pytest.mark.parametrize(
    ("phone", "code", "field"),
    [
        ("+84361234567", "654321", "phone"),
        ("036 123 4567", "654321", "phone"),
        ("٠٣٦١٢٣٤٥٦٧", "654321", "phone"),  # digits, but not ones the gateway reads
        ("0369", "654321", "phone"),
        (369999999, "654321", "phone"),
        (None, "654321", "phone"),
        (PHONE, "1234567", "message"),
        (PHONE, "12a4", "message"),
        (PHONE, "", "message"),
        (PHONE, "١٢٣", "message"),
        (PHONE, 123456, "message"),
    ],
)
def test_the_client_refuses_to_send_what_the_gateway_cannot_take(simulator, client_for, phone, code, field):
    with pytest.raises(GatewayRequestError) as info:
        client_for().place_call(phone, code)
    assert info.value.field == field
    assert info.value.may_have_reached is False
    assert info.value.endpoint == "postSMS"
    assert str(code) not in str(info.value) or not str(code)
    assert str(phone) not in str(info.value)
    assert not isinstance(info.value, ValueError)
    assert simulator.received == []  # nothing was sent


def test_a_body_that_cannot_be_built_is_a_request_error_and_nothing_is_sent(simulator, client_for):
    client = client_for()
    object.__setattr__(client.credentials, "password", object())  # not something JSON can carry
    with pytest.raises(GatewayRequestError) as info:
        client.place_call(PHONE, "123456")
    assert (info.value.field, info.value.message) == ("payload", "postSMS: the request could not be built")
    assert info.value.__context__ is None
    with pytest.raises(GatewayRequestError):
        client.balance()
    assert simulator.received == []


class _Exploding(requests.Session):
    """A session whose transport fails as a request goes out, after it got the body."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc
        self.bodies: list[bytes] = []

    def get_adapter(self, url):
        session = self

        class Adapter(requests.adapters.HTTPAdapter):
            def send(self, request, **kwargs):  # type: ignore[override]
                session.bodies.append(request.body)
                raise session.exc

        return Adapter()


@pytest.mark.parametrize("exc", [RuntimeError("boom 123456"), KeyError("s3cret"), OSError(5, "io")])
def test_an_unexpected_failure_after_sending_is_unavailable_in_fixed_words(simulator, client_for, exc):
    client = client_for()
    client._session = _Exploding(exc)
    with pytest.raises(GatewayUnavailable) as info:
        client.place_call(PHONE, "123456")
    assert info.value.may_have_reached is True
    assert info.value.message == f"postSMS: the request failed unexpectedly ({type(exc).__name__})"
    assert info.value.__context__ is None
    assert info.value.__cause__ is None
    assert b"123456" in client._session.bodies[0]  # it got as far as sending


def test_call_outcome_pending_then_answered(simulator, client_for):
    client = client_for()
    request_id = client.place_call(PHONE, "123456").request_id
    first = client.call_outcome(request_id)
    assert first.outcome is CallOutcome.PENDING
    assert first.code == "27"
    simulator.set_outcome(request_id, "answered")
    assert client.call_outcome(request_id).outcome is CallOutcome.ANSWERED


def test_call_outcome_failed_is_busy_or_no_answer(simulator, client_for):
    client = client_for()
    request_id = client.place_call(PHONE, "123456").request_id
    simulator.set_outcome(request_id, "failed")
    result = client.call_outcome(request_id)
    assert result.outcome is CallOutcome.FAILED
    assert result.code == "23"


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
    assert result.code == "0"


def test_the_sites_gateway_is_this_backend_on_its_settings(simulator):
    gateway = get_gateway()
    assert isinstance(gateway, OnSmsGateway)
    assert gateway.base_url == simulator.base_url
    assert gateway.place_call("+84361234567", "123456").kind is Kind.TAKEN
    assert simulator.received[-1].phone == PHONE  # dialled in its local form


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
    assert client_for().call_outcome(request_id).code == "27"
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


# --- the deadline for a whole request -----------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["postSMS", "checkVoice", "checkBalance"])
def test_a_gateway_that_drips_is_cut_at_the_two_timeouts_together(simulator, client_for, endpoint):
    """A byte every half second never lets one read wait its second; the whole would take minutes."""
    client = client_for(timeout=(0.5, 1.0))
    request_id = client.place_call(PHONE, "123456").request_id
    simulator.reset()
    simulator.set_fault("drip", endpoint=endpoint)
    calls = {
        "postSMS": lambda: client.place_call(PHONE, "654321"),
        "checkVoice": lambda: client.call_outcome(request_id),
        "checkBalance": client.balance,
    }
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        calls[endpoint]()
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 3.0  # the budget (0.5 + 1.0 s) and a margin: a bound, not a benchmark
    assert info.value.message == f"{endpoint}: no complete answer within 1.5 s"
    assert info.value.may_have_reached
    assert 1400 <= (info.value.elapsed_ms or 0) < 3000
    assert simulator.count(endpoint) == 1  # postSMS is never retried; the reads had no time left
    assert simulator.received[0].fault == "fault:drip"


def test_read_retries_end_at_the_deadline(simulator, client_for):
    """A read retried after a read timeout gets only what is left of the budget, not a new one."""
    simulator.set_fault("hang", endpoint="checkBalance")
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        client_for(timeout=(0.2, 1.5)).balance()
    assert time.monotonic() - started < 2.4  # without the deadline: two read timeouts, 3 s
    assert info.value.message == "checkBalance: no complete answer within 1.7 s"
    assert simulator.count("checkBalance") == 2


def test_an_answer_in_time_is_not_a_timeout_and_the_next_request_works(simulator, client_for):
    client = client_for(timeout=(0.5, 1.0))
    simulator.set_fault("drip", endpoint="checkBalance", times=1)
    with pytest.raises(GatewayTimeout):
        client.balance()
    assert client.balance().ok
    assert client.place_call(PHONE, "123456").kind is Kind.TAKEN
