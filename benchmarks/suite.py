"""One database's whole run, in its own process: ``python -m benchmarks.suite --label NAME --out FILE``.

Why a process per database: Django reads its settings once per process, and the SQLite and the
PostgreSQL runs need different ones; the in-process parts (SQL counts, the poll command) need Django
set up on the same database gunicorn serves. The parent (:mod:`.run`) sets the environment, creates and
drops the database, and prints the report from the JSON written here.

Order: start the simulator, point the settings at it, migrate, start gunicorn; then rounds of every
contender's request phase followed by its verify phase; then stop gunicorn and count SQL statements and
run the poll benchmark in process; stop everything, also on Ctrl-C, SIGTERM or an error.
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

from .launcher import Gunicorn, Simulator
from .load import LoadResult, run_load
from .plan import Plan
from .scenarios import CONTENDERS, LABELS, phones, request_calls, started, verify_calls


def say(label: str, text: str) -> None:
    print(f"  [{label}] {text}", flush=True)


def summary(result: LoadResult) -> dict[str, Any]:
    return {
        "rps": result.rps,
        "p50": result.p50,
        "p99": result.p99,
        "mean": result.mean_ms,
        "seconds": result.seconds,
        "requests": result.requests,
        "answered": len(result.latencies_ms),
        "unexpected": result.unexpected,
        "errors": result.errors,
        "error_kinds": dict(result.error_kinds),
        "truncated": result.truncated,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "latencies": [round(v, 3) for v in result.latencies_ms],
    }


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop our processes


def load_phases(
    label: str, plan: Plan, sim: Simulator, site: Gunicorn, contenders: list[str]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    loads: dict[str, dict[str, list[dict[str, Any]]]] = {c: {"request": [], "verify": []} for c in contenders}
    per_phase = plan.warmup + plan.requests
    for round_no in range(plan.rounds):
        shift = round_no % len(contenders)
        sim.control("POST", "reset")  # keeps /_control/calls short; every number is new anyway
        for contender in contenders[shift:] + contenders[:shift]:
            numbers = phones(contender, round_no, per_phase)
            calls = request_calls(contender, site.url, numbers)
            requested = run_load(calls, threads=plan.threads, warmup=plan.warmup, deadline_s=plan.deadline_s)
            items = started(contender, numbers, requested.kept)
            checks = verify_calls(contender, site.url, items, sim.codes_by_phone())
            verified = run_load(checks, threads=plan.threads, warmup=plan.warmup, deadline_s=plan.deadline_s)
            for phase, result in (("request", requested), ("verify", verified)):
                loads[contender][phase].append(summary(result))
                bad = result.unexpected + result.errors
                say(
                    label,
                    f"round {round_no + 1}/{plan.rounds} {LABELS[contender]:<19} {phase:<7} "
                    f"{result.rps:7.1f} req/s  p50 {result.p50:6.1f} ms  p99 {result.p99:6.1f} ms"
                    + (f"  {bad} failed {dict(result.statuses)} {dict(result.error_kinds)}" if bad else ""),
                )
                if bad:
                    print(site.log_tail(12), flush=True)
    return loads


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
    site: Gunicorn | None = None
    try:
        sim.start()
        os.environ.update(sim.environ())
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
        }
        site = Gunicorn(
            dict(os.environ), args.log_dir / f"gunicorn-{label}.log", workers=plan.workers
        ).start()
        say(label, f"gunicorn ({plan.workers} sync workers) at {site.url}, simulator at {sim.url}")
        result["loads"] = load_phases(label, plan, sim, site, contenders)
        site.stop()
        site = None

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
        # A second signal must not cut the cleanup short and leave gunicorn or the simulator behind.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if site is not None:
            site.stop()
        sim.stop()


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
