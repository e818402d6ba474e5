"""What the simulator hands out and hands back: calls, received requests, faults and replies.

Plain values, so the state, the control endpoint, the page and the server share them without
sharing anything else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PlacedCall:
    """A call the simulator took (it answered ``1,,,request_id``), as seen when it was read."""

    request_id: str
    phone: str
    code: str
    placed_at: float
    outcome: str
    checks: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request on a gateway endpoint, recorded on arrival; never holds the password or key."""

    endpoint: str
    received_at: float
    username: str | None
    phone: str | None
    request_id: str | None
    message: str | None
    answer: str
    """The body sent back (a byte at a time for a drip), or ``hang``, ``drop``, ``huge``,
    ``HTTP 500``, ``HTTP 413``."""
    status: int | None
    """The HTTP status, ``None`` when nothing was answered (hang, drop)."""
    fault: str | None
    """What made it fail on purpose: ``fault:<name>`` or ``ending:<digits>``."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Fault:
    """A failure on purpose; mutable only so ``times`` can count down under the lock."""

    fault: str
    number: str | None = None
    endpoint: str = "postSMS"
    code: int | None = None
    times: int | None = None
    """Matching requests left before the fault disappears; ``None`` until cleared."""
    status: int | None = None
    """The HTTP status of a ``code``, ``style`` or ``body`` answer (200 when None)."""
    style: str | None = None
    """The answer style of a ``code`` or ``style`` answer (the simulator's own when None)."""
    body: str | None = None
    """A ``body`` answer, exactly (``{id}`` in it takes the call and stands for its request id);
    bytes that are not UTF-8 travel as lone surrogates (``surrogateescape``)."""

    def to_dict(self) -> dict[str, Any]:
        """The fault's fields; ``status``, ``style`` and ``body`` only when set."""
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None or k not in ("status", "style", "body")}


@dataclass(frozen=True)
class Reply:
    """What to do with a request, decided under the lock and carried out by the server outside it.

    ``action`` is ``answer``; ``drip`` (the same answer, a byte at a time); ``huge`` (a 200 whose body
    runs to megabytes); ``hang`` or ``drop`` (no answer at all).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    action: str = "answer"
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None

    @property
    def summary(self) -> str:
        if self.action not in ("answer", "drip"):
            return self.action
        if self.status != 200:
            return f"HTTP {self.status}"
        return self.body.decode("utf-8", "replace")


def json_reply(data: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json")


def error(status: int, message: str, *headers: tuple[str, str]) -> Reply:
    body = json.dumps({"error": message}).encode()
    return Reply(status, body, "application/json", headers=headers)


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
