"""The django-otp and django-two-factor-auth integrations' suite, in a pytest process of its own.

Those tests need settings of their own (``tests.contrib.settings``: the apps installed, django-otp's
middleware, two-factor-auth's URLs), which the rest of the suite must not run under. So every run of
this suite runs them too, on the database and cache this run uses (SQLite and the local memory
cache, or PostgreSQL and Redis), and fails with their output when they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_django_otp_and_two_factor_integrations_suite_passes():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.contrib.settings",
            "tests/contrib",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert " passed" in run.stdout
