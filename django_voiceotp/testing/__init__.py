"""The test kit: a site's own tests verify numbers with no credentials, no network and no simulator.

It runs the real rules against the in-process gateway (:mod:`django_voiceotp.gateways.locmem`), which
keeps every call with the code it would have read out and behaves, per number, as a test tells it.

- pytest: the ``voiceotp_gateway`` fixture (a plugin the package registers with pytest), which
  switches the site to the in-process gateway for the test and gives a :class:`FakeGateway`;
- ``manage.py test``: :class:`VoiceOtpTestMixin` on a ``TestCase``, which does the same and puts the
  :class:`FakeGateway` on ``self.voiceotp_gateway``.

Test settings should name the in-process gateway too (:data:`LOCMEM_GATEWAY`), so that the system
checks, which run before any test, do not ask for the operator's credentials::

    VOICEOTP = {"GATEWAY": {"BACKEND": "django_voiceotp.gateways.locmem.LocMemGateway"}}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.test import override_settings

from ..conf import LEGACY_GATEWAY_KEYS
from ..gateways import Kind, locmem
from ..gateways.locmem import LocMemCall

LOCMEM_GATEWAY = {"BACKEND": "django_voiceotp.gateways.locmem.LocMemGateway"}

__all__ = ["LOCMEM_GATEWAY", "FakeGateway", "Kind", "LocMemCall", "VoiceOtpTestMixin", "in_process_gateway"]


class FakeGateway:
    """What a test sees of, and tells, the in-process gateway. Numbers may be written as a person
    types them (``0361234567``) or in E.164."""

    @property
    def calls(self) -> list[LocMemCall]:
        """Every call the gateway took, oldest first."""
        return locmem.calls()

    def calls_to(self, phone: str) -> list[LocMemCall]:
        return locmem.calls(phone)

    def last_code(self, phone: str) -> str:
        """The code the latest call to ``phone`` read out; ``LookupError`` when none was placed."""
        placed = locmem.calls(phone)
        if not placed:
            raise LookupError(f"no call was placed to {phone}")
        return placed[-1].code

    def refuse(self, phone: str, kind: Kind | str = Kind.BAD_NUMBER) -> None:
        """Calls to ``phone`` are refused with ``kind``: ``"bad_number"`` (400 ``invalid_phone``),
        ``"recipient_refused"``, ``"money"`` or ``"account"`` (502), ``"repeat"``, ``"gateway_fault"``."""
        locmem.refuse(phone, kind)

    def answer(self, phone: str) -> None:
        """Calls to ``phone`` are answered at the first check (what every number does by default)."""
        locmem.behave(phone, "answer")

    def ring_forever(self, phone: str) -> None:
        """Calls to ``phone`` ring and ring: every check says it is still ringing."""
        locmem.behave(phone, "ring")

    def leave_unanswered(self, phone: str) -> None:
        """Calls to ``phone`` ring out: busy or no answer."""
        locmem.behave(phone, "unanswered")

    def fail(self, phone: str, how: str = "unavailable") -> None:
        """The gateway fails for ``phone``: ``"unavailable"`` (never reached), ``"timeout"`` (silent
        after the request went out: the call may ring) or ``"garbage"`` (an unreadable answer)."""
        if how not in ("unavailable", "timeout", "garbage"):
            raise ValueError("how is 'unavailable', 'timeout' or 'garbage'")
        locmem.behave(phone, how)

    def set_balance(self, balance: int | Decimal) -> None:
        locmem.set_balance(balance)

    def reset(self) -> None:
        """No calls, no behaviour: every number answers again."""
        locmem.reset()


CACHE_ALIAS = "voiceotp-test-kit"


def site_settings_with_locmem() -> dict[str, Any]:
    """The site's ``VOICEOTP`` with the in-process gateway in place of the operator's, and a cache of
    the test's own."""
    voiceotp = {k: v for k, v in getattr(settings, "VOICEOTP", {}).items() if k not in LEGACY_GATEWAY_KEYS}
    return {**voiceotp, "GATEWAY": dict(LOCMEM_GATEWAY), "CACHE": CACHE_ALIAS}


@contextmanager
def in_process_gateway() -> Iterator[FakeGateway]:
    """The site on the in-process gateway for the block, starting with no calls and with the rate
    limits and cooldowns at zero: they count in a local memory cache of the block's own, so no test
    inherits another's (the site's own caches are left alone)."""
    locmem.reset()
    caches = {
        **getattr(settings, "CACHES", {}),
        CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        },
    }
    with override_settings(
        VOICEOTP=site_settings_with_locmem(), CACHES=caches, RATELIMIT_USE_CACHE=CACHE_ALIAS
    ):
        yield FakeGateway()
    locmem.reset()


class VoiceOtpTestMixin:
    """For ``django.test.TestCase`` (or ``SimpleTestCase``) subclasses: each test runs on the in-process
    gateway, with ``self.voiceotp_gateway`` to read codes and set behaviours."""

    voiceotp_gateway: FakeGateway

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        context = in_process_gateway()
        self.voiceotp_gateway = context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)  # type: ignore[attr-defined]
