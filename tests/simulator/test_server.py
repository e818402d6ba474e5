"""The gateway simulator over real HTTP on loopback: protocol, failures on purpose, control, CLI.

These tests need no Django: they speak HTTP to a simulator started on a free port, with a fake clock
wherever time matters, so nothing here sleeps for the real answer delay or hang.
"""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from django_voiceotp.simulator import ENDING_CODES, GatewaySimulator, GatewayState, build_parser
from django_voiceotp.simulator.cli import exposed_warning
from django_voiceotp.simulator.server import HUGE_BYTES, is_loopback_address

PASSWORD = "s3cret-PASS-zq"
KEY = "k3y-XYZ-zq"
CREDS = {"username": "demo", "pass": PASSWORD, "key": KEY}
TAKEN = re.compile(r"1,,,([0-9a-f-]{36})")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(clock: FakeClock, **kwargs: Any) -> GatewaySimulator:
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "username": "demo",
        "password": PASSWORD,
        "key": KEY,
        "sender": "DAUSO1",
        "balance": 5,
        "price": 1,
        "repeat_window": 900.0,
        "answer_after": 2.0,
        "hang_seconds": 0.3,
        "drip_seconds": 0.002,
        "clock": clock,
    }
    return GatewaySimulator(**{**options, **kwargs})


@pytest.fixture(scope="module")
def _server() -> Iterator[GatewaySimulator]:
    """One server for the module (starting and stopping one per test would dominate the run)."""
    with make(FakeClock()) as simulator:
        yield simulator


@pytest.fixture
def clock(_server: GatewaySimulator) -> FakeClock:
    assert isinstance(_server.clock, FakeClock)
    return _server.clock


@pytest.fixture
def sim(_server: GatewaySimulator) -> Iterator[GatewaySimulator]:
    _server.reset()
    yield _server
    _server.clear_faults()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # never route loopback through a proxy from the environment
    yield session
    session.close()


def post(http: requests.Session, url: str, body: Any, timeout: float = 5) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return http.post(url, data=data, timeout=timeout)


def send(sim: GatewaySimulator, http: requests.Session, **fields: Any) -> str:
    body = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "123456", **fields}
    return post(http, f"{sim.base_url}/postSMS", body).text


def taken(answer: str) -> str:
    match = TAKEN.fullmatch(answer)
    assert match, answer
    return match[1]


def check(sim: GatewaySimulator, http: requests.Session, request_id: str, **fields: Any) -> str:
    body = {**CREDS, "request_id": request_id, **fields}
    return post(http, f"{sim.base_url}/checkVoice", body).text


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


# -- control, page, HTTP edges ---------------------------------------------------------------------


def test_control_views(sim, http):
    first = taken(send(sim, http))
    second = taken(send(sim, http, phonesend="0912345678"))
    send(sim, http, key="wrong-key-zz")
    calls = http.get(f"{sim.url}/_control/calls", timeout=5).json()["calls"]
    assert [c["request_id"] for c in calls] == [second, first]
    assert set(calls[0]) == {"request_id", "phone", "code", "placed_at", "outcome", "checks"}
    received = http.get(f"{sim.url}/_control/received", timeout=5).json()["received"]
    assert received[0]["answer"] == "-1"  # newest first
    state = http.get(f"{sim.url}/_control/state", timeout=5).json()
    assert state == {"balance": 3, "faults": [], "counts": {"postSMS": 3, "checkVoice": 0,
                                                             "checkBalance": 0}}  # fmt: skip


def test_control_changes(sim, http):
    control = f"{sim.url}/_control"
    fault = {"fault": "code", "number": "0361234567", "endpoint": "postSMS", "code": 15, "times": 1}
    assert http.post(f"{control}/faults", json=fault, timeout=5).json()["faults"] == [fault]
    assert send(sim, http) == "15"
    http.post(f"{control}/faults", json={"fault": "http500"}, timeout=5)
    assert http.delete(f"{control}/faults", json={}, timeout=5).json()["faults"] == []
    for slow in ({"fault": "drip", "endpoint": "checkVoice"}, {"fault": "huge", "endpoint": "checkBalance"}):
        [added] = http.post(f"{control}/faults", json=slow, timeout=5).json()["faults"]
        assert (added["fault"], added["endpoint"]) == (slow["fault"], slow["endpoint"])
        sim.clear_faults()
    request_id = taken(send(sim, http))
    assert http.post(f"{control}/balance", json={"balance": 42}, timeout=5).json()["balance"] == 42
    outcome = {"phone": "0361234567", "outcome": "failed"}
    answer = http.post(f"{control}/outcome", json=outcome, timeout=5).json()
    assert answer["call"]["request_id"] == request_id
    assert check(sim, http, request_id) == "23"
    assert http.post(f"{control}/reset", json={}, timeout=5).json() == {
        "balance": 5, "faults": [], "counts": {"postSMS": 0, "checkVoice": 0, "checkBalance": 0},
    }  # fmt: skip
    assert sim.calls == []
    assert sim.received == []
    taken(send(sim, http))  # the repeat history went too


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "faults", {"fault": "nope"}, 400),
        ("POST", "faults", {"fault": "hang", "extra": 1}, 400),
        ("POST", "faults", {"number": "0361234567"}, 400),
        ("POST", "faults", [1], 400),
        ("POST", "faults", "{broken", 400),
        ("POST", "balance", {"balance": "lots"}, 400),
        ("POST", "outcome", {"phone": "0361234567", "outcome": "answered"}, 400),
        ("POST", "outcome", {"request_id": "x"}, 400),
        ("POST", "nothing", {}, 404),
        ("GET", "faults", None, 405),
        ("DELETE", "calls", None, 405),
    ],
)
def test_bad_control_input(sim, http, method, path, body, status):
    data = body if isinstance(body, str) else json.dumps(body) if body is not None else None
    headers = {"Content-Type": "application/json"}
    response = http.request(method, f"{sim.url}/_control/{path}", data=data, headers=headers, timeout=5)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)


# -- what a web page the developer visits can reach ------------------------------------------------


def raw(sim: GatewaySimulator, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    """One request with exactly these headers (no Host unless given): status, headers, body."""
    connection = HTTPConnection("127.0.0.1", urlsplit(sim.url).port, timeout=5)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in [*headers.items(), ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_no_answer_lets_another_origin_read_it(sim, http):
    origin = {"Origin": "https://evil.example"}
    gateway = {**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "1"}
    responses = [
        http.get(f"{sim.url}{path}", headers=origin, timeout=5)
        for path in ("/", "/calls", "/_control/calls", "/_control/received", "/_control/state", "/x")
    ]
    responses += [
        http.post(f"{sim.base_url}/postSMS", json=gateway, headers=origin, timeout=5),
        http.post(f"{sim.base_url}/checkBalance", json=CREDS, headers=origin, timeout=5),
        http.post(f"{sim.url}/_control/reset", json={}, headers=origin, timeout=5),
        http.options(f"{sim.url}/_control/faults", headers=origin, timeout=5),
    ]
    assert responses[2].json()["calls"] == []
    for response in responses:
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/jsonp", "text/json"],
)  # fmt: skip
def test_control_changes_are_taken_only_as_json(sim, http, content_type):
    """What a cross-site form or a "simple" fetch can send, without asking first, changes nothing."""
    taken(send(sim, http))
    headers = {"Content-Type": content_type} if content_type else {}
    fault = json.dumps({"fault": "hang"}).encode()
    for method, name, body in [("POST", "faults", fault), ("POST", "balance", b'{"balance": 0}'),
                               ("POST", "reset", b"{}"), ("POST", "reset", b""),
                               ("DELETE", "faults", b"")]:  # fmt: skip
        sim.set_fault("code", code=7, number="0999999999")
        status, answer_headers, answer = raw(
            sim, method, f"/_control/{name}", {"Host": "127.0.0.1", **headers}, body
        )
        assert status == 415, (method, name)
        assert answer_headers["Content-Type"] == "application/json"
        assert "application/json" in json.loads(answer)["error"]
        assert len(sim.faults) == 1
        sim.clear_faults()
    assert len(sim.calls) == 1
    assert sim.balance == 4


def test_control_changes_as_json_with_a_charset_are_taken(sim, http):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    answer = http.post(f"{sim.url}/_control/faults", data=b'{"fault": "hang"}', headers=headers, timeout=5)
    assert answer.status_code == 200
    assert [f.fault for f in sim.faults] == ["hang"]


ANY_ADDRESS = "0.0.0.0"  # noqa: S104 (only compared)
REFUSED_HOSTS = [
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1.evil.example",
    "localhost.evil.example",
    "127.0.0.2",
    "[::2]",
    "0.0.0.0:{port}",
    "127.0.0.1:{port}@evil.example",
    "localhost:x",
    "",
]
ACCEPTED_HOSTS = ["127.0.0.1", "127.0.0.1:{port}", "localhost", "LocalHost:{port}", "[::1]", "[::1]:8765"]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_pages_and_control_refuse_a_host_that_is_not_loopback(sim, http, host):
    """A DNS-rebinding page is same-origin for the browser; only its Host header gives it away."""
    taken(send(sim, http, message="424242"))
    headers = {"Host": host.format(port=urlsplit(sim.url).port)}
    for method, path in [("GET", "/"), ("GET", "/calls"), ("GET", "/_control/calls"),
                         ("GET", "/_control/received"), ("GET", "/_control/state")]:  # fmt: skip
        status, _, body = raw(sim, method, path, headers)
        assert status == 403, path
        assert b"424242" not in body
        assert "127.0.0.1" in json.loads(body)["error"]
    json_headers = {**headers, "Content-Type": "application/json"}
    assert raw(sim, "POST", "/_control/reset", json_headers, b"{}")[0] == 403
    assert raw(sim, "POST", "/_control/faults", json_headers, b'{"fault": "drop"}')[0] == 403
    assert len(sim.calls) == 1
    assert sim.faults == []


def test_pages_and_control_refuse_a_request_without_one_host(sim):
    assert raw(sim, "GET", "/_control/calls", {})[0] == 403
    status, _, _ = raw(sim, "GET", "/calls", {"Host": "127.0.0.1", "host": "evil.example"})
    assert status == 403


@pytest.mark.parametrize("host", ACCEPTED_HOSTS)
def test_pages_and_control_answer_loopback_names(sim, host):
    headers = {"Host": host.format(port=urlsplit(sim.url).port)}
    for path in ("/", "/calls", "/_control/calls", "/_control/state"):
        assert raw(sim, "GET", path, headers)[0] == 200, path
    assert (
        raw(sim, "POST", "/_control/reset", {**headers, "Content-Type": "application/json"}, b"{}")[0] == 200
    )


def test_the_gateway_endpoints_take_any_host(sim):
    body = json.dumps({**CREDS, "sender": "DAUSO1", "phonesend": "0361234567", "message": "1"}).encode()
    status, _, answer = raw(sim, "POST", "/onsmsapivoice/postSMS", {"Host": "gateway.example"}, body)
    assert status == 200
    taken(answer.decode())
    status, _, answer = raw(sim, "POST", "/onsmsapivoice/checkBalance", {}, json.dumps(CREDS).encode())
    assert json.loads(answer)["errorcode"] == "1"


def test_it_listens_on_loopback_unless_told_otherwise():
    assert GatewaySimulator().host == "127.0.0.1"
    assert build_parser().parse_args([]).host == "127.0.0.1"
    assert [is_loopback_address(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.9")] == [True] * 4
    assert [is_loopback_address(h) for h in (ANY_ADDRESS, "", "192.168.1.2", "example.com")] == [False] * 4
    assert "/calls" in exposed_warning(ANY_ADDRESS)


def test_http_edges(sim, http):
    assert http.get(f"{sim.base_url}/postSMS", timeout=5).status_code == 405
    assert http.put(f"{sim.base_url}/checkVoice", timeout=5).status_code == 405
    assert http.post(f"{sim.url}/calls", timeout=5).status_code == 405
    assert http.get(f"{sim.url}/nowhere", timeout=5).status_code == 404
    assert http.post(f"{sim.base_url}/postSMS/", json=CREDS, timeout=5).status_code == 404
    big = post(http, f"{sim.base_url}/postSMS", {**CREDS, "message": "1" * 70_000})
    assert big.status_code == 413
    assert sim.received[-1].answer == "HTTP 413"
    odd = http.post(f"{sim.base_url}/postSMS", data=b"{}", timeout=5,
                    headers={"Content-Length": "x"})  # fmt: skip
    assert odd.text == "11"
    assert sim.count("postSMS") == 2  # the 404 is not a postSMS
    assert sim.count("checkVoice") == 0
    with pytest.raises(ValueError, match="endpoint"):
        sim.count("postsms")


def test_page_escapes_and_never_shows_secrets(sim, http):
    request_id = taken(send(sim, http, message="987654"))
    assert send(sim, http, phonesend="<script>alert(1)</script>") == "10"
    send(sim, http, **{"pass": "wrong-pw-zz"})
    sim.set_fault("hang", number="<b>x</b>")
    page = http.get(f"{sim.url}/", timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert "<meta http-equiv=refresh content=2>" in text
    assert "987654" in text
    assert "0361234567" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text
    assert "<b>x</b>" not in text
    assert "…9802" in text
    assert "…9931" in text
    assert http.get(f"{sim.url}/calls", timeout=5).status_code == 200
    received = http.get(f"{sim.url}/_control/received", timeout=5).text
    for secret in (PASSWORD, KEY, "wrong-pw-zz"):
        assert secret not in text
        assert secret not in received
        assert secret not in repr(sim.received)
    assert request_id in received


def test_verbose_logs_one_line_per_request_without_secrets(clock, http):
    log = io.StringIO()
    with make(clock, verbose=True, log=log) as sim:
        taken(send(sim, http))
        http.get(f"{sim.url}/_control/state", timeout=5)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert "/onsmsapivoice/postSMS" in lines[0]
    assert PASSWORD not in log.getvalue()
    assert KEY not in log.getvalue()


def test_quiet_by_default(sim, http, capfd):
    send(sim, http)
    post(http, f"{sim.base_url}/postSMS", b"\x00" * 10)
    http.get(f"{sim.url}/nowhere", timeout=5)
    assert capfd.readouterr().err == ""


def test_start_twice_and_url_before_start(clock):
    sim = make(clock)
    with pytest.raises(RuntimeError):
        _ = sim.url
    with sim:
        with pytest.raises(RuntimeError):
            sim.start()
        assert sim.base_url == f"{sim.url}/onsmsapivoice"


# -- command line ----------------------------------------------------------------------------------


def test_parser_defaults():
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.username, args.password, args.key, args.sender) == (
        "127.0.0.1", 8765, "demo", "demo-pass", "demo-key", "DAUSO1",
    )  # fmt: skip
    assert (args.balance, args.price, args.repeat_window, args.answer_after) == (1000, 1, 900, 2)
    assert args.answer_style == "plain"
    assert (args.hang_seconds, args.drip_seconds, args.keep_alive) == (30, 0.5, False)
    assert not args.verbose
    sim = GatewaySimulator.from_args(args, port=0)
    assert (sim.port, sim.repeat_window) == (0, 900)


def test_module_runs_and_exits_cleanly_on_ctrl_c(http):
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "django_voiceotp.simulator", "--port", "0", "--answer-style",
         "prefixed", "--password", "pw", "--key", "k"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = re.search(r"BASE_URL=(\S+)", line)
        assert base_url, line
        body = {"username": "demo", "pass": "pw", "key": "k", "sender": "DAUSO1",
                "phonesend": "0361234567", "message": "12"}  # fmt: skip
        assert post(http, f"{base_url[1]}/postSMS", body).text.startswith("RESULT: 1,,,")
        assert "/calls" in line
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
