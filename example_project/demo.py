"""``make demo``: the example site on SQLite with the gateway simulator, in one command.

Starts two simulators, the site's two gateways ``main`` and ``backup`` (unless ``VOICEOTP_BASE_URL``
or ``VOICEOTP_GATEWAYS`` points at real ones): a fault set on ``main``'s page shows the calls going
to ``backup``. Then it migrates, creates an
admin login and prints it, asks the gateway for its balance once with ``voiceotp_gateway`` and prints
what it said (and how to ask it yourself from another shell), starts the task worker that asks the
gateway how each call went (a child process, ``manage.py db_worker``), then serves the site until
Ctrl-C (or SIGTERM), which stops everything it started.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_voiceotp.simulator import GatewaySimulator

ROOT = Path(__file__).resolve().parent.parent
WORKER = [
    sys.executable, "-m", "django", "db_worker",
    "--no-reload", "--interval", "0.5", "--no-startup-delay", "--verbosity", "0",
]  # fmt: skip
"""The ORM-based backend's worker: outcomes arrive within a second of the gateway knowing them."""


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _start_simulators(port_asked: str | None) -> dict[str, GatewaySimulator]:
    """The demo's two gateways, each a simulator on loopback with credentials of its own, named to the
    site through ``VOICEOTP_GATEWAYS``: ``main`` on ``SIMULATOR_PORT`` (8765), ``backup`` on the next
    port by default, on any free one when ``SIMULATOR_PORT`` was chosen."""
    import json

    from django_voiceotp.simulator import GatewaySimulator

    first = int(port_asked or "8765")
    simulators: dict[str, GatewaySimulator] = {}
    for name, port in (("main", first), ("backup", 0 if port_asked else first + 1)):
        simulators[name] = GatewaySimulator(
            host="127.0.0.1",
            port=port if port and _free("127.0.0.1", port) else 0,
            username=f"demo-{name}",
            password=secrets.token_urlsafe(12),
            key=secrets.token_urlsafe(12),
            balance=1000,
            answer_after=4.0,
        ).start()
    gateways = [
        {
            "NAME": name,
            "OPTIONS": {
                "BASE_URL": sim.base_url,
                "USERNAME": sim.username,
                "PASSWORD": sim.password,
                "KEY": sim.key,
            },
        }
        for name, sim in simulators.items()
    ]
    os.environ.update(
        VOICEOTP_GATEWAYS=json.dumps(gateways),
        VOICEOTP_DEMO_SIMULATORS=json.dumps({name: sim.url for name, sim in simulators.items()}),
    )
    # Short enough to try each limit by hand, long enough to see it work.
    os.environ.setdefault("VOICEOTP_RESEND_COOLDOWN", "20")
    # The simulator's calls ring for 4 s: checked every 2 s, an outcome shows a moment after.
    os.environ.setdefault("VOICEOTP_POLL_TASK_INTERVAL", "2")
    return simulators


def _switch_metrics_on() -> None:
    """The demo counts for /metrics/ when the metrics extra is there (the example extra brings it)."""
    import importlib.util

    if importlib.util.find_spec("prometheus_client") is not None:
        os.environ.setdefault("VOICEOTP_METRICS", "true")


def _stop_simulators(simulators: dict[str, GatewaySimulator]) -> None:
    for simulator in simulators.values():
        simulator.stop()


def _metrics() -> bool:
    from django_voiceotp.metrics import switched_on

    return switched_on()


def _allauth() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "ALLAUTH", False))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    if importlib.util.find_spec("captcha") is not None:
        # The example policy: from an address's fourth request in an hour on, a captcha first
        # (VOICEOTP_POLICY=django_voiceotp.policy.Policy turns it off).
        os.environ.setdefault("VOICEOTP_POLICY", "example_project.policy.CaptchaAfterThree")
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    simulators: dict[str, GatewaySimulator] = {}
    if not (os.environ.get("VOICEOTP_BASE_URL") or os.environ.get("VOICEOTP_GATEWAYS")):
        simulators = _start_simulators(os.environ.get("SIMULATOR_PORT"))

    import django
    from django.core.management import call_command

    _switch_metrics_on()
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.invalid"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()

    if not _free(host, port):
        print(f"Port {port} is taken: run PORT=8001 make demo", file=sys.stderr)
        _stop_simulators(simulators)
        return 1
    gateway_lines = _gateway_check()
    worker = _start_worker()
    site = f"http://{host}:{port}"
    print(
        "\n".join(
            [
                "",
                "django-voiceotp demo",
                f"  try it:       {site}/",
                f"  admin:        {site}/admin/   login: admin / {password}",
                *(
                    [f"  sign up:      {site}/accounts/signup/ (django-allauth, by a call)"]
                    if _allauth()
                    else []
                ),
                f"  API docs:     {site}/api/docs/",
                f"  metrics:      {site}/metrics/ (Prometheus; this machine or staff only)"
                if _metrics()
                else "  metrics:      off (VOICEOTP_METRICS=true and the metrics extra serve /metrics/)",
                f"  API schema:   {site}/api/schema/",
                *(
                    [
                        f"  gateway {name + ':':<7} a simulator, {sim.url}/calls (the codes it read out)"
                        for name, sim in simulators.items()
                    ]
                    + ["                a fault set on main's page sends the calls to backup"]
                    if simulators
                    else [f"  gateway:      {os.environ.get('VOICEOTP_BASE_URL') or 'VOICEOTP_GATEWAYS'}"]
                ),
                *gateway_lines,
                "  worker:       manage.py db_worker, asking the gateway how each call went"
                if worker
                else "  worker:       none: a challenge's call is checked when it is read",
                "  Ctrl-C stops everything.",
                "",
            ]
        ),
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # stopped by a supervisor or a test: clean up as for Ctrl-C
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=False)
    except KeyboardInterrupt:
        pass
    finally:
        if worker is not None:
            _stop(worker)
        _stop_simulators(simulators)
    return 0


def _gateway_check() -> list[str]:
    """``voiceotp_gateway --balance`` once per gateway, its answers for the banner, and the command line
    that asks the same gateways from another shell (the simulators' credentials are the demo's own)."""
    from django.core.management import CommandError, call_command

    from django_voiceotp.gateways import get_gateways

    lines = []
    for gateway in get_gateways():
        out = io.StringIO()
        with contextlib.suppress(SystemExit, CommandError):  # its output says what went wrong
            call_command("voiceotp_gateway", "--balance", "--gateway", gateway.label, stdout=out)
        said = dict(line.split(":", 1) for line in out.getvalue().splitlines() if ":" in line)
        lines.append(
            f"  {'balance ' + gateway.label + ':':<13} HTTP {said.get('HTTP', '-').strip()}, "
            f"read as {said.get('read as', '-').strip()}"
        )
    env = " ".join(
        f"{name}={shlex.quote(os.environ[name])}"
        for name in (
            "VOICEOTP_GATEWAYS",
            "VOICEOTP_BASE_URL",
            "VOICEOTP_USERNAME",
            "VOICEOTP_PASSWORD",
            "VOICEOTP_KEY",
        )
        if name in os.environ
    )
    return [
        *lines,
        f"                ask it yourself: {env} python manage.py voiceotp_gateway --balance",
        "                (--gateway NAME for another one, --call 0905123456 for a call, --check",
        "                REQUEST_ID for its outcome)",
    ]


def _start_worker() -> subprocess.Popen[bytes] | None:
    """The task worker, when the site's task backend is the ORM-based one (``TASK_BACKEND``)."""
    from django.conf import settings

    backend = getattr(settings, "TASKS", {}).get("default", {}).get("BACKEND", "")
    if backend != "django_tasks_db.DatabaseBackend":
        return None
    return subprocess.Popen(WORKER, cwd=ROOT, env=os.environ.copy())  # noqa: S603 (a fixed command line)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Ctrl-C reached the worker too (one process group); SIGTERM it in case it did not, and wait."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
