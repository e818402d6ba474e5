"""Small helpers the API tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.test import override_settings

T = TypeVar("T")

PHONE = "0361234567"
NO_LIMITS = {
    "request_per_ip": None,
    "request_per_phone": None,
    "verify_per_ip": None,
    "resend_per_ip": None,
    "verify_failures_per_phone": None,
}


@contextmanager
def voiceotp(**changes: Any):
    with override_settings(VOICEOTP={**settings.VOICEOTP, **changes}):
        yield


def start(api, phone: str = PHONE, purpose: str | None = "login", **extra: Any):
    body: dict[str, Any] = {"phone": phone}
    if purpose is not None:
        body["purpose"] = purpose
    return api.post("/api/otp/challenges/", body, format="json", **extra)


def verify(api, challenge_id: str, code: str, **extra: Any):
    return api.post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code}, format="json", **extra)


def resend(api, challenge_id: str, **extra: Any):
    return api.post(f"/api/otp/challenges/{challenge_id}/resend/", format="json", **extra)


def wrong(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return "".join(str((int(d) + 1) % 10) for d in code)


def run_together(
    count: int, action: Callable[[int], T], *, after: Callable[[], object] = lambda: None
) -> list[T]:
    """Run ``action(i)`` in ``count`` threads released at the same moment by a barrier; ``after`` runs
    in each thread when it is done (closing its database connections, say)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        finally:
            after()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results
