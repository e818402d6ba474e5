"""Settings are read in one place, validated, re-read under override_settings, and checked."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_voiceotp import checks, conf
from django_voiceotp.gateways import get_gateway, repeat_window
from django_voiceotp.gateways.locmem import LocMemGateway
from django_voiceotp.gateways.onsms import OnSmsGateway


def voiceotp(**changes):
    return override_settings(VOICEOTP={**settings.VOICEOTP, **changes})


def check_ids(*, cache_warning: bool = False):
    """The ids the app's checks report; the cache warning only where a test is about it (the suite
    itself runs on the local memory cache with DEBUG off)."""
    ids = sorted(str(message.id) for message in checks.check_settings())
    return ids if cache_warning else [i for i in ids if i != "voiceotp.W002"]


def test_defaults_fill_what_the_site_leaves_out():
    values = conf.get_settings()
    assert values.CODE_LENGTH == 6
    assert values.CODE_TTL == 300
    assert values.MAX_ATTEMPTS == 5
    assert values.MAX_SENDS == 3
    assert values.RESEND_COOLDOWN == 60
    assert values.REPEAT_WINDOW is None  # the gateway's own window
    assert repeat_window() == 900
    assert get_gateway().client.sender == "DAUSO1"  # type: ignore[attr-defined]
    assert values.DEFAULT_REGION == "VN"
    assert values.ALLOWED_REGIONS == ("VN",)
    assert values.DAILY_CALL_LIMIT is None
    assert values.PREFIX_GUARD is None
    assert values.CACHE == "default"
    assert values.rate("request_per_phone") == "3/10m"  # a stranger keeps no holder waiting longer
    assert values.rate("calls_per_phone") == "10/d"
    assert values.rate("verify_failures_per_phone") == "20/d"


def test_override_settings_is_seen_at_once():
    assert conf.get_settings().CODE_TTL == 300
    with voiceotp(CODE_TTL=120):
        assert conf.get_settings().CODE_TTL == 120
    assert conf.get_settings().CODE_TTL == 300


def test_rate_limits_merge_and_none_switches_one_off():
    with voiceotp(RATE_LIMITS={"request_per_phone": "50/h", "verify_per_ip": None}):
        values = conf.get_settings()
    assert values.rate("request_per_phone") == "50/h"
    assert values.rate("verify_per_ip") is None
    assert values.rate("request_per_ip") == "20/h"


def test_timeout_takes_a_pair_or_one_number():
    with voiceotp(TIMEOUT=[1, 5]):
        assert conf.get_settings().TIMEOUT == (1.0, 5.0)
    with voiceotp(TIMEOUT=4):
        assert conf.get_settings().TIMEOUT == (4.0, 4.0)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CODE_TTL", "300"),
        ("CODE_TTL", True),
        ("MAX_ATTEMPTS", 0),
        ("TIMEOUT", [1, 2, 3]),
        ("TIMEOUT", [0, 2]),
        ("RATE_LIMITS", {"request_per_phone": "lots"}),
        ("RATE_LIMITS", {"no_such_limit": "5/h"}),
        ("ALLOWED_REGIONS", "VN"),
        ("PREFIX_GUARD", {"min_calls": 0}),
        ("PREFIX_GUARD", {"max_unverified_ratio": 2}),
    ],
)
def test_a_bad_value_names_its_key(key, value):
    with voiceotp(**{key: value}):
        with pytest.raises(ImproperlyConfigured, match=key):
            conf.get_settings()
        assert check_ids() == ["voiceotp.E003"]


def test_an_unknown_key_is_reported():
    with voiceotp(CODE_TTLL=100):
        assert check_ids() == ["voiceotp.E003"]


def test_prefix_guard_defaults_fill_the_missing_keys():
    with voiceotp(PREFIX_GUARD={"min_calls": 10}):
        guard = conf.get_settings().PREFIX_GUARD
    assert guard is not None
    assert guard.min_calls == 10
    assert guard.prefix_digits == 6
    assert guard.block_for == 43200


def test_settings_repr_hides_credentials():
    text = repr(conf.get_settings())
    assert settings.VOICEOTP["PASSWORD"] not in text
    assert settings.VOICEOTP["KEY"] not in text


def test_the_test_settings_pass_every_check():
    assert check_ids() == []


@pytest.mark.parametrize("missing", ["USERNAME", "PASSWORD", "KEY"])
def test_missing_credentials_are_an_error(missing):
    with voiceotp(**{missing: None}):
        messages = [m for m in checks.check_settings() if m.id == "voiceotp.E001"]
        assert check_ids() == ["voiceotp.E001"]
    assert missing in messages[0].msg


# -- the gateway seam ------------------------------------------------------------------------------

ONSMS = "django_voiceotp.gateways.onsms.OnSmsGateway"
LOCMEM_GATEWAY = "django_voiceotp.gateways.locmem.LocMemGateway"
NO_LEGACY = {"BASE_URL": None, "USERNAME": None, "PASSWORD": None, "KEY": None}


def test_the_gateway_is_chosen_by_a_dotted_path_with_its_options():
    options = {"BASE_URL": "http://127.0.0.1:1/onsmsapivoice", "USERNAME": "u", "PASSWORD": "p", "KEY": "k"}
    with voiceotp(**NO_LEGACY, GATEWAY={"BACKEND": ONSMS, "OPTIONS": options}):
        gateway = get_gateway()
        assert check_ids() == []
    assert isinstance(gateway, OnSmsGateway)
    assert gateway.base_url == "http://127.0.0.1:1/onsmsapivoice"
    assert "'p'" not in repr(conf.get_settings().GATEWAY)


def test_the_first_spelling_of_the_operators_options_keeps_working():
    """BASE_URL, USERNAME, PASSWORD, KEY and SENDER at the top of VOICEOTP: the default backend's options."""
    with voiceotp(BASE_URL="http://127.0.0.1:2/onsmsapivoice", SENDER="BRAND"):
        gateway = get_gateway()
        assert check_ids() == []
    assert isinstance(gateway, OnSmsGateway)
    assert gateway.base_url == "http://127.0.0.1:2/onsmsapivoice"
    assert gateway.client.sender == "BRAND"


def test_an_option_set_in_both_places_is_an_error_naming_where_it_lives_now():
    with (
        voiceotp(GATEWAY={"BACKEND": ONSMS, "OPTIONS": {"KEY": "k2"}}),
        pytest.raises(ImproperlyConfigured, match=r"KEY.*GATEWAY\['OPTIONS'\] only"),
    ):
        conf.get_settings()


def test_the_operators_options_do_not_go_to_another_backend():
    with voiceotp(GATEWAY={"BACKEND": LOCMEM_GATEWAY}):
        assert set(check_ids()) == {"voiceotp.E003"}
    with voiceotp(**NO_LEGACY, GATEWAY={"BACKEND": LOCMEM_GATEWAY}):
        assert check_ids() == []
        assert isinstance(get_gateway(), LocMemGateway)
        assert repeat_window() == 0


@pytest.mark.parametrize(
    ("gateway", "check_id"),
    [
        ({"BACKEND": "no.such.Backend"}, "voiceotp.E003"),
        ({"BACKEND": "django.contrib.auth.models.User"}, "voiceotp.E003"),
        ({"BACKEND": ONSMS, "OPTIONS": {"BASE_URL": "ftp://gateway"}}, "voiceotp.E001"),
        ({"BACKEND": ONSMS, "OPTIONS": {"PASWORD": "typo"}}, "voiceotp.E001"),
        ({"BACKEND": ONSMS, "OPTIONS": "not a dict"}, "voiceotp.E003"),
        ({"BACKEND": ONSMS, "NAME": "x"}, "voiceotp.E003"),
    ],
)
def test_a_backend_that_cannot_work_is_reported(gateway, check_id):
    with voiceotp(**NO_LEGACY, GATEWAY={"OPTIONS": {"USERNAME": "u", "PASSWORD": "p", "KEY": "k"}} | gateway):
        assert check_id in check_ids()


def test_the_sites_repeat_window_wins_over_the_gateways():
    with voiceotp(REPEAT_WINDOW=60):
        assert repeat_window() == 60


@pytest.mark.parametrize("length", [3, 7, 0])
def test_code_length_outside_4_to_6_is_an_error(length):
    with voiceotp(CODE_LENGTH=length):
        assert check_ids() == ["voiceotp.E002"]


@pytest.mark.parametrize(("length", "warnings"), [(4, ["voiceotp.W007"]), (5, ["voiceotp.W007"]), (6, [])])
def test_code_length_4_to_6_passes_under_six_with_a_warning(length, warnings):
    """Four and five digits are allowed, but a stranger's day of guesses passes them too often."""
    with voiceotp(CODE_LENGTH=length):
        assert check_ids() == warnings


def test_a_code_living_over_ten_minutes_is_a_warning():
    with voiceotp(CODE_TTL=601):
        assert check_ids() == ["voiceotp.W001"]
    with voiceotp(CODE_TTL=600):
        assert check_ids() == []


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}


def test_a_per_process_cache_in_production_is_a_warning():
    with override_settings(CACHES=LOCMEM, DEBUG=False):
        assert check_ids(cache_warning=True) == ["voiceotp.W002"]
    with override_settings(CACHES=LOCMEM, DEBUG=True):
        assert check_ids(cache_warning=True) == []
    with override_settings(CACHES=REDIS, DEBUG=False):
        assert check_ids(cache_warning=True) == []


def test_a_cache_alias_that_does_not_exist_is_an_error():
    with voiceotp(CACHE="ratelimits"):
        assert check_ids() == ["voiceotp.E004"]


def test_checks_run_through_djangos_framework():
    from django.core.checks import run_checks

    with voiceotp(KEY=None):
        ids = [m.id for m in run_checks()]
    assert "voiceotp.E001" in ids


# -- the caches the limits live in ----------------------------------------------------------------


def cache_ids(caches: dict[str, dict[str, str]], **extra) -> list[tuple[str, str]]:
    with override_settings(CACHES=caches, **extra):
        return [(str(m.id), m.msg) for m in checks.check_caches_answer()]


LOCAL = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def test_a_cache_that_answers_passes():
    assert cache_ids({"default": LOCAL}) == []


def test_a_cache_whose_client_library_is_missing_is_an_error_naming_alias_and_cause():
    """pymemcache is not installed here: the cache builds, and fails at its first use."""
    missing = {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": "127.0.0.1:11211",
    }
    [(check_id, message)] = cache_ids({"default": missing})
    assert check_id == "voiceotp.E005"
    assert "'default'" in message
    assert "pymemcache" in message


def test_a_cache_backend_that_does_not_exist_is_an_error():
    [(check_id, message)] = cache_ids({"default": {"BACKEND": "no.such.CacheBackend"}})
    assert check_id == "voiceotp.E005"
    assert "no.such" in message


def test_an_unreachable_cache_is_reported_with_its_alias_and_cause():
    pytest.importorskip("redis")
    down = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    found = cache_ids({"default": LOCAL, "limits": down}, RATELIMIT_USE_CACHE="limits")
    assert [check_id for check_id, _ in found] == ["voiceotp.W003"]
    assert "'limits'" in found[0][1]
    assert "ConnectionError" in found[0][1]


def test_the_cooldown_cache_is_checked_too():
    pytest.importorskip("redis")
    down = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with voiceotp(CACHE="otp"):
        found = cache_ids({"default": LOCAL, "otp": down})
    assert [check_id for check_id, _ in found] == ["voiceotp.W003"]
    assert "'otp'" in found[0][1]


def test_a_cache_that_hangs_is_reported_after_a_bounded_wait(monkeypatch):
    import threading
    import time

    from django.core.cache.backends.locmem import LocMemCache

    released = threading.Event()
    monkeypatch.setattr(checks, "CACHE_PROBE_SECONDS", 0.2)
    monkeypatch.setattr(LocMemCache, "get", lambda self, *a, **k: released.wait(5))
    started = time.monotonic()
    try:
        found = cache_ids({"default": LOCAL})
    finally:
        released.set()
    assert time.monotonic() - started < 2
    assert [check_id for check_id, _ in found] == ["voiceotp.W003"]
    assert "no answer within 0.2 s" in found[0][1]


# -- loosening the limits in development ------------------------------------------------------------


def test_relaxed_limits_hold_only_while_debug_is_on():
    with voiceotp(RATE_LIMITS="relaxed"), override_settings(DEBUG=True):
        assert conf.get_settings().rate("request_per_ip") == conf.RELAXED_RATE_LIMITS["request_per_ip"]
        assert check_ids() == []
    with voiceotp(RATE_LIMITS="relaxed"), override_settings(DEBUG=False):
        assert conf.get_settings().RATE_LIMITS == conf.DEFAULT_RATE_LIMITS
        assert check_ids() == ["voiceotp.W005"]


def test_the_defaults_stay_strict():
    assert conf.get_settings().RATE_LIMITS == conf.DEFAULT_RATE_LIMITS
    assert all(int(rate.split("/")[0]) <= 60 for rate in conf.DEFAULT_RATE_LIMITS.values() if rate)


def test_a_per_number_limit_longer_than_ten_minutes_is_warned_about():
    from django_voiceotp.checks import check_settings

    with voiceotp(RATE_LIMITS={"request_per_phone": "5/h"}):
        assert "voiceotp.W008" in [message.id for message in check_settings()]
    with voiceotp(RATE_LIMITS={"request_per_phone": "5/10m"}):
        assert "voiceotp.W008" not in [message.id for message in check_settings()]


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.db.DatabaseCache", "django.core.cache.backends.filebased.FileBasedCache"],
)
def test_a_cache_that_cannot_count_atomically_is_an_error_in_production(settings, backend):
    """Its incr is a read and then a write: parallel guesses would get past the failure budget."""
    from django_voiceotp.checks import check_settings

    settings.CACHES = {**settings.CACHES, "counting": {"BACKEND": backend, "LOCATION": "/tmp/voiceotp-check"}}
    settings.RATELIMIT_USE_CACHE = "counting"
    settings.DEBUG = False
    found = {message.id: message for message in check_settings()}
    assert found["voiceotp.E007"].level == 40  # an error
    settings.DEBUG = True
    assert {message.id for message in check_settings()} >= {"voiceotp.E007"}
