"""An answer that does not end: the client refuses one over its cap (and its pooled connection stays
sound), reads one at the cap whole, and takes no compressed answer."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from django_voiceotp.gateways import (
    GatewayProtocolError,
    Kind,
)
from django_voiceotp.gateways.http.exchange import MAX_ANSWER
from django_voiceotp.gateways.http.session import new_session
from django_voiceotp.gateways.onsms.client import Credentials, GatewayClient
from django_voiceotp.simulator import GatewaySimulator, Reply

from ..conftest import KEY, PASSWORD, USERNAME
from ..helpers import PHONE

# --- an answer that does not end ----------------------------------------------------------------


@pytest.fixture
def kept_alive() -> Iterator[GatewaySimulator]:
    """A simulator on HTTP/1.1 that keeps each connection: what a pooled client would find."""
    with GatewaySimulator(
        port=0, username=USERNAME, password=PASSWORD, key=KEY, balance=1000, answer_after=0.3, keep_alive=True
    ) as sim:
        yield sim


def own_client(sim: GatewaySimulator) -> GatewayClient:
    """A client with a session of its own, so its pool holds only what these requests left in it."""
    credentials = Credentials(USERNAME, PASSWORD, KEY)
    return GatewayClient(
        base_url=sim.base_url,
        credentials=credentials,
        sender="DAUSO1",
        timeout=(1.0, 2.0),
        session=new_session(),
    )


@pytest.mark.parametrize("endpoint", ["postSMS", "checkVoice", "checkBalance"])
def test_a_huge_answer_is_refused_and_the_pooled_connection_is_not_poisoned(kept_alive, endpoint):
    client = own_client(kept_alive)
    request_id = client.place_call(PHONE, "123456").request_id  # a connection now waits in the pool
    assert request_id is not None
    calls = {
        "postSMS": lambda: client.place_call(PHONE, "654321"),
        "checkVoice": lambda: client.call_outcome(request_id),
        "checkBalance": client.balance,
    }
    kept_alive.set_fault("huge", endpoint=endpoint, times=1)
    started = time.monotonic()
    with pytest.raises(GatewayProtocolError) as info:
        calls[endpoint]()
    assert time.monotonic() - started < 2.0  # it stopped reading: the rest is megabytes
    assert info.value.message == f"{endpoint}: answer over {MAX_ANSWER} bytes"
    assert info.value.raw.startswith("1,,,this answer goes on")
    assert len(info.value.raw) == 500
    assert kept_alive.received[-1].answer == "huge"
    # Had the connection gone back to the pool, the next request would read the rest of that answer.
    assert client.balance().ok
    assert client.call_outcome(request_id).code in ("1", "27")
    assert client.place_call(PHONE, "111111").kind is Kind.TAKEN


def test_a_huge_answer_ended_by_closing_is_refused_too(simulator, client_for):
    simulator.set_fault("huge", endpoint="checkBalance", times=1)
    with pytest.raises(GatewayProtocolError, match=f"answer over {MAX_ANSWER} bytes"):
        client_for().balance()
    assert client_for().balance().ok


def test_an_answer_at_the_cap_is_read_whole(simulator, client_for, monkeypatch):
    """The cap is on what arrives, not a guess: an answer of exactly the cap is an answer."""
    answer = b"1,,," + b"a" * (MAX_ANSWER - 4)
    monkeypatch.setattr(simulator, "_post_sms", lambda data, style: Reply(body=answer))
    with pytest.raises(GatewayProtocolError) as info:
        client_for().place_call(PHONE, "123456")
    assert info.value.message.startswith("unreadable postSMS answer (")  # read whole, then judged
    monkeypatch.setattr(simulator, "_post_sms", lambda data, style: Reply(body=answer + b"a"))
    with pytest.raises(GatewayProtocolError, match=f"answer over {MAX_ANSWER} bytes"):
        client_for().place_call(PHONE, "123456")


class OneAnswerServer:
    """Answers one request with the bytes given, and keeps the request it got."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.request = b""
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/onsmsapivoice"

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5)
            while b"\r\n\r\n" not in self.request:
                self.request += conn.recv(4096)
            conn.sendall(self.answer)

    def close(self) -> None:
        self.thread.join(timeout=5)
        self.listener.close()


def test_the_client_asks_for_no_compression_and_refuses_it_anyway(client_for):
    bomb = gzip.compress(b"0" * (10 << 20))  # ten MiB once inflated
    head = f"HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n"
    server = OneAnswerServer(head.encode() + bomb)
    try:
        with pytest.raises(GatewayProtocolError) as info:
            client_for(base_url=server.base_url).balance()
    finally:
        server.close()
    assert b"\r\nAccept-Encoding: identity\r\n" in server.request
    assert info.value.message == "checkBalance: answer in an encoding that was not asked for"
    assert info.value.raw == ""
