"""The simulator's tests' fixtures: one server a module on a fake clock, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from django_voiceotp.simulator import GatewaySimulator

from .wire import FakeClock, make


@pytest.fixture(scope="module")
def _server() -> Iterator[GatewaySimulator]:
    """One server for the module (starting and stopping one per test would dominate the run)."""
    with make(FakeClock()) as simulator:
        yield simulator


@pytest.fixture
def clock(_server: GatewaySimulator) -> FakeClock:
    assert isinstance(_server.clock, FakeClock)
    return _server.clock


@pytest.fixture
def sim(_server: GatewaySimulator) -> Iterator[GatewaySimulator]:
    _server.reset()
    yield _server
    _server.clear_faults()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # never route loopback through a proxy from the environment
    yield session
    session.close()
