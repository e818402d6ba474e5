"""requests and urllib3, taught the request deadline of :mod:`.deadline`.

Nothing here speaks the gateway's protocol. :class:`GatewayAdapter` is an ``HTTPAdapter`` whose pools
make :class:`WatchedHTTPConnection` / :class:`WatchedHTTPSConnection`: they hand their socket to the
running request's deadline when they open it and when a request is sent on them from the pool, they
open with no more than the time left as the connect timeout, and they mark when a byte may have left
(what decides ``may_have_reached``). A connection whose socket the watchdog shut down is closed when
it comes back to its pool, so the next request opens a fresh one instead of inheriting a dead line.
Requests through an HTTP or HTTPS proxy use the same connections (requests builds a proxy's pools
apart from the direct ones, in ``proxy_manager_for``: they are watched too); a tunnel's ``CONNECT``
to the proxy is not the request, so it does not count as a byte of the request having left.
:class:`DeadlineRetry` is urllib3's ``Retry`` that gives up, and stops sleeping, when the time is spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from . import deadline

if TYPE_CHECKING:
    import socket
    from types import TracebackType

    from typing_extensions import Self
    from urllib3._base_connection import BaseHTTPConnection
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse


class WatchedHTTPConnection(HTTPConnection):
    """An HTTP connection whose socket the running request's deadline can shut down."""

    deadline: deadline.Deadline | None = None
    deadline_killed: bool = False

    def _new_conn(self) -> socket.socket:
        running = deadline.current()
        if running is not None:
            running.tracked = True
            left = running.remaining()
            if left <= 0:
                raise ConnectTimeoutError(self, "no time left for a connection")
            if self.timeout is None or self.timeout > left:
                self.timeout = left
        sock = super()._new_conn()
        self.deadline_killed = False
        if running is not None:
            deadline.attach(self, sock)
        return sock

    tunnelling: bool = False

    def send(self, data: Any) -> None:
        running = deadline.current()
        if running is not None:
            running.tracked = True
            if self.sock is None:
                self.connect()  # what http.client would do first; here so the socket is watched
            if self.deadline is not running and self.sock is not None:
                deadline.attach(self, self.sock)
            if not self.tunnelling:
                running.sent = True
        super().send(data)

    def _tunnel(self) -> None:
        """The ``CONNECT`` through a proxy: to the proxy only, so nothing of the request left yet."""
        self.tunnelling = True
        try:
            super()._tunnel()
        finally:
            self.tunnelling = False


class WatchedHTTPSConnection(WatchedHTTPConnection, HTTPSConnection):
    """The same over TLS: the socket is watched from before the handshake."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        _close_if_killed(conn)
        super()._put_conn(conn)


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        _close_if_killed(conn)
        super()._put_conn(conn)


def _close_if_killed(conn: BaseHTTPConnection | None) -> None:
    if isinstance(conn, WatchedHTTPConnection) and deadline.detach(conn):
        conn.close()


WATCHED_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


class GatewayAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections the request deadline can cut, direct or through a proxy."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """requests' manager of the pools to ``proxy``, making watched connections. A SOCKS proxy's
        connections cannot be watched: :mod:`.network` never hands one over."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(WATCHED_POOLS)
        return manager


class DeadlineRetry(Retry):
    """urllib3's ``Retry``, out of retries once the request's deadline has passed, and never sleeping
    past it: a retry policy is counted in attempts, a person waits in seconds."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        running = deadline.current()
        if running is not None and running.expired:
            reason = error or ResponseError("the request's deadline passed")
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]  # as urllib3's own
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        backoff = super().get_backoff_time()
        running = deadline.current()
        return backoff if running is None else min(backoff, running.remaining())
