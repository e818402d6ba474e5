"""Start and stop what the benchmark serves: gunicorn, the gateway stub and the simulator, each alone.

Why separate processes: the load loop's client threads run in the benchmark's own process, and a
gateway sharing that interpreter (and its GIL) would slow both and blur the figures. Each process is
started in its own session, asked to die with its parent (``PR_SET_PDEATHSIG`` on Linux, so even a
``kill -9`` of the benchmark leaves nothing behind), and stopped by its own id in ``stop()``: SIGTERM,
then SIGKILL to its process group if it has not gone within a few seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, Protocol

import requests

from . import cpu

ROOT = Path(__file__).resolve().parent.parent
_BASE_URL = re.compile(r"BASE_URL=(\S+)")


def free_port() -> int:
    """A free loopback port (the tiny race before gunicorn binds it is harmless here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the process that started us dies (Linux only)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(
    args: list[str], *, env: dict[str, str] | None = None, stdout: Any = None, stderr: Any = None
) -> subprocess.Popen[Any]:
    """Start ``args`` in its own session (a Ctrl-C meant for us does not reach it half-way through its
    own cleanup: we forward a SIGTERM instead), set to receive SIGTERM if we die first."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments, no shell)
        args,
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def stop(process: subprocess.Popen[Any] | None, *, grace: float = 10.0) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL its group after ``grace`` s."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is ours alone
        process.wait(5)


class Gateway(Protocol):
    """What the load phases need of the gateway the site calls: the stub or the simulator."""

    base_url: str

    @property
    def pid(self) -> int | None: ...

    def environ(self) -> dict[str, str]: ...

    def reset(self) -> None: ...

    def codes_by_phone(self) -> dict[str, str]: ...


class _GatewayProcess:
    """A gateway stand-in in a process of its own, which says on its first line where it listens, and
    a session for its ``/_control`` endpoints."""

    def __init__(self) -> None:
        self.base_url = ""
        self.url = ""
        self.process: subprocess.Popen[Any] | None = None
        self._control = requests.Session()
        self._control.trust_env = False

    def _launch(self, args: list[str], what: str) -> None:
        self.process = spawn(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = _read_line(self.process.stdout, timeout=20)
        match = _BASE_URL.search(line)
        if not match:
            stop(self.process)
            raise RuntimeError(f"{what} did not say where it listens: {line!r}")
        self.base_url = match.group(1)
        self.url = self.base_url.rsplit("/", 1)[0]

    def stop(self) -> None:
        stop(self.process)
        self._control.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class Simulator(_GatewayProcess):
    """``python -m django_voiceotp.simulator`` on a free port with fresh credentials.

    ``answer_after=0``: ``checkVoice`` answers "answered" at once unless a fault says otherwise, which
    the poll benchmark uses to measure both the still-ringing and the settled path.
    """

    def __init__(self, *, balance: int = 10**9, answer_after: float = 0.0) -> None:
        self.username = "bench"
        self.password = secrets.token_urlsafe(12)
        self.key = secrets.token_urlsafe(12)
        self.balance = balance
        self.answer_after = answer_after
        super().__init__()

    def start(self) -> Simulator:
        args = [sys.executable, "-m", "django_voiceotp.simulator", "--host", "127.0.0.1", "--port", "0"]
        # ``--name=value``: a random password may start with "-", which argparse would take for a flag.
        args += [f"--username={self.username}", f"--password={self.password}", f"--key={self.key}"]
        args += [f"--balance={self.balance}", f"--answer-after={self.answer_after}"]
        self._launch(args, "the simulator")
        return self

    def reset(self) -> None:
        self.control("POST", "reset")

    def environ(self) -> dict[str, str]:
        """The example site's settings that point it at this simulator."""
        return {
            "VOICEOTP_BASE_URL": self.base_url,
            "VOICEOTP_USERNAME": self.username,
            "VOICEOTP_PASSWORD": self.password,
            "VOICEOTP_KEY": self.key,
        }

    def control(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        if body is None and method != "GET":
            body = {}  # a change is taken only as JSON, even an empty one
        response = self._control.request(method, f"{self.url}/_control/{name}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def codes_by_phone(self) -> dict[str, str]:
        """The code each number was last called with (local form), from ``/_control/calls``."""
        calls = self.control("GET", "calls")["calls"]  # newest first
        codes: dict[str, str] = {}
        for call in reversed(calls):
            codes[call["phone"]] = call["code"]
        return codes

    def post_sms_payload(self, phone: str, message: str) -> dict[str, str]:
        return {
            "username": self.username,
            "pass": self.password,
            "key": self.key,
            "sender": "DAUSO1",
            "phonesend": phone,
            "message": message,
        }


class GatewayStub(_GatewayProcess):
    """``python -m benchmarks.gateway_stub`` on a free port: what the site calls during the load phases.

    It checks no credentials, so the site keeps the simulator's (any will do).
    """

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials
        super().__init__()

    def start(self) -> GatewayStub:
        args = [sys.executable, "-m", "benchmarks.gateway_stub", "--host", "127.0.0.1", "--port", "0"]
        self._launch(args, "the gateway stub")
        return self

    def environ(self) -> dict[str, str]:
        return {**self.credentials, "VOICEOTP_BASE_URL": self.base_url}

    def _get(self, name: str) -> Any:
        response = self._control.get(f"{self.url}/_control/{name}", timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._control.post(f"{self.url}/_control/reset", timeout=30).raise_for_status()

    def codes_by_phone(self) -> dict[str, str]:
        codes: dict[str, str] = self._get("codes")
        return codes

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self._get("counts")
        return counts


def _read_line(stream: IO[bytes] | None, *, timeout: float) -> str:
    if stream is None:
        return ""
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline().decode("utf-8", "replace") if ready else ""


class Gunicorn:
    """``gunicorn example_project.wsgi`` with ``gthread`` workers on a free loopback port.

    ``gthread``: what a site whose requests wait on a gateway runs (a sync worker would sit idle
    through every ``postSMS``). ``DJANGO_SETTINGS_MODULE`` in ``env`` chooses the settings (the
    benchmark's own, which extend the example site's). Its log goes to ``log_path`` so a failure can
    be shown, not to the terminal.
    """

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2, threads: int = 4) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[Any] | None = None
        self._log: IO[bytes] | None = None

    def start(self, *, ready_timeout: float = 60.0) -> Gunicorn:
        args = [sys.executable, "-m", "gunicorn", "example_project.wsgi:application"]
        args += ["--workers", str(self.workers), "--worker-class", "gthread", "--threads", str(self.threads)]
        # --keep-alive: as behind a proxy that keeps its connections open; gunicorn's 2 s default
        # would close a client's connection while the load loop spreads the others over the workers.
        args += ["--bind", f"127.0.0.1:{self.port}", "--keep-alive", "10", "--timeout", "60"]
        args += ["--log-level", "warning"]
        self._log = self.log_path.open("ab")
        self.process = spawn(args, env=self.env, stdout=self._log, stderr=self._log)
        deadline = time.monotonic() + ready_timeout
        with requests.Session() as probe:
            probe.trust_env = False
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
                try:
                    probe.get(f"{self.url}/bench/ping/", timeout=5)
                except requests.ConnectionError:
                    time.sleep(0.2)
                    continue
                if self._workers_up(deadline):
                    return self
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {ready_timeout:.0f} s:\n{self.log_tail()}")

    def _workers_up(self, deadline: float) -> bool:
        """Every worker forked (the first answer may come from the first one alone)."""
        while time.monotonic() < deadline:
            if len(self.worker_pids()) >= self.workers:
                return True
            time.sleep(0.1)
        return False

    def worker_pids(self) -> list[int]:
        return cpu.children(self.process.pid) if self.process is not None else []

    def site_info(self) -> dict[str, Any]:
        """The site's settings as one of its workers sees them (``/bench/site/``)."""
        with requests.Session() as probe:
            probe.trust_env = False
            response = probe.get(f"{self.url}/bench/site/", timeout=10)
            response.raise_for_status()
            info: dict[str, Any] = response.json()
            return info

    def stop(self) -> None:
        stop(self.process, grace=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
