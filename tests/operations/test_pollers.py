"""Several pollers at once, on PostgreSQL: three ``voiceotp_poll_calls`` processes run over and over
(as cron on three machines; one of them forks two processes of its own) beside the task worker, while
calls are placed through the API. Each call is asked by one poller at a time, never twice within the
poll interval, and none is forgotten.

Part of the services run (``VOICEOTP_TEST_POSTGRES=1``).
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from importlib.util import find_spec

import pytest

from django_voiceotp.simulator import GatewaySimulator

from ..conftest import suite_simulator
from ..helpers import NO_LIMITS
from ..worker_site import WorkerSite, stop, wait_until, worker_site

pytestmark = [
    pytest.mark.skipif(not os.environ.get("VOICEOTP_TEST_POSTGRES"), reason="needs PostgreSQL"),
    pytest.mark.skipif(find_spec("gunicorn") is None, reason="pip install gunicorn"),
    pytest.mark.skipif(find_spec("django_tasks_db") is None, reason="pip install django-tasks-db"),
]

INTERVAL = 2
"""POLL_TASK_INTERVAL: no call may be asked twice within it, whoever asks."""
RUN_SECONDS = 24
POLLERS = {
    "cron-1": ["--workers", "4"],
    "cron-2": ["--workers", "4"],
    "cron-3": ["--processes", "2", "--workers", "2"],
}
SUMMARY = re.compile(r"^checked (\d+), changed (\d+)", re.MULTILINE)


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewaySimulator]:
    with suite_simulator(answer_after=5) as sim:
        yield sim


@pytest.fixture(scope="module")
def site(gateway: GatewaySimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerSite]:
    with worker_site(
        gateway,
        tmp_path_factory.mktemp("pollers"),
        POLL_TASK_INTERVAL=INTERVAL,
        TIMEOUT=[1, 1],
        RATE_LIMITS=NO_LIMITS,
        RESEND_COOLDOWN=0,
    ) as running:
        yield running


def test_three_pollers_and_the_task_worker_split_the_calls_and_ask_each_once_per_interval(
    site: WorkerSite, gateway: GatewaySimulator, record_property
):
    worker = site.start_worker("database")
    pollers = {
        name: site.run(name, sys.executable, "-m", "tests.poll_loop", str(RUN_SECONDS), "0.2", *args)
        for name, args in POLLERS.items()
    }
    begun = time.time()
    # Placed one after another while the pollers run, so that the calls fall due at different moments.
    phones = [f"0361240{n:03d}" for n in range(8)] + [f"03612{n}9700" for n in range(6)]
    phones += [f"03613{n}9701" for n in range(6)]
    challenges = {}
    for phone in phones:
        challenges[phone] = site.start(phone)
        time.sleep(0.25)
    wait_until(
        lambda: all(p.poll() is not None for p in pollers.values()), within=RUN_SECONDS + 60, every=0.5
    )
    ended = time.time()
    stop(worker)

    rows = {phone: site.call(c["id"]) for phone, c in challenges.items()}
    asked: dict[str, list[float]] = defaultdict(list)
    for r in gateway.received:
        if r.endpoint == "checkVoice":
            asked[r.request_id or ""].append(r.received_at)
    for phone, row in rows.items():
        times = asked[row["request_id"]]
        assert times, f"{phone} was never asked about"
        assert len(times) == row["checks"], phone  # every check recorded, none lost
        # One poller at a time, and never twice within the interval, whoever asked.
        assert all(b - a >= INTERVAL for a, b in itertools.pairwise(times)), (phone, times)
    for phone, row in rows.items():
        expected = (
            "calling" if phone.endswith("9701") else "unanswered" if phone.endswith("9700") else "answered"
        )
        assert row["status"] == expected, phone
    # None forgotten: the calls that never settle were asked about all along, to the end of the run.
    for phone, row in rows.items():
        if phone.endswith("9701"):
            times = asked[row["request_id"]]
            assert max(b - a for a, b in itertools.pairwise([begun, *times, ended])) < 4 * INTERVAL + 5, phone

    by_poller = {name: sum(int(m[0]) for m in SUMMARY.findall(site.log(name))) for name in pollers}
    total = sum(len(times) for times in asked.values())
    worker_checks = total - sum(by_poller.values())
    print(f"\nchecks: {by_poller}, task worker {worker_checks}, of {total} in {ended - begun:.0f} s")
    for name, checked in by_poller.items():
        record_property(f"checks_{name}", checked)
    record_property("checks_task_worker", worker_checks)
    assert all(checked > 0 for checked in by_poller.values()), by_poller  # each took a share
    assert worker_checks >= 0
