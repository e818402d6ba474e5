"""Small helpers the API tests share."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.test import override_settings

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
