"""The admin's pages as the tests read them: their addresses, a staff member with given permissions, a
challenge row, and the cells and read-only fields of a page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge

CHALLENGES = "/admin/django_voiceotp/otpchallenge/"
CALLS = "/admin/django_voiceotp/voicecall/"
GATEWAY = "/admin/django_voiceotp/otpchallenge/gateway/"
APP_INDEX = "/admin/django_voiceotp/"
PREFIX_BLOCKS = "/admin/django_voiceotp/prefixblock/"
FULL = "+84361234567"
MASKED = "036****567"
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
