"""The gateway page and the balance: figures, the cache, the refresh button, and a gateway that fails."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_voiceotp.admin import time_range
from django_voiceotp.gateways.onsms.backend import quick_timeout
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.operations import balance
from django_voiceotp.operations.stats import MAX_RANGE, gateway_stats

from ..conftest import PASSWORD
from ..helpers import cache_down, start, voiceotp
from .pages import CHALLENGES, GATEWAY, challenge_row, page

pytestmark = pytest.mark.django_db


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- the balance block -----------------------------------------------------------------------------


def test_the_balance_is_read_once_and_reused_for_the_cache_ttl(simulator, admin_client):
    for _ in range(3):
        assert "Gateway balance: 1000000." in page(admin_client, CHALLENGES)
    assert simulator.count("checkBalance") == 1


def test_refresh_balance_asks_the_gateway_now_and_returns_to_the_page(simulator, admin_client):
    page(admin_client, CHALLENGES)
    simulator.set_balance(42)
    assert "Gateway balance: 1000000." in page(admin_client, CHALLENGES)
    response = admin_client.post(f"{GATEWAY}balance/", {"next": CHALLENGES})
    assert response.status_code == 302
    assert response["Location"] == CHALLENGES
    assert simulator.count("checkBalance") == 2
    assert "Gateway balance: 42." in page(admin_client, CHALLENGES)


def test_refresh_balance_takes_post_only_and_never_redirects_off_site(simulator, admin_client):
    assert admin_client.get(f"{GATEWAY}balance/").status_code == 405
    response = admin_client.post(f"{GATEWAY}balance/", {"next": "https://evil.example/"})
    assert response["Location"] == GATEWAY


def test_refresh_balance_needs_a_csrf_token(simulator, admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(f"{GATEWAY}balance/").status_code == 403
    assert simulator.count("checkBalance") == 0


def test_a_low_balance_is_a_warning(simulator, admin_client):
    with voiceotp(LOW_BALANCE=1_000_000):
        html = page(admin_client, CHALLENGES)
    assert "voiceotp-balance-low" in html
    assert "Gateway balance: 1000000 (at or below the warning level 1000000)." in html


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http500", "The gateway answered with an HTTP error (500)."),
        ("garbage", "The gateway&#x27;s balance answer could not be read."),
        ("drop", "The gateway could not be reached."),
    ],
)
def test_a_failing_gateway_gives_a_readable_message_and_is_not_asked_again_at_once(
    simulator, admin_client, fault, message
):
    simulator.set_fault(fault, endpoint="checkBalance")
    for _ in range(3):
        html = page(admin_client, CHALLENGES)
        assert message in html
        assert "voiceotp-balance-problem" in html
    assert simulator.count("checkBalance") == 1  # the failure is cached too (no retries either)


def test_wrong_credentials_are_named_as_such(simulator, admin_client):
    with voiceotp(PASSWORD="not-the-password"):
        html = page(admin_client, CHALLENGES)
    assert "The gateway refused the credentials (code 0)" in html
    assert "not-the-password" not in html
    assert PASSWORD not in html


def test_a_hanging_gateway_holds_the_page_for_one_short_timeout_only(simulator, admin_client):
    simulator.set_fault("hang", endpoint="checkBalance")
    with voiceotp(TIMEOUT=(1.0, 1.0)):
        started = time.monotonic()
        html = page(admin_client, CHALLENGES)
        elapsed = time.monotonic() - started
    assert "The gateway did not answer within 1 s." in html
    assert simulator.count("checkBalance") == 1  # the pooled session would have retried the read
    assert elapsed < 1.8


def test_the_balance_read_caps_the_site_timeout():
    assert quick_timeout((3.05, 15.0)) == (3.05, 5.0)
    assert quick_timeout((1.0, 2.0)) == (1.0, 2.0)
    assert quick_timeout((10.0, 30.0)) == (5.0, 5.0)


def test_a_reading_survives_the_cache_as_plain_data(simulator):
    reading = balance.read_balance()
    assert reading.ok
    assert not reading.cached
    again = balance.read_balance()
    assert again.cached
    assert again.balance == Decimal(1_000_000)
    assert again.message == reading.message


def test_without_credentials_the_gateway_is_not_asked(simulator):
    with voiceotp(KEY=None):
        reading = balance.read_balance(refresh=True)
    assert reading.problem == balance.NOT_CONFIGURED
    assert simulator.count("checkBalance") == 0


# -- a cache that does not answer ------------------------------------------------------------------

CACHE_DOWN = "The balance is unknown: the cache (VOICEOTP CACHE) is not answering."


def test_the_list_and_the_gateway_page_render_while_the_cache_is_down(simulator, admin_client):
    challenge_row().save()
    with cache_down():
        for url in (CHALLENGES, GATEWAY, f"{GATEWAY}?hours=72"):
            html = page(admin_client, url)
            assert CACHE_DOWN in html, url
            assert "voiceotp-balance-problem" in html
            assert "Refresh balance" in html
        assert "036****567" in page(admin_client, CHALLENGES)
    assert simulator.count("checkBalance") == 0  # without the cache, a page view does not ask


def page_in(client: Client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def test_the_cache_is_named_in_the_reader_s_language(simulator, admin_client):
    with cache_down():
        html = page_in(admin_client, CHALLENGES, "vi")
    assert "Chưa rõ số dư: bộ nhớ đệm (VOICEOTP CACHE) không phản hồi." in html


def test_refresh_balance_asks_the_gateway_while_the_cache_is_down(simulator, admin_client):
    with cache_down():
        response = admin_client.post(f"{GATEWAY}balance/", {"next": CHALLENGES})
        assert response.status_code == 302
        assert response["Location"] == CHALLENGES
        assert simulator.count("checkBalance") == 1
        followed = admin_client.get(CHALLENGES)
        assert followed.status_code == 200
        assert shown_messages(followed) == ["Gateway balance: 1000000."]
        assert CACHE_DOWN in followed.content.decode()  # nothing was kept, nothing could be read
    assert "Gateway balance: 1000000." in page(admin_client, CHALLENGES)  # the cache is back
    assert simulator.count("checkBalance") == 2


def test_a_reading_is_not_cached_while_the_cache_is_down(simulator):
    with cache_down():
        assert balance.read_balance().problem == balance.CACHE_DOWN
        refreshed = balance.read_balance(refresh=True)
        assert refreshed.ok
        assert refreshed.balance == Decimal(1_000_000)
    assert simulator.count("checkBalance") == 1


def test_a_redis_that_refuses_connections_is_a_cache_that_is_down(simulator, admin_client):
    pytest.importorskip("redis")
    # Nothing listens on port 1: the connection is refused at once, as when Redis is stopped.
    unreachable = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
    with override_settings(CACHES={"default": unreachable}):
        assert CACHE_DOWN in page(admin_client, CHALLENGES)
        assert admin_client.post(f"{GATEWAY}balance/", {"next": GATEWAY}).status_code == 302
    assert simulator.count("checkBalance") == 1


# -- the gateway page ------------------------------------------------------------------------------


def test_the_gateway_page_counts_outcomes_refusals_and_conversion(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0361239700")
        start(api, phone="0361239914")  # refused: 14
        start(api, phone="0987659907")  # refused: 7
    answered = VoiceCall.objects.get(phone="+84361234567")
    simulator.set_outcome(answered.request_id, "answered")
    from django_voiceotp import services

    services.refresh_call(answered)
    html = page(admin_client, GATEWAY)
    assert "Gateway balance: 999998." in html
    figure = r'<th scope="row">(?:<span[^>]*>)?([^<]+)(?:</span>)?</th><td>([^<]+)</td>'
    figures = dict(re.findall(figure, html))
    assert figures["Tried"] == "4"
    assert figures["Taken by the gateway"] == "2"
    assert figures["Answered"] == "1"
    assert figures["Still calling"] == "1"
    assert figures["Refused"] == "2"
    assert figures["With a call the gateway took"] == "2"
    assert figures["Verified among those"] == "0"
    assert figures["Conversion"] == "0.0 %"
    assert "The account balance is not enough to send the message" in html
    assert "Số dư tài khoản không đủ gửi tin nhắn" in html
    assert "Thuê bao từ chối nhận tin" in html
    assert html.count("<rect ") in (24, 25)
    assert "<script" not in html.split('id="content"')[1]


def test_the_figures_come_from_the_rows_in_the_range():
    now = timezone.now()
    rows = []
    for i, (status, call_status, verified_after) in enumerate(
        [
            (ChallengeStatus.VERIFIED, CallStatus.ANSWERED, 30),
            (ChallengeStatus.VERIFIED, CallStatus.ANSWERED, 50),
            (ChallengeStatus.VERIFIED, CallStatus.UNKNOWN, 90),
            (ChallengeStatus.EXPIRED, CallStatus.UNANSWERED, None),
            (ChallengeStatus.FAILED, CallStatus.REJECTED, None),
        ]
    ):
        created = now - timedelta(minutes=10 + i)
        rows.append(
            challenge_row(
                f"+8436123450{i}",
                status=status,
                call_status=call_status,
                created_at=created,
                verified_at=created + timedelta(seconds=verified_after) if verified_after else None,
            )
        )
    old = challenge_row("+84361234599", status=ChallengeStatus.VERIFIED, created_at=now - timedelta(days=3))
    OtpChallenge.objects.bulk_create([*rows, old])
    VoiceCall.objects.bulk_create(
        [
            VoiceCall(
                challenge=c,
                phone=c.phone,
                status=c.call_status,
                request_id=None if c.call_status in ("rejected", "unknown") else f"r{n}",
                send_code="15" if c.call_status == "rejected" else "1",
                created_at=c.created_at,
            )
            for n, c in enumerate([*rows, old])
        ]
    )
    stats = gateway_stats(now - timedelta(hours=1), now)
    assert (stats.attempted, stats.placed, stats.answered, stats.unanswered) == (5, 3, 2, 1)
    assert (stats.unknown, stats.rejected, stats.calling) == (1, 1, 0)
    assert [(r.code, r.count) for r in stats.refusals] == [("15", 1)]
    assert (stats.challenges, stats.reached, stats.verified) == (5, 4, 3)
    assert stats.conversion == 0.75
    assert stats.median_seconds == 50
    assert sum(b.count for b in stats.buckets) == 5
    assert stats.hourly


def test_a_long_range_is_drawn_per_day(admin_client):
    today = timezone.localdate()
    html = page(admin_client, f"{GATEWAY}?since={(today - timedelta(days=9)).isoformat()}&until={today}")
    assert "Calls per day" in html
    assert html.count("<rect ") == 10


@pytest.mark.parametrize(
    "query",
    [
        "?hours=abc",
        "?hours=0",
        "?hours=100000",
        "?hours=-1",
        "?hours=1e9",
        "?hours=99999999999999999999",
        f"?hours={'9' * 5000}",
        "?hours=١٢",  # Arabic-Indic digits: int() reads them as 12
        "?hours=1_2",
        "?hours=%00",
        "?hours=6&hours=abc",  # the last of a repeated parameter counts
        "?since=yesterday",
        "?since=2026-02-30",
        "?since=0000-01-01",
        "?since=%00",
        f"?since={'2026-01-01' * 1000}",
        "?since=\uff12\uff10\uff12\uff16-\uff10\uff11-\uff10\uff11",  # fullwidth digits
        "?since=20260101",  # ISO basic form: Python 3.11 reads it, 3.10 does not
        "?since=2026-W01-1",
        "?until=2026-01-01T00:00",
        "?since=2026-01-01&until=2026-01-01&until=2026-13-01",
    ],
)
def test_an_unreadable_range_falls_back_to_24_hours_with_a_warning(simulator, admin_client, query):
    response = admin_client.get(f"{GATEWAY}{query}")
    assert response.status_code == 200
    assert any("showing the last 24 hours" in m for m in shown_messages(response))
    assert "Calls per hour" in response.content.decode()
    stats = response.context["stats"]
    assert stats.until - stats.since == timedelta(hours=24)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time_of_day.min))


@pytest.mark.parametrize(
    ("query", "since_day", "until_day"),
    [
        ("?since=9999-12-31", "today", "today"),
        ("?until=9999-12-31", "today", "today"),
        ("?since=9999-12-30&until=9999-12-31", "today", "today"),
        ("?until=0001-01-01", "earliest", "earliest"),
        ("?since=0001-01-01&until=0001-01-01", "earliest", "earliest"),
        ("?since=0001-01-01&until=0001-01-02", "earliest", "earliest"),
        ("?since=0001-01-01&until=9999-12-31", "92 days ago", "today"),
        ("?since=2026-01-01&since=9999-12-31", "today", "today"),
    ],
)
def test_dates_out_of_reach_are_held_to_a_range_the_page_can_count(
    simulator, admin_client, query, since_day, until_day
):
    today = timezone.localdate()
    days = {"today": today, "earliest": time_range.EARLIEST_DAY}
    before = timezone.now()
    response = admin_client.get(f"{GATEWAY}{query}")
    assert response.status_code == 200
    assert shown_messages(response) == []
    stats = response.context["stats"]
    if since_day == "92 days ago":
        assert stats.since == stats.until - MAX_RANGE  # cut to its end, as any long range is
    else:
        assert stats.since == local_midnight(days[since_day])
    if until_day == "today":
        assert before <= stats.until <= timezone.now()  # today ends now
    else:
        assert stats.until == local_midnight(days[until_day] + timedelta(days=1))


def test_the_earliest_day_is_as_far_back_as_the_range_arithmetic_allows():
    since = local_midnight(time_range.EARLIEST_DAY)
    for zone in (
        dt_timezone(timedelta(hours=-23, minutes=-59)),
        dt_timezone(timedelta(hours=23, minutes=59)),
    ):
        assert (since - MAX_RANGE).astimezone(zone)  # no OverflowError
    with pytest.raises(OverflowError):
        local_midnight(date.min) - MAX_RANGE


query_values = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=["Nd"]), max_size=12),  # digits of every script
    st.dates().map(date.isoformat),
    st.integers().map(str),
    st.floats().map(str),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
)


@settings(
    max_examples=150,
    deadline=None,
    # The logged-in client and the database are shared by the examples on purpose: GETs change neither.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.dictionaries(
        st.sampled_from(["since", "until", "hours"]), st.lists(query_values, min_size=1, max_size=3)
    )
)
def test_no_query_string_makes_the_gateway_page_fail(simulator, admin_client, query):
    response = admin_client.get(GATEWAY, query)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats.since <= stats.until <= timezone.now()
    assert stats.until - stats.since <= MAX_RANGE
