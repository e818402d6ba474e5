"""The admin's challenge and call pages: what they show, what they never show, who may see them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

from ..conftest import SECRETS
from ..helpers import start, voiceotp

pytestmark = pytest.mark.django_db

CHALLENGES = "/admin/django_voiceotp/otpchallenge/"
CALLS = "/admin/django_voiceotp/voicecall/"
GATEWAY = "/admin/django_voiceotp/otpchallenge/gateway/"
APP_INDEX = "/admin/django_voiceotp/"
PREFIX_BLOCKS = "/admin/django_voiceotp/prefixblock/"
VIEW_EVERYTHING = (
    "view_otpchallenge",
    "view_voicecall",
    "view_prefixblock",
    "view_gateway",
    "view_full_phone",
    "view_user",
)


def challenge_row(phone: str = "+84361234567", **fields: Any) -> OtpChallenge:
    now = timezone.now()
    values: dict[str, Any] = {
        "phone": phone,
        "purpose": "login",
        "code_hash": "x" * 64,
        "code_salt": "y",
        "max_attempts": 5,
        "max_sends": 3,
        "expires_at": now + timedelta(minutes=5),
        "resend_available_at": now,
        "status": ChallengeStatus.PENDING,
        "call_status": CallStatus.CALLING,
    }
    return OtpChallenge(**{**values, **fields})


def staff(django_user_model: Any, *codenames: str, username: str = "operator") -> Client:
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(django_user_model: Any) -> Client:
    """Staff who may read challenges and calls but not whole numbers: most of a support team."""
    return staff(django_user_model, "view_otpchallenge", "view_voicecall")


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def column(html: str, name: str) -> list[str]:
    """The cells of one list column, as text."""
    cells = re.findall(rf'<(?:td|th) class="field-{name}[^"]*">(.*?)</(?:td|th)>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def readonly(html: str, name: str) -> str | None:
    """What a change page shows for one read-only field, as HTML; None when the field is not there."""
    found = re.search(
        rf'class="form-row field-{name}">.*?<div class="readonly">(.*?)</div>', html, flags=re.S
    )
    return None if found is None else found[1]


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


# -- numbers, users and challenges, as each viewer may see them ------------------------------------

FULL = "+84361234567"
MASKED = "036****567"


def placed_call(api) -> VoiceCall:
    assert start(api, phone="0361234567").status_code == 201
    return VoiceCall.objects.select_related("challenge").get()


def pages_of(call: VoiceCall) -> dict[str, str]:
    return {
        "challenges": CHALLENGES,
        "challenges found by the digits the mask shows": f"{CHALLENGES}?q=567",
        "challenge": f"{CHALLENGES}{call.challenge_id}/change/",
        "calls": CALLS,
        "calls found by the digits the mask shows": f"{CALLS}?q=567",
        "call": f"{CALLS}{call.pk}/change/",
    }


def test_staff_without_view_full_phone_see_every_number_masked(simulator, api, operator):
    call = placed_call(api)
    for name, url in pages_of(call).items():
        html = page(operator, url)
        assert MASKED in html, name
        assert FULL not in html, name
        assert "84361234567" not in html, name
    challenge_page = page(operator, f"{CHALLENGES}{call.challenge_id}/change/")
    assert readonly(challenge_page, "masked_phone") == MASKED
    assert readonly(challenge_page, "full_phone") is None
    inline = challenge_page.split('id="calls-group"')[1]
    assert MASKED in inline
    assert readonly(page(operator, f"{CALLS}{call.pk}/change/"), "masked_phone") == MASKED


def test_staff_with_view_full_phone_see_the_whole_number(simulator, api, django_user_model):
    call = placed_call(api)
    client = staff(django_user_model, "view_otpchallenge", "view_voicecall", "view_full_phone")
    assert column(page(client, CHALLENGES), "full_phone") == [FULL]
    assert column(page(client, f"{CHALLENGES}?q=4567"), "full_phone") == [FULL]
    assert readonly(page(client, f"{CHALLENGES}{call.challenge_id}/change/"), "full_phone") == FULL
    assert column(page(client, CALLS), "full_phone") == [FULL]
    assert readonly(page(client, f"{CALLS}{call.pk}/change/"), "full_phone") == FULL


def test_superusers_have_view_full_phone(simulator, api, admin_client):
    call = placed_call(api)
    assert column(page(admin_client, CHALLENGES), "full_phone") == [FULL]
    assert readonly(page(admin_client, f"{CALLS}{call.pk}/change/"), "full_phone") == FULL


@pytest.mark.parametrize("url", [CHALLENGES, CALLS])
@pytest.mark.parametrize(
    "lookup",
    [
        "phone__startswith=%2B84361",
        "phone__regex=%5E%5C%2B843",
        "phone__gt=%2B84361",
        "phone=%2B84361234567",
        "code_hash__startswith=a",
        "code_salt__startswith=a",
        "sent_digest__startswith=a",
        "send_raw__contains=1",
        "request_id__startswith=a",
        "challenge__code_hash__startswith=a",
    ],
)
def test_a_list_refuses_filters_on_fields_it_does_not_offer(db, operator, admin_client, url, lookup):
    """The row count of ``?phone__startswith=`` would read back the digits a mask hides, one at a
    time; the hashes and raw answers are on no page. Not even a superuser's list filters on them."""
    challenge_row().save()
    for client in (operator, admin_client):
        response = client.get(f"{url}?{lookup}")
        # Refused (400), or, for a name the model does not have, Django's bad-filter redirect.
        refused = response.status_code == 400 or (
            response.status_code == 302 and response["Location"].endswith("?e=1")
        )
        assert refused, (url, lookup, response.status_code)
        assert "84361234567" not in response.content.decode()


def test_a_list_still_filters_on_what_it_offers(db, operator):
    challenge_row().save()
    challenge_row("+84361234568", status=ChallengeStatus.VERIFIED).save()
    assert len(column(page(operator, f"{CHALLENGES}?status__exact=verified"), "masked_phone")) == 1
    assert len(column(page(operator, f"{CHALLENGES}?purpose__exact=login"), "masked_phone")) == 2
    assert (
        len(column(page(operator, f"{CHALLENGES}?created_at__year={timezone.now().year}"), "masked_phone"))
        == 2
    )
    assert page(operator, f"{CALLS}?status__exact=calling")


def test_a_masked_number_does_not_sort_the_list(db, operator, django_user_model):
    """Sorted by the whole number, a list of masked ones tells their hidden digits' order."""
    for phone in ("+84369000001", "+84361000002", "+84365000003"):
        challenge_row(phone).save()
    index = list(admin.site.get_model_admin(OtpChallenge).list_display).index("masked_phone")
    assert 'class="sortable column-masked_phone' not in page(operator, CHALLENGES)
    for order in (f"{index}", f"-{index}"):
        with CaptureQueriesContext(connection) as queries:
            page(operator, f"{CHALLENGES}?o={order}")
        orderings = [
            q["sql"].split("ORDER BY", 1)[1] for q in queries.captured_queries if "ORDER BY" in q["sql"]
        ]
        assert orderings
        assert not any('"phone"' in ordering for ordering in orderings)
    trusted = staff(django_user_model, "view_otpchallenge", "view_full_phone", username="lead")
    assert column(page(trusted, f"{CHALLENGES}?o={index}"), "full_phone") == sorted(
        ["+84369000001", "+84361000002", "+84365000003"]
    )


def test_the_permission_is_declared_for_the_challenge_model():
    found = Permission.objects.get(codename="view_full_phone")
    assert (found.content_type.app_label, found.content_type.model) == ("django_voiceotp", "otpchallenge")
    assert found.name == "Can see full phone numbers"


def challenge_label(challenge: OtpChallenge) -> str:
    created = timezone.localtime(challenge.created_at).strftime("%Y-%m-%d %H:%M")
    return f"{MASKED} · login · {created}"


def test_a_call_links_to_its_challenge_by_number_purpose_and_time(simulator, api, admin_client):
    call = placed_call(api)
    link = f'<a href="{CHALLENGES}{call.challenge_id}/change/">{challenge_label(call.challenge)}</a>'
    assert link in page(admin_client, CALLS)
    assert readonly(page(admin_client, f"{CALLS}{call.pk}/change/"), "challenge_link") == link
    assert ">challenge</a>" not in page(admin_client, CALLS)


def test_staff_who_may_not_open_challenges_see_the_challenge_as_text(simulator, api, django_user_model):
    call = placed_call(api)
    client = staff(django_user_model, "view_voicecall")
    label = challenge_label(call.challenge)
    assert column(page(client, CALLS), "challenge_text") == [label]
    html = page(client, f"{CALLS}{call.pk}/change/")
    assert readonly(html, "challenge_text") == label
    assert f"{CHALLENGES}{call.challenge_id}/change/" not in html


def test_the_calls_list_costs_the_same_queries_for_one_challenge_and_fifty(simulator, admin_client):
    def calls(first: int, count: int) -> None:
        challenges = [challenge_row(f"+8436{i:07d}") for i in range(first, first + count)]
        OtpChallenge.objects.bulk_create(challenges)
        VoiceCall.objects.bulk_create([VoiceCall(challenge=c, phone=c.phone) for c in challenges])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert admin_client.get(CALLS).status_code == 200
        return len(context.captured_queries)

    calls(0, 1)
    with_one = queries()
    calls(1, 49)
    assert queries() == with_one


def test_a_challenge_links_to_its_user_for_a_viewer_who_may_open_users(admin_client, admin_user):
    challenge = challenge_row(user=admin_user)
    challenge.save()
    html = page(admin_client, f"{CHALLENGES}{challenge.pk}/change/")
    link = f'<a href="/admin/auth/user/{admin_user.pk}/change/">{admin_user.username}</a>'
    assert readonly(html, "user_link") == link


def test_a_challenge_names_its_user_as_text_for_a_viewer_who_may_not(django_user_model, admin_user):
    challenge = challenge_row(user=admin_user)
    challenge.save()
    client = staff(django_user_model, "view_otpchallenge")
    html = page(client, f"{CHALLENGES}{challenge.pk}/change/")
    assert readonly(html, "user_name") == admin_user.username
    assert "/admin/auth/user/" not in html
    may_open_users = staff(django_user_model, "view_otpchallenge", "view_user", username="lead")
    assert readonly(page(may_open_users, f"{CHALLENGES}{challenge.pk}/change/"), "user_link") == (
        f'<a href="/admin/auth/user/{admin_user.pk}/change/">{admin_user.username}</a>'
    )


def test_a_challenge_names_its_user_as_text_when_the_site_has_no_user_admin(admin_client, admin_user):
    challenge = challenge_row(user=admin_user)
    challenge.save()
    user_admin = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
    try:
        html = page(admin_client, f"{CHALLENGES}{challenge.pk}/change/")
    finally:
        admin.site.register(User, user_admin)
    assert readonly(html, "user_name") == admin_user.username
    assert readonly(html, "user_link") is None


def test_a_challenge_without_a_user_shows_a_dash(admin_client):
    challenge = challenge_row()
    challenge.save()
    assert readonly(page(admin_client, f"{CHALLENGES}{challenge.pk}/change/"), "user_name") == "-"


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
