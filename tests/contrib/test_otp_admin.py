"""django-otp's OTPAdminSite login with a voice call device, and the device's own admin pages."""

from __future__ import annotations

import html
import logging

import pytest
from django.contrib.auth.models import Permission

from django_voiceotp.contrib.otp.models import VoiceCallDevice
from django_voiceotp.models import OtpChallenge

from ..helpers import wrong
from .conftest import E164, PASSWORD, PHONE

pytestmark = pytest.mark.django_db

LOGIN = "/otpadmin/login/?next=/otpadmin/"


@pytest.fixture
def staff(user):
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


def login(client, device=None, **fields):
    body = {"username": "ana", "password": PASSWORD, **fields}
    if device is not None:
        body["otp_device"] = device.persistent_id
    return client.post(LOGIN, body)


def errors(response) -> str:
    return html.unescape(response.content.decode())


def test_the_otp_admin_login_calls_and_lets_the_right_code_in(
    client, staff, device, voiceotp_gateway, caplog
):
    caplog.set_level(logging.DEBUG)
    assert client.get("/otpadmin/").status_code == 302  # not verified: the login page

    asked = login(client)
    assert asked.status_code == 200
    assert "Please enter your OTP token." in errors(asked)
    assert voiceotp_gateway.calls == []

    challenged = login(client, device, otp_challenge="Get OTP Challenge")
    assert challenged.status_code == 200
    assert "OTP Challenge: calling 036****567" in errors(challenged)
    code = voiceotp_gateway.last_code(PHONE)

    refused = login(client, device, otp_token=wrong(code))
    assert refused.status_code == 200
    assert "Invalid token." in errors(refused)
    assert OtpChallenge.objects.get().attempts == 1

    signed_in = login(client, device, otp_token=code)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/otpadmin/"
    assert client.get("/otpadmin/").status_code == 200
    assert client.get("/signed-in/").content == f"verified=True device={device.persistent_id}".encode()

    pages = [asked, challenged, refused, signed_in, client.get("/otpadmin/voiceotp_otp/voicecalldevice/")]
    assert not any(code in page.content.decode() for page in pages)
    assert code not in caplog.text


def test_a_locked_code_is_told_as_the_docs_tell_it(client, staff, device, voiceotp_gateway):
    login(client, device, otp_challenge="1")
    code = voiceotp_gateway.last_code(PHONE)
    for _attempt in range(5):
        login(client, device, otp_token=wrong(code))
    locked = login(client, device, otp_token=code)
    assert locked.status_code == 200
    assert "Too many wrong codes. Ask for a new call." in errors(locked)
    assert client.get("/otpadmin/").status_code == 302


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (
            lambda gateway: gateway.refuse(PHONE, "recipient_refused"),
            "This number does not accept such calls. Enter another number.",
        ),
        (
            lambda gateway: gateway.fail(PHONE, "unavailable"),
            "The call service is not answering. Try again in a moment.",
        ),
    ],
    ids=["refused-number", "unreachable-gateway"],
)
def test_a_challenge_the_gateway_refuses_is_a_message_on_the_login_page(
    client, staff, device, voiceotp_gateway, arrange, reason
):
    arrange(voiceotp_gateway)
    page = login(client, device, otp_challenge="1")
    assert page.status_code == 200
    assert f"OTP Challenge: no call was placed: {reason}" in errors(page)


def test_a_second_challenge_within_the_cooldown_is_a_message_and_no_call(
    client, staff, device, voiceotp_gateway
):
    login(client, device, otp_challenge="1")
    again = login(client, device, otp_challenge="1")
    assert again.status_code == 200
    assert "OTP Challenge: no call was placed: Ask for another call in " in errors(again)
    assert len(voiceotp_gateway.calls) == 1


def test_the_login_page_speaks_vietnamese(client, staff, device, voiceotp_gateway):
    page = client.post(
        LOGIN,
        {"username": "ana", "password": PASSWORD, "otp_device": device.persistent_id, "otp_challenge": "1"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert "đang gọi 036****567" in errors(page)


# -- the device's admin -----------------------------------------------------------------------------


@pytest.fixture
def operator(django_user_model):
    person = django_user_model.objects.create_user("chi", password=PASSWORD, is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="voiceotp_otp",
            codename__in=["view_voicecalldevice", "change_voicecalldevice", "add_voicecalldevice"],
        )
    )
    return person


def test_the_device_admin_masks_numbers_for_staff_without_view_full_phone(client, operator, device):
    client.force_login(operator)
    listing = client.get("/admin/voiceotp_otp/voicecalldevice/").content.decode()
    page = client.get(f"/admin/voiceotp_otp/voicecalldevice/{device.pk}/change/").content.decode()
    for shown in (listing, page):
        assert "036****567" in shown
        assert E164 not in shown
        assert "361234567" not in shown.replace("036****567", "")
    assert 'name="number"' not in page  # an input would show the number whole


@pytest.mark.parametrize(
    "lookup", ["number__startswith=%2B84361", "number=%2B84361234567", "key__startswith=a"]
)
def test_the_device_list_refuses_filters_that_would_read_a_number_back(client, operator, device, lookup):
    """A row count per guessed prefix would spell out the number the mask hides, digit by digit."""
    client.force_login(operator)
    response = client.get(f"/admin/voiceotp_otp/voicecalldevice/?{lookup}")
    assert response.status_code in (400, 302), lookup
    assert E164 not in response.content.decode()
    assert client.get("/admin/voiceotp_otp/voicecalldevice/?confirmed__exact=1").status_code == 200


def test_the_masked_number_column_does_not_sort(client, operator, device):
    client.force_login(operator)
    listing = client.get("/admin/voiceotp_otp/voicecalldevice/").content.decode()
    assert "column-masked_number" in listing
    assert 'class="sortable column-masked_number' not in listing


def test_the_device_admin_shows_the_whole_number_with_view_full_phone(client, operator, device):
    operator.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    client.force_login(operator)
    page = client.get(f"/admin/voiceotp_otp/voicecalldevice/{device.pk}/change/").content.decode()
    assert E164 in page
    assert 'name="number"' in page


def test_a_device_added_in_the_admin_keeps_its_number_in_e164(client, operator, user):
    client.force_login(operator)
    added = client.post(
        "/admin/voiceotp_otp/voicecalldevice/add/",
        {"user": user.pk, "name": "default", "confirmed": "on", "number": "0905 123 456"},
    )
    assert added.status_code == 302
    assert VoiceCallDevice.objects.get().number == "+84905123456"

    refused = client.post(
        "/admin/voiceotp_otp/voicecalldevice/add/",
        {"user": user.pk, "name": "backup", "number": "1900 1234"},
    )
    assert refused.status_code == 200
    assert "This kind of number (premium-rate, toll-free) cannot be called." in errors(refused)
    assert VoiceCallDevice.objects.count() == 1


def test_the_device_page_links_its_latest_challenge_for_who_may_open_it(
    client, staff, device, voiceotp_gateway
):
    device.generate_challenge()
    challenge = OtpChallenge.objects.get()
    client.force_login(staff)
    page = client.get(f"/admin/voiceotp_otp/voicecalldevice/{device.pk}/change/").content.decode()
    assert f"/admin/django_voiceotp/otpchallenge/{challenge.pk}/change/" in page
