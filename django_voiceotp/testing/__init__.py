"""The test kit: a site's own tests verify numbers with no credentials, no network and no simulator.

It runs the real rules against the in-process gateway (:mod:`django_voiceotp.gateways.locmem`), which
keeps every call with the code it would have read out and behaves, per number, as a test tells it:
the pytest fixture ``voiceotp_gateway`` (a plugin the package registers) or, for ``manage.py test``,
:class:`VoiceOtpTestMixin` (``self.voiceotp_gateway``), each giving a :class:`FakeGateway`.

The limits and cooldowns count in a cache of the kit's own (:data:`CACHE_ALIAS`), which it adds back
to any ``CACHES`` a test sets; a ``VOICEOTP`` a test sets keeps the in-process gateway and that cache
unless it names others. Test settings should name the gateway too (:data:`LOCMEM_GATEWAY`), so that
the system checks, which run before any test, do not ask for the operator's credentials::

    VOICEOTP = {"GATEWAY": {"BACKEND": "django_voiceotp.gateways.locmem.LocMemGateway"}}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.test import override_settings
from django.test.signals import clear_cache_handlers
from django.utils import timezone

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

    def expire_code(self, phone: str) -> None:
        """The live code of every verification of ``phone`` expires now, as if ``CODE_TTL`` had
        passed: typing it is ``Expired``, and a resend may call again (``MAX_SENDS`` allowing)."""
        from ..models import ChallengeStatus, OtpChallenge

        OtpChallenge.objects.filter(phone=locmem.e164(phone), status=ChallengeStatus.PENDING).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

    def skip_cooldown(self, phone: str) -> None:
        """``phone`` may be called again at once, as if ``RESEND_COOLDOWN`` had passed since its
        latest call (the rules' cooldown, and the time each of its verifications shows for a resend)."""
        from ..models import OtpChallenge
        from ..services.budgets import lift_waits

        number = locmem.e164(phone)
        owners = set(OtpChallenge.objects.filter(phone=number).values_list("owner", flat=True))
        lift_waits(number, owners)
        OtpChallenge.objects.filter(phone=number, resend_available_at__gt=timezone.now()).update(
            resend_available_at=timezone.now()
        )

    def reset(self) -> None:
        """No calls, no behaviour: every number answers again."""
        locmem.reset()


CACHE_ALIAS = "voiceotp-test-kit"

_GATEWAY_KEYS = ("GATEWAY", "GATEWAYS", *LEGACY_GATEWAY_KEYS)

_running: list[dict[str, str]] = []
"""The kit's cache of each block running, innermost last."""


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
    own = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    caches = {**getattr(settings, "CACHES", {}), CACHE_ALIAS: own}
    override = override_settings(
        VOICEOTP=site_settings_with_locmem(), CACHES=caches, RATELIMIT_USE_CACHE=CACHE_ALIAS
    )
    override.enable()
    _running.append(own)
    try:
        yield FakeGateway()
    finally:
        _running.remove(own)  # first: the settings the block restores are the site's, left as they are
        override.disable()
        locmem.reset()


def _keep_the_kit(*, setting: str, **kwargs: Any) -> None:
    """A test inside the kit replaced ``CACHES`` or ``VOICEOTP``: put back what the kit needs.

    The value goes on the override the test just made (``settings`` writes to the innermost one), so
    it is gone with it; the test's own dict is not touched.
    """
    if not _running:
        return
    if setting == "CACHES":
        current = getattr(settings, "CACHES", None) or {}
        if CACHE_ALIAS not in current:
            settings.CACHES = {**current, CACHE_ALIAS: _running[-1]}
            clear_cache_handlers(setting="CACHES")  # Django's own reset, now with the kit's cache
    elif setting == "VOICEOTP":
        current = dict(getattr(settings, "VOICEOTP", None) or {})
        missing: dict[str, Any] = {}
        if not any(key in current for key in _GATEWAY_KEYS):
            missing["GATEWAY"] = dict(LOCMEM_GATEWAY)
        if "CACHE" not in current:
            missing["CACHE"] = CACHE_ALIAS
        if missing:
            settings.VOICEOTP = {**current, **missing}


setting_changed.connect(_keep_the_kit, dispatch_uid="django_voiceotp.testing.keep_the_kit")


class VoiceOtpTestMixin:
    """For ``django.test.TestCase`` (or ``SimpleTestCase``) subclasses: each test runs on the in-process
    gateway, with ``self.voiceotp_gateway`` to read codes and set behaviours."""

    voiceotp_gateway: FakeGateway

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        context = in_process_gateway()
        self.voiceotp_gateway = context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)  # type: ignore[attr-defined]
