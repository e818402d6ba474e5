"""The allauth tests run only under their own settings (``--ds tests.allauth.settings``): the suite's
default run, a site without allauth, leaves them out; without allauth installed they are skipped."""

from __future__ import annotations

import importlib.util

import pytest
from django.conf import settings

HAS_ALLAUTH = importlib.util.find_spec("allauth") is not None

collect_ignore_glob = [] if not HAS_ALLAUTH or "allauth.account" in settings.INSTALLED_APPS else ["test_*.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if HAS_ALLAUTH:
        return
    skip = pytest.mark.skip(reason="django-allauth is not installed (it needs Python 3.11+)")
    for item in items:
        if "tests/allauth/" in str(item.path):
            item.add_marker(skip)
