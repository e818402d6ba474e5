"""What the cross-process tests run in each spawned process.

A separate module with no Django import at the top: a spawned interpreter imports it before Django is
set up, then :func:`_setup` configures Django on the parent's test database.
"""

from __future__ import annotations

import os
from typing import Any


def _setup(db_name: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name


def request_many(
    base_url: str, db_name: str, ready: Any, start: Any, out: Any, phones: list[str], **changes: Any
) -> None:
    """Say ready, wait for the parent's signal, then ask for a challenge for each of ``phones``."""
    _setup(db_name)
    from django.conf import settings
    from django.db import connections
    from django.test.utils import override_settings

    from django_voiceotp import services
    from django_voiceotp.exceptions import VoiceOtpError

    voiceotp = {**settings.VOICEOTP, "BASE_URL": base_url, **changes}
    ready.put(os.getpid())
    start.wait()
    try:
        for phone in phones:
            try:
                with override_settings(VOICEOTP=voiceotp):
                    services.start_verification(phone, client_ip=None)
                out.put("placed")
            except VoiceOtpError as exc:
                out.put(exc.code)
            except Exception as exc:  # reported to the parent, which fails the test
                out.put(f"error {type(exc).__name__}: {exc}")
    finally:
        connections.close_all()
