"""The browser that verified a number before: a signed cookie, so that its holder is served ahead of
strangers.

Anyone can ask for calls to any number, and the app cannot tell an anonymous holder from a stranger;
what a stranger lacks is a browser in which the number was verified. So a right code leaves a cookie
naming the number (as a keyed tag, never the number itself), signed with the site's ``SECRET_KEY``,
and a request that carries it is served in a lane of its own (``holder``): nothing strangers spend
on the number counts against it (see ``docs/security.md``).

The rules note a verified number on the request (:func:`note_verified`); the REST API writes the
cookie on its answer, and :class:`django_voiceotp.middleware.HolderCookieMiddleware` on any other
view's (the integrations' pages).
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.utils.crypto import salted_hmac

COOKIE = "voiceotp_holder"
SALT = "django_voiceotp.holders"
MAX_AGE = 180 * 24 * 3600
"""Seconds a browser is recognised after its last verify: a number changes hands after months of
disuse at the earliest."""
MAX_NUMBERS = 5
"""Tags a cookie keeps, the latest first: a person verifies few numbers from one browser."""
_NOTED = "_voiceotp_verified_numbers"


def tag(e164: str) -> str:
    """The number as the cookie names it: keyed, so the cookie does not tell it to whoever reads it."""
    return salted_hmac(SALT, e164, algorithm="sha256").hexdigest()[:20]


def tags_of(request: Any) -> tuple[str, ...]:
    """The numbers (tags) the request's browser verified, from a cookie of this site's own signing."""
    cookies = getattr(request, "COOKIES", None) or {}
    value = cookies.get(COOKIE)
    if not isinstance(value, str) or len(value) > 1024:
        return ()
    try:
        data = signing.loads(value, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return ()
    if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
        return ()
    return tuple(data[:MAX_NUMBERS])


def note_verified(request: Any, e164: str) -> None:
    """Remember, for the answer to this request, that its browser verified ``e164``."""
    if request is None:
        return
    noted = getattr(request, _NOTED, None)
    if noted is None:
        noted = []
        try:
            setattr(request, _NOTED, noted)
        except AttributeError:  # a request object that takes no attributes: nothing to remember on
            return
    noted.append(tag(e164))


def remember(request: Any, response: Any) -> None:
    """Write the cookie on ``response`` when the request verified a number: its tags first, then the
    ones the browser already had, at most :data:`MAX_NUMBERS`."""
    noted = getattr(request, _NOTED, None)
    if not noted:
        return
    cookies = getattr(request, "COOKIES", None) or {}
    old = tags_of(request) if COOKIE in cookies else ()
    kept = list(dict.fromkeys([*reversed(noted), *old]))[:MAX_NUMBERS]
    response.set_cookie(
        COOKIE,
        signing.dumps(kept, salt=SALT, compress=True),
        max_age=MAX_AGE,
        secure=bool(getattr(request, "is_secure", lambda: False)()),
        httponly=True,
        samesite="Lax",
    )
