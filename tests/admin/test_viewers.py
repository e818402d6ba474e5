"""What each viewer of the admin may see of numbers, users and challenges: masked or whole, a link or text."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_voiceotp.models import ChallengeStatus, OtpChallenge, VoiceCall

from ..helpers import start
from .pages import CALLS, CHALLENGES, FULL, MASKED, challenge_row, column, page, readonly, staff

pytestmark = pytest.mark.django_db

# -- numbers, users and challenges, as each viewer may see them ------------------------------------


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
