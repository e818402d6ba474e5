"""A person reading Vietnamese gets this app's refusals and messages in Vietnamese on allauth's pages,
whether the browser asks for it or the language cookie says so."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.helpers import wrong

from .flows import PHONE, VERIFY_PHONE, field_errors, messages_of, sign_up, type_code

pytestmark = pytest.mark.django_db
VI = {"HTTP_ACCEPT_LANGUAGE": "vi"}


def test_a_refused_number_in_vietnamese(client, voiceotp_gateway):
    voiceotp_gateway.refuse(PHONE, "recipient_refused")
    answer = sign_up(client, **VI)
    assert field_errors(answer, "phone") == ["Số này không nhận loại cuộc gọi này. Hãy nhập số khác."]


def test_an_uncallable_number_in_vietnamese(client, voiceotp_gateway):
    answer = sign_up(client, "1900 1234", **VI)
    assert field_errors(answer, "phone") == [
        "Không thể gọi đến loại số này (số dịch vụ tính phí cao, số miễn phí). "
        "Hãy nhập số di động hoặc số cố định."
    ]


def test_the_call_and_a_wrong_code_in_vietnamese_by_the_language_cookie(client, voiceotp_gateway):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    sign_up(client)
    assert messages_of(client.get(VERIFY_PHONE)) == [
        "Chúng tôi đang gọi tới 090****456. Hãy nghe máy và nhập mã xác minh bạn nghe được."
    ]
    answer = type_code(client, wrong(voiceotp_gateway.last_code(PHONE)))
    assert field_errors(answer, "code") == [
        "Mã xác minh không đúng. Hãy kiểm tra và thử lại.",
        "Còn 4 lần thử.",
    ]


def test_an_unreachable_gateway_in_vietnamese(client, voiceotp_gateway):
    voiceotp_gateway.fail(PHONE, "unavailable")
    answer = sign_up(client, **VI)
    assert field_errors(answer, "phone") == ["Dịch vụ gọi điện không phản hồi. Hãy thử lại sau ít phút."]


def test_the_code_page_says_the_call_in_vietnamese(client, voiceotp_gateway):
    sign_up(client, **VI)
    page = client.get(VERIFY_PHONE, **VI).content.decode()
    assert "Mã được đọc trong cuộc gọi tới 090****456." in page
    assert "Gọi lại cho tôi" in page


def test_without_locale_middleware_a_system_check_says_to_add_it(settings):
    from django.core import checks
    from django.test import override_settings

    without = [m for m in settings.MIDDLEWARE if m != "django.middleware.locale.LocaleMiddleware"]
    with override_settings(MIDDLEWARE=without):
        found = [m.id for m in checks.run_checks() if (m.id or "").startswith("voiceotp_integrations")]
    assert found == ["voiceotp_integrations.W001"]
