from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from django_voiceotp.gateways.http.session import reset_session
from django_voiceotp.gateways.onsms.client import Credentials, GatewayClient
from django_voiceotp.simulator import GatewaySimulator

USERNAME = settings.VOICEOTP["USERNAME"]
PASSWORD = settings.VOICEOTP["PASSWORD"]
KEY = settings.VOICEOTP["KEY"]
SECRETS = (PASSWORD, KEY)


def suite_simulator(**options: Any) -> GatewaySimulator:
    """A simulator on a free loopback port that takes the suite's gateway credentials, not started
    (it is a context manager)."""
    return GatewaySimulator(
        host="127.0.0.1",
        port=0,
        username=USERNAME,
        password=PASSWORD,
        key=KEY,
        sender="DAUSO1",
        balance=1_000_000,
        **options,
    )


@pytest.fixture(scope="session")
def _simulator_server() -> Iterator[GatewaySimulator]:
    with suite_simulator(answer_after=0.3, hang_seconds=5.0) as sim:
        yield sim


@pytest.fixture
def simulator(_simulator_server: GatewaySimulator) -> Iterator[GatewaySimulator]:
    """The gateway simulator over loopback, reset for each test, with the site pointed at it."""
    sim = _simulator_server
    sim.reset()
    sim.set_balance(1_000_000)
    voiceotp = {**settings.VOICEOTP, "BASE_URL": sim.base_url}
    with override_settings(VOICEOTP=voiceotp):
        yield sim
    sim.clear_faults()


@pytest.fixture(scope="session")
def _second_simulator_server() -> Iterator[GatewaySimulator]:
    with suite_simulator(answer_after=0.3, hang_seconds=5.0) as sim:
        yield sim


def gateway_entry(name: str, sim: GatewaySimulator) -> dict[str, Any]:
    """One entry of ``GATEWAYS`` for a simulator of the suite."""
    options = {"BASE_URL": sim.base_url, "USERNAME": USERNAME, "PASSWORD": PASSWORD, "KEY": KEY}
    return {"NAME": name, "BACKEND": "django_voiceotp.gateways.onsms.OnSmsGateway", "OPTIONS": options}


@pytest.fixture
def two_gateways(simulator: GatewaySimulator, _second_simulator_server: GatewaySimulator):
    """Two simulators over loopback, the site's ``GATEWAYS`` in that order (``first``, ``second``);
    the pair of them, reset for the test."""
    second = _second_simulator_server
    second.reset()
    second.set_balance(1_000_000)
    legacy = {"BASE_URL", "USERNAME", "PASSWORD", "KEY", "SENDER"}
    voiceotp = {k: v for k, v in settings.VOICEOTP.items() if k not in legacy}
    voiceotp["GATEWAYS"] = [gateway_entry("first", simulator), gateway_entry("second", second)]
    with override_settings(VOICEOTP=voiceotp):
        yield simulator, second
    second.clear_faults()


@pytest.fixture
def client_for(simulator: GatewaySimulator):
    def build(*, timeout: tuple[float, float] = (1.0, 2.0), base_url: str | None = None):
        return GatewayClient(
            base_url=base_url or simulator.base_url,
            credentials=Credentials(USERNAME, PASSWORD, KEY),
            sender="DAUSO1",
            timeout=timeout,
        )

    return build


@pytest.fixture(autouse=True)
def _fresh_http_session() -> Iterator[None]:
    yield
    reset_session()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters and cooldowns live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()
