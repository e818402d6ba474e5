"""The example site as a site runs it, with its task worker beside it: gunicorn, a database of its own
(a SQLite file, or a PostgreSQL database in the services run), the worker process of the task backend
(``db_worker`` for the ORM-based backend, ``rqworker`` for RQ on Redis) and, when a test asks, more
pollers (``voiceotp_poll_calls`` runs), every one a process of its own pointed at a simulator.

The tests drive it over HTTP and read what the processes wrote straight from the database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .helpers import free_port
from .live_site import PG, REDIS_URL, ROOT, _wait_for, site_environ

WORKER_COMMANDS = {
    "database": ["db_worker", "--no-reload", "--interval", "0.2", "--no-startup-delay"],
    "rq": ["rqworker", "--with-scheduler", "--job-class", "django_tasks_rq.Job", "default"],
}


@dataclass
class WorkerSite:
    url: str
    env: dict[str, str]
    engine: str
    database: str
    """The SQLite file's path, or the PostgreSQL database's name."""
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the site's database; ``%s`` placeholders on both engines."""
        if self.engine == "sqlite":
            with sqlite3.connect(self.database, timeout=30) as conn:
                return list(conn.execute(sql.replace("%s", "?"), params).fetchall())
        import psycopg

        with psycopg.connect(dbname=self.database, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            return list(conn.execute(sql, params).fetchall())

    def execute(self, sql: str, *params: Any) -> None:
        """Change the site's database behind its back (a test's way of letting time pass)."""
        if self.engine == "sqlite":
            with sqlite3.connect(self.database, timeout=30) as conn:
                conn.execute(sql.replace("%s", "?"), params)
            return
        import psycopg

        with psycopg.connect(dbname=self.database, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(sql, params)

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """``manage.py <args>`` in its own process group (so it can be killed whole), its output in
        ``logs/<name>.log``."""
        return self.run(name, sys.executable, "manage.py", *args)

    def run(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def start_worker(self, backend: str) -> subprocess.Popen[bytes]:
        return self.spawn(f"worker-{backend}", *WORKER_COMMANDS[backend])

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, phone: str) -> dict[str, Any]:
        import requests

        answer = requests.post(f"{self.url}/api/otp/challenges/", json={"phone": phone}, timeout=30)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def challenge(self, challenge_id: str) -> dict[str, Any]:
        import requests

        answer = requests.get(f"{self.url}/api/otp/challenges/{challenge_id}/", timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def call(self, challenge_id: str) -> dict[str, Any]:
        """The challenge's call row: status, request_id, checks, the lease."""
        columns = ("id", "status", "request_id", "checks", "check_code", "poll_lease_until", "created_at")
        rows = self.query(
            f"SELECT {', '.join(columns)} FROM django_voiceotp_voicecall WHERE challenge_id = %s",  # noqa: S608
            challenge_id if self.engine != "sqlite" else uuid.UUID(challenge_id).hex,
        )
        [row] = rows
        return dict(zip(columns, row, strict=True))


def stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, wait: float = 15) -> None:
    """End a process and its children (its process group), at once with SIGKILL when asked."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(wait)
    if sig == signal.SIGKILL:
        return
    with contextlib.suppress(ProcessLookupError):  # what it left in its group (RQ's work horse, scheduler)
        os.killpg(process.pid, signal.SIGKILL)


def wait_until(
    check: Callable[[], Any], *, within: float = 90, every: float = 0.2, what: str = "the condition"
) -> Any:
    """``check()``'s first true value, asked every ``every`` seconds for at most ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within:g} s (last: {value!r})")
        time.sleep(every)


def engine() -> str:
    """PostgreSQL in the services run, SQLite otherwise: the same choice as the suite's own database."""
    return "postgres" if os.environ.get("VOICEOTP_TEST_POSTGRES") else "sqlite"


@contextmanager
def worker_site(
    simulator: Any, tmp: Path, *, tasks: str = "database", gunicorn_workers: int = 2, **voiceotp: Any
) -> Iterator[WorkerSite]:
    """Create the database, migrate it, start gunicorn; stop every process and drop the database after.
    The task worker is started by the test (:meth:`WorkerSite.start_worker`), so that it can kill it."""
    kind = engine()
    logs = tmp / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        database = str(tmp / "site.sqlite3")
        url = f"sqlite:///{database}"
    else:
        import psycopg

        database = f"voiceotp_worker_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{database}"')
        url = f"postgres://postgres@127.0.0.1:5432/{database}"
    try:
        yield from _serve(simulator, kind, url, database, logs, tasks, gunicorn_workers, voiceotp)
    finally:
        if kind == "postgres":
            import psycopg

            with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _serve(
    simulator: Any,
    kind: str,
    url: str,
    database: str,
    logs: Path,
    tasks: str,
    gunicorn_workers: int,
    voiceotp: dict[str, Any],
) -> Iterator[WorkerSite]:
    env = site_environ(
        simulator,
        url,
        voiceotp,
        PYTHONPATH=str(ROOT),
        SECRET_KEY="worker-site-tests-" + uuid.uuid4().hex,
        TASK_BACKEND=tasks,
        VOICEOTP_LOG_LEVEL="WARNING",
    )
    if tasks == "rq":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env.update(REDIS_URL=REDIS_URL, RQ_URL=REDIS_URL)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    site = WorkerSite(f"http://127.0.0.1:{port}", env, kind, database, logs)
    server = site.run(
        "gunicorn",
        sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
        "--workers", str(gunicorn_workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
        "--log-level", "error",
    )  # fmt: skip
    try:
        _wait_for(port, server)
        yield site
    finally:
        for process in reversed(site.processes):
            stop(process)
