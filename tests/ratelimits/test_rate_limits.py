"""RATE_LIMITS, the resend cooldown's cache and the client IP: on whichever cache the run uses
(the local memory cache by default, Redis in the services run)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_voiceotp.exceptions import RateLimited
from django_voiceotp.models import OtpChallenge

from ..helpers import NO_LIMITS, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


def limits(**rates):
    return voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS={**NO_LIMITS, **rates})


def assert_limited(response):
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert body["retry_after"] == int(response["Retry-After"])


def test_request_per_phone_counts_the_number_not_the_body(simulator, api):
    with limits(request_per_phone="2/h"):
        assert start(api).status_code == 201
        assert start(api, phone="+84 36 123 4567").status_code == 201  # same number, other spelling
        assert_limited(start(api))
        # JSON bodies: another number has its own bucket.
        assert start(api, phone="0361234568").status_code == 201
    assert simulator.count("postSMS") == 3


def test_request_per_ip(simulator, api):
    with limits(request_per_ip="2/h"):
        assert start(api, phone="0361234561").status_code == 201
        assert start(api, phone="0361234562").status_code == 201
        assert_limited(start(api, phone="0361234563"))
        assert start(api, phone="0361234564", REMOTE_ADDR="10.1.2.3").status_code == 201


def test_ipv6_clients_are_counted_per_64(simulator, api):
    with limits(request_per_ip="1/h"):
        assert start(api, phone="0361234561", REMOTE_ADDR="2001:db8:1:2::1").status_code == 201
        assert_limited(start(api, phone="0361234562", REMOTE_ADDR="2001:db8:1:2::ffff"))
        assert start(api, phone="0361234563", REMOTE_ADDR="2001:db8:1:3::1").status_code == 201


def test_verify_per_ip(simulator, api):
    with limits(verify_per_ip="2/h"):
        challenge_id = start(api).json()["id"]
        bad = wrong(simulator.calls[0].code)
        assert verify(api, challenge_id, bad).status_code == 400
        assert verify(api, challenge_id, bad).status_code == 400
        assert_limited(verify(api, challenge_id, simulator.calls[0].code))
    assert OtpChallenge.objects.get().attempts == 2


def test_resend_per_ip(simulator, api):
    with limits(resend_per_ip="1/h"):
        challenge_id = start(api).json()["id"]
        assert resend(api, challenge_id).status_code == 200
        assert_limited(resend(api, challenge_id))
    assert simulator.count("postSMS") == 2


def test_verify_failures_per_phone_spans_challenges_and_slows_once_spent(simulator, api):
    with limits(verify_failures_per_phone="3/d"):
        first = start(api, purpose="login").json()["id"]
        bad = wrong(simulator.calls[0].code)
        assert verify(api, first, bad).status_code == 400
        assert verify(api, first, bad).status_code == 400
        # A new challenge does not reset the budget...
        second = start(api, purpose="login").json()["id"]
        assert verify(api, second, wrong(simulator.calls[1].code)).status_code == 400
        # ...and once it is spent, a code is checked once per call: not on a challenge called before.
        unjudged = verify(api, second, simulator.calls[1].code)
        assert unjudged.json()["code"] == "expired"
        assert api.get(f"/api/otp/challenges/{second}/").json()["attempts_left"] == 4
        # A new call leaves its challenge one attempt...
        third = start(api, purpose="signup").json()
        assert third["attempts_left"] == 1
        # ...the next waits (a minute, doubling with each wrong code past the budget, never over ten)...
        waited = start(api, purpose="other")
        assert_limited(waited)
        assert 60 <= int(waited["Retry-After"]) <= 600
        # ...and the right code of the new call passes.
        assert verify(api, third["id"], simulator.calls[2].code).status_code == 200
        # Another number is unaffected.
        assert start(api, phone="0361234568").status_code == 201
    assert simulator.count("postSMS") == 4


def test_none_switches_a_limit_off(simulator, api):
    with limits(request_per_phone=None):
        for _ in range(8):
            assert start(api).status_code == 201


def test_the_default_request_per_phone_is_three_in_ten_minutes(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        for _ in range(3):
            assert start(api).status_code == 201
        refused = start(api)
        assert_limited(refused)
        assert int(refused["Retry-After"]) <= 600


def test_a_proxy_header_is_ignored_unless_trusted(simulator, api):
    with limits(request_per_ip="1/h"):
        assert start(api, phone="0361234561", HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 201
        assert_limited(start(api, phone="0361234562", HTTP_X_FORWARDED_FOR="2.2.2.2"))


def test_a_trusted_proxy_header_gives_the_client_ip(simulator, api):
    with limits(request_per_ip="1/h"), voiceotp(TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR"):
        # The last address is the one our proxy appended; earlier ones are the client's own words.
        assert start(api, phone="0361234561", HTTP_X_FORWARDED_FOR="9.9.9.9, 1.1.1.1").status_code == 201
        assert_limited(start(api, phone="0361234562", HTTP_X_FORWARDED_FOR="8.8.8.8, 1.1.1.1"))
        assert start(api, phone="0361234563", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2").status_code == 201
    assert OtpChallenge.objects.filter(client_ip="2.2.2.2").exists()


DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "down": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
}


def test_when_the_cache_is_down_requests_are_refused_and_nothing_is_called(simulator, api):
    pytest.importorskip("redis")
    with override_settings(CACHES=DEAD_REDIS, RATELIMIT_USE_CACHE="down"), voiceotp(CACHE="down"):
        assert_limited(start(api))
        challenge_id = "00000000-0000-0000-0000-000000000000"
        assert_limited(verify(api, challenge_id, "123456"))
    assert simulator.count("postSMS") == 0


def test_when_only_the_cooldown_cache_is_down_requests_are_refused(simulator, api):
    pytest.importorskip("redis")
    with override_settings(CACHES=DEAD_REDIS), voiceotp(CACHE="down"):
        assert_limited(start(api))
    assert simulator.count("postSMS") == 0
    assert not OtpChallenge.objects.exists()


def test_the_cooldown_uses_the_configured_cache(simulator, api):
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"},
        "otp": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "b"},
    }
    from django.core.cache import caches as all_caches

    with override_settings(CACHES=caches), voiceotp(CACHE="otp"):
        for alias in caches:  # a local-memory cache outlives the test: an earlier run's cooldown
            all_caches[alias].clear()
        assert start(api).status_code == 201
        assert any("cooldown" in str(k) for k in all_caches["otp"]._cache)  # type: ignore[attr-defined]
        assert_limited(start(api))


def test_a_verify_gives_the_cooldown_back(simulator, api):
    """The holder proved the number: their next step may call it at once (a login right after
    setting up a second factor), where a stranger's second request must wait."""
    first = start(api).json()
    assert start(api, purpose="signup").status_code == 429  # the cooldown holds for everyone else
    assert verify(api, first["id"], simulator.calls[0].code).status_code == 200
    assert start(api, purpose="signup").status_code == 201


def test_an_admission_gives_the_cooldown_back_on_any_way_out_unless_kept(db):
    """Undo in one place: the block that claimed the cooldown gives it back when it is left by an
    error or a refusal, and keeps it only when told the call may have reached the gateway."""
    from django_voiceotp import ratelimits

    class Refused(Exception):
        pass

    with pytest.raises(Refused), ratelimits.cooldown("+84361234567", 60):
        raise Refused
    with ratelimits.cooldown("+84361234567", 60):
        pass  # left without keep(): nothing may ring
    with ratelimits.cooldown("+84361234567", 60) as admission:
        admission.keep()
    with pytest.raises(RateLimited) as held, ratelimits.cooldown("+84361234567", 60):
        pass
    assert 1 <= held.value.retry_after <= 60


def test_switching_django_ratelimit_off_leaves_the_apps_limits_on(simulator, api, settings):
    """RATELIMIT_ENABLE is django-ratelimit's switch, which sites turn off for their own views."""
    settings.RATELIMIT_ENABLE = False
    with limits(request_per_phone="1/10m"):
        assert start(api).status_code == 201
        assert_limited(start(api, purpose="signup"))
