"""One pooled HTTP session per process, with retries only where a retry cannot cost money.

Reads (how a call went, the balance) are retried on connection errors, dropped lines and 5xx answers.
Placing a call is paid: it is retried only when the connection itself could not be opened (nothing
reached the gateway), never after the request may have been sent, because a second call is charged
and trips the gateway's repeat rule. Both policies live on one :class:`requests.Session`; the send
policy is mounted on each gateway's send URL (:func:`no_retry_url`), which ``requests`` prefers over
the shorter ``http://`` prefix.

Every adapter is a :class:`~.transport.GatewayAdapter` and every policy a
:class:`~.transport.DeadlineRetry`, so the client's deadline for a whole request holds across its
retries too (:mod:`.deadline`).
"""

from __future__ import annotations

import os
import threading

import requests
from urllib3.util.retry import Retry

from ... import __version__
from .transport import DeadlineRetry, GatewayAdapter

USER_AGENT = f"django-voiceotp/{__version__} python-requests/{requests.__version__}"
POOL_SIZE = 32

READ_RETRY = DeadlineRetry(
    total=3,
    connect=2,
    read=1,
    status=2,
    other=0,
    redirect=0,
    backoff_factor=0.2,
    status_forcelist=(500, 502, 503, 504),
    allowed_methods=frozenset({"POST"}),
    raise_on_status=False,
    respect_retry_after_header=False,
)

SEND_RETRY = DeadlineRetry(
    total=2,
    connect=2,
    read=0,
    status=0,
    other=0,
    redirect=0,
    backoff_factor=0.1,
    allowed_methods=frozenset({"GET"}),  # never POST: a read error on postSMS is not retried
    raise_on_status=False,
)

_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid: int | None = None


def new_session(retries: Retry | int = READ_RETRY, *, pool_connections: int = 4) -> requests.Session:
    """A session for the gateway: its user agent, no proxy or .netrc, connections the deadline can cut."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.trust_env = False  # the gateway is reached directly; no .netrc or proxy surprises
    adapter = GatewayAdapter(max_retries=retries, pool_connections=pool_connections, pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def get_session() -> requests.Session:
    """The process's session; a forked worker builds its own instead of sharing sockets with its parent."""
    global _session, _session_pid
    pid = os.getpid()
    if _session is None or _session_pid != pid:
        with _lock:
            if _session is None or _session_pid != pid:
                _session = new_session()
                _session_pid = pid
    return _session


def no_retry_url(session: requests.Session, url: str) -> str:
    """``url``, with the policy that never retries a request that may have been sent mounted on it."""
    if url not in session.adapters:
        with _lock:
            if url not in session.adapters:
                session.mount(
                    url,
                    GatewayAdapter(max_retries=SEND_RETRY, pool_connections=1, pool_maxsize=POOL_SIZE),
                )
    return url


def reset_session() -> None:
    """Drop the pooled session (tests, and after the gateway's address changes)."""
    global _session, _session_pid
    with _lock:
        if _session is not None:
            _session.close()
        _session = None
        _session_pid = None
