"""Who is asking: the client address the per-IP limits count, and the user, from a request or not.

Every public function takes either ``request`` (the address is read from it as the API reads it,
honouring ``TRUSTED_PROXY_HEADER``, and the user is its user) or ``client_ip`` (the address, or
``None`` to say there is none). Leaving both out is a ``TypeError``, so no caller ends up, by
forgetting, in one bucket with every other such caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import addresses, ratelimits


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Caller:
    client_ip: str | None
    """What the per-IP limits count; None: there is no client, the per-IP limits do not apply."""
    user: Any = None

    @property
    def stored_ip(self) -> str | None:
        """The address as a challenge keeps it (None when it is unreadable)."""
        return addresses.parse(self.client_ip) if self.client_ip else None

    def steps(self, name: str) -> list[ratelimits.Step]:
        """The per-IP limit ``name`` for this caller: none without a client; a value that is not an
        address counts in the shared bucket of unreadable ones (fail closed)."""
        if self.client_ip is None:
            return []
        return [ratelimits.Step(name, addresses.bucket(self.client_ip))]

    def limit(self, name: str) -> None:
        """Count one event against the per-IP limit ``name`` (see :meth:`steps`)."""
        ratelimits.admit(self.steps(name))


def caller(request: Any, client_ip: Any, user: Any = None) -> Caller:
    """The :class:`Caller` of a public function's ``request`` / ``client_ip`` / ``user`` arguments."""
    if request is not None:
        if client_ip is not UNSET:
            raise TypeError("pass request= or client_ip=, not both")
        if user is None:
            user = getattr(request, "user", None)
        return Caller(addresses.from_request(request) or addresses.UNREADABLE, _authenticated(user))
    if client_ip is UNSET:
        raise TypeError(
            "pass request= (the client's address is read from it) or client_ip= (the address, or None "
            "when there is no client: the per-IP limits are then skipped)"
        )
    if client_ip is not None and not isinstance(client_ip, str):
        raise TypeError("client_ip must be a string or None")
    return Caller(client_ip, _authenticated(user))


def _authenticated(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None
