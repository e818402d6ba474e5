"""The gateway simulator's control, its page and its HTTP edges, what a web page the developer visits can
reach, and its command line."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from django_voiceotp.simulator import GatewaySimulator, build_parser
from django_voiceotp.simulator.cli import exposed_warning
from django_voiceotp.simulator.server import is_loopback_address

from .wire import CREDS, KEY, PASSWORD, check, make, post, send, taken

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
