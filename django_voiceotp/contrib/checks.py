"""The system checks every integration registers: the middleware their pages rely on.

The REST API answers in the caller's language and writes the holder cookie by itself; the pages of
the integrations are allauth's, django-two-factor-auth's and django-otp's, which need the site's
middleware for both. Without ``LocaleMiddleware`` their language is ``LANGUAGE_CODE`` for everyone:
a visitor who reads Vietnamese gets this app's messages in English. Without
``HolderCookieMiddleware`` a person who verified a number on those pages is not recognised the next
time, and waits in the strangers' lane whenever a stranger spends the number's calls
(``docs/security.md``). One registration however many of the integrations are installed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.middleware.locale import LocaleMiddleware
from django.utils.module_loading import import_string

from ..middleware import HolderCookieMiddleware

LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"
HOLDER_MIDDLEWARE = "django_voiceotp.middleware.HolderCookieMiddleware"


def register_all() -> None:
    register(check_pages_follow_the_visitor_s_language)
    register(check_pages_recognise_the_holder)


def check_pages_follow_the_visitor_s_language(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.USE_I18N or len(settings.LANGUAGES) < 2 or _has_middleware(LocaleMiddleware):
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


def check_pages_recognise_the_holder(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if _has_middleware(HolderCookieMiddleware):
        return []
    return [
        Warning(
            "A number verified on the integrations' pages leaves no holder cookie: the next time, its "
            "holder is served in the strangers' lane, and waits when strangers spend the number's calls.",
            hint=f"Add {HOLDER_MIDDLEWARE!r} to MIDDLEWARE (anywhere: it writes on the way out).",
            id="voiceotp_integrations.W002",
        )
    ]


def _has_middleware(kind: type) -> bool:
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        if isinstance(middleware, type) and issubclass(middleware, kind):
            return True
    return False
