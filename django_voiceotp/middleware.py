"""The holder cookie on pages that are not the REST API's: add
``"django_voiceotp.middleware.HolderCookieMiddleware"`` to ``MIDDLEWARE`` where people verify a
number through the integrations (allauth's pages, django-otp's and django-two-factor-auth's forms).

The REST API writes the cookie itself. See :mod:`django_voiceotp.holders` for what it is for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from . import holders


class HolderCookieMiddleware:
    """Leaves the holder cookie on the answer to a request that verified a number."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        holders.remember(request, response)
        return response
