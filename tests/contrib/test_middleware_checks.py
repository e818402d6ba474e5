"""The integrations' pages rely on the site's middleware: Django's LocaleMiddleware for the visitor's
language, HolderCookieMiddleware for the holder cookie; without either a system check says what to
add."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from django_voiceotp.middleware import HolderCookieMiddleware

from .conftest import PASSWORD, wizard_post

pytestmark = pytest.mark.django_db
LOCALE = "django.middleware.locale.LocaleMiddleware"
HOLDER = "django_voiceotp.middleware.HolderCookieMiddleware"


def integration_warnings() -> list[str]:
    return [m.id or "" for m in checks.run_checks() if (m.id or "").startswith("voiceotp_integrations")]


def test_a_site_without_locale_middleware_is_told_to_add_it(settings):
    without = [m for m in settings.MIDDLEWARE if m != LOCALE]
    with override_settings(MIDDLEWARE=without):
        assert integration_warnings() == ["voiceotp_integrations.W001"]
        [warning] = [m for m in checks.run_checks() if m.id == "voiceotp_integrations.W001"]
        assert LOCALE in (warning.hint or "")
    with override_settings(MIDDLEWARE=without, LANGUAGES=[("vi", "Tiếng Việt")], LANGUAGE_CODE="vi"):
        assert integration_warnings() == []  # one language: nothing to follow
    assert integration_warnings() == []


def test_a_site_without_the_holder_cookie_middleware_is_told_to_add_it(settings):
    without = [m for m in settings.MIDDLEWARE if m != HOLDER]
    with override_settings(MIDDLEWARE=without):
        assert integration_warnings() == ["voiceotp_integrations.W002"]
        [warning] = [m for m in checks.run_checks() if m.id == "voiceotp_integrations.W002"]
        assert HOLDER in (warning.hint or "")
    with override_settings(MIDDLEWARE=[*without, "tests.contrib.test_middleware_checks.OwnHolderCookies"]):
        assert integration_warnings() == []  # a subclass of it counts


class OwnHolderCookies(HolderCookieMiddleware):
    pass


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
