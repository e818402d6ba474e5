"""allauth's headless URLs, with this app's views in front of those that take a number or a code.

Include it where allauth's would go (``path("_allauth/", include(...))``): every endpoint of
``allauth.headless.urls`` is there, under its own names, so that allauth and a front end reverse
and call them as before. This app's views come first at the same paths, unnamed, under the same
conditions as allauth's (its clients, ``SOCIALACCOUNT_ONLY``, ``LOGIN_BY_CODE_ENABLED``).
"""

from __future__ import annotations

from typing import Any

from allauth import app_settings as allauth_settings
from allauth.account import app_settings as account_settings
from allauth.headless import app_settings
from allauth.headless import urls as allauth_urls
from allauth.headless.constants import Client
from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "headless"


def _endpoints() -> dict[str, Any]:
    """Path under ``v1/`` -> this app's view, as allauth's own patterns decide to serve them."""
    found: dict[str, Any] = {"auth/code/confirm": views.ConfirmLoginCodeView}
    if not allauth_settings.SOCIALACCOUNT_ONLY:
        found |= {
            "account/phone": views.ManagePhoneView,
            "auth/reauthenticate/code/request": views.RequestReauthenticationCodeView,
            "auth/reauthenticate/code/confirm": views.ConfirmReauthenticationCodeView,
            "auth/reauthenticate/code/resend": views.ResendReauthenticationCodeView,
            "auth/login": views.LoginView,
            "auth/signup": views.SignupView,
            "auth/phone/verify": views.VerifyPhoneView,
            "auth/phone/verify/resend": views.ResendPhoneVerificationCodeView,
        }
    if account_settings.LOGIN_BY_CODE_ENABLED:
        found |= {
            "auth/code/request": views.RequestLoginCodeView,
            "auth/code/resend": views.ResendLoginCodeView,
        }
    return found


def build_urlpatterns() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for client in map(Client, app_settings.CLIENTS):
        for route, view in _endpoints().items():
            patterns.append(path(f"{client.value}/v1/{route}", view.as_api_view(client=client)))
    return [*patterns, *allauth_urls.urlpatterns]


urlpatterns = build_urlpatterns()
