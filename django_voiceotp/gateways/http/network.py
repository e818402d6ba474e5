"""How a gateway is reached: directly, through the site's proxy, and with which CA certificates.

Sites whose servers reach the internet only through an egress proxy name it (``OPTIONS["PROXY"]``)
or let the environment's ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY`` decide
(``OPTIONS["PROXY_FROM_ENV"]``: that and nothing else of the environment, where requests'
``trust_env`` would also read ``.netrc`` credentials and ``REQUESTS_CA_BUNDLE``). A gateway behind a
certificate of a private CA is checked against ``OPTIONS["CA_BUNDLE"]``. Only HTTP and HTTPS proxies
are used: their connections are :mod:`.transport`'s, which the request deadline can cut; a SOCKS
proxy's are not, so the environment's are ignored and an option naming one is a configuration error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from requests.utils import get_environ_proxies

PROXY_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Network:
    """A gateway's way out: ``proxy`` (a URL, for both schemes), or the environment's proxies when
    ``proxy_from_env``; ``ca_bundle`` (a file or directory of PEM certificates) for HTTPS."""

    proxy: str | None = None
    proxy_from_env: bool = False
    ca_bundle: str | None = None

    def proxies_for(self, url: str) -> dict[str, str]:
        """requests' ``proxies`` for ``url``: empty when it is reached directly."""
        if self.proxy:
            return {"http": self.proxy, "https": self.proxy}
        if not self.proxy_from_env:
            return {}
        return {
            scheme: proxy
            for scheme, proxy in get_environ_proxies(url).items()
            if scheme in (*PROXY_SCHEMES, "all") and proxy_scheme(proxy) in PROXY_SCHEMES
        }

    @property
    def verify(self) -> str | None:
        """requests' ``verify``: the CA bundle, or None for the session's own (the system's CAs)."""
        return self.ca_bundle or None

    def describe(self, url: str) -> str:
        """How ``url`` is reached, for a person (a proxy's password left out)."""
        proxies = self.proxies_for(url)
        proxy = proxies.get(urlsplit(url).scheme) or proxies.get("all")
        way = f"through the proxy {without_password(proxy)}" if proxy else "directly"
        return way + (f", certificates checked against {self.ca_bundle}" if self.ca_bundle else "")


def proxy_scheme(proxy: str) -> str:
    """The scheme a proxy URL is spoken to with (requests takes ``proxy:3128`` as ``http://``)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*)://", proxy)
    return match.group(1).lower() if match else "http"


def without_password(url: str) -> str:
    """``url`` with any ``user:password@`` (and query) dropped, to be shown."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        port = parts.port
    except ValueError:
        return "(an unreadable URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
