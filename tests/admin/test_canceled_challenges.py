"""Canceled challenges in the admin: listed, and offered by its status filter."""

from __future__ import annotations

import re

import pytest

from ..helpers import NO_LIMITS, cancel, start, voiceotp

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_filters_canceled_challenges(simulator, api, admin_client):
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        cancel(api, start(api).json()["id"])
        start(api, phone="0361234568")
    page = admin_client.get("/admin/django_voiceotp/otpchallenge/?status__exact=canceled")
    assert page.status_code == 200
    html = page.content.decode()
    assert "?status__exact=canceled" in html  # the status filter offers it
    cells = re.findall(r'<td class="field-status">(.*?)</td>', html)
    assert cells == ["Canceled"]
