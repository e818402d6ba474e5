"""The gateway POST of the floor views and of django-phone-verify's fake backend.

The comparison is only fair if the others make the same ``postSMS`` request the app makes: the same
JSON fields, to the same gateway, over a pooled :class:`requests.Session` per process (as the app's
``gateway.session`` keeps one). Nothing here retries or parses beyond the request id.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

_lock = threading.Lock()
_session: requests.Session | None = None
_pid: int | None = None


class GatewayPostError(Exception):
    """The simulator did not take the call (an HTTP error, or an answer other than ``1,,,id``)."""


@lru_cache(maxsize=1)
def _gateway() -> dict[str, Any]:
    values = getattr(settings, "VOICEOTP", {})
    return {
        "url": str(values["BASE_URL"]).rstrip("/") + "/postSMS",
        "username": values["USERNAME"],
        "pass": values["PASSWORD"],
        "key": values["KEY"],
        "sender": values.get("SENDER", "DAUSO1"),
    }


def _get_session() -> requests.Session:
    """One session per process; a forked gunicorn worker builds its own, like the app's client."""
    global _session, _pid
    if _session is None or _pid != os.getpid():
        with _lock:
            if _session is None or _pid != os.getpid():
                session = requests.Session()
                session.trust_env = False
                session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=32, max_retries=0))
                _session, _pid = session, os.getpid()
    return _session


@dataclass(frozen=True)
class Answer:
    """What ``postSMS`` said: the raw text, the request id in it, and how long it took."""

    raw: str
    request_id: str
    elapsed_ms: int


def post_sms(local_phone: str, code: str) -> str:
    """Ask the gateway to call ``local_phone`` and read ``code``; the gateway's request id."""
    return send(local_phone, code).request_id


def send(local_phone: str, code: str) -> Answer:
    """Ask the gateway to call ``local_phone`` and read ``code``; its whole answer."""
    gateway = _gateway()
    payload = {
        "phonesend": local_phone,
        "sender": gateway["sender"],
        "key": gateway["key"],
        "message": code,
        "pass": gateway["pass"],
        "username": gateway["username"],
    }
    begun = time.monotonic()
    response = _get_session().post(
        gateway["url"],
        json=payload,
        timeout=(3.05, 15),
        headers={"Accept": "text/plain, application/json"},
        allow_redirects=False,
    )
    text = response.text
    if response.status_code != 200 or not text.startswith("1,"):
        raise GatewayPostError(f"postSMS: HTTP {response.status_code}, answer {text[:20]!r}")
    return Answer(text, text.rsplit(",", 1)[-1], round((time.monotonic() - begun) * 1000))
