"""One database's whole run, in its own process: ``python -m benchmarks.suite --label NAME --out FILE``.

Why a process per database: Django reads its settings once per process, and the SQLite and the
PostgreSQL runs need different ones; the in-process parts (SQL counts, the poll command) need Django
set up on the same database gunicorn serves. The parent (:mod:`.run`) sets the environment, creates and
drops the database, and prints the report from the JSON written here.

Order: start the simulator and, unless the plan says otherwise, the gateway stub; point the settings
at them (gunicorn at the stub, this process at the simulator), migrate, start gunicorn and ask it what
it runs with; then the load phases (:mod:`.phases`); then stop gunicorn and the stub, count SQL
statements, time the hot paths and run the poll benchmark in process; stop everything, also on
Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from .launcher import Gateway, GatewayStub, Gunicorn, Simulator
from .phases import load_phases
from .plan import Plan
from .scenarios import CONTENDERS


def say(label: str, text: str) -> None:
    print(f"  [{label}] {text}", flush=True)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop our processes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--label", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--log-dir", required=True, type=Path)
    parser.add_argument("--poll", action="store_true", help="also run the voiceotp_poll_calls benchmark")
    args = parser.parse_args(argv)
    plan = Plan.from_env()
    label = args.label
    signal.signal(signal.SIGTERM, _terminate)

    sim = Simulator()
    stub: GatewayStub | None = None
    site: Gunicorn | None = None
    try:
        sim.start()
        os.environ.update(sim.environ())
        gateway: Gateway = sim
        if plan.gateway == "stub":
            stub = GatewayStub(sim.environ()).start()
            gateway = stub
        import django
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        # The in-process parts (SQL counts, timings, the poll command) would print the app's INFO line
        # for every gateway request; gunicorn's workers keep the site's own logging.
        logging.getLogger("django_voiceotp").setLevel(logging.WARNING)
        say(label, "migrating")
        call_command("migrate", interactive=False, verbosity=0)
        with_phone_verify = bool(getattr(settings, "HAS_PHONE_VERIFY", False))
        contenders = [c for c in CONTENDERS if c != "phone_verify" or with_phone_verify]
        result: dict[str, Any] = {
            "label": label,
            "vendor": connection.vendor,
            "db_version": _db_version(connection),
            "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
            "phone_verify": with_phone_verify,
            "commit_ms": commit_latency_ms(connection),
            "gateway": plan.gateway,
        }
        env = {**os.environ, **gateway.environ()}
        site = Gunicorn(
            env, args.log_dir / f"gunicorn-{label}.log", workers=plan.workers, threads=plan.worker_threads
        ).start()
        sessions_before = _sessions(connection)
        result["site"] = site.site_info()
        say(
            label,
            f"gunicorn ({plan.workers} gthread workers x {plan.worker_threads} threads) at {site.url}, "
            f"gateway {plan.gateway} at {gateway.base_url}; the site runs with {result['site']}",
        )
        result["loads"] = load_phases(plan, site, gateway, contenders, lambda text: say(label, text))
        result["site_connections"] = site_connections(connection, sessions_before)
        if stub is not None:
            result["gateway_requests"] = stub.counts()
        site.stop()
        site = None
        if stub is not None:
            stub.stop()
            stub = None

        from . import hotpaths
        from .queries import count_all

        result["queries"] = count_all(sim, contenders)
        say(label, "SQL statements counted")
        result["hotpaths"] = hotpaths.measure(sim)
        say(label, "in-process timings taken")
        if args.poll:
            from . import poll

            say(label, f"placing {plan.poll_calls} calls on the simulator for the poll benchmark")
            result["poll"] = poll.run(
                sim,
                count=plan.poll_calls,
                settled=plan.poll_settled,
                processes=plan.poll_processes,
                workers=plan.poll_workers,
                threads=plan.threads,
            )
            for p in result["poll"]["passes"]:
                say(label, f"voiceotp_poll_calls {p['label']}: {p['per_second']:.0f} checks/s")
        connection.close()
        args.out.write_text(json.dumps(result))
        return 0
    finally:
        # A second signal must not cut the cleanup short and leave gunicorn or a gateway behind.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if site is not None:
            site.stop()
        if stub is not None:
            stub.stop()
        sim.stop()


def _sessions(connection: Any) -> int | None:
    """PostgreSQL's count of sessions opened on this database (14 and later; each backend reports
    its own within a second or so of its last transaction), else None."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            row = cursor.fetchone()
    except Exception:  # no such column before PostgreSQL 14
        return None
    return int(row[0]) if row and row[0] is not None else None


def site_connections(connection: Any, sessions_before: int | None) -> dict[str, Any] | None:
    """On PostgreSQL, the connections open once the load is done and the sessions opened during it:
    with persistent connections (``CONN_MAX_AGE``) about one per server thread and per
    ``CONN_MAX_AGE`` seconds, not one per request."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    after = _sessions(connection)
    opened = after - sessions_before if after is not None and sessions_before is not None else None
    return {"open": int(row[0]) if row else 0, "opened": opened}


def commit_latency_ms(connection: Any, count: int = 30) -> float:
    """What one durable commit costs on this database and disk (an autocommit INSERT into a scratch
    table): the unit in which a request's separate write transactions are paid."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit_probe (n integer)")
    begun = time.perf_counter()
    for n in range(count):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit_probe (n) VALUES (%s)", [n])
    elapsed = time.perf_counter() - begun
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_commit_probe")
    return elapsed / count * 1000


def _db_version(connection: Any) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
            cursor.execute("PRAGMA journal_mode")
            return f"SQLite {version} (journal_mode={cursor.fetchone()[0]})"
    return str(connection.vendor)


if __name__ == "__main__":
    sys.exit(main())
