"""The client keeps the gateway's credentials and the codes out of every log record, exception text and
error report, over loopback HTTP against the simulator."""

from __future__ import annotations

import logging
import traceback

import pytest
from django.views.debug import ExceptionReporter

from django_voiceotp.gateways import (
    GatewayError,
    GatewayRequestError,
    GatewayUnavailable,
)

from ..conftest import SECRETS
from ..helpers import PHONE, free_port
from .test_client import _Exploding

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


# --- error reports -------------------------------------------------------------------------------


def _report_values(exc: BaseException) -> list[str]:
    """Every frame variable of Django's error report (the 500 mail, the debug page) for ``exc``."""
    data = ExceptionReporter(None, type(exc), exc, exc.__traceback__).get_traceback_data()
    frames = [frame for frame in data["frames"] if "vars" in frame]
    assert frames
    return [f"{frame['function']}: {name} = {value}" for frame in frames for name, value in frame["vars"]]


@pytest.mark.parametrize(
    "fault",
    [
        {"fault": "garbage"},  # unreadable: raised while parsing the answer
        {"fault": "code", "code": 1},  # taken without a request_id: raised in place_call itself
        {"fault": "http500"},  # raised in _post
        {"fault": "drop"},
    ],
)
def test_error_reports_show_no_credential_or_code_from_place_call(simulator, client_for, fault):
    simulator.set_fault(**fault)
    with pytest.raises(GatewayError) as info:
        client_for().place_call(PHONE, "654321")
    values = _report_values(info.value)
    assert any(v.startswith("place_call: code = ") for v in values)  # the frame is there, cleansed
    for secret in (*SECRETS, "654321"):
        assert not [v for v in values if secret in v], secret


def test_error_reports_show_nothing_of_a_request_that_could_not_be_built(simulator, client_for):
    with pytest.raises(GatewayRequestError) as info:
        client_for().place_call("+84 36 123 4567", "654321")
    values = _report_values(info.value)
    assert any(v.startswith("_send_body: ") for v in values)
    for secret in (*SECRETS, "654321", "36 123 4567"):
        assert not [v for v in values if secret in v], secret


CALLS = {
    "place_call": lambda client: client.place_call(PHONE, "654321"),
    "call_outcome": lambda client: client.call_outcome("9b2c6a9e-1f7b-4a53-8d2e-3f6c1c0d5e7a"),
    "balance": lambda client: client.balance(),
}


@pytest.mark.parametrize("call", CALLS)
def test_error_reports_show_no_credential_when_the_session_itself_fails(simulator, client_for, call):
    client = client_for()
    client._session = _Exploding(RuntimeError("boom"))
    with pytest.raises(GatewayUnavailable) as info:
        CALLS[call](client)
    assert client._session.bodies  # the body was built and handed to the session
    values = _report_values(info.value)
    assert any(v.startswith("_post: body = ") for v in values)
    for secret in (*SECRETS, "654321"):
        assert not [v for v in values if secret in v], secret
