"""What the admin lets a person see and do beyond Django's own model permissions.

Challenges and calls are evidence of what happened: they are shown, never edited or added here. The
gateway page needs ``view_gateway``: the balance is the company's money and the figures are its
traffic, which not every member of staff who reads challenges needs to see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

GATEWAY_PERMISSION = "django_voiceotp.view_gateway"


def can_see_gateway(request: HttpRequest) -> bool:
    return request.user.has_perm(GATEWAY_PERMISSION)


class ReadOnlyMixin:
    """Shown, never edited: every field is read-only and nothing is added here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
