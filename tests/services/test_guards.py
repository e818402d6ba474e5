"""Toll-fraud guards: the daily spend cap, the per-prefix block, and what they do when the cache is down."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from django_voiceotp import guards
from django_voiceotp.conf import PrefixGuard
from django_voiceotp.models import ChallengeStatus, OtpChallenge, PrefixBlock, VoiceCall
from django_voiceotp.phones import Phone
from django_voiceotp.signals import call_blocked, prefix_blocked

from ..helpers import NO_LIMITS, cache_on_the_test_s_clock, resend, start, verify, voiceotp

pytestmark = pytest.mark.django_db

GUARD = {"min_calls": 3, "max_unverified_ratio": 0.5, "window": 3600, "block_for": 600, "prefix_digits": 6}


def numbers(prefix: str = "036123", count: int = 10) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


@pytest.fixture
def blocked_signals():
    received: list[dict[str, object]] = []
    call_blocked.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="test")
    yield received
    call_blocked.disconnect(dispatch_uid="test")


def open_limits(**changes):
    return voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS, **changes)


# --- DAILY_CALL_LIMIT ----------------------------------------------------------------------------


def test_the_daily_call_limit_refuses_past_it_and_nothing_reaches_the_gateway(
    simulator, api, blocked_signals
):
    with open_limits(DAILY_CALL_LIMIT=3):
        for phone in numbers(count=3):
            assert start(api, phone=phone).status_code == 201
        response = start(api, phone="0371234567")
        challenge_id = OtpChallenge.objects.filter(phone="+84361230000").get().pk
        refused_resend = resend(api, str(challenge_id))
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 86000 < int(response["Retry-After"]) <= 86401
    assert refused_resend.status_code == 429
    assert simulator.count("postSMS") == 3
    assert guards.calls_in_last_day() == 3
    assert blocked_signals[0]["guard"] == "daily_call_limit"


def test_the_daily_call_limit_is_a_rolling_24_hours(simulator, api):
    with open_limits(DAILY_CALL_LIMIT=2):
        start(api, phone="0361230001")
        start(api, phone="0361230002")
        assert start(api, phone="0361230003").status_code == 429
        VoiceCall.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
        assert start(api, phone="0361230003").status_code == 201


def test_calls_the_gateway_refused_do_not_count(simulator, api):
    with open_limits(DAILY_CALL_LIMIT=1):
        assert start(api, phone="0361239907").status_code == 400  # refused: code 7, not charged
        assert start(api, phone="0361230001").status_code == 201
        assert start(api, phone="0361230002").status_code == 429


def test_a_capped_request_leaves_the_live_challenge_alone(simulator, api):
    with open_limits(DAILY_CALL_LIMIT=1):
        live = start(api, phone="0361230001").json()["id"]
        assert start(api, phone="0361230001").status_code == 429
    assert OtpChallenge.objects.get(pk=live).status == ChallengeStatus.PENDING
    assert OtpChallenge.objects.count() == 1
    assert verify(api, live, simulator.calls[0].code).status_code == 200


def test_no_limit_by_default(simulator, api):
    with open_limits():
        for phone in numbers(count=6):
            assert start(api, phone=phone).status_code == 201


# --- PREFIX_GUARD --------------------------------------------------------------------------------


def test_a_prefix_pumped_with_unverified_calls_is_blocked_and_others_are_not(simulator, api, blocked_signals):
    with open_limits(PREFIX_GUARD=GUARD):
        for phone in numbers(count=3):
            assert start(api, phone=phone).status_code == 201
        response = start(api, phone="0361239999")
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert 590 <= int(response["Retry-After"]) <= 601
        assert start(api, phone="0371234567").status_code == 201
        # Blocked means blocked, for every number of the prefix, until it ends.
        assert start(api, phone="0361230000").status_code == 429
    block = PrefixBlock.objects.get()
    assert block.prefix == "036123"
    assert block.calls == 3
    assert block.unverified == 3
    assert simulator.count("postSMS") == 4
    assert blocked_signals[0] == {
        "signal": call_blocked,
        "sender": VoiceCall,
        "guard": "prefix_guard",
        "prefix": "036123",
    }


def test_verified_calls_keep_a_prefix_open(simulator, api):
    with open_limits(PREFIX_GUARD=GUARD):
        for i, phone in enumerate(numbers(count=3)):
            challenge_id = start(api, phone=phone).json()["id"]
            if i < 2:
                assert verify(api, challenge_id, simulator.calls[-1].code).status_code == 200
        assert start(api, phone="0361239999").status_code == 201
    assert not PrefixBlock.objects.exists()


def test_a_lifted_block_lets_calls_through(simulator, api):
    with open_limits(PREFIX_GUARD=GUARD):
        for phone in numbers(count=3):
            start(api, phone=phone)
        assert start(api, phone="0361239999").status_code == 429
        PrefixBlock.objects.update(lifted_at=timezone.now())
        VoiceCall.objects.update(created_at=timezone.now() - timedelta(hours=2))  # out of the window
        assert start(api, phone="0361239999").status_code == 201


def test_a_block_ends_by_itself(simulator, api):
    with open_limits(PREFIX_GUARD={**GUARD, "window": 60}):
        for phone in numbers(count=3):
            start(api, phone=phone)
        assert start(api, phone="0361239999").status_code == 429
        PrefixBlock.objects.update(blocked_until=timezone.now() - timedelta(seconds=1))
        VoiceCall.objects.update(created_at=timezone.now() - timedelta(seconds=120))
        assert start(api, phone="0361239999").status_code == 201


def test_the_prefix_guard_also_holds_resends(simulator, api):
    with open_limits(PREFIX_GUARD=GUARD):
        first = start(api, phone="0361230001").json()["id"]
        start(api, phone="0361230002")
        start(api, phone="0361230003")
        assert start(api, phone="0361230004").status_code == 429
        assert resend(api, first).status_code == 429
    assert simulator.count("postSMS") == 3


def test_allowed_regions_hold_before_any_guard_or_call(simulator, api):
    with open_limits(PREFIX_GUARD=GUARD, DAILY_CALL_LIMIT=5):
        assert start(api, phone="+14155552671").json()["code"] == "invalid_phone"
    assert simulator.count("postSMS") == 0


# --- the cache down --------------------------------------------------------------------------------

DEAD_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "down": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
}


def test_spend_guards_live_in_the_database_and_hold_when_the_cache_is_down(simulator, api):
    pytest.importorskip("redis")
    with (
        override_settings(CACHES=DEAD_CACHE, RATELIMIT_USE_CACHE="down"),
        open_limits(CACHE="down", DAILY_CALL_LIMIT=2, PREFIX_GUARD=GUARD),
    ):
        # Rate limits and the cooldown are switched off here, so nothing needs the cache...
        assert start(api, phone="0361230001").status_code == 201
        assert start(api, phone="0361230002").status_code == 201
        # ...and the spend cap still counts, from the database.
        assert start(api, phone="0371230003").status_code == 429
    assert simulator.count("postSMS") == 2


def test_with_the_cache_down_and_limits_on_everything_fails_closed(simulator, api):
    pytest.importorskip("redis")
    with override_settings(CACHES=DEAD_CACHE, RATELIMIT_USE_CACHE="down"), voiceotp(CACHE="down"):
        assert start(api, phone="0361230001").status_code == 429
    assert simulator.count("postSMS") == 0


# --- the admin -----------------------------------------------------------------------------------


def test_the_gateway_page_shows_todays_calls_against_the_limit(simulator, api, admin_client):
    with open_limits(DAILY_CALL_LIMIT=10):
        start(api, phone="0361230001")
        start(api, phone="0361230002")
        page = admin_client.get("/admin/django_voiceotp/otpchallenge/gateway/").content.decode()
    assert "2 of 10 (8 left)" in page


def test_operators_see_blocked_prefixes_and_lift_them(simulator, api, admin_client, admin_user):
    with open_limits(PREFIX_GUARD=GUARD):
        for phone in numbers(count=3):
            start(api, phone=phone)
        assert start(api, phone="0361239999").status_code == 429
        gateway = admin_client.get("/admin/django_voiceotp/otpchallenge/gateway/").content.decode()
        assert "<code>036123</code>" in gateway
        listing = admin_client.get("/admin/django_voiceotp/prefixblock/?active=yes")
        assert listing.status_code == 200
        assert "036123" in listing.content.decode()
        block = PrefixBlock.objects.get()
        response = admin_client.post(
            "/admin/django_voiceotp/prefixblock/",
            {"action": "lift", "_selected_action": [block.pk]},
            follow=True,
        )
        assert "Lifted 1 block." in response.content.decode()
        block.refresh_from_db()
        assert block.lifted_by == admin_user
        assert not block.active
        VoiceCall.objects.update(created_at=timezone.now() - timedelta(hours=2))
        assert start(api, phone="0361239999").status_code == 201


# --- the prefix guard keeps the holders of the range ---------------------------------------------


def pump(api, prefix: str = "036123", count: int = 3) -> None:
    for phone in numbers(prefix, count):
        start(api, phone=phone)


def test_a_number_that_verified_before_is_called_during_its_prefixs_block(simulator, api):
    holder = "0361238888"
    with open_limits(PREFIX_GUARD=GUARD):
        first = start(api, phone=holder).json()["id"]
        assert verify(api, first, simulator.calls[-1].code).status_code == 200
        pump(api)
        pump(api)
        assert start(api, phone="0361239999").status_code == 429  # the range is blocked...
        assert PrefixBlock.objects.exists()
        assert start(api, phone=holder, purpose="signup").status_code == 201  # ...its holders are not


def test_a_block_starts_short_and_lengthens_while_pumping_resumes(simulator, api):
    import time_machine

    guard = {**GUARD, "first_block_for": 900, "block_for": 3600, "window": 60}
    lengths = []
    with (
        cache_on_the_test_s_clock(),
        open_limits(PREFIX_GUARD=guard),
        time_machine.travel(timezone.now(), tick=True) as clock,
    ):
        for _ in range(4):
            pump(api)
            assert start(api, phone="0361239999").status_code == 429
            block = PrefixBlock.objects.latest("blocked_at")
            lengths.append(round((block.blocked_until - block.blocked_at).total_seconds()))
            # The block runs out and the window empties; the pumping resumes at once.
            clock.shift(block.blocked_until - timezone.now() + timedelta(seconds=61))
    assert lengths == [900, 1800, 3600, 3600]  # doubled each time, never past block_for


def test_a_lifted_block_starts_the_next_one_short_again(simulator, api, admin_user):
    guard = {**GUARD, "first_block_for": 900, "block_for": 3600, "window": 60}
    with open_limits(PREFIX_GUARD=guard):
        pump(api)
        assert start(api, phone="0361239999").status_code == 429
        guards.lift(PrefixBlock.objects.get(), admin_user)
        VoiceCall.objects.update(created_at=timezone.now() - timedelta(seconds=120))
        pump(api)
        assert start(api, phone="0361239999").status_code == 429
    latest = PrefixBlock.objects.latest("blocked_at")
    assert round((latest.blocked_until - latest.blocked_at).total_seconds()) == 900


def test_each_block_is_logged_and_signalled_once(simulator, api, caplog):
    from django_voiceotp.signals import prefix_blocked

    started = []
    prefix_blocked.connect(lambda **kw: started.append(kw["block"].prefix), weak=False, dispatch_uid="t")
    try:
        with open_limits(PREFIX_GUARD=GUARD), caplog.at_level("WARNING", logger="django_voiceotp.guards"):
            pump(api)
            for _ in range(3):
                assert start(api, phone="0361239999").status_code == 429
    finally:
        prefix_blocked.disconnect(dispatch_uid="t")
    assert started == ["036123"]
    assert [r.message for r in caplog.records if "blocked for" in r.message] == [
        "prefix 036123 blocked for 600 s: 3 calls, 3 never verified"
    ]


def test_the_gateway_page_lifts_a_block_with_a_button(
    simulator, api, admin_client, client, django_user_model
):
    with open_limits(PREFIX_GUARD=GUARD):
        pump(api)
        assert start(api, phone="0361239999").status_code == 429
    block = PrefixBlock.objects.get()
    page = admin_client.get("/admin/django_voiceotp/otpchallenge/gateway/").content.decode()
    lift_url = f"/admin/django_voiceotp/otpchallenge/gateway/blocks/{block.pk}/lift/"
    assert f'action="{lift_url}"' in page
    assert admin_client.get(lift_url).status_code == 405
    # Staff who may see the gateway but not change blocks see no button and cannot lift one.
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_gateway"))
    client.force_login(viewer)
    assert lift_url not in client.get("/admin/django_voiceotp/otpchallenge/gateway/").content.decode()
    assert client.post(lift_url).status_code == 403
    assert admin_client.post(lift_url, follow=True).status_code == 200
    block.refresh_from_db()
    assert block.lifted_at is not None


def test_a_blocked_range_answers_a_stranger_alike_for_every_number(simulator, api):
    """Whether a number of the range verified before is no one's business but its holder's."""
    from rest_framework.test import APIClient

    holder = "0361238888"
    with open_limits(PREFIX_GUARD=GUARD):
        first = start(api, phone=holder).json()["id"]
        assert verify(api, first, simulator.calls[-1].code).status_code == 200
        pump(api)
        pump(api)
        stranger = APIClient(REMOTE_ADDR="198.51.100.7")
        verified_before, never = start(stranger, phone=holder), start(stranger, phone="0361239999")
    assert verified_before.status_code == never.status_code == 429
    assert verified_before.json()["detail"] == never.json()["detail"]


# --- What each refusal says, signals and logs (mutation testing found these unheld) ---------------


def guard_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_voiceotp.guards"]


def test_the_spend_cap_refusal_says_why_and_signals_and_logs_it(simulator, api, blocked_signals, caplog):
    caplog.set_level(logging.WARNING, logger="django_voiceotp.guards")
    with open_limits(DAILY_CALL_LIMIT=1):
        assert start(api, phone="0371234567").status_code == 201
        response = start(api)
    assert response.status_code == 429
    assert response.json()["detail"] == "The site has placed all the calls it may for now. Try again later."
    assert blocked_signals == [
        {"signal": call_blocked, "sender": VoiceCall, "guard": "daily_call_limit", "prefix": ""}
    ]
    assert guard_lines(caplog) == ["daily call limit of 1 reached"]


def test_a_prefix_block_says_why_and_how_long_to_the_second(simulator, api, caplog):
    caplog.set_level(logging.WARNING, logger="django_voiceotp.guards")
    blocks: list[dict[str, object]] = []
    prefix_blocked.connect(lambda **kw: blocks.append(kw), weak=False, dispatch_uid="test-blocks")
    import time_machine

    try:
        with open_limits(PREFIX_GUARD=GUARD), time_machine.travel(timezone.now(), tick=False) as clock:
            for i, phone in enumerate(numbers(count=3)):
                challenge_id = start(api, phone=phone).json()["id"]
                if i == 0:
                    assert verify(api, challenge_id, simulator.calls[-1].code).status_code == 200
            response = start(api, phone="0361239999")
            clock.shift(100)
            later = start(api, phone="0361239998")
    finally:
        prefix_blocked.disconnect(dispatch_uid="test-blocks")
    assert response.status_code == 429
    assert response.json()["detail"] == "Calls to numbers like this one are paused. Try again later."
    assert response["Retry-After"] == "601"  # the block's 600 s, and the second being counted
    assert later["Retry-After"] == "501"
    block = PrefixBlock.objects.get()
    assert (block.calls, block.unverified) == (3, 2)
    assert blocks == [{"signal": prefix_blocked, "sender": PrefixBlock, "block": block}]
    assert guard_lines(caplog) == ["prefix 036123 blocked for 600 s: 3 calls, 2 never verified"]


def test_a_prefix_at_exactly_the_unverified_ratio_stays_open(simulator, api):
    """``max_unverified_ratio`` is the most that is allowed: half unverified at 0.5 is not pumping."""
    with open_limits(PREFIX_GUARD={**GUARD, "min_calls": 4}):
        for i, phone in enumerate(numbers(count=4)):
            challenge_id = start(api, phone=phone).json()["id"]
            if i < 2:
                assert verify(api, challenge_id, simulator.calls[-1].code).status_code == 200
        assert start(api, phone="0361239999").status_code == 201
    assert not PrefixBlock.objects.exists()


def test_a_block_that_ended_exactly_block_for_ago_still_doubles_the_next():
    """Pumping that resumes within ``block_for`` of the last block's end, that instant included,
    is the same pumping."""
    guard = PrefixGuard(
        min_calls=3,
        max_unverified_ratio=0.5,
        window=3600,
        block_for=3600,
        prefix_digits=6,
        first_block_for=600,
    )
    now = timezone.now()
    ended = now - timedelta(seconds=3600)
    PrefixBlock.objects.create(
        prefix="036123", blocked_at=ended - timedelta(seconds=600), blocked_until=ended, calls=3, unverified=3
    )
    assert guards.block_length("036123", guard, now) == 1200
    assert guards.block_length("036123", guard, now + timedelta(seconds=1)) == 600


def test_lifting_one_block_lifts_that_one_once_and_logs_it(admin_user, caplog):
    caplog.set_level(logging.WARNING, logger="django_voiceotp.guards")
    until = timezone.now() + timedelta(seconds=600)
    one, other = (
        PrefixBlock.objects.create(
            prefix=prefix, blocked_at=timezone.now(), blocked_until=until, calls=3, unverified=3
        )
        for prefix in ("036123", "037123")
    )
    assert guards.lift(one, admin_user) is True
    assert guards.lift(one, admin_user) is False  # over already
    assert PrefixBlock.objects.get(pk=other.pk).lifted_at is None
    assert guard_lines(caplog) == ["prefix 036123 unblocked by an operator"]


@pytest.mark.parametrize(
    ("national", "e164", "local_prefix", "stored"),
    [
        ("0361234567", "+84361234567", "036123", "+8436123"),
        ("4155552671", "+14155552671", "415555", "+415555"),  # a plan without a trunk 0
    ],
)
def test_a_local_prefix_in_its_stored_form(national, e164, local_prefix, stored):
    number = Phone(e164=e164, region="XX", national=national)
    assert guards.e164_prefix(number, local_prefix) == stored
