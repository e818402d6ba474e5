"""The allauth tests run only under their own settings (``--ds tests.allauth.settings``, a pytest
invocation of its own in ``make test``): the suite's default run, a site without allauth, leaves them
out. Where allauth cannot be installed (Python 3.10) only ``test_installed.py`` runs, and skips."""

from __future__ import annotations

import importlib.util

from django.conf import settings

HAS_ALLAUTH = importlib.util.find_spec("allauth") is not None

if not HAS_ALLAUTH:
    collect_ignore_glob = ["test_[!i]*.py"]
elif "allauth.account" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]
