"""The gateway simulator over real HTTP on loopback: its protocol and its failures on purpose.

These tests need no Django: they speak HTTP to a simulator started on a free port, with a fake clock
wherever time matters, so nothing here sleeps for the real answer delay or hang.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from django_voiceotp.simulator import ENDING_CODES, GatewaySimulator, GatewayState
from django_voiceotp.simulator.server import HUGE_BYTES

from .wire import CREDS, KEY, PASSWORD, FakeClock, check, make, post, send, taken

# -- postSMS ---------------------------------------------------------------------------------------


def test_taken_call_is_charged_recorded_and_answered_plainly(sim, http):
    response = post(http, f"{sim.base_url}/postSMS", {**CREDS, "sender": "DAUSO1",
                    "phonesend": "0361234567", "message": "042042"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    request_id = taken(response.text)
    assert uuid.UUID(request_id).version == 4
    assert sim.balance == 4
    [call] = sim.calls
    assert (call.request_id, call.phone, call.code, call.outcome, call.checks) == (
        request_id, "0361234567", "042042", "pending", 0,
    )  # fmt: skip
    assert abs(call.placed_at - time.time()) < 5


def test_prefixed_style(clock, http):
    with make(clock, answer_style="prefixed") as sim:
        answer = send(sim, http)
        assert answer.startswith("RESULT: 1,,,")
        request_id = taken(answer.removeprefix("RESULT: "))
        assert send(sim, http, key="nope") == "RESULT: -1"
        assert check(sim, http, request_id) == "RESULT: 27"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"username": "other"}, "-1"),
        ({"pass": "wrong-pw-zz"}, "-1"),
        ({"key": "wrong-key-zz"}, "-1"),
        ({"pass": "wrong-pw-zz", "phonesend": "12"}, "-1"),  # credentials come before the number
        ({"sender": "DAUSO2"}, "5"),
        ({"phonesend": "01681234567"}, "31"),
        ({"phonesend": "0161234567"}, "10"),
        ({"phonesend": "+84361234567"}, "10"),
        ({"phonesend": "84361234567"}, "10"),
        ({"phonesend": "036 123 4567"}, "10"),
        ({"phonesend": "0461234567"}, "10"),
        ({"phonesend": "036123456"}, "10"),
        ({"phonesend": "03612345678"}, "10"),
        ({"phonesend": "0281234567"}, "10"),
        ({"phonesend": ""}, "10"),
        ({"message": "1234567"}, "11"),
        ({"message": "12a456"}, "11"),
        ({"message": ""}, "11"),
        ({"message": "١٢٣"}, "11"),
        ({"message": 123456}, "11"),
        ({"phonesend": 361234567}, "11"),
        ({"username": None}, "11"),
    ],
)
def test_refusals(sim, http, fields, expected):
    assert send(sim, http, **fields) == expected
    assert sim.calls == []
    assert sim.balance == 5


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b"", {"username": "demo"}])
def test_unreadable_or_incomplete_body_is_11(sim, http, body):
    assert post(http, f"{sim.base_url}/postSMS", body).text == "11"


@pytest.mark.parametrize(
    "phone", ["0361234567", "0581234567", "0701234567", "0812345678", "0912345678", "02812345678"]
)
def test_accepted_numbers(sim, http, phone):
    taken(send(sim, http, phonesend=phone, message="7"))


def test_repeat_window_uses_the_clock(sim, http, clock):
    taken(send(sim, http))
    assert send(sim, http) == "6"
    taken(send(sim, http, message="654321"))
    taken(send(sim, http, phonesend="0912345678"))
    clock.advance(899)
    assert send(sim, http) == "6"
    clock.advance(1)
    taken(send(sim, http))


def test_balance_runs_out_then_refills(clock, http):
    with make(clock, balance=3, price=2) as sim:
        taken(send(sim, http, message="1"))
        assert sim.balance == 1
        assert send(sim, http, message="2") == "14"
        sim.set_balance(10)
        taken(send(sim, http, message="2"))
        assert sim.balance == 8


def test_check_balance(sim, http):
    response = post(http, f"{sim.base_url}/checkBalance", CREDS)
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errorcode": "1", "balance": 5}
    bad = post(http, f"{sim.base_url}/checkBalance", {**CREDS, "key": "x"})
    assert bad.json() == {"errorcode": "0", "balance": 0}
    assert post(http, f"{sim.base_url}/checkBalance", b"junk").json()["errorcode"] == "0"


# -- checkVoice ------------------------------------------------------------------------------------


def test_check_voice_pending_then_answered(sim, http, clock):
    request_id = taken(send(sim, http))
    assert check(sim, http, request_id) == "27"
    clock.advance(1.9)
    assert check(sim, http, request_id) == "27"
    clock.advance(0.1)
    assert check(sim, http, request_id) == "1"
    assert sim.calls[0].outcome == "answered"
    assert sim.calls[0].checks == 3


def test_check_voice_refusals(sim, http):
    request_id = taken(send(sim, http))
    assert check(sim, http, request_id, key="wrong") == "-1"
    assert check(sim, http, str(uuid.uuid4())) == "11"
    assert post(http, f"{sim.base_url}/checkVoice", {**CREDS, "request_id": 7}).text == "11"
    assert post(http, f"{sim.base_url}/checkVoice", b"{").text == "11"


def test_ending_9700_is_never_answered_and_9701_stays_pending(sim, http, clock):
    unanswered = taken(send(sim, http, phonesend="0361239700"))
    pending = taken(send(sim, http, phonesend="0361239701"))
    assert check(sim, http, unanswered) == "27"
    clock.advance(2)
    assert check(sim, http, unanswered) == "23"
    clock.advance(1e6)
    assert check(sim, http, pending) == "27"


def test_set_outcome_by_request_id_or_phone(sim, http, clock):
    first = taken(send(sim, http))
    second = taken(send(sim, http, message="999999"))
    sim.set_outcome(first, "failed")
    assert check(sim, http, first) == "23"
    assert sim.set_outcome("+84361234567", "answered").request_id == second  # the latest call
    assert check(sim, http, second) == "1"
    clock.advance(10)
    sim.set_outcome(second, "pending")
    assert check(sim, http, second) == "27"
    with pytest.raises(LookupError):
        sim.set_outcome("0999999999", "answered")
    with pytest.raises(ValueError, match="outcome"):
        sim.set_outcome(first, "ringing")


# -- failures on purpose ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ENDING_CODES))
def test_ending_99nn_answers_that_code(sim, http, code):
    phone = f"036123{99:02d}{code:02d}"
    assert send(sim, http, phonesend=phone) == str(code)
    assert sim.calls == []
    assert sim.balance == 5
    [received] = sim.received
    assert (received.phone, received.answer) == (phone, str(code))
    assert received.fault == f"ending:99{code:02d}"


def test_ending_codes_are_the_documented_positive_refusals():
    assert sorted(ENDING_CODES) == [5, 6, 7, 9, 10, 11, 14, 15, 16, 20, 22, 23, 27, 31]


def test_undocumented_99nn_ending_is_an_ordinary_number(sim, http):
    taken(send(sim, http, phonesend="0361239901"))


def test_transport_endings(sim, http):
    response = post(http, f"{sim.base_url}/postSMS", {**CREDS, "sender": "DAUSO1",
                    "phonesend": "0361239801", "message": "1"})  # fmt: skip
    assert response.status_code == 500
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        send(sim, http, phonesend="0361239802")  # hangs for hang_seconds, then closes
    assert 0.25 < time.monotonic() - started < 3
    with pytest.raises(requests.ConnectionError):
        send(sim, http, phonesend="0361239803")
    assert send(sim, http, phonesend="0361239804") == "<html>oops"
    assert sim.calls == []
    assert [r.answer for r in sim.received] == ["HTTP 500", "hang", "drop", "<html>oops"]
    assert [r.status for r in sim.received] == [500, None, None, 200]


def test_code_fault_expires_after_times(sim, http):
    sim.set_fault("code", code=-5, times=2)
    assert send(sim, http) == "-5"
    assert send(sim, http, key="wrong") == "-5"  # a fault fires before any check
    taken(send(sim, http))
    assert sim.faults == []


def test_fault_for_one_number(sim, http):
    sim.set_fault("http500", number="+84 36 123 4567")
    taken(send(sim, http, phonesend="0912345678"))
    with pytest.raises(requests.HTTPError):
        post(http, f"{sim.base_url}/postSMS", {**CREDS, "sender": "DAUSO1",
             "phonesend": "0361234567", "message": "1"}).raise_for_status()  # fmt: skip
    sim.clear_faults()
    taken(send(sim, http, message="2"))


def test_faults_on_check_voice_and_check_balance(sim, http, clock):
    request_id = taken(send(sim, http))
    other = taken(send(sim, http, phonesend="0912345678"))
    sim.set_fault("garbage", endpoint="checkVoice", number="0361234567", times=1)
    sim.set_fault("code", endpoint="checkBalance", code=7)
    assert check(sim, http, other) == "27"
    assert check(sim, http, request_id) == "<html>oops"
    assert check(sim, http, request_id) == "27"
    balance = post(http, f"{sim.base_url}/checkBalance", CREDS).json()
    assert balance == {"errorcode": "7", "balance": 0}
    assert sim.calls[0].checks == 2


def test_drop_fault_gives_a_connection_error(sim, http):
    sim.set_fault("drop", endpoint="checkBalance")
    with pytest.raises(requests.ConnectionError):
        post(http, f"{sim.base_url}/checkBalance", CREDS)


def read_raw(sim: GatewaySimulator, request: bytes, limit: int = 1 << 30) -> tuple[list[bytes], float]:
    """Send ``request`` on a plain socket; every chunk recv() gave until the end, and the seconds."""
    chunks: list[bytes] = []
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", urlsplit(sim.url).port), timeout=5) as connection:
        connection.sendall(request)
        while sum(map(len, chunks)) < limit and (chunk := connection.recv(1 << 16)):
            chunks.append(chunk)
    return chunks, time.monotonic() - started


def post_request(path: str, body: Any) -> bytes:
    data = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def test_drip_sends_the_whole_answer_a_byte_at_a_time(clock, http):
    with make(clock, drip_seconds=0.005) as sim:
        sim.set_fault("drip", times=1)
        body = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "1"}
        chunks, seconds = read_raw(sim, post_request("/onsmsapivoice/postSMS", body))
        answer = b"".join(chunks)
        head, _, text = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200 OK\r\n")
        assert f"Content-Length: {len(text)}".encode() in head
        request_id = taken(text.decode())
        assert sim.calls[0].request_id == request_id  # the call was taken and charged
        assert sim.balance == 4
        assert len(chunks) > len(answer) / 4  # byte by byte, give or take reads that came late
        assert seconds >= (len(answer) - 1) * 0.005 * 0.9
        [received] = sim.received
        assert (received.answer, received.status, received.fault) == (text.decode(), 200, "fault:drip")
        taken(send(sim, http, message="2"))  # times=1: the next answer comes at once


@pytest.mark.parametrize("endpoint", ["postSMS", "checkVoice", "checkBalance"])
def test_drip_and_huge_on_every_endpoint(sim, http, endpoint):
    sim.set_fault("huge", endpoint=endpoint, times=1)
    body = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "1", "request_id": "x"}
    chunks, _ = read_raw(sim, post_request(f"/onsmsapivoice/{endpoint}", body))
    answer = b"".join(chunks)
    head, _, text = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"Content-Length" not in head
    assert len(text) == HUGE_BYTES
    assert text.startswith(b"1,,,")
    sim.set_fault("drip", endpoint=endpoint, times=1)
    assert post(http, f"{sim.base_url}/{endpoint}", body).status_code == 200
    huge, drip = sim.received
    assert (huge.answer, huge.status, huge.fault) == ("huge", 200, "fault:huge")
    assert (drip.status, drip.fault) == (200, "fault:drip")
    assert len(sim.calls) == (endpoint == "postSMS")  # a drip is the answer the request earned


def test_a_client_that_hangs_up_on_a_huge_answer_is_no_trouble(sim, http, capfd):
    sim.set_fault("huge", endpoint="checkBalance")
    chunks, _ = read_raw(sim, post_request("/onsmsapivoice/checkBalance", CREDS), limit=1 << 16)
    assert sum(map(len, chunks)) >= 1 << 16
    sim.clear_faults()
    assert post(http, f"{sim.base_url}/checkBalance", CREDS).json()["errorcode"] == "1"
    assert capfd.readouterr().err == ""


def test_stop_ends_a_drip_at_once(clock):
    sim = make(clock, drip_seconds=30.0).start()
    sim.set_fault("drip", endpoint="checkBalance")
    results: list[Any] = []
    thread = threading.Thread(
        target=lambda: results.append(read_raw(sim, post_request("/onsmsapivoice/checkBalance", CREDS)))
    )
    thread.start()
    deadline = time.monotonic() + 3
    while not sim.received and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sim.stop()
    thread.join(timeout=3)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.5
    assert b"".join(results[0][0]) == b"H"  # the first byte, and no more


def test_keep_alive_answers_many_requests_on_one_connection_and_stop_closes_it(clock):
    with make(clock, keep_alive=True) as sim:
        connection = HTTPConnection("127.0.0.1", urlsplit(sim.url).port, timeout=5)
        for message in ("1", "2", "3"):
            body = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": message}
            connection.request("POST", "/onsmsapivoice/postSMS", json.dumps(body))
            response = connection.getresponse()
            assert response.version == 11
            taken(response.read().decode())
        sock = connection.sock
        assert sock is not None
        sim.set_fault("huge", endpoint="checkBalance", times=1)
        connection.request("POST", "/onsmsapivoice/checkBalance", json.dumps(CREDS))
        response = connection.getresponse()
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert len(response.read()) == HUGE_BYTES
        connection.request("POST", "/onsmsapivoice/checkBalance", json.dumps(CREDS))
        assert json.loads(connection.getresponse().read())["errorcode"] == "1"
        assert connection.sock is sock  # still the one connection
    sock.settimeout(2)
    assert sock.recv(1) == b""  # stop() closed it


def test_without_keep_alive_each_request_has_its_own_connection(sim):
    connection = HTTPConnection("127.0.0.1", urlsplit(sim.url).port, timeout=5)
    connection.request("POST", "/onsmsapivoice/checkBalance", json.dumps(CREDS))
    response = connection.getresponse()
    assert response.version == 10
    assert response.will_close
    response.read()
    connection.close()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"fault": "explode"}, "fault must be"),
        ({"fault": "code"}, "integer code"),
        ({"fault": "code", "code": True}, "integer code"),
        ({"fault": "hang", "endpoint": "postSms"}, "endpoint must be"),
        ({"fault": "hang", "times": 0}, "times"),
        ({"fault": "hang", "number": 361234567}, "number"),
    ],
)
def test_bad_faults_are_refused(sim, kwargs, error):
    with pytest.raises(ValueError, match=error):
        sim.set_fault(**kwargs)


def test_hang_is_recorded_first_and_released_by_stop(clock, http):
    sim = make(clock, hang_seconds=30.0).start()
    sim.set_fault("hang")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            send(sim, http)
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 3
    while not sim.received and time.monotonic() < deadline:
        time.sleep(0.01)
    [received] = sim.received  # recorded while the request still hangs
    assert received.answer == "hang"
    assert received.fault == "fault:hang"
    assert thread.is_alive()
    started = time.monotonic()
    sim.stop()
    thread.join(timeout=3)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.5
    assert isinstance(errors[0], requests.ConnectionError)


def test_the_state_decides_answers_without_a_server():
    state = GatewayState(password=PASSWORD, key=KEY, balance=1, clock=FakeClock())
    body = json.dumps({**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "42"})
    reply = state.handle_gateway("postSMS", body.encode())
    assert (reply.action, reply.status) == ("answer", 200)
    assert state.calls[0].request_id == taken(reply.body.decode())
    assert state.handle_gateway("postSMS", body.encode()).body == b"6"
    state.set_fault("drop", times=1)
    assert state.handle_gateway("postSMS", body.encode()).action == "drop"
    assert state.handle_gateway("postSMS", None).status == 413
    assert [r.answer for r in state.received] == [reply.body.decode(), "6", "drop", "HTTP 413"]
    assert state.balance == 0
