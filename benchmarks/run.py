"""``make bench`` / ``python -m benchmarks``: every benchmark, on SQLite and on PostgreSQL, then a report.

This process only orchestrates: it checks which services are up, prepares each database (a scratch
SQLite file; a PostgreSQL database it creates and drops), runs :mod:`.suite` once per database in a
child process with that database's environment, and prints the report from what the children wrote.
It asserts nothing: the figures are printed, with whether each target was met.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from . import databases, report
from .launcher import spawn, stop
from .plan import RATE_LIMITS_ON, Plan

INHERITED_PREFIXES = ("VOICEOTP_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "BENCH_")


def base_environ(plan: Plan) -> dict[str, str]:
    """The example site's settings for a load test: production mode, every rate limit counted at a
    rate the load does not reach, and the resend cooldown at its default (each number is new).

    Variables of the caller's own that would change the site (``VOICEOTP_*``, ``DATABASE_URL``, ...)
    are dropped so that a run measures what it says it measures.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DEBUG="0",
        SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        VOICEOTP_RATE_LIMITS=json.dumps(RATE_LIMITS_ON),
        BENCH_PLAN=plan.to_json(),
        BENCH_CACHE_PREFIX="voiceotp-bench-" + secrets.token_hex(6),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_child(label: str, env: dict[str, str], workdir: Path, *, poll: bool) -> dict[str, Any] | None:
    """Run one database's suite; its results, or None (the reason is printed)."""
    out = workdir / f"{label}.json"
    args = [sys.executable, "-m", "benchmarks.suite", "--label", label, "--out", str(out)]
    args += ["--log-dir", str(workdir)] + (["--poll"] if poll else [])
    child = spawn(args, env=env)
    try:
        status = child.wait()
    except BaseException:
        # Ctrl-C or SIGTERM here: the child, in its own session, hears of it from us, and stops its
        # gunicorn and simulator before it exits.
        stop(child, grace=40)
        raise
    if status != 0 or not out.exists():
        print(f"  [{label}] failed (exit status {status}); its figures are left out", flush=True)
        return None
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # a SIGTERM cleans up like a Ctrl-C: child stopped, database dropped


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    plan = Plan.from_env()
    started = time.monotonic()
    machine = report.machine()
    print(report.header(machine, plan), flush=True)
    pg, redis = databases.postgres(), databases.redis()
    skipped: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="voiceotp-bench-"))
    poll_on = "postgres" if pg.ok and "postgres" in plan.database_list else "sqlite"
    try:
        for label in plan.database_list:
            env = base_environ(plan)
            if label == "sqlite":
                env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
                print("\n== SQLite, local memory cache", flush=True)
            elif label == "postgres":
                if not pg.ok:
                    skipped[label] = pg.detail
                    print(f"\n== PostgreSQL: skipped: {pg.detail}", flush=True)
                    continue
                databases.create_postgres()
                env["DATABASE_URL"] = databases.postgres_url()
                if redis.ok:
                    env["REDIS_URL"] = databases.REDIS_URL
                    print(f"\n== {pg.detail}, {redis.detail} cache ({databases.REDIS_URL})", flush=True)
                else:
                    print(f"\n== {pg.detail}, local memory cache: {redis.detail}", flush=True)
            else:
                print(f"\n== {label}: unknown database (sqlite, postgres); skipped", flush=True)
                continue
            try:
                result = run_child(label, env, workdir, poll=label == poll_on)
            finally:
                if label == "postgres":
                    databases.drop_postgres()
            if result is not None:
                results.append(result)
    except KeyboardInterrupt:
        print("\ninterrupted: every process started was stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report.render(results, plan, machine, skipped, seconds=time.monotonic() - started), flush=True)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
