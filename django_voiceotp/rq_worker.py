"""An RQ worker that takes the scheduler over soon after another worker died, for ``django-tasks-rq``.

Deferred checks of a call (``run_after``) wait in RQ's scheduled-job registry until a worker's
scheduler moves them to the queue, and only one scheduler runs at a time, under a lock in Redis. A
worker killed outright (SIGKILL, the out-of-memory killer, a lost machine) never releases that lock:
it runs out a minute later, and the workers left try to take it only at their maintenance interval,
ten minutes by RQ's default (and an idle worker looks up from waiting on its queue only every
``worker_ttl`` less 15 seconds), so every call's next check waits that long. This worker runs its
maintenance, and so tries for the lock, every :data:`MAINTENANCE_INTERVAL` seconds instead, idle or
busy.

Name it in the site's settings (``RQ = {"WORKER_CLASS": "django_voiceotp.rq_worker.Worker"}``) or on
the command line (``manage.py rqworker --worker-class django_voiceotp.rq_worker.Worker``).
"""

from __future__ import annotations

from typing import Any

import rq

MAINTENANCE_INTERVAL = 15
"""Seconds between two maintenance runs: cleaning the registries and trying for the scheduler's lock."""


class Worker(rq.Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        """How long an idle worker waits on its queues before it looks up (for its maintenance)."""
        return max(1, min(super().dequeue_timeout, int(self.maintenance_interval)))
