"""Call outcomes through a real task worker: the example site under gunicorn, its worker process beside
it, the simulator as gateway, and nobody reading or clicking.

The ORM-based backend (``django-tasks-db``, ``manage.py db_worker``) on the suite's engine: SQLite in
the default run, PostgreSQL in the services run. RQ on Redis (``django-tasks-rq``, ``manage.py
rqworker``) in the services run (``VOICEOTP_TEST_REDIS=1``).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from django_voiceotp.simulator import GatewaySimulator

from ..conftest import suite_simulator
from ..helpers import NO_LIMITS
from ..worker_site import WorkerSite, stop, wait_until, worker_site

BACKENDS = ["database"] + (["rq"] if os.environ.get("VOICEOTP_TEST_REDIS") else [])

pytestmark = [
    pytest.mark.skipif(find_spec("gunicorn") is None, reason="pip install gunicorn"),
    pytest.mark.skipif(find_spec("django_tasks_db") is None, reason="pip install django-tasks-db"),
]

INTERVAL = 1
"""POLL_TASK_INTERVAL for these sites: each open call is asked about every second or two."""
ANSWER_AFTER = 2.5
"""The simulator's calls ring this long: the first check finds them still ringing."""
TIMEOUT = [1, 1]
"""The gateway's timeouts: a check takes at most 2 s, and a claim on one call lasts 12 s."""


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewaySimulator]:
    with suite_simulator(answer_after=ANSWER_AFTER, hang_seconds=30.0) as sim:
        yield sim


@dataclass
class Running:
    """The site and its worker; a test that kills the worker starts the next one here."""

    site: WorkerSite
    backend: str
    worker: subprocess.Popen[bytes]

    def restart_worker(self, *, sig: int) -> None:
        stop(self.worker, sig=sig)
        self.worker = self.site.start_worker(self.backend)


@pytest.fixture(scope="module", params=BACKENDS)
def running(
    request: pytest.FixtureRequest, gateway: GatewaySimulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    backend: str = request.param
    tmp = tmp_path_factory.mktemp(f"worker-{backend}")
    with worker_site(
        gateway,
        tmp,
        tasks=backend,
        POLL_TASK_INTERVAL=INTERVAL,
        TIMEOUT=TIMEOUT,
        RATE_LIMITS=NO_LIMITS,
        RESEND_COOLDOWN=0,
    ) as site:
        state = Running(site, backend, site.start_worker(backend))
        try:
            yield state
        finally:
            print_logs(site, tmp)


def print_logs(site: WorkerSite, tmp: Path) -> None:
    """The processes' output, shown by pytest when a test failed."""
    for log in sorted((tmp / "logs").glob("*.log")):
        text = log.read_text(errors="replace")[-3000:]
        if text.strip():
            print(f"--- {log.name}\n{text}")


def checks_of(gateway: GatewaySimulator, request_id: str) -> list[Any]:
    return [r for r in gateway.received if r.endpoint == "checkVoice" and r.request_id == request_id]


def gaps(gateway: GatewaySimulator, request_ids: list[str]) -> list[float]:
    """Seconds between two checks of the same call, for each of these calls."""
    times: dict[str, list[float]] = defaultdict(list)
    for r in gateway.received:
        if r.endpoint == "checkVoice" and r.request_id in request_ids:
            times[r.request_id].append(r.received_at)
    return [b - a for ts in times.values() for a, b in itertools.pairwise(ts)]


def status_of(site: WorkerSite, challenge_id: str) -> str:
    return str(site.challenge(challenge_id)["call_status"])


def test_calls_placed_through_the_api_settle_through_the_worker(running: Running, gateway: GatewaySimulator):
    site = running.site
    placed = time.monotonic()
    before = time.time()  # the simulator stamps what it receives with the wall clock
    answered = site.start("0361230001")
    unanswered = site.start("0361239700")  # the simulator never has it answered
    forever = site.start("0361239701")  # nor ever says how it went
    assert {answered["call_status"], unanswered["call_status"], forever["call_status"]} == {"calling"}

    wait_until(
        lambda: (
            (status_of(site, answered["id"]), status_of(site, unanswered["id"])) == ("answered", "unanswered")
        ),
        within=60,
        what="both outcomes",
    )
    print(f"\n{running.backend}: both outcomes {time.monotonic() - placed:.1f} s after placing")
    # A first check that came while the call still rang (surely so when it came sooner than the ring
    # after the first request left) found it ringing, and the chain asked again by itself; on a busy
    # machine the first check may come after the ring and settle the call at once.
    for challenge in (answered, unanswered):
        call = site.call(challenge["id"])
        checks = checks_of(gateway, call["request_id"])
        assert len(checks) == call["checks"]
        assert checks, "the worker never asked about the call"
        if checks[0].received_at - before < ANSWER_AFTER:
            assert call["checks"] >= 2
    endless = site.call(forever["id"])
    wait_until(lambda: site.call(forever["id"])["checks"] >= endless["checks"] + 2, within=60)
    assert status_of(site, forever["id"]) == "calling"
    # However long it runs, no call is asked twice within the interval.
    ids = [site.call(c["id"])["request_id"] for c in (answered, unanswered, forever)]
    assert all(gap >= INTERVAL for gap in gaps(gateway, ids))


def test_a_check_that_fails_because_the_gateway_is_down_is_asked_again_later(
    running: Running, gateway: GatewaySimulator
):
    site = running.site
    # One check's worth of HTTP 500s: the client sends a check three times before it gives up.
    gateway.set_fault("http500", number="0361230002", endpoint="checkVoice", times=3)
    challenge = site.start("0361230002")
    wait_until(lambda: status_of(site, challenge["id"]) == "answered", within=60, what="the outcome")
    call = site.call(challenge["id"])
    asked = checks_of(gateway, call["request_id"])
    assert [r.status for r in asked[:4]] == [500, 500, 500, 200]
    assert call["check_code"] == "1"
    # The failed check held the call for an interval before anyone asked again.
    assert asked[3].received_at - asked[2].received_at >= INTERVAL


def test_a_worker_killed_in_the_middle_of_a_check_and_restarted_loses_no_call(
    running: Running, gateway: GatewaySimulator
):
    site = running.site
    phones = [f"036123101{n}" for n in range(3)]
    for phone in phones:
        gateway.set_fault("hang", number=phone, endpoint="checkVoice")
    try:
        challenges = [site.start(phone) for phone in phones]
        hung = wait_until(
            lambda: [
                r
                for r in gateway.received
                if r.endpoint == "checkVoice" and r.answer == "hang" and r.phone in phones
            ],
            every=0.02,
            within=60,
            what="a check in flight",
        )[0]
        running.restart_worker(sig=signal.SIGKILL)  # the check in flight dies with it
        killed = time.monotonic()
    finally:
        gateway.clear_faults()
    # RQ's scheduler lock outlives a killed worker by a minute: the restarted one takes it after that.
    within = 150 if running.backend == "rq" else 60
    wait_until(
        lambda: all(status_of(site, c["id"]) == "answered" for c in challenges),
        within=within,
        every=0.5,
        what="every outcome after the restart",
    )
    print(f"\n{running.backend}: every outcome in {time.monotonic() - killed:.0f} s after the kill")
    # The call whose check was cut was asked again, once its claim ran out.
    assert len(checks_of(gateway, hung.request_id)) >= 2
    if running.backend == "database":
        # The backend kept the killed run as running forever; the chain went on without it.
        [(stuck,)] = site.query(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = %s", "RUNNING"
        )
        assert stuck >= 1


def test_a_call_past_the_give_up_age_is_no_longer_asked_about_and_left_as_it_is(
    running: Running, gateway: GatewaySimulator
):
    site = running.site
    challenge = site.start("0361229701")  # never says how it went
    wait_until(lambda: site.call(challenge["id"])["checks"] >= 1, within=60, what="a first check")
    # Two hours older than it is: an hour past the give-up age.
    call = site.call(challenge["id"])
    site.execute(TWO_HOURS_OLDER[site.engine], call["id"])
    asked = len(checks_of(gateway, call["request_id"]))
    if running.backend == "database":
        wait_until(lambda: gave_up(site, call["id"]), within=30, what="the chain's last run giving up")
    else:
        # A run that read the call before it aged may still ask once; then the chain ends.
        wait_until(lambda: quiet_for(gateway, call["request_id"], 4 * (INTERVAL + 1)), within=60, every=0.5)
    assert len(checks_of(gateway, call["request_id"])) <= asked + 1
    after = site.call(challenge["id"])
    assert after["status"] == "calling"
    assert status_of(site, challenge["id"]) == "calling"


TWO_HOURS_OLDER = {
    engine: f"UPDATE django_voiceotp_voicecall SET created_at = {older} WHERE id = %s"  # noqa: S608
    for engine, older in {
        "sqlite": "datetime(created_at, '-2 hours')",
        "postgres": "created_at - interval '2 hours'",
    }.items()
}


def gave_up(site: WorkerSite, call_id: int) -> bool:
    """Whether a run of the call's chain returned "given up", and none of it is still queued."""
    runs = site.query("SELECT status, args_kwargs, return_value FROM django_tasks_database_dbtaskresult")
    if site.engine == "sqlite":  # JSON as text; psycopg decodes jsonb itself
        runs = [(status, json.loads(args), value and json.loads(value)) for status, args, value in runs]
    mine = [(status, value) for status, args, value in runs if args["args"] == [call_id]]
    given_up = any(value == "given up" for _, value in mine)
    queued = any(status == "READY" for status, _ in mine)
    return given_up and not queued


def quiet_for(gateway: GatewaySimulator, request_id: str, seconds: float) -> bool:
    asked = checks_of(gateway, request_id)
    return bool(asked) and time.time() - asked[-1].received_at >= seconds
