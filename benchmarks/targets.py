"""The targets the figures are held against, and how each figure is read from one database's results.

Why here and not in the tests: the figures depend on the machine and whatever else it runs, so they
are printed with their targets and a verdict, never asserted. A ratio is taken within a round (the
contenders of one round ran moments apart, under the most alike load) and the median of those ratios
is the figure; latency percentiles pool every measured request of every round.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .load import percentile

FLOOR_OF = {"request": "guarantees", "verify": "floor"}
"""The floor of the same guarantees for each phase: for a verify, the bare floor's conditional UPDATE."""


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


class Figures:
    """One database's results, read the way the targets and the report need them."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.loads: dict[str, dict[str, list[dict[str, Any]]]] = result["loads"]
        self.vendor: str = result["vendor"]
        self.name = "PostgreSQL" if self.vendor == "postgresql" else "SQLite"

    def runs(self, contender: str, phase: str) -> list[dict[str, Any]]:
        return self.loads.get(contender, {}).get(phase, [])

    def median_of(self, contender: str, phase: str, key: str) -> float | None:
        values = [r[key] for r in self.runs(contender, phase) if isinstance(r.get(key), (int, float))]
        return median([float(v) for v in values])

    def pooled(self, contender: str, phase: str, p: float) -> float | None:
        latencies = [v for run in self.runs(contender, phase) for v in run["latencies"]]
        return percentile(latencies, p) if latencies else None

    def spread(self, contender: str, phase: str) -> float | None:
        """p99 / p50 over every measured request of every round."""
        p50, p99 = self.pooled(contender, phase, 50), self.pooled(contender, phase, 99)
        return p99 / p50 if p50 and p99 is not None else None

    def ratio(self, phase: str, other: str, key: str = "rps") -> float | None:
        """Ours over ``other``'s ``key`` (req/s or CPU ms per request), the median of same-round ratios."""
        ours, theirs = self.runs("voiceotp", phase), self.runs(other, phase)
        ratios = [
            float(a[key]) / float(b[key])
            for a, b in zip(ours, theirs, strict=False)
            if isinstance(a.get(key), (int, float)) and isinstance(b.get(key), (int, float)) and b[key] > 0
        ]
        return median(ratios)

    def poll_rate(self, index: int) -> float | None:
        poll = self.result.get("poll")
        if not poll or len(poll["passes"]) <= index:
            return None
        return float(poll["passes"][index]["per_second"])


@dataclass(frozen=True)
class Target:
    figure: str
    read: Callable[[Figures], float | None]
    at_least: bool
    bounds: dict[str, float]
    """The bound per database vendor (``postgresql``, ``sqlite``); a vendor not named has no target."""
    digits: int = 2

    def bound(self, f: Figures) -> float | None:
        return self.bounds.get(f.vendor)

    def verdict(self, f: Figures) -> str:
        value, bound = self.read(f), self.bound(f)
        if bound is None:
            return "no target"
        if value is None or math.isnan(value):
            return "not measured"
        met = value >= bound if self.at_least else value <= bound
        return "met" if met else "NOT met"

    def wanted(self, f: Figures) -> str:
        bound = self.bound(f)
        return "-" if bound is None else f"{'>=' if self.at_least else '<='} {bound:g}"

    def described(self) -> str:
        """The target across databases, as the summary's last column shows it."""
        sign = ">=" if self.at_least else "<="
        values = set(self.bounds.values())
        if len(values) == 1 and set(self.bounds) == {"postgresql", "sqlite"}:
            return f"{sign} {values.pop():g}"
        names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
        return ", ".join(f"{sign} {v:g} ({names[k]})" for k, v in self.bounds.items())


BOTH = ("postgresql", "sqlite")


def _everywhere(value: float) -> dict[str, float]:
    return dict.fromkeys(BOTH, value)


TARGETS = [
    Target(
        "request: req/s, ours / django-phone-verify",
        lambda f: f.ratio("request", "phone_verify"),
        True,
        _everywhere(1.2),
    ),
    Target(
        "request: CPU per request, ours / django-phone-verify",
        lambda f: f.ratio("request", "phone_verify", "cpu_ms"),
        False,
        _everywhere(1.0),
    ),
    Target(
        "request: req/s, ours / floor of the same guarantees",
        lambda f: f.ratio("request", FLOOR_OF["request"]),
        True,
        _everywhere(0.6),
    ),
    Target("request: p99 / p50", lambda f: f.spread("voiceotp", "request"), False, {"postgresql": 3.0}),
    Target(
        "verify: req/s, ours / django-phone-verify",
        lambda f: f.ratio("verify", "phone_verify"),
        True,
        _everywhere(1.2),
    ),
    Target(
        "verify: CPU per request, ours / django-phone-verify",
        lambda f: f.ratio("verify", "phone_verify", "cpu_ms"),
        False,
        _everywhere(0.9),
    ),
    Target(
        "verify: req/s, ours / floor (one conditional UPDATE)",
        lambda f: f.ratio("verify", FLOOR_OF["verify"]),
        True,
        {"postgresql": 0.5, "sqlite": 0.8},
    ),
    Target("verify: p99 / p50", lambda f: f.spread("voiceotp", "verify"), False, {"postgresql": 3.0}),
    Target("poll: checks/s, calls still ringing", lambda f: f.poll_rate(0), True, _everywhere(500), 0),
    Target("poll: checks/s, calls that settle", lambda f: f.poll_rate(1), True, _everywhere(500), 0),
]
