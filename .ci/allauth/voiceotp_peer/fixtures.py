"""Fixtures that take the place of allauth's for this app: the test kit, and numbers it can call.

``.ci/allauth/run`` puts these in a ``conftest.py`` of allauth's ``tests/apps`` (the only file it adds
to allauth's tests), so that they win over allauth's own fixtures of the same names.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _voiceotp_gateway(voiceotp_gateway: Any) -> Any:
    """Every test on the test kit's in-process gateway (no credentials, no network)."""
    return voiceotp_gateway


@pytest.fixture
def phone_factory() -> Any:
    """allauth's makes ``+31`` and ten random digits, which is no number a gateway can call; this
    one makes Vietnamese mobile numbers (``DEFAULT_REGION``), a new one each time."""

    def make() -> str:
        return f"+8490{next(_numbers):07d}"

    return make
