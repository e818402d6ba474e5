"""Small servers the network tests talk through, over loopback: a forward HTTP proxy and an HTTPS
gateway with a certificate of a CA made for the test."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit


class ForwardProxy:
    """An HTTP forward proxy: it takes ``POST http://host:port/path``, sends it on, and relays the
    answer byte by byte as it arrives (so a dripping gateway drips through it); ``CONNECT host:port``
    opens a tunnel, or is refused with 403 when ``refuse_tunnels``. It keeps the request lines it got."""

    refuse_tunnels = False

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, _, body = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ")
            self.seen.append(f"{method} {target}")
            if method == "CONNECT":
                self._tunnel(client, target, body)
                return
            length = next(
                (int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length")), 0
            )
            while len(body) < length:
                body += client.recv(4096)
            url = urlsplit(target)
            headers = [line for line in lines[1:] if not line.lower().startswith(("proxy-", "connection"))]
            request = f"{method} {url.path} {version}\r\n" + "\r\n".join([*headers, "Connection: close"])
            with socket.create_connection((url.hostname, url.port or 80), timeout=10) as upstream:
                upstream.sendall(request.encode("latin-1") + b"\r\n\r\n" + body)
                while chunk := upstream.recv(1):
                    client.sendall(chunk)

    def _tunnel(self, client: socket.socket, target: str, early: bytes) -> None:
        if self.refuse_tunnels:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            upstream.sendall(early)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join(timeout=10)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept: a close alone would not
        self.listener.close()
        self.thread.join(timeout=5)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(4096):
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)


def make_certificates(directory: Path) -> tuple[Path, Path, Path] | None:
    """A CA and a certificate it signed for 127.0.0.1: (the CA's, the server's, its key); None
    without the ``openssl`` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    ca_key, ca, key, csr, cert = (
        directory / name for name in ("ca.key", "ca.pem", "key.pem", "csr", "cert.pem")
    )
    (directory / "san.cnf").write_text(
        "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n"
        "keyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
    )

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, timeout=60)

    run(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
        "-days", "2", "-subj", "/CN=voiceotp test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(key),
        "-out",
        str(csr),
        "-subj",
        "/CN=127.0.0.1",
    )
    run(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(directory / "san.cnf"),
    )  # fmt: skip
    return ca, cert, key


class BalanceHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"errorcode": "1", "balance": 7}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class HttpsGateway:
    """A checkBalance that answers balance 7 over HTTPS with ``cert``."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BalanceHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/onsmsapivoice"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
