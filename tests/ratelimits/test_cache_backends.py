"""django-redis's cache gets the limits Django's own Redis cache gets: every limit and the cooldown of
a request in one script round trip, on the same keys (the Redis run)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from django_voiceotp.ratelimits.redis import counters_for

from ..helpers import NO_LIMITS, start, voiceotp

pytest.importorskip("django_redis")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not getattr(settings, "REDIS", ""), reason="needs Redis (VOICEOTP_TEST_REDIS=1)"),
]


@pytest.fixture
def on_django_redis():
    location = settings.REDIS
    prefix = f"test-django-redis-{uuid.uuid4().hex}"  # this test's keys only
    config = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": prefix}
    }
    with override_settings(CACHES=config):
        yield caches["default"]
        cache: Any = caches["default"]  # django-redis's, which has delete_pattern
        cache.delete_pattern(f"*{prefix}*")


def test_a_request_counts_its_limits_and_claims_its_cooldown_in_one_script(simulator, api, on_django_redis):
    assert counters_for(on_django_redis) is not None
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, "request_per_phone": "2/h"}):
        assert start(api, phone="0361234561").status_code == 201
        assert start(api, phone="0361234561", purpose="signup").status_code == 201
        refused = start(api, phone="0361234561", purpose="other")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    with voiceotp(RESEND_COOLDOWN=60, RATE_LIMITS=NO_LIMITS):
        assert start(api, phone="0361234562").status_code == 201
        held = start(api, phone="0361234562", purpose="signup")
    assert held.status_code == 429
    assert int(held["Retry-After"]) > 50  # the number's cooldown, held in django-redis's Redis
