"""The system check every integration registers: the pages they serve follow the visitor's language.

The REST API answers in the caller's language by itself; the pages of the integrations are allauth's,
django-two-factor-auth's and django-otp's, whose language is the one Django activates for the
request. Without ``LocaleMiddleware`` that is ``LANGUAGE_CODE`` for everyone: a visitor who reads
Vietnamese gets this app's messages in English. One check, registered once however many of the
integrations are installed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.middleware.locale import LocaleMiddleware
from django.utils.module_loading import import_string

LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"


def register_all() -> None:
    register(check_pages_follow_the_visitor_s_language)


def check_pages_follow_the_visitor_s_language(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.USE_I18N or len(settings.LANGUAGES) < 2 or _has_locale_middleware():
        return []
    return [
        Warning(
            "The integrations' pages (allauth's, two-factor-auth's, django-otp's) and their messages are "
            f"in LANGUAGE_CODE ({settings.LANGUAGE_CODE!r}) for every visitor: without LocaleMiddleware "
            "Django follows no visitor's Accept-Language or language cookie.",
            hint=f"Add {LOCALE_MIDDLEWARE!r} to MIDDLEWARE, after SessionMiddleware and before "
            "CommonMiddleware; or set LANGUAGES to the one language the site speaks.",
            id="voiceotp_integrations.W001",
        )
    ]


def _has_locale_middleware() -> bool:
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        if isinstance(middleware, type) and issubclass(middleware, LocaleMiddleware):
            return True
    return False
