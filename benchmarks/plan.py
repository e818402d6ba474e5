"""How big a run is: every count and bound in one place, overridable from the environment.

The defaults keep ``make bench`` within about five minutes on a 2-core machine. The parent hands the
plan to each per-database child as JSON (``BENCH_PLAN``) so both always agree.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

RATE_LIMITS_OFF = {
    "request_per_ip": None,
    "request_per_phone": None,
    "verify_per_ip": None,
    "resend_per_ip": None,
    "verify_failures_per_phone": None,
}
"""Every django-voiceotp rate limit switched off: the load comes from one IP and must not be refused."""


@dataclass(frozen=True)
class Plan:
    requests: int = 600
    """Measured requests per phase (a phase: one contender's requests, or its verifies)."""
    warmup: int = 50
    threads: int = 4
    """Client threads: twice the gunicorn workers, so a worker never waits for the client."""
    rounds: int = 3
    """Each round runs every contender once, in a rotated order; figures are medians of rounds."""
    workers: int = 2
    """gunicorn sync workers."""
    deadline_s: float = 90.0
    """No phase runs longer than this, whatever its count."""
    poll_calls: int = 10_000
    poll_processes: int = 2
    """``voiceotp_poll_calls --processes``: one per core."""
    poll_workers: int = 4
    """``voiceotp_poll_calls --workers``: threads per process, enough to overlap the gateway's waits."""
    poll_settled: int = 3000
    """``--limit`` of the second pass, where every check settles its call: its per-check rate is steady
    long before 10,000, and the pass is the slowest part of the run."""
    databases: str = "sqlite,postgres"

    @classmethod
    def from_env(cls) -> Plan:
        """``BENCH_PLAN`` (JSON, set by the parent) or ``BENCH_<FIELD>`` variables, else the defaults."""
        if "BENCH_PLAN" in os.environ:
            return cls(**json.loads(os.environ["BENCH_PLAN"]))
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"BENCH_{f.name.upper()}")
            if raw is not None:
                default = getattr(cls, f.name)
                values[f.name] = type(default)(raw)
        plan = cls(**values)  # type: ignore[arg-type]
        if not 1 <= plan.rounds <= 9 or plan.requests + plan.warmup > 1_000_000:
            raise ValueError("BENCH_ROUNDS must be 1 to 9, and requests plus warm-up at most 1,000,000")
        return plan

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @property
    def database_list(self) -> list[str]:
        return [name.strip() for name in self.databases.split(",") if name.strip()]
