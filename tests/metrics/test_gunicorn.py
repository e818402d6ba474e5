"""The metrics under gunicorn with two workers in prometheus_client's multiprocess mode: each worker
counts what it served, and a scrape, whichever worker answers it, gives the sum.

Part of the services run (VOICEOTP_TEST_POSTGRES=1 and VOICEOTP_TEST_REDIS=1, which ``.ci/run`` sets).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest
import requests

from ..live_site import live_site
from ..services.test_multiprocess import NO_LIMITS, hammer

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("VOICEOTP_TEST_POSTGRES") and os.environ.get("VOICEOTP_TEST_REDIS")),
        reason="needs PostgreSQL and Redis (VOICEOTP_TEST_POSTGRES=1 VOICEOTP_TEST_REDIS=1)",
    ),
    pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None, reason="pip install gunicorn"),
    pytest.mark.skipif(
        importlib.util.find_spec("prometheus_client") is None, reason="pip install 'django-voiceotp[metrics]'"
    ),
]

TOKEN = "live-metrics-token-" + "x" * 24


def sample(text: str, name: str, **labels: str) -> float:
    """One sample of a scrape, by name and labels (in any order); 0 when absent."""
    for line in text.splitlines():
        found = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not found or found[1] != name:
            continue
        given = dict(re.findall(r'(\w+)="([^"]*)"', found[2] or ""))
        if given == labels:
            return float(found[3])
    return 0.0


def workers_that_counted(directory: Path) -> set[str]:
    """The pids that wrote counters: prometheus_client names each worker's file after it."""
    return {path.stem.split("_", 1)[1] for path in directory.glob("counter_*.db")}


def test_the_counters_of_two_workers_add_up_in_every_scrape(simulator, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    with live_site(
        simulator,
        workers=2,
        environ={"PROMETHEUS_MULTIPROC_DIR": str(directory)},
        METRICS=True,
        METRICS_TOKEN=TOKEN,
        METRICS_PURPOSES=["login"],
        RATE_LIMITS=NO_LIMITS,
    ) as site:
        started = 0
        for batch in range(5):  # until both workers have served some (almost always the first batch)
            phones = [f"0361{batch:02d}{i:04d}" for i in range(12)]

            def ask(session: requests.Session, i: int, phones: list[str] = phones) -> requests.Response:
                body = {"phone": phones[i], "purpose": "login"}
                return session.post(f"{site.url}/api/otp/challenges/", json=body, timeout=30)

            answers = hammer(12, ask)
            assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers]
            started += 12
            if len(workers_that_counted(directory)) == 2:
                break
        assert len(workers_that_counted(directory)) == 2
        assert started == site.query("SELECT count(*) FROM django_voiceotp_voicecall")[0][0]

        for _ in range(6):  # each on a new connection: both workers answer some of them
            with requests.Session() as session:
                scraped = session.get(
                    f"{site.url}/metrics/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
                )
            assert scraped.status_code == 200
            text = scraped.text
            assert sample(text, "voiceotp_challenges_total", outcome="called", purpose="login") == started
            assert sample(text, "voiceotp_calls_total", gateway="onsms", status="calling") == started
            answered = sample(
                text, "voiceotp_gateway_answers_total", code="1", endpoint="send", gateway="onsms"
            )
            assert answered == started
            latency = sample(text, "voiceotp_gateway_latency_seconds_count", endpoint="send", gateway="onsms")
            assert latency == started
            assert sample(text, "voiceotp_calls_open", gateway="onsms") == started
