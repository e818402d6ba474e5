"""Every conditional write re-checks what it decided on: a late write never undoes a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from django_voiceotp import services, store
from django_voiceotp.models import ChallengeStatus

from ..helpers import NO_LIMITS, PHONE, voiceotp

pytestmark = pytest.mark.django_db


def test_a_late_expired_write_spares_the_code_a_resend_armed_meanwhile(simulator, monkeypatch):
    """A guess read the challenge past its time; before it marks it expired, a resend arms a new code.
    The expiry re-checks the time, so the new code lives."""
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        challenge = services.start_verification(PHONE, client_ip=None)
        challenge.__class__.objects.filter(pk=challenge.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        expire = store.expire

        def a_resend_first(read, now):
            services.resend_call(read.pk, client_ip=None)  # the new code lives CODE_TTL from now
            expire(read, now)

        monkeypatch.setattr(store, "expire", a_resend_first)
        with pytest.raises(services.Expired):
            services.check_code(challenge.pk, "000000", client_ip=None)
        challenge.refresh_from_db()
        assert challenge.status == ChallengeStatus.PENDING
        assert challenge.expires_at > timezone.now()
        monkeypatch.setattr(store, "expire", expire)
        assert services.check_code(challenge.pk, simulator.calls[-1].code, client_ip=None)
