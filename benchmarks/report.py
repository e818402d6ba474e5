"""The printed report: per database the figures, the ratios against their targets, the SQL per call and
the poll rate; at the end one markdown table with the machine and the date, for the README.

Figures are medians over rounds (each round runs every contender back to back, so a ratio is taken
within a round, where the machine's other load is most alike, and then the median of those ratios).
Latency percentiles pool every measured request of every round. Targets are printed, never asserted.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
from importlib import metadata
from typing import Any

from .plan import Plan
from .scenarios import LABELS

TARGETS = {("request", "floor"): 0.80, ("verify", "floor"): 0.85}
"""Our throughput as a share of the floor's; against django-phone-verify the target is to be ahead (> 1)."""


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
            f"server: gunicorn, {plan.workers} sync workers, the example site with DEBUG off, "
            "RESEND_COOLDOWN=0 and every RATE_LIMITS key null; the gateway simulator in its own process",
            f"load: {plan.threads} client threads (a pooled requests.Session each), per phase {plan.warmup} "
            f"warm-up + {plan.requests} measured requests, {plan.rounds} rounds in rotated order; "
            "each phase bounded to "
            f"{plan.deadline_s:.0f} s",
            "request: POST {phone} with a new number each time; verify: the challenges just created, "
            "alternately the right code (200, read from the simulator) and a wrong one (400): half each",
            "floor views: parse JSON + one INSERT into the app's challenge table + the same postSMS; "
            "parse JSON + one conditional UPDATE that verifies or counts the wrong guess (RETURNING)",
            "django-phone-verify: its register/verify endpoints with a backend that makes the same "
            "postSMS to the simulator (message = the bare code)",
        ]
    )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _pooled(runs: list[dict[str, Any]], p: float) -> float:
    latencies = sorted(v for run in runs for v in run["latencies"])
    if not latencies:
        return float("nan")
    rank = min(max(1, math.ceil(p / 100 * len(latencies))), len(latencies))
    return float(latencies[rank - 1])


def _ratio(loads: dict[str, Any], phase: str, other: str) -> float | None:
    if other not in loads:
        return None
    ours, theirs = loads["voiceotp"][phase], loads[other][phase]
    ratios = [a["rps"] / b["rps"] for a, b in zip(ours, theirs, strict=False) if b["rps"] > 0]
    return _median(ratios) if ratios else None


def _verdict(ratio: float | None, target: float, *, strictly: bool = False) -> str:
    if ratio is None:
        return "not measured"
    met = ratio > target if strictly else ratio >= target
    return "met" if met else "NOT met"


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _count(statements: list[str]) -> str:
    """``8 (6 + BEGIN/COMMIT)``: Django logs transaction control as queries, and the tests' budgets
    count them too, so both numbers are shown."""
    control = [s for s in statements if s.split()[0] in TRANSACTION_CONTROL]
    if not control:
        return str(len(statements))
    return f"{len(statements)} ({len(statements) - len(control)} + {'/'.join(control)})"


def _short_table(statement: str) -> str:
    return statement.replace("django_voiceotp_", "")


class Figures:
    """One database's results, read the way the report needs them."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.loads: dict[str, Any] = result["loads"]
        self.name = "PostgreSQL" if result["vendor"] == "postgresql" else "SQLite"

    def rps(self, contender: str, phase: str) -> float:
        return _median([r["rps"] for r in self.loads[contender][phase]])

    def row(self, contender: str, phase: str) -> str:
        runs = self.loads[contender][phase]
        rates = [r["rps"] for r in runs]
        bad = sum(r["unexpected"] + r["errors"] for r in runs)
        cut = " (deadline hit)" if any(r["truncated"] for r in runs) else ""
        return (
            f"| {LABELS[contender]} | {phase} | {self.rps(contender, phase):.0f} "
            f"({min(rates):.0f}-{max(rates):.0f}) | {_pooled(runs, 50):.1f} | {_pooled(runs, 99):.1f} "
            f"| {bad}{cut} |"
        )

    def ratio(self, phase: str, other: str) -> float | None:
        return _ratio(self.loads, phase, other)

    def queries(self, contender: str, call: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.result.get("queries", {}).get(contender, {}).get(call)
        return found


def _database_section(f: Figures) -> list[str]:
    r = f.result
    lines = [
        "",
        f"-- {r['db_version']}, cache {r['cache']}; one durable commit costs {r['commit_ms']:.2f} ms here --",
        "",
        "| contender | phase | req/s, median of rounds (min-max) | p50 ms | p99 ms | failed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for contender in f.loads:
        for phase in ("request", "verify"):
            lines.append(f.row(contender, phase))
    lines += ["", "ratios, django-voiceotp / other (median over rounds of same-round ratios):"]
    for phase in ("request", "verify"):
        target = TARGETS[(phase, "floor")]
        floor = f.ratio(phase, "floor")
        pv = f.ratio(phase, "phone_verify")
        text = f"  {phase:<7} vs floor {_fmt(floor)} (target >= {target:.2f}: {_verdict(floor, target)})"
        if "phone_verify" in f.loads:
            text += f"; vs django-phone-verify {_fmt(pv)} (target > 1: {_verdict(pv, 1.0, strictly=True)})"
        lines.append(text)
    lines += ["", "SQL statements per call (in process: Django's test client, CaptureQueriesContext):"]
    for contender in f.loads:
        for call in ("request", "verify_right", "verify_wrong"):
            q = f.queries(contender, call)
            if q is not None:
                shown = ", ".join(_short_table(s) for s in q["statements"])
                counted = _count(q["statements"])
                lines.append(f"  {LABELS[contender]:<19} {call:<12} {counted} (HTTP {q['status']}): {shown}")
    hot = r.get("hotpaths")
    if hot:
        lines += ["", "in process, single-threaded, no load (median ms; the server's own cost per call):"]
        lines += [f"  {name:<40} {ms:7.2f}" for name, ms in hot.items()]
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
                f"--workers {p['workers']}: {p['checked']} checks "
                f"in {p['seconds']:.1f} s = {p['per_second']:.0f} checks/s (target >= 500: "
                f"{'met' if p['per_second'] >= 500 else 'NOT met'}); changed {p['changed']}, "
                f"errors {p['errors']}, exit {p['exit_status']}"
            )
    return lines


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _summary_rows(f: Figures, plan: Plan) -> list[tuple[str, str, str]]:
    """(figure, this database's value, target): one column of the summary table."""
    rows = []
    for phase in ("request", "verify"):
        runs = f.loads["voiceotp"][phase]
        ours = f"{f.rps('voiceotp', phase):.0f} ({_pooled(runs, 50):.0f} / {_pooled(runs, 99):.0f})"
        rows += [
            (f"{phase}: req/s (p50 / p99 ms)", ours, ""),
            (f"{phase}: floor req/s", f"{f.rps('floor', phase):.0f}", ""),
            (f"{phase}: ours / floor", _fmt(f.ratio(phase, "floor")), f">= {TARGETS[(phase, 'floor')]:.2f}"),
            (f"{phase}: ours / django-phone-verify", _fmt(f.ratio(phase, "phone_verify")), "> 1"),
        ]
    sql = " / ".join(
        _count((f.queries("voiceotp", call) or {}).get("statements", []))
        for call in ("request", "verify_right")
    )
    rows.append(("SQL per request / verify", sql, ""))
    poll = f.result.get("poll")
    rates = " / ".join(f"{p['per_second']:.0f}" for p in poll["passes"]) if poll else "-"
    label = (
        f"voiceotp_poll_calls checks/s, --processes {plan.poll_processes} --workers {plan.poll_workers}: "
        "still ringing "
        f"({plan.poll_calls} calls) / settling ({plan.poll_settled})"
    )
    rows.append((label, rates, ">= 500"))
    return rows


def _summary(figures: list[Figures], m: dict[str, Any], plan: Plan) -> list[str]:
    """The README's Performance table: one column per database."""
    names = [f"{f.name} ({f.result['cache']})" for f in figures]
    columns = [_summary_rows(f, plan) for f in figures]
    lines = [
        "",
        "== Summary (markdown, for the README's Performance section)",
        "",
        f"`make bench` on {m['date']}: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, "
        f"Django {m['django']}; gunicorn {plan.workers} sync workers, {plan.threads} client threads, "
        f"{plan.requests} requests per phase, median of {plan.rounds} rounds; gateway simulator on loopback.",
        "",
        "| figure | " + " | ".join(names) + " | target |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for index, (label, _, target) in enumerate(columns[0]):
        values = " | ".join(column[index][1] for column in columns)
        lines.append(f"| {label} | {values} | {target} |")
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
    if "phone_verify" not in (figures[0].loads if figures else {}):
        lines.append(
            "\n-- django-phone-verify: not installed (pip install -e '.[bench]'); comparison skipped"
        )
    for f in figures:
        lines += _database_section(f)
    if figures:
        lines += _summary(figures, m, plan)
    lines += ["", f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}"]
    lines.append(f"total time: {seconds:.0f} s")
    return "\n".join(lines)
