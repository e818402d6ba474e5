"""The example site under gunicorn with several workers, on its own PostgreSQL database and Redis
database, pointed at a simulator: what a site in production looks like, for the multi-process tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_URL = os.environ.get("VOICEOTP_TEST_LIVE_REDIS_URL", "redis://127.0.0.1:6379/14")
"""The live site's own Redis database, flushed when it starts (a second checkout running the suite at
the same time sets another one)."""


@dataclass
class LiveSite:
    url: str
    database: str

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the site's database directly: the tests check what the workers wrote."""
        import psycopg

        with psycopg.connect(dbname=self.database, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            return list(conn.execute(sql, params).fetchall())


def site_environ(simulator: Any, database_url: str, voiceotp: dict[str, Any], **extra: str) -> dict[str, str]:
    """The example site's environment for the processes a test starts: production mode on
    ``database_url``, the simulator as its gateway, ``voiceotp`` keys as ``VOICEOTP_<KEY>`` JSON, and
    none of the caller's own ``VOICEOTP_``, ``DJANGO_`` or ``REDIS_URL`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOICEOTP_", "DJANGO_", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        VOICEOTP_BASE_URL=simulator.base_url,
        VOICEOTP_USERNAME=simulator.username,
        VOICEOTP_PASSWORD=simulator.password,
        VOICEOTP_KEY=simulator.key,
        **extra,
    )
    env.update({f"VOICEOTP_{key}": json.dumps(value) for key, value in voiceotp.items()})
    return env


@contextmanager
def live_site(
    simulator: Any,
    *,
    workers: int = 4,
    cache: str = "redis",
    environ: dict[str, str] | None = None,
    **voiceotp: Any,
) -> Iterator[LiveSite]:
    """Create a database, migrate it, start gunicorn; stop and drop everything afterwards. ``environ``
    is added to the site's environment (``PROMETHEUS_MULTIPROC_DIR``, ...)."""
    import psycopg
    import redis

    database = f"voiceotp_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{database}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = site_environ(
        simulator,
        f"postgres://postgres@127.0.0.1:5432/{database}",
        voiceotp,
        SECRET_KEY="live-site-tests-" + uuid.uuid4().hex,
        VOICEOTP_LOG_LEVEL="ERROR",
    )
    if cache == "redis":
        env["REDIS_URL"] = REDIS_URL
    env.update(environ or {})
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "example_project.wsgi:application",
            "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
            "--log-level", "error",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        _wait_for(port, server)
        yield LiveSite(f"http://127.0.0.1:{port}", database)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/otp/challenges/x/", timeout=1).status_code == 404:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")
