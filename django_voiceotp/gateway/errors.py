"""What can go wrong on the wire, kept apart from what the gateway *refused*.

A refusal (code 7, 14, ...) is an answer: the gateway heard us and said no, and it comes back as a
result object. These exceptions are for when we do not have a trustworthy answer at all. Their text is
written here, from fixed phrases and numbers, so that no credential, request body or code can reach a
log line through ``str(exc)`` or ``repr(exc)``.
"""

from __future__ import annotations

RAW_LIMIT = 500
"""How much of an unreadable answer is kept: enough for an operator to recognise it, no more."""


def truncate(text: str, limit: int = RAW_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit]


class GatewayError(Exception):
    """Base class: the gateway gave no answer the app can act on."""

    def __init__(self, message: str, *, endpoint: str, elapsed_ms: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.elapsed_ms = elapsed_ms

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, endpoint={self.endpoint!r})"


class GatewayUnavailable(GatewayError):
    """No answer: refused connection, timeout, dropped line, or a non-2xx HTTP status.

    ``may_have_reached`` says whether the request could have been processed anyway (a read timeout or a
    dropped line after sending). For ``postSMS`` that means a call may still ring and may be charged,
    which is why it is never retried.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str,
        may_have_reached: bool,
        status_code: int | None = None,
        raw: str = "",
        elapsed_ms: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, elapsed_ms=elapsed_ms)
        self.may_have_reached = may_have_reached
        self.status_code = status_code
        self.raw = truncate(raw)


class GatewayTimeout(GatewayUnavailable):
    """No whole answer in time: no connection within the connect timeout, no byte within the read
    timeout, or no complete answer within the two together (the request's deadline)."""


class GatewayProtocolError(GatewayError):
    """A 2xx answer the documentation does not describe. ``raw`` keeps its first 500 characters."""

    def __init__(self, message: str, *, endpoint: str, raw: str, elapsed_ms: int | None = None) -> None:
        super().__init__(message, endpoint=endpoint, elapsed_ms=elapsed_ms)
        self.raw = truncate(raw)


class GatewayRequestError(GatewayError):
    """The request could not be built from what the caller gave, so nothing was sent.

    ``field`` names what was wrong: ``"phone"`` (not the gateway's local digits form), ``"message"``
    (not 1 to 6 digits) or ``"payload"`` (the body could not be built at all). Nothing reached the
    gateway and nothing was charged; it is the caller's mistake, not the gateway's answer.
    """

    may_have_reached = False

    def __init__(self, message: str, *, endpoint: str, field: str) -> None:
        super().__init__(message, endpoint=endpoint)
        self.field = field
