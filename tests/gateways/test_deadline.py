"""The deadline for a whole gateway request: its watchdog, the connections it cuts, over HTTP and TLS.

The simulator's drips (tests/gateways/test_client.py) show the client cut at its budget on each
endpoint; these tests hold the parts to what they promise, and take the same cut through TLS with a
small server of their own, since the simulator speaks plain HTTP.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ProtocolError

from django_voiceotp.gateways import GatewayTimeout
from django_voiceotp.gateways.http import deadline
from django_voiceotp.gateways.http.session import new_session
from django_voiceotp.gateways.http.transport import (
    DeadlineRetry,
    WatchedHTTPConnection,
    WatchedHTTPConnectionPool,
)
from django_voiceotp.gateways.onsms.client import Credentials, GatewayClient

from ..conftest import KEY, PASSWORD, USERNAME


class Owner:
    """What a connection lends the deadline, without the connection."""

    def __init__(self) -> None:
        self.deadline: deadline.Deadline | None = None
        self.deadline_killed = False


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def watchdog_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "voiceotp-gateway-deadlines"]


# -- the watchdog ----------------------------------------------------------------------------------


def test_a_blocked_recv_is_woken_when_the_deadline_passes(pair):
    a, _ = pair
    owner = Owner()
    started = time.monotonic()
    with deadline.watch(0.3) as running:
        deadline.attach(owner, a)
        a.settimeout(5)  # a safety net for the test only
        assert a.recv(1) == b""  # the watchdog shut the connection down under us
    assert 0.29 < time.monotonic() - started < 1.5
    assert running.fired
    assert running.expired
    assert owner.deadline_killed
    assert owner.deadline is None  # let go when the request ended
    assert a.fileno() != -1  # shut down, not closed: closing stays the owner's business


def test_a_request_over_in_time_leaves_its_sockets_alone(pair):
    a, b = pair
    owner = Owner()
    with deadline.watch(0.1) as running:
        deadline.attach(owner, a)
        assert owner.deadline is running
        assert running.remaining() > 0
    time.sleep(0.25)
    assert not running.fired
    assert not owner.deadline_killed
    a.sendall(b"x")
    assert b.recv(1) == b"x"


def test_a_socket_attached_after_the_deadline_passed_is_cut_at_once(pair):
    a, _ = pair
    owner = Owner()
    with deadline.watch(0.05) as running:
        time.sleep(0.2)
        assert running.fired or running.expired
        time.sleep(deadline.TICK * 2)
        deadline.attach(owner, a)
        a.settimeout(5)
        assert a.recv(1) == b""
    assert owner.deadline_killed


def test_detach_says_whether_the_socket_was_cut(pair):
    a, _ = pair
    cut, kept = Owner(), Owner()
    with deadline.watch(0.1):
        deadline.attach(kept, a)
        assert deadline.detach(kept) is False
        deadline.attach(cut, a)
        time.sleep(0.3)
        assert deadline.detach(cut) is True
    assert kept.deadline is None
    assert not kept.deadline_killed


def test_nothing_is_watched_outside_a_request(pair):
    owner = Owner()
    assert deadline.current() is None
    deadline.attach(owner, pair[0])
    assert owner.deadline is None


def test_many_requests_share_one_watchdog_thread(pair):
    def request() -> None:
        with deadline.watch(0.05):
            time.sleep(0.01)

    threads = [threading.Thread(target=request) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(watchdog_threads()) == 1


def test_a_forked_child_has_a_watchdog_of_its_own():
    """A child forked while the parent's watchdog runs must still have its deadlines fire."""
    script = textwrap.dedent(
        """
        import os, socket, sys, time
        from django_voiceotp.gateways.http import deadline

        class Owner:
            deadline = None
            deadline_killed = False

        with deadline.watch(0.05):
            time.sleep(0.1)  # the parent's watchdog thread is running now
        pid = os.fork()
        if pid == 0:
            a, b = socket.socketpair()
            a.settimeout(3)
            with deadline.watch(0.2):
                deadline.attach(Owner(), a)
                try:
                    os._exit(0 if a.recv(1) == b"" else 1)
                except OSError:
                    os._exit(2)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script], cwd=root, timeout=20, capture_output=True)
    assert result.returncode == 0, result.stderr


# -- urllib3's parts -------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


def connection(pool: WatchedHTTPConnectionPool) -> WatchedHTTPConnection:
    conn = pool._get_conn()
    assert isinstance(conn, WatchedHTTPConnection)
    return conn


def test_a_connection_opens_with_no_more_than_the_time_left(listener):
    pool = WatchedHTTPConnectionPool("127.0.0.1", listener.getsockname()[1], timeout=30)
    conn = connection(pool)
    with deadline.watch(0.5):
        conn.timeout = 30
        conn.connect()
        assert conn.timeout is not None
        assert conn.timeout <= 0.5
        assert conn.deadline is not None
    conn.close()
    with deadline.watch(0.01):
        time.sleep(0.05)
        with pytest.raises(ConnectTimeoutError):
            conn.connect()


def test_a_connection_cut_by_the_deadline_is_closed_when_it_comes_back_to_the_pool(listener):
    pool = WatchedHTTPConnectionPool("127.0.0.1", listener.getsockname()[1])
    cut = connection(pool)
    with deadline.watch(0.05):
        cut.connect()
        time.sleep(0.2)  # the answer came, then the watchdog fired before the pool got it back
        pool._put_conn(cut)
    assert cut.sock is None  # closed: the next request opens a fresh connection
    kept = connection(pool)
    with deadline.watch(5):
        kept.connect()
        sock = kept.sock
        pool._put_conn(kept)
    assert kept.sock is sock  # a healthy one stays pooled, open
    assert kept.deadline is None
    kept.close()


def test_retries_stop_and_back_off_no_longer_than_the_deadline_allows():
    retry = DeadlineRetry(total=5, read=5, backoff_factor=10, allowed_methods=frozenset({"POST"}))
    error = ProtocolError("Connection aborted.")
    with deadline.watch(0.3):
        retry = retry.increment("POST", "/x", error=error).increment("POST", "/x", error=error)
        assert 0 < retry.get_backoff_time() <= 0.3
        time.sleep(0.35)
        assert retry.get_backoff_time() == 0
        with pytest.raises(MaxRetryError):
            retry.increment("POST", "/x", error=error)
    assert retry.new().increment("POST", "/x", error=error).total == 2  # no deadline: counted as ever


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A loopback port whose accept queue is full: a new connection waits for its connect timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    queued = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        queued.append(filler)
    time.sleep(0.05)
    yield port
    for filler in queued:
        filler.close()
    server.close()


def test_connection_attempts_end_at_the_deadline_and_never_reached_the_gateway(blackhole):
    """postSMS retries a connection that never opened; the retries get what is left, not more."""
    client = GatewayClient(
        base_url=f"http://127.0.0.1:{blackhole}/onsmsapivoice",
        credentials=Credentials(USERNAME, PASSWORD, KEY),
        sender="DAUSO1",
        timeout=(0.5, 0.1),
        session=new_session(),
    )
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        client.place_call("0361234567", "123456")
    assert time.monotonic() - started < 1.2  # three attempts and their back-off would take 1.7 s
    assert info.value.message == "postSMS: no complete answer within 0.6 s"
    assert not info.value.may_have_reached


# -- over TLS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


class DrippingTLSServer:
    """A TLS server on loopback that drips, one byte every ``pause``: an HTTP answer under TLS
    (``answer``), or the TLS handshake itself (``handshake``), so the request never goes out."""

    def __init__(self, certificate: tuple[Path, Path], mode: str, pause: float = 0.2) -> None:
        self.mode, self.pause = mode, pause
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*map(str, certificate))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn, contextlib.suppress(OSError):  # the client gave up: the point of the test
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        if self.mode == "handshake":
            conn.recv(4096)  # the ClientHello
            self._drip(conn, b"\x16\x03\x03\x40\x00" + b"\x00" * 200)  # a record that never ends
            return
        with self.context.wrap_socket(conn, server_side=True) as tls:
            received = b""
            while b"\r\n\r\n" not in received:
                received += tls.recv(4096)
            self.requests += 1
            body = b'{"errorcode": "1", "balance": 5}'
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self._drip(tls, head.encode() + body)

    def _drip(self, conn: socket.socket, data: bytes) -> None:
        for index in range(len(data)):
            if self.stopping.wait(self.pause if index else 0):
                return
            conn.sendall(data[index : index + 1])

    def client(self, certificate: tuple[Path, Path]) -> GatewayClient:
        session = new_session()
        session.verify = str(certificate[0])
        return GatewayClient(
            base_url=f"https://127.0.0.1:{self.port}/onsmsapivoice",
            credentials=Credentials(USERNAME, PASSWORD, KEY),
            sender="DAUSO1",
            timeout=(0.5, 1.0),
            session=session,
        )

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[object]:
    servers: list[DrippingTLSServer] = []

    def start(mode: str) -> DrippingTLSServer:
        servers.append(DrippingTLSServer(certificate, mode))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_an_answer_dripping_under_tls_is_cut_at_the_deadline(tls_server, certificate):
    server = tls_server("answer")
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        server.client(certificate).balance()
    assert time.monotonic() - started < 3.0
    assert info.value.message == "checkBalance: no complete answer within 1.5 s"
    assert info.value.may_have_reached
    assert server.requests == 1


def test_a_tls_handshake_that_drips_is_a_connection_that_never_opened(tls_server, certificate):
    """Python bounds a whole handshake by the socket's timeout (here the connect timeout), and
    urllib3 calls it a read timeout; the request never went out, and the error says so."""
    server = tls_server("handshake")
    started = time.monotonic()
    with pytest.raises(GatewayTimeout) as info:
        server.client(certificate).place_call("0361234567", "123456")
    assert time.monotonic() - started < 1.5
    assert info.value.message == "postSMS: no connection within 0.5 s"
    assert not info.value.may_have_reached
