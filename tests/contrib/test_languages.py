"""The wizards follow the visitor's language with Django's LocaleMiddleware; without it a system
check says what to add (the pages would be in LANGUAGE_CODE for everyone)."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from .conftest import PASSWORD, wizard_post

pytestmark = pytest.mark.django_db
LOCALE = "django.middleware.locale.LocaleMiddleware"


def language_warnings() -> list[str]:
    return [m.id or "" for m in checks.run_checks() if (m.id or "").startswith("voiceotp_integrations")]


def test_a_site_without_locale_middleware_is_told_to_add_it(settings):
    without = [m for m in settings.MIDDLEWARE if m != LOCALE]
    with override_settings(MIDDLEWARE=without):
        assert language_warnings() == ["voiceotp_integrations.W001"]
        [warning] = [m for m in checks.run_checks() if m.id == "voiceotp_integrations.W001"]
        assert LOCALE in (warning.hint or "")
    with override_settings(MIDDLEWARE=without, LANGUAGES=[("vi", "Tiếng Việt")], LANGUAGE_CODE="vi"):
        assert language_warnings() == []  # one language: nothing to follow
    assert language_warnings() == []


def test_with_locale_middleware_the_login_wizard_speaks_the_visitor_s_language(
    client, user, device, voiceotp_gateway
):
    page = wizard_post(
        client,
        "/account/login/",
        "login_view",
        "auth",
        {"username": "ana", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert "Chúng tôi đang gọi 036****567." in page.content.decode()
