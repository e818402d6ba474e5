"""django-otp's forms, keeping the typed token out of Django's error reports.

django-otp's own forms hold the token in their frames' variables (``clean_otp``'s ``token``) and
the request's POST, which an error report shows; with this app's device that token is a live code
until it verifies. These subclasses behave exactly as django-otp's and mark both, for a site's
views (``OTPAuthenticationForm``, ``OTPTokenForm``) and the OTP admin's login
(:class:`~.admin.OTPAdminSite` uses ``OTPAdminAuthenticationForm``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_otp import admin as otp_admin
from django_otp import forms as otp_forms

from ..hidden import HidesWhileValidating, hide_post_fields


class _HidesToken(HidesWhileValidating):
    def _hide_token(self, request: HttpRequest | None) -> None:
        hide_post_fields(request, self.add_prefix("otp_token"))  # type: ignore[attr-defined]


class OTPAuthenticationForm(_HidesToken, otp_forms.OTPAuthenticationForm):  # type: ignore[misc]
    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self._hide_token(request)


class OTPTokenForm(_HidesToken, otp_forms.OTPTokenForm):  # type: ignore[misc]
    def __init__(self, user: Any, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, request, *args, **kwargs)
        self._hide_token(request)


class OTPAdminAuthenticationForm(_HidesToken, otp_admin.OTPAdminAuthenticationForm):  # type: ignore[misc]
    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self._hide_token(request)
