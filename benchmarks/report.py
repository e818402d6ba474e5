"""The printed report: per database every contender's figures, each target with its verdict, the SQL
per call, the in-process timings and the poll rate; last, one markdown table of the targets side by
side for the databases, with the machine and the date, for the README. Nothing is asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib import metadata
from typing import Any

from .plan import UNREACHED_RATE, Plan
from .scenarios import LABELS, PHASES
from .targets import FLOOR_OF, TARGETS, Figures, Target


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count() or 0,
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "django": _version("django"),
        "drf": _version("djangorestframework"),
        "gunicorn": _version("gunicorn"),
        "phone_verify": _version("django-phone-verify"),
        "voiceotp": _version("django-voiceotp"),
        "load": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def header(m: dict[str, Any], plan: Plan) -> str:
    return "\n".join(
        [
            f"django-voiceotp {m['voiceotp']} benchmarks, {m['date']}",
            f"machine: {m['nproc']} cores, {m['cpu']}; Python {m['python']}, Django {m['django']}, "
            f"DRF {m['drf']}, gunicorn {m['gunicorn']}, django-phone-verify {m['phone_verify']}",
            f"load average before the run: {m['load']} (other work on the machine skews the figures)",
            f"server: gunicorn, {plan.workers} gthread workers x {plan.worker_threads} threads, the example "
            "site with DEBUG off and persistent database connections; every RATE_LIMITS key at "
            f"{UNREACHED_RATE} (counted, never reached) and the default RESEND_COOLDOWN; gateway: "
            f"{'the stub (benchmarks/gateway_stub.py)' if plan.gateway == 'stub' else 'the simulator'}, "
            "its own process",
            f"load: {plan.threads} client threads, one kept-alive connection each, spread evenly over the "
            "workers; per phase "
            f"{plan.warmup_seconds:g} s warm-up + {plan.seconds:g} s measured; {plan.rounds} round(s), the "
            "contenders in a rotated order; figures are medians of rounds",
            "request: POST {phone}, a new number each time; verify: each challenge twice, a wrong code "
            "(400) and then the right one (200, read from the gateway)",
            "CPU per request: user + system time of gunicorn's workers during the measured part, over the "
            "requests answered (the gateway's and the client's beside it)",
            "floor of the same guarantees: the number parsed, challenge + call rows in one transaction, "
            "the same postSMS, its answer on the call; bare floor: one INSERT + the same postSMS; both "
            "verified by one conditional UPDATE",
            "django-phone-verify: its register/verify endpoints with a backend that makes the same "
            "postSMS (message = the bare code)",
        ]
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _count(statements: list[str]) -> str:
    """``8 (6 + BEGIN/COMMIT)``: Django logs transaction control as queries, and the tests' budgets
    count them too, so both numbers are shown."""
    control = [s for s in statements if s.split()[0] in TRANSACTION_CONTROL]
    if not control:
        return str(len(statements))
    return f"{len(statements)} ({len(statements) - len(control)} + {'/'.join(control)})"


def _contender_row(f: Figures, contender: str, phase: str) -> str:
    runs = f.runs(contender, phase)
    rates = [r["rps"] for r in runs]
    bad = sum(r["unexpected"] + r["errors"] for r in runs)
    short = " (ran out)" if any(r["exhausted"] for r in runs) else ""
    cells = [
        LABELS[contender],
        phase,
        f"{f.median_of(contender, phase, 'rps') or 0:.0f} ({min(rates):.0f}-{max(rates):.0f}){short}",
        _fmt(f.pooled(contender, phase, 50), 1),
        _fmt(f.pooled(contender, phase, 99), 1),
        _fmt(f.spread(contender, phase), 1),
        _fmt(f.median_of(contender, phase, "cpu_ms")),
        _fmt(f.median_of(contender, phase, "gateway_cpu_ms")),
        _fmt(f.median_of(contender, phase, "client_cpu_ms")),
        str(bad),
    ]
    return "| " + " | ".join(cells) + " |"


def _site_lines(f: Figures) -> list[str]:
    r = f.result
    site = r.get("site", {})
    lines = [
        f"the site said: DEBUG {site.get('debug')}, CONN_MAX_AGE {site.get('conn_max_age')}, cache "
        f"{site.get('cache')}, RESEND_COOLDOWN {site.get('resend_cooldown')}, RATE_LIMITS "
        f"{site.get('rate_limits')}"
    ]
    held = r.get("site_connections")
    if held:
        lines.append(
            f"database connections: {held['open']} open after the load, {held.get('opened', 'n/a')} "
            "sessions opened during it (persistent connections: about one per server thread)"
        )
    asked = r.get("gateway_requests")
    if asked:
        lines.append(f"the gateway stub was asked: {asked}")
    return lines


def _database_section(f: Figures) -> list[str]:
    r = f.result
    lines = [
        "",
        f"-- {r['db_version']}, cache {r['cache']}; one durable commit costs {r['commit_ms']:.2f} ms here --",
        "",
        *_site_lines(f),
        "",
        "| contender | phase | req/s, median of rounds (min-max) | p50 ms | p99 ms | p99/p50 "
        "| CPU ms/req: site | gateway | client | failed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for contender in f.loads:
        for phase in PHASES[contender]:
            if f.runs(contender, phase):
                lines.append(_contender_row(f, contender, phase))
    lines += ["", "targets (ratios: django-voiceotp / other, the median of same-round ratios):"]
    for target in TARGETS:
        value = target.read(f)
        if value is None and target.figure.startswith("poll:") and "poll" not in r:
            continue
        shown = _fmt(value, target.digits)
        lines.append(f"  {target.figure:<56} {shown:>7}  {target.wanted(f):<7} {target.verdict(f)}")
    lines += ["", "for comparison (no target):"]
    for phase in ("request", "verify"):
        lines.append(
            f"  {phase}: req/s ours / bare floor {_fmt(f.ratio(phase, 'floor'))}; CPU per request ours / "
            f"{LABELS[FLOOR_OF[phase]]} {_fmt(f.ratio(phase, FLOOR_OF[phase], 'cpu_ms'))}"
        )
    lines += ["", "SQL statements per call (in process: Django's test client, CaptureQueriesContext):"]
    for contender in f.loads:
        for call in ("request", "verify_wrong", "verify_right"):
            q = r.get("queries", {}).get(contender, {}).get(call)
            if q is not None:
                shown = ", ".join(s.replace("django_voiceotp_", "") for s in q["statements"])
                counted = _count(q["statements"])
                lines.append(f"  {LABELS[contender]:<22} {call:<12} {counted} (HTTP {q['status']}): {shown}")
    hot = r.get("hotpaths")
    if hot:
        lines += ["", "in process, single-threaded, no load (median ms; the server's own cost per call):"]
        lines += [f"  {name:<50} {ms:7.2f}" for name, ms in hot.items()]
    poll = r.get("poll")
    if poll:
        lines += [
            "",
            f"voiceotp_poll_calls over {poll['calls']} open calls (placed on the simulator at "
            f"{poll['placing_rps']:.0f}/s, {poll['placing_retried']} sent again; rows inserted in "
            f"{poll['insert_seconds']:.1f} s):",
        ]
        for p in poll["passes"]:
            lines.append(
                f"  {p['label']:<30} --limit {p['limit']} --processes {p.get('processes', 1)} "
                f"--workers {p['workers']}: {p['checked']} checks in {p['seconds']:.1f} s = "
                f"{p['per_second']:.0f} checks/s; changed {p['changed']}, errors {p['errors']}, "
                f"exit {p['exit_status']}; CPU per check: pollers {_ms(p.get('poller_cpu_ms'))}, "
                f"gateway {_ms(p.get('gateway_cpu_ms'))}"
            )
    return lines


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _cell(target: Target, f: Figures) -> str:
    value = target.read(f)
    if value is None:
        return "-"
    verdict = target.verdict(f)
    shown = f"{value:.{target.digits}f}"
    return shown if verdict == "no target" else f"{shown} {verdict}"


def _summary(figures: list[Figures], m: dict[str, Any], plan: Plan) -> list[str]:
    """The README's table: one column per database, every target with its verdict."""
    names = [f"{f.name} ({f.result['cache']})" for f in figures]
    lines = [
        "",
        "== Summary (markdown, for benchmarks/README.md)",
        "",
        f"`make bench` on {m['date']}: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, "
        f"Django {m['django']}; gunicorn {plan.workers} gthread workers x {plan.worker_threads} threads, "
        f"{plan.threads} kept-alive client connections, {plan.seconds:g} s per phase, median of "
        f"{plan.rounds} round(s); gateway: {plan.gateway}, on loopback.",
        "",
        "| figure | " + " | ".join(names) + " | target |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for phase in ("request", "verify"):
        values = []
        for f in figures:
            p50, p99 = f.pooled("voiceotp", phase, 50), f.pooled("voiceotp", phase, 99)
            values.append(
                f"{_fmt(f.median_of('voiceotp', phase, 'rps'), 0)} req/s, p50 {_fmt(p50, 1)} / p99 "
                f"{_fmt(p99, 1)} ms, CPU {_fmt(f.median_of('voiceotp', phase, 'cpu_ms'))} ms"
            )
        lines.append(f"| {phase}: django-voiceotp | " + " | ".join(values) + " | |")
    for target in TARGETS:
        cells = [_cell(target, f) for f in figures]
        lines.append(f"| {target.figure} | " + " | ".join(cells) + f" | {target.described()} |")
    sql = []
    for f in figures:
        queries = f.result.get("queries", {}).get("voiceotp", {})
        sql.append(
            " / ".join(
                _count(queries.get(call, {}).get("statements", [])) for call in ("request", "verify_right")
            )
        )
    lines.append("| SQL per request / verify | " + " | ".join(sql) + " | |")
    return lines


def render(
    results: list[dict[str, Any]],
    plan: Plan,
    m: dict[str, Any],
    skipped: dict[str, str],
    *,
    seconds: float,
) -> str:
    figures = [Figures(r) for r in results]
    lines: list[str] = ["", "== Results"]
    for name, reason in skipped.items():
        lines.append(f"\n-- {name}: skipped: {reason}")
    if figures and "phone_verify" not in figures[0].loads:
        lines.append(
            "\n-- django-phone-verify: not installed (pip install -e '.[bench]'); comparison skipped"
        )
    for f in figures:
        lines += _database_section(f)
    lines += [
        "",
        f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
        f"total time: {seconds:.0f} s",
    ]
    if figures:
        lines += _summary(figures, m, plan)
    return "\n".join(lines)
