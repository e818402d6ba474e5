"""The allauth the suite runs against is one of the releases the ``[allauth]`` extra admits."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("allauth") is None,
    reason="django-allauth is not installed: it needs Python 3.11+ (the [allauth] extra)",
)
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_installed_allauth_is_in_the_range_the_extra_pins():
    pinned = re.search(r'^allauth = \["django-allauth>=([\d.]+),<(\d+)"\]', PYPROJECT.read_text(), re.M)
    assert pinned, "the [allauth] extra is not where this test reads it"
    lowest, below = (tuple(int(p) for p in v.split(".")) for v in pinned.groups())
    installed = tuple(int(p) for p in importlib.metadata.version("django-allauth").split(".")[:2])
    assert lowest <= installed < below
