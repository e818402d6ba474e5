"""The load phases of one database: rounds of every contender's requests, then its verifies.

A phase is a warm-up (unmeasured) and then ``Plan.seconds`` of load, with the CPU that gunicorn's
workers, the gateway and the client spent read before and after the measured part alone. Within a
round the contenders take turns in a rotated order, so none always runs first or right after
another. A verify phase needs challenges: its own round's request phase made some, and when they
will not last the phase (verifies are faster than requests) more are made first, unmeasured, for
as many verifies as the contender's fastest verify phase so far suggests, or three times its
request rate in the first round.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cpu
from .launcher import Gateway, Gunicorn
from .load import Feed, LoadResult, Spread, run_load
from .plan import Plan
from .scenarios import LABELS, PHASES, Started, phone, request_maker, started, verify_calls

FIRST_ROUND_VERIFY_FACTOR = 3.0
MARGIN = 1.2


@dataclass(frozen=True)
class Measured:
    summary: dict[str, Any]
    kept: dict[int, str]
    """The answers kept, warm-up included, by the feed's index."""


def _per_request_ms(seconds: float | None, answered: int) -> float | None:
    return seconds * 1000 / answered if seconds is not None and answered else None


def summary(result: LoadResult) -> dict[str, Any]:
    return {
        "rps": result.rps,
        "p50": result.p50,
        "p99": result.p99,
        "mean": result.mean_ms,
        "seconds": result.seconds,
        "answered": result.answered,
        "unexpected": result.unexpected,
        "errors": result.errors,
        "error_kinds": dict(result.error_kinds),
        "exhausted": result.exhausted,
        "connections": result.connections,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "latencies": [round(v, 3) for v in result.latencies_ms],
    }


def measure(feed: Feed, plan: Plan, site: Gunicorn, gateway: Gateway) -> Measured:
    """One phase on ``feed``: warm-up, then the measured run between two CPU snapshots."""
    kept: dict[int, str] = {}
    spread = _spread(plan, site)
    if plan.warmup_seconds > 0:
        kept.update(run_load(feed, threads=plan.threads, seconds=plan.warmup_seconds, spread=spread).kept)
    workers = site.worker_pids()
    others = [gateway.pid] if gateway.pid is not None else []
    before = cpu.snapshot([*workers, *others])
    own_before = cpu.own_seconds()
    result = run_load(feed, threads=plan.threads, seconds=plan.seconds, spread=spread)
    own = cpu.own_seconds() - own_before
    workers_after = site.worker_pids()
    after = cpu.snapshot([*workers_after, *others])
    kept.update(result.kept)
    out = summary(result)
    if workers and cpu.available():
        used = cpu.spent(
            {p: before[p] for p in workers if p in before}, {p: after[p] for p in workers_after if p in after}
        )
        gateway_s = after[others[0]] - before[others[0]] if others and others[0] in after else None
        out |= {
            "cpu_ms": _per_request_ms(used.total, result.answered),
            "cpu_split": sorted((round(v, 3) for v in used.per_process.values()), reverse=True),
            "workers_lost": used.lost,
            "gateway_cpu_ms": _per_request_ms(gateway_s, result.answered),
            "client_cpu_ms": _per_request_ms(own, result.answered),
        }
    return Measured(out, kept)


def _spread(plan: Plan, site: Gunicorn) -> Spread:
    return Spread(f"{site.url}/bench/ping/", plan.workers)


def _challenges_needed(plan: Plan, estimate: float) -> int:
    """Challenges for a verify phase at ``estimate`` verifies per second (two verifies each)."""
    return math.ceil((plan.seconds + plan.warmup_seconds) * estimate * MARGIN / 2) + plan.threads


def _more_challenges(
    contender: str, plan: Plan, site: Gunicorn, round_no: int, first: int, count: int
) -> list[Started]:
    """``count`` more challenges, unmeasured, from number ``first`` on."""
    feed = Feed(request_maker(contender, site.url, round_no, first), limit=count)
    result = run_load(
        feed, threads=plan.threads, seconds=max(3 * plan.seconds, 10.0), spread=_spread(plan, site)
    )
    return started(contender, _numbers(contender, round_no, first), result.kept)


def _numbers(contender: str, round_no: int, first: int = 0) -> Callable[[int], str]:
    """The number a request feed's ``index`` asked for."""
    return lambda index: phone(contender, round_no, first + index)


def _line(round_no: int, plan: Plan, contender: str, phase: str, s: dict[str, Any]) -> str:
    def ms(key: str) -> str:
        value = s.get(key)
        return f"{value:5.2f}" if isinstance(value, float) else "  n/a"

    bad = s["unexpected"] + s["errors"]
    text = (
        f"round {round_no + 1}/{plan.rounds} {LABELS[contender]:<22} {phase:<7} {s['rps']:7.1f} req/s  "
        f"p50 {s['p50']:6.1f} ms  p99 {s['p99']:6.1f} ms  CPU/req: site {ms('cpu_ms')} ms, "
        f"gateway {ms('gateway_cpu_ms')}, client {ms('client_cpu_ms')}"
    )
    if s.get("cpu_split"):
        text += f"  (workers' CPU s: {' / '.join(f'{v:.1f}' for v in s['cpu_split'])}"
        text += f"; connections {' / '.join(str(n) for n in s.get('connections', []))})"
    if s["exhausted"]:
        text += f"  [challenges ran out after {s['seconds']:.1f} s]"
    if bad:
        text += f"  {bad} failed {s['statuses']} {s['error_kinds']}"
    return text


def load_phases(
    plan: Plan, site: Gunicorn, gateway: Gateway, contenders: list[str], say: Callable[[str], None]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``{contender: {phase: [summary per round]}}``."""
    loads: dict[str, dict[str, list[dict[str, Any]]]] = {
        c: {phase: [] for phase in PHASES[c]} for c in contenders
    }
    for round_no in range(plan.rounds):
        shift = round_no % len(contenders)
        gateway.reset()  # keeps the codes it holds few; every number is new anyway
        for contender in contenders[shift:] + contenders[:shift]:
            feed = Feed(request_maker(contender, site.url, round_no, 0))
            requested = measure(feed, plan, site, gateway)
            loads[contender]["request"].append(requested.summary)
            say(_line(round_no, plan, contender, "request", requested.summary))
            _show_failures(requested.summary, site, say)
            if "verify" not in PHASES[contender]:
                continue
            items = started(contender, _numbers(contender, round_no), requested.kept)
            earlier = [s["rps"] for s in loads[contender]["verify"]]
            estimate = max(earlier) if earlier else FIRST_ROUND_VERIFY_FACTOR * requested.summary["rps"]
            missing = _challenges_needed(plan, estimate) - len(items)
            if missing > 0:
                items += _more_challenges(contender, plan, site, round_no, feed.taken, missing)
            checks = verify_calls(contender, site.url, items, gateway.codes_by_phone())
            verified = measure(Feed(checks), plan, site, gateway)
            loads[contender]["verify"].append(verified.summary)
            say(_line(round_no, plan, contender, "verify", verified.summary))
            _show_failures(verified.summary, site, say)
    return loads


def _show_failures(s: dict[str, Any], site: Gunicorn, say: Callable[[str], None]) -> None:
    if s["unexpected"] + s["errors"]:
        say("the server's log ends with:\n" + site.log_tail(12))
