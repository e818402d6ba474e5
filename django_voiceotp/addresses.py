"""Client addresses: which one a request came from, and which bucket the per-IP limits count it in.

A per-IP limit is only as good as its key. Three things would quietly merge different clients into one
bucket (and so let one client lock out everyone, or let everyone past a limit meant for one): an
IPv4 client reaching a dual-stack socket as ``::ffff:a.b.c.d`` (every such client's /64 is ``::``),
a proxy header that carries a port or brackets (``203.0.113.7:51234``, ``[2001:db8::7]:443``), and an
address that cannot be read at all. The first two are normalized here; the third has a bucket of its
own, :data:`UNREADABLE`, shared on purpose (failing closed) and logged, because it means the site's
proxy set-up needs ``TRUSTED_PROXY_HEADER``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from typing import Any

from .conf import get_settings

logger = logging.getLogger("django_voiceotp.addresses")

UNREADABLE = "unreadable"
"""The bucket of requests whose address could not be read."""

_BRACKETED = re.compile(r"\[(?P<host>[^\]]+)\](?::\d+)?")
_IPV4_WITH_PORT = re.compile(r"(?P<host>\d{1,3}(?:\.\d{1,3}){3}):\d+")
_FORWARDED_FOR = re.compile(r"(?:^|;)\s*for=(?P<value>\"[^\"]*\"|[^;,\s]*)", re.IGNORECASE)
_warned = False
MAX_CACHED = 64
"""Characters: ``for="[ffff:...:ffff]:65535"`` with room to spare."""


def parse(text: str) -> str | None:
    """The address in ``text`` as its canonical string, or None.

    Cached for texts as long as an address with its port and brackets can be: a request reads its
    address several times over (its bucket, its stored form), and a site's clients come back; a
    longer header value is read each time, not kept.

    Takes a bare address, an IPv4 address with a port, a bracketed IPv6 address with or without a
    port, and an RFC 7239 ``for=`` element (``for="[2001:db8::7]:443"``); an IPv4-mapped IPv6 address
    is its IPv4 address.
    """
    if len(text) > MAX_CACHED:
        return _parse(text)
    return _parse_cached(text)


def _parse(text: str) -> str | None:
    value = text.strip()
    forwarded = _FORWARDED_FOR.search(value)
    if forwarded:
        value = forwarded["value"].strip('"')
    for pattern in (_BRACKETED, _IPV4_WITH_PORT):
        match = pattern.fullmatch(value)
        if match:
            value = match["host"]
            break
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


_parse_cached = functools.lru_cache(maxsize=4096)(_parse)


def from_request(request: Any) -> str | None:
    """The client's address: the last entry of ``VOICEOTP['TRUSTED_PROXY_HEADER']`` (the one the
    site's own proxy appended; earlier entries are whatever the client sent), else ``REMOTE_ADDR``.
    None when neither holds a readable address."""
    meta = getattr(request, "META", {})
    header = get_settings().TRUSTED_PROXY_HEADER
    if header:
        value = meta.get(header, "")
        if value:
            found = parse(value.split(",")[-1])
            if found is not None:
                return found
    return parse(meta.get("REMOTE_ADDR", "") or "")


def bucket(address: str) -> str:
    """What the per-IP limits count ``address`` under: IPv4 per address, IPv6 per /64 (the smallest
    block one subscriber usually holds); an unreadable address in the shared :data:`UNREADABLE`."""
    parsed = parse(address)
    if parsed is None:
        _warn_unreadable()
        return UNREADABLE
    return _bucket_of(parsed)


@functools.lru_cache(maxsize=4096)
def _bucket_of(parsed: str) -> str:
    ip = ipaddress.ip_address(parsed)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return parsed


def _warn_unreadable() -> None:
    global _warned
    if not _warned:
        _warned = True
        logger.warning(
            "a request came with no readable client address: the per-IP limits count all such "
            "requests together; behind a proxy, set VOICEOTP['TRUSTED_PROXY_HEADER']"
        )
