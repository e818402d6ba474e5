"""A gateway client for reads a person is waiting on: an admin page, an API read.

The process's pooled session retries reads (see :mod:`django_voiceotp.gateway.session`), which is right
for a cron job and wrong for a page: a hanging gateway would hold the page for the read timeout times
the retries. This client has the site's URL and credentials, no retries, and each timeout capped at
:data:`READ_TIMEOUT_CAP`, so such a read never waits longer than the two capped timeouts together
(the client's deadline for a whole request, which a gateway answering a byte at a time cannot
stretch either).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..conf import get_settings
from .client import Credentials, GatewayClient
from .session import new_session

READ_TIMEOUT_CAP = 5.0
"""Seconds: longer than the gateway takes on a good day, short enough for a person to wait."""


def quick_timeout(timeout: tuple[float, float], cap: float = READ_TIMEOUT_CAP) -> tuple[float, float]:
    """The site's ``(connect, read)`` timeouts, each capped at ``cap`` seconds."""
    return (min(timeout[0], cap), min(timeout[1], cap))


@contextmanager
def quick_client(cap: float = READ_TIMEOUT_CAP) -> Iterator[GatewayClient]:
    """A client from ``settings.VOICEOTP`` on a session of its own without retries, closed after."""
    values = get_settings()
    session = new_session(0, pool_connections=1)
    try:
        yield GatewayClient(
            base_url=values.BASE_URL,
            credentials=Credentials(values.USERNAME or "", values.PASSWORD or "", values.KEY or ""),
            sender=values.SENDER,
            timeout=quick_timeout(values.TIMEOUT, cap),
            session=session,
        )
    finally:
        session.close()
