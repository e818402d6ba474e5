"""The admin's challenge and call pages: what they show, what they never show, who may see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

from ..conftest import SECRETS
from ..helpers import start, voiceotp
from .pages import (
    APP_INDEX,
    CALLS,
    CHALLENGES,
    FULL,
    GATEWAY,
    PREFIX_BLOCKS,
    VIEW_EVERYTHING,
    challenge_row,
    column,
    page,
    staff,
)

pytestmark = pytest.mark.django_db


# -- the challenges list ---------------------------------------------------------------------------


def test_the_list_shows_the_masked_number_a_badge_and_the_counters(operator):
    challenge_row(attempts=2, sends=1, status=ChallengeStatus.VERIFIED, call_status="answered").save()
    html = page(operator, CHALLENGES)
    assert column(html, "masked_phone") == ["036****567"]
    assert "+84361234567" not in html
    assert "0361234567" not in html
    assert 'class="voiceotp-badge voiceotp-badge-answered"' in html
    assert ">2/5<" in html
    assert ">1/3<" in html
    assert "django_voiceotp/admin.css" in html


@pytest.mark.parametrize("typed", ["0361234567", "+84 36 123 4567", "036 123 4567", "84361234567", "567"])
def test_search_finds_a_number_in_any_form_a_person_types(django_user_model, typed):
    client = staff(django_user_model, "view_otpchallenge", "view_voicecall", "view_full_phone")
    challenge_row("+84361234567").save()
    challenge_row("+84987654321", purpose="signup").save()
    assert column(page(client, f"{CHALLENGES}?q={typed}"), "full_phone") == [FULL]


@pytest.mark.parametrize("typed", ["0361234567", "+84 36 123 4567", "036 123 4567", "84361234567"])
def test_a_whole_number_finds_nothing_for_staff_who_may_not_see_whole_numbers(operator, typed):
    """A hit or a miss per search would read the hidden digits back (at most 10,000 searches)."""
    challenge_row("+84361234567").save()
    assert column(page(operator, f"{CHALLENGES}?q={typed}"), "masked_phone") == []
    assert column(page(operator, f"{CALLS}?q={typed}"), "masked_phone") == []
    assert column(page(operator, f"{CHALLENGES}?q=567"), "masked_phone") == ["036****567"]


@pytest.mark.parametrize("piece", ["1234", "61234", "234567", "0361"])
def test_pieces_of_a_number_find_it_only_for_staff_who_may_see_whole_numbers(
    operator, django_user_model, piece
):
    """Else searching piece after piece would read back the digits the mask hides."""
    challenge_row("+84361234567").save()
    assert column(page(operator, f"{CHALLENGES}?q={piece}"), "masked_phone") == []
    trusted = staff(django_user_model, "view_otpchallenge", "view_full_phone", username="lead")
    assert column(page(trusted, f"{CHALLENGES}?q={piece}"), "full_phone") == ["+84361234567"]


def test_search_finds_a_challenge_by_its_id_and_by_a_request_id(operator):
    one = challenge_row("+84361234567")
    other = challenge_row("+84987654321")
    OtpChallenge.objects.bulk_create([one, other])
    VoiceCall.objects.create(challenge=other, phone=other.phone, request_id="req-abc-1")
    assert column(page(operator, f"{CHALLENGES}?q={one.pk}"), "masked_phone") == ["036****567"]
    assert column(page(operator, f"{CHALLENGES}?q=req-abc-1"), "masked_phone") == ["098****321"]


def test_a_search_that_is_no_number_finds_nothing_and_does_not_fail(operator):
    challenge_row().save()
    assert column(page(operator, f"{CHALLENGES}?q=hello"), "masked_phone") == []


def test_filters_on_status_call_status_purpose_and_date(operator):
    challenge_row("+84361234567", call_status="answered", status=ChallengeStatus.VERIFIED).save()
    challenge_row("+84987654321", purpose="signup", call_status="unanswered").save()

    def shown(query: str) -> list[str]:
        return column(page(operator, f"{CHALLENGES}?{query}"), "masked_phone")

    assert shown("call_status=unanswered") == ["098****321"]
    assert shown("purpose=login") == ["036****567"]
    assert shown("status=verified") == ["036****567"]
    today = timezone.localdate()
    assert "036****567" in shown(f"created_at__year={today.year}&created_at__month={today.month}")


@pytest.mark.parametrize("url", [CHALLENGES, CALLS])
@pytest.mark.parametrize(
    "dates",
    [
        "created_at__year=9999",
        "created_at__year=99999999999999999999",
        "created_at__year=9999&created_at__month=12",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        "created_at__year=0",
    ],
)
def test_a_date_the_hierarchy_cannot_hold_is_a_bad_filter_not_a_500(admin_client, url, dates):
    challenge_row().save()
    response = admin_client.get(f"{url}?{dates}")
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"
    assert admin_client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("url", [CHALLENGES, CALLS])
@pytest.mark.parametrize("year", ["1", "%D9%A1"])  # 1, and 1 in Arabic-Indic digits, which int() reads
def test_year_one_is_an_empty_list_or_a_bad_filter_not_a_500(admin_client, url, year):
    # Its local midnight is before year 1 in UTC: SQLite's adapter cannot move it there (a bad
    # filter); PostgreSQL's takes it as it is (an empty list).
    challenge_row().save()
    response = admin_client.get(f"{url}?created_at__year={year}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain in ([], [(f"{url}?e=1", 302)])
    if not response.redirect_chain:
        assert column(response.content.decode(), "full_phone") == []


def test_the_list_costs_the_same_queries_for_ten_rows_and_a_thousand(simulator, admin_client):
    def rows(start: int, count: int) -> list[OtpChallenge]:
        statuses = [s for s in ChallengeStatus.values if s != ChallengeStatus.PENDING]
        calls = CallStatus.values
        return [
            challenge_row(
                f"+8436{i:07d}",
                status=statuses[i % len(statuses)],
                call_status=calls[i % len(calls)],
                purpose=f"p{i % 7}",
                created_at=timezone.now() - timedelta(hours=i % 50),
            )
            for i in range(start, start + count)
        ]

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(CHALLENGES).status_code == 200
        return len(context.captured_queries)

    OtpChallenge.objects.bulk_create(rows(0, 10))
    queries()  # the balance is read once and cached, as on any site
    with_ten = queries()
    OtpChallenge.objects.bulk_create(rows(10, 990), batch_size=500)
    assert OtpChallenge.objects.count() == 1000
    assert queries() == with_ten
    print(f"challenges changelist: {with_ten} queries for 10 rows and for 1,000")


# -- one challenge and its calls -------------------------------------------------------------------


def test_a_challenge_page_shows_the_number_and_its_calls_in_the_gateway_s_words(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361239914")  # the simulator answers 14: not enough money
    challenge = OtpChallenge.objects.get()
    html = page(admin_client, f"{CHALLENGES}{challenge.pk}/change/")
    assert "+84361239914" in html
    assert "The account is not enough (money)" in html
    assert "Tài khoản không đủ (tiền)" in html
    assert 'class="voiceotp-badge voiceotp-badge-rejected"' in html
    assert '<pre class="voiceotp-raw">14</pre>' in html
    assert "code_hash" not in html
    assert "code_salt" not in html


def test_challenges_are_read_only_and_never_added_here(admin_client):
    challenge = challenge_row()
    challenge.save()
    assert admin_client.get(f"{CHALLENGES}add/").status_code == 403
    change = f"{CHALLENGES}{challenge.pk}/change/"
    html = page(admin_client, change)
    assert 'name="status"' not in html
    assert 'name="attempts"' not in html
    assert admin_client.post(change, {"status": "verified", "attempts": 0}).status_code == 403
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.PENDING


def test_the_calls_list_shows_codes_and_meanings_and_filters_by_send_code(simulator, api, operator):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0987659907")  # refused: 7, the subscriber refuses such calls
    html = page(operator, CALLS)
    assert column(html, "masked_phone") == ["098****907", "036****567"]
    assert "The subscriber refuses to receive the message" in html
    taken = VoiceCall.objects.get(status=CallStatus.CALLING)
    assert taken.request_id
    assert taken.request_id in html

    def shown(query: str) -> list[str]:
        return column(page(operator, f"{CALLS}?{query}"), "masked_phone")

    assert shown("send_code=7") == ["098****907"]
    assert shown("status=calling") == ["036****567"]
    assert shown("q=567") == ["036****567"]
    assert shown("q=0361234567") == []  # a whole number needs the permission to see whole numbers


def test_a_call_page_shows_both_meanings_and_the_raw_answers(simulator, api, admin_client):
    start(api)
    call = VoiceCall.objects.get()
    simulator.set_outcome(call.request_id, "answered")
    from django_voiceotp import services

    services.refresh_call(call)
    html = page(admin_client, f"{CALLS}{call.pk}/change/")
    assert "Successfully received the message" in html
    assert "Người nhận bắt máy" in html  # checkVoice 1, in Vietnamese
    assert f"1,,,{call.request_id}" in html
    assert "sent_digest" not in html
    assert call.sent_digest not in html


def test_calls_can_be_neither_added_changed_nor_deleted(simulator, api, admin_client):
    start(api)
    call = VoiceCall.objects.get()
    assert admin_client.get(f"{CALLS}add/").status_code == 403
    assert admin_client.get(f"{CALLS}{call.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CALLS}{call.pk}/change/", {"status": "answered"}).status_code == 403


# -- the action ------------------------------------------------------------------------------------


def refresh(client: Client, *challenges: OtpChallenge) -> list[str]:
    response = client.post(
        CHALLENGES,
        {"action": "refresh_call_status", "_selected_action": [str(c.pk) for c in challenges]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_refresh_call_status_records_pending_then_answered_and_unanswered(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0361239700")  # never answered
    answered_call = VoiceCall.objects.get(phone="+84361234567")
    unanswered_call = VoiceCall.objects.get(phone="+84361239700")
    challenges = list(OtpChallenge.objects.all())
    simulator.set_outcome(answered_call.request_id, "pending")
    simulator.set_outcome(unanswered_call.request_id, "pending")

    assert refresh(admin_client, *challenges) == ["Asked the gateway about 2 calls: 0 changed status."]
    assert set(OtpChallenge.objects.values_list("call_status", flat=True)) == {"calling"}

    simulator.set_outcome(answered_call.request_id, "answered")
    simulator.set_outcome(unanswered_call.request_id, "failed")
    assert refresh(admin_client, *challenges) == ["Asked the gateway about 2 calls: 2 changed status."]
    assert OtpChallenge.objects.get(phone="+84361234567").call_status == "answered"
    assert OtpChallenge.objects.get(phone="+84361239700").call_status == "unanswered"
    assert refresh(admin_client, *challenges) == ["No open call among the selected challenges."]
    assert simulator.count("checkVoice") == 4


def test_a_gateway_error_in_the_action_is_a_warning_not_a_500(simulator, api, admin_client):
    start(api)
    simulator.set_fault("http500", endpoint="checkVoice")
    shown = refresh(admin_client, OtpChallenge.objects.get())
    assert shown[0] == "Asked the gateway about 1 call: 0 changed status."
    assert shown[1] == "The gateway could not say for 1 call (checkVoice: HTTP 500)."
    assert VoiceCall.objects.get().status == CallStatus.CALLING


def test_the_action_stops_at_a_gateway_that_stopped_answering(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0987654321")
    simulator.set_fault("drop", endpoint="checkVoice")
    shown = refresh(admin_client, *OtpChallenge.objects.all())
    assert "1 call was not asked about: the gateway stopped answering." in shown
    assert simulator.count("checkVoice") == 1


def test_the_action_needs_the_change_permission(simulator, api, django_user_model):
    start(api)
    client = staff(django_user_model, "view_otpchallenge")
    html = page(client, CHALLENGES)
    assert "refresh_call_status" not in html
    client.post(
        CHALLENGES,
        {"action": "refresh_call_status", "_selected_action": [str(OtpChallenge.objects.get().pk)]},
    )
    assert simulator.count("checkVoice") == 0


# -- permissions -----------------------------------------------------------------------------------


def test_staff_who_may_read_challenges_but_not_the_gateway_see_no_balance(simulator, django_user_model):
    challenge_row().save()
    client = staff(django_user_model, "view_otpchallenge", "view_voicecall")
    html = page(client, CHALLENGES)
    assert "036****567" in html
    assert "voiceotp-balance" not in html
    assert GATEWAY not in html
    assert GATEWAY not in page(client, APP_INDEX)
    assert client.get(GATEWAY).status_code == 403
    assert client.post(f"{GATEWAY}balance/").status_code == 403
    assert simulator.count("checkBalance") == 0


def test_staff_with_the_gateway_permission_see_the_balance_and_the_page(simulator, django_user_model):
    client = staff(django_user_model, "view_otpchallenge", "view_gateway")
    html = page(client, CHALLENGES)
    assert "Gateway balance: 1000000." in html
    assert GATEWAY in html
    assert GATEWAY in page(client, APP_INDEX)
    assert "Gateway balance: 1000000." in page(client, GATEWAY)


def test_staff_without_any_permission_get_403_everywhere(simulator, django_user_model):
    client = staff(django_user_model)
    for url in (CHALLENGES, CALLS, GATEWAY):
        assert client.get(url).status_code == 403, url


def test_people_who_are_not_staff_are_sent_to_the_login(simulator, django_user_model):
    response = Client().get(GATEWAY)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# -- nothing secret, anywhere ----------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["superuser", "staff who may see everything"])
def test_no_admin_page_shows_a_code_a_hash_or_a_gateway_credential(
    simulator, api, admin_client, django_user_model, viewer
):
    with voiceotp(RESEND_COOLDOWN=0):
        start(api, phone="0361234567")
        start(api, phone="0361239700")
        start(api, phone="0361239914")  # refused: 14
        body = start(api, phone="0987654321").json()
        api.post(f"/api/otp/challenges/{body['id']}/resend/", format="json")
    codes = {call.code for call in simulator.calls}
    assert len(codes) >= 3
    for call in VoiceCall.objects.exclude(request_id=None):
        simulator.set_outcome(call.request_id, "answered")
    refresh(admin_client, *OtpChallenge.objects.all())
    hidden = {
        *codes,
        *SECRETS,
        *OtpChallenge.objects.values_list("code_hash", flat=True),
        *OtpChallenge.objects.values_list("code_salt", flat=True),
        *VoiceCall.objects.values_list("sent_digest", flat=True),
    }
    urls = [
        "/admin/",
        APP_INDEX,
        CHALLENGES,
        f"{CHALLENGES}?status=pending",
        f"{CHALLENGES}?call_status=answered",
        f"{CHALLENGES}?purpose=login",
        f"{CHALLENGES}?q=0361234567",
        f"{CHALLENGES}?created_at__year={timezone.localdate().year}",
        CALLS,
        f"{CALLS}?status=rejected",
        f"{CALLS}?send_code=14",
        GATEWAY,
        f"{GATEWAY}?hours=1",
        f"{GATEWAY}?since=2020-01-01&until={timezone.localdate().isoformat()}",
        *(f"{CHALLENGES}{pk}/change/" for pk in OtpChallenge.objects.values_list("pk", flat=True)),
        *(f"{CHALLENGES}{pk}/history/" for pk in OtpChallenge.objects.values_list("pk", flat=True)),
        *(f"{CALLS}{pk}/change/" for pk in VoiceCall.objects.values_list("pk", flat=True)),
        PREFIX_BLOCKS,
    ]
    client = admin_client
    if viewer != "superuser":
        client = staff(django_user_model, *VIEW_EVERYTHING)
    for url in urls:
        html = page(client, url)
        for secret in hidden:
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", html), (url, secret)
