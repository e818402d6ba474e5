"""System checks: an allauth configuration that would send allauth's own code, accept it, or apply
allauth's limits on top of this app's is a problem to hear about at ``manage.py check``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.module_loading import import_string

from ...conf import get_settings, problems
from .. import checks as shared
from . import FORMS
from .adapter import VoiceCallAdapterMixin


def register_all() -> None:
    shared.register_all()
    register(check_allauth, Tags.security, "voiceotp")


def check_allauth(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from allauth.account import app_settings

    found = [
        *_adapter(app_settings),
        *_forms(app_settings),
        *_rate_limits(app_settings),
        *_enumeration(app_settings),
        *_pages(),
        *_backends(app_settings),
        *_headless(),
    ]
    if not problems():  # the core's checks report a broken VOICEOTP; its figures are read only when sound
        found.extend(_figures(app_settings))
    return found


def _adapter(app_settings: Any) -> list[CheckMessage]:
    try:
        adapter = import_string(app_settings.ADAPTER)
    except ImportError as exc:
        return [Error(f"ACCOUNT_ADAPTER cannot be imported: {exc}", id="voiceotp_allauth.E001")]
    if isinstance(adapter, type) and issubclass(adapter, VoiceCallAdapterMixin):
        return []
    return [
        Error(
            f"ACCOUNT_ADAPTER {app_settings.ADAPTER!r} does not place calls: allauth would ask it to send "
            "its own code by SMS.",
            hint="Set ACCOUNT_ADAPTER = django_voiceotp.contrib.allauth.ADAPTER, or put "
            "django_voiceotp.contrib.allauth.adapter.VoiceCallAdapterMixin first in your adapter's bases.",
            id="voiceotp_allauth.E001",
        )
    ]


def _forms(app_settings: Any) -> list[CheckMessage]:
    configured = app_settings.FORMS
    wrong = []
    for key, path in FORMS.items():
        expected = import_string(path)
        try:
            form = import_string(configured[key]) if key in configured else None
        except ImportError:
            form = None
        if not (isinstance(form, type) and issubclass(form, expected)):
            wrong.append(key)
    if not wrong:
        return []
    return [
        Error(
            f"ACCOUNT_FORMS does not name this app's form for {', '.join(wrong)}: allauth's own forms "
            "would compare allauth's code, which is never sent, and place no call before a user exists.",
            hint="Set ACCOUNT_FORMS = django_voiceotp.contrib.allauth.FORMS (a form of your own may "
            "subclass the one named there).",
            id="voiceotp_allauth.E002",
        )
    ]


def _rate_limits(app_settings: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    limits = app_settings.RATE_LIMITS
    if limits.get("verify_phone"):
        found.append(
            Error(
                f"ACCOUNT_RATE_LIMITS['verify_phone'] is {limits['verify_phone']!r}: allauth applies it "
                "after the sign-up form placed the call and created the user, so a refusal there leaves "
                "a half-made account; this app's own limits already count every call.",
                hint="Set ACCOUNT_RATE_LIMITS = {'verify_phone': None, 'change_phone': None}.",
                id="voiceotp_allauth.E003",
            )
        )
    if limits.get("change_phone"):
        found.append(
            Warning(
                f"ACCOUNT_RATE_LIMITS['change_phone'] is {limits['change_phone']!r}, a limit on top of "
                "this app's cooldown and per-number limits.",
                hint="Set ACCOUNT_RATE_LIMITS['change_phone'] = None.",
                id="voiceotp_allauth.W001",
            )
        )
    return found


def _enumeration(app_settings: Any) -> list[CheckMessage]:
    """allauth controls that behave differently for a number with an account and one without."""
    if not app_settings.PREVENT_ENUMERATION:
        return []
    found: list[CheckMessage] = []
    if app_settings.LOGIN_BY_CODE_MAX_RESEND_COUNT:
        found.append(
            Error(
                "ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND is on: allauth's resend of a login code to a number "
                "no account has fails inside allauth (an AssertionError, a 500), and a resend control "
                "that fails only for unknown numbers tells which numbers are known.",
                hint="Leave ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND off: a person who missed the call logs "
                "in again, which places a new call under this app's cooldown.",
                id="voiceotp_allauth.E004",
            )
        )
    if app_settings.PHONE_VERIFICATION_MAX_CHANGE_COUNT:
        found.append(
            Error(
                "ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE is on: allauth offers to change the number "
                "on the code page of a sign-up only when the number typed has no account yet, so the "
                "page tells whether a number has an account.",
                hint="Set ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = False: a person who typed a wrong "
                "number cancels and signs up again; a signed-in person changes it at "
                "/accounts/phone/change/.",
                id="voiceotp_allauth.E005",
            )
        )
    return found


CALL_PAGES = (
    "account/confirm_phone_verification_code.html",
    "account/confirm_login_code.html",
    "account/confirm_reauthentication_code.html",
)
"""allauth's code pages this app ships its own versions of."""


def _pages() -> list[CheckMessage]:
    """allauth's own code pages say "We've sent a code to +84905123456" (an SMS, the whole number)."""
    import allauth

    theirs = Path(allauth.__file__).resolve().parent
    shown = []
    for name in CALL_PAGES:
        try:
            origin = getattr(get_template(name), "origin", None)
        except TemplateDoesNotExist:
            continue
        if origin is not None and Path(str(origin.name)).resolve().is_relative_to(theirs):
            shown.append(name)
    if not shown:
        return []
    return [
        Warning(
            f"allauth's own {', '.join(shown)} would be shown: they say a code was sent by SMS and show "
            "the whole number.",
            hint="List 'django_voiceotp.contrib.allauth' before 'allauth' in INSTALLED_APPS, so that "
            "this app's versions of these pages come first.",
            id="voiceotp_allauth.W005",
        )
    ]


def _backends(app_settings: Any) -> list[CheckMessage]:
    """A sign-up with a number and a password whose call was missed needs this app's backend to
    log in again (allauth's finds verified numbers only, here)."""
    from django.conf import settings

    from .auth_backends import AuthenticationBackend

    if not ("password1" in app_settings.SIGNUP_FIELDS and "phone" in app_settings.SIGNUP_FIELDS):
        return []
    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend = import_string(path)
        except ImportError:
            continue
        if isinstance(backend, type) and issubclass(backend, AuthenticationBackend):
            return []
    return [
        Warning(
            "Sign-up takes a number and a password, but AUTHENTICATION_BACKENDS has no "
            "django_voiceotp.contrib.allauth backend: a person who signed up and missed the call "
            "could never log in again to answer a new one.",
            hint="Put django_voiceotp.contrib.allauth.AUTHENTICATION_BACKEND in AUTHENTICATION_BACKENDS "
            "in place of allauth's.",
            id="voiceotp_allauth.W006",
        )
    ]


def _headless() -> list[CheckMessage]:
    """allauth's own headless views would check allauth's code, which is never sent."""
    from django.apps import apps

    if not apps.is_installed("allauth.headless"):
        return []
    from allauth.headless import app_settings as headless_settings

    from .headless.views import ConfirmLoginCodeView

    theirs = []
    for client in headless_settings.CLIENTS:
        try:
            match = resolve(reverse(f"headless:{client}:account:confirm_login_code"))
        except (NoReverseMatch, Resolver404):
            continue  # the site serves no headless API for this client
        view_class = getattr(match.func, "view_class", None)
        if not (isinstance(view_class, type) and issubclass(view_class, ConfirmLoginCodeView)):
            theirs.append(client)
    if not theirs:
        return []
    return [
        Error(
            f"allauth's own headless API answers for the {' and '.join(theirs)} client: it places a call "
            "and then checks allauth's own code, which is never sent, so every code is refused.",
            hint="Include 'django_voiceotp.contrib.allauth.headless.urls' in place of "
            "'allauth.headless.urls' (the same endpoints, this app's in front).",
            id="voiceotp_allauth.E006",
        )
    ]


def _figures(app_settings: Any) -> list[CheckMessage]:
    values = get_settings()
    found: list[CheckMessage] = []
    for name, allauth_value in (
        ("PHONE_VERIFICATION_MAX_ATTEMPTS", app_settings.PHONE_VERIFICATION_MAX_ATTEMPTS),
        ("LOGIN_BY_CODE_MAX_ATTEMPTS", app_settings.LOGIN_BY_CODE_MAX_ATTEMPTS),
    ):
        if allauth_value != values.MAX_ATTEMPTS:
            found.append(
                Warning(
                    f"ACCOUNT_{name} is {allauth_value}, VOICEOTP['MAX_ATTEMPTS'] {values.MAX_ATTEMPTS}: "
                    "allauth and this app would end a flow after different numbers of wrong codes.",
                    hint=f"Set ACCOUNT_{name} = {values.MAX_ATTEMPTS}.",
                    id="voiceotp_allauth.W002",
                )
            )
    allowed, resends = app_settings.PHONE_VERIFICATION_MAX_RESEND_COUNT, values.MAX_SENDS - 1
    if allowed < resends:
        found.append(
            Warning(
                f"allauth allows {allowed} resends of a phone "
                f"verification, VOICEOTP['MAX_SENDS'] {resends}: allauth's resend control would vanish "
                "before this app's limit.",
                hint=f"Set ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = {resends}.",
                id="voiceotp_allauth.W003",
            )
        )
    for name, allauth_value in (
        ("PHONE_VERIFICATION_TIMEOUT", app_settings.PHONE_VERIFICATION_TIMEOUT),
        ("LOGIN_BY_CODE_TIMEOUT", app_settings.LOGIN_BY_CODE_TIMEOUT),
    ):
        if allauth_value < values.CODE_TTL * values.MAX_SENDS:
            found.append(
                Warning(
                    f"ACCOUNT_{name} is {allauth_value} s: allauth would end the flow while a code of this "
                    f"app may still be valid (VOICEOTP['CODE_TTL'] {values.CODE_TTL} s, "
                    f"{values.MAX_SENDS} calls).",
                    hint=f"Set ACCOUNT_{name} = {values.CODE_TTL * values.MAX_SENDS}.",
                    id="voiceotp_allauth.W004",
                )
            )
    return found
