"""How big a run is and how the server is set up: every size and bound in one place.

Each field can be set from the environment as ``BENCH_<FIELD>`` (``BENCH_SECONDS=2``). The parent
hands the plan to each per-database child as JSON (``BENCH_PLAN``) so both always agree.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from django_voiceotp.conf import DEFAULT_RATE_LIMITS

UNREACHED_RATE = "100000000/h"
RATE_LIMITS_ON = dict.fromkeys(DEFAULT_RATE_LIMITS, UNREACHED_RATE)
"""Every rate limit the app has, switched on at a rate the load never reaches: each is counted in the
cache as in production (the load comes from one address, which the default rates would refuse)."""


@dataclass(frozen=True)
class Plan:
    seconds: float = 10.0
    """Measured seconds per phase (a phase: one contender's requests, or its verifies)."""
    warmup_seconds: float = 1.0
    """Unmeasured load before each phase, on the same connections' server: the switch from the
    previous contender's code paths is not counted."""
    rounds: int = 3
    """Each round runs every contender once, in a rotated order; figures are medians of rounds."""
    threads: int = 8
    """Client threads, one kept-alive connection each: as many as the server has threads."""
    workers: int = 2
    """gunicorn ``gthread`` workers (processes)."""
    worker_threads: int = 4
    """Threads per gunicorn worker."""
    gateway: str = "stub"
    """What the site's gateway calls go to during the load phases: ``stub`` (:mod:`.gateway_stub`)
    or ``simulator``. The SQL counts and the poll benchmark always use the simulator."""
    poll_calls: int = 10_000
    poll_processes: int = 2
    """``voiceotp_poll_calls --processes``: one per core."""
    poll_workers: int = 4
    """``voiceotp_poll_calls --workers``: threads per process, enough to overlap the gateway's waits."""
    poll_settled: int = 3000
    """``--limit`` of the second pass, where every check settles its call: its per-check rate is steady
    long before 10,000, and the pass is the slowest part of the poll benchmark."""
    databases: str = "postgres,sqlite"

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
        if not 1 <= plan.rounds <= 9:
            raise ValueError("BENCH_ROUNDS must be 1 to 9")
        if not 0.5 <= plan.seconds <= 600 or not 0 <= plan.warmup_seconds <= 60:
            raise ValueError("BENCH_SECONDS must be 0.5 to 600, BENCH_WARMUP_SECONDS 0 to 60")
        if plan.gateway not in ("stub", "simulator"):
            raise ValueError("BENCH_GATEWAY must be 'stub' or 'simulator'")
        return plan

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @property
    def database_list(self) -> list[str]:
        return [name.strip() for name in self.databases.split(",") if name.strip()]
