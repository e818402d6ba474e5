"""Who is asking, and how they stand with a number: whose budgets their requests spend.

Every public function takes either ``request`` (the address is read from it as the API reads it,
honouring ``TRUSTED_PROXY_HEADER``, and the user is its user) or ``client_ip`` (the address, or
``None`` to say there is none). Leaving both out is a ``TypeError``, so no caller ends up, by
forgetting, in one bucket with every other such caller.

A number's own limits (its cooldown, ``request_per_phone``, ``calls_per_phone``, the failure budget)
are kept per *lane*, so that what strangers spend on a number never counts against its holder where
the app can tell them apart (``docs/security.md`` has the arithmetic):

- ``holder``: a browser that verified this number before (:mod:`django_voiceotp.holders`), or a
  signed-in account that did (each its own calls; their guesses pooled);
- ``member``: a signed-in account that has not verified this number yet (each account its own calls;
  the guesses of all such accounts pooled, so that accounts made by the hundred buy no more guesses);
- ``anyone``: everyone else, together: the app cannot tell an anonymous holder from a stranger.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.utils.crypto import salted_hmac

from .. import addresses, holders, ratelimits, store


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class Lane(str, enum.Enum):
    HOLDER = "holder"
    MEMBER = "member"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Standing:
    """How one caller stands with one number (E.164)."""

    lane: Lane
    number: str
    principal: str
    """Whose calls these are: ``holder`` (a browser), ``member:<user id>``, or ``anyone``."""
    owner: str
    """Whose live code a new challenge replaces (one live code per number, purpose and owner), and the
    lane a challenge's guesses are counted in: ``<lane>:<principal>``, or for ``anyone`` the client
    itself (its session, else its address)."""

    @property
    def calls(self) -> str:
        """The subject of the limits on calls: the principal's, for this number."""
        return f"{self.principal}|{self.number}"

    @property
    def guesses(self) -> str:
        """The subject of the limits on guesses: the lane's, for this number, pooled."""
        return f"{self.lane.value}|{self.number}"

    @classmethod
    def of_owner(cls, owner: str, number: str) -> Standing:
        """The standing a challenge was started with, from the owner it keeps."""
        lane_name, _, principal = owner.partition(":")
        lane = Lane(lane_name) if lane_name in Lane._value2member_map_ else Lane.ANYONE
        if lane is Lane.ANYONE:
            principal = Lane.ANYONE.value
        elif lane is Lane.MEMBER:
            principal = owner
        return cls(lane, number, principal or Lane.HOLDER.value, owner)

    def address_step(self, name: str, bucket: str) -> ratelimits.Step:
        """A per-IP limit as this lane counts it: ``anyone`` in the address's own bucket, a recognised
        lane in one of its own, so that strangers behind the same address (a carrier's NAT) cannot
        spend what the holder has."""
        value = bucket if self.lane is Lane.ANYONE else f"{self.lane.value}|{bucket}"
        return ratelimits.Step(name, value)


@dataclass(frozen=True)
class Caller:
    client_ip: str | None
    """What the per-IP limits count; None: there is no client, the per-IP limits do not apply."""
    user: Any = None
    """A signed-in user the caller vouches for, or None."""
    holder_tags: tuple[str, ...] = ()
    """The numbers (:func:`django_voiceotp.holders.tag`) this caller's browser verified before."""
    session_key: str | None = None

    @property
    def stored_ip(self) -> str | None:
        """The address as a challenge keeps it (None when it is unreadable)."""
        return addresses.parse(self.client_ip) if self.client_ip else None

    def steps(self, name: str, standing: Standing | None = None) -> list[ratelimits.Step]:
        """The per-IP limit ``name`` for this caller (in ``standing``'s lane): none without a client; a
        value that is not an address counts in the shared bucket of unreadable ones (fail closed)."""
        if self.client_ip is None:
            return []
        bucket = addresses.bucket(self.client_ip)
        return [standing.address_step(name, bucket) if standing else ratelimits.Step(name, bucket)]

    def limit(self, name: str) -> None:
        """Count one event against the per-IP limit ``name`` (see :meth:`steps`)."""
        ratelimits.admit(self.steps(name))

    def standing(self, number: str) -> Standing:
        """This caller's lane, principal and owner for ``number`` (E.164)."""
        if holders.tag(number) in self.holder_tags:
            return Standing(Lane.HOLDER, number, Lane.HOLDER.value, Lane.HOLDER.value)
        if self.user is not None:
            member = f"{Lane.MEMBER.value}:{self.user.pk}"
            if store.proved(number, self.user):
                return Standing(Lane.HOLDER, number, member, f"{Lane.HOLDER.value}:{member}")
            return Standing(Lane.MEMBER, number, member, member)
        return Standing(Lane.ANYONE, number, Lane.ANYONE.value, f"{Lane.ANYONE.value}:{self._client()}")

    def _client(self) -> str:
        """The anonymous client, as a keyed tag (no session key or address is stored as it is)."""
        if self.session_key:
            seen = f"session:{self.session_key}"
        elif self.client_ip is not None:
            seen = f"address:{addresses.bucket(self.client_ip)}"
        else:
            return "none"
        return salted_hmac("django_voiceotp.owner", seen, algorithm="sha256").hexdigest()[:24]


def caller(request: Any, client_ip: Any, user: Any = None) -> Caller:
    """The :class:`Caller` of a public function's ``request`` / ``client_ip`` / ``user`` arguments."""
    if request is not None:
        if client_ip is not UNSET:
            raise TypeError("pass request= or client_ip=, not both")
        if user is None:
            user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        return Caller(
            addresses.from_request(request) or addresses.UNREADABLE,
            _authenticated(user),
            holders.tags_of(request),
            getattr(session, "session_key", None),
        )
    if client_ip is UNSET:
        raise TypeError(
            "pass request= (the client's address is read from it) or client_ip= (the address, or None "
            "when there is no client: the per-IP limits are then skipped)"
        )
    if client_ip is not None and not isinstance(client_ip, str):
        raise TypeError("client_ip must be a string or None")
    return Caller(client_ip, _authenticated(user))


def _authenticated(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None
