"""What the admin lets a person see and do beyond Django's own model permissions.

Challenges and calls are evidence of what happened: they are shown, never edited or added here. The
gateway page needs ``view_gateway``: the balance is the company's money and the figures are its
traffic, which not every member of staff who reads challenges needs to see. A full number needs
``view_full_phone``: pages are what screenshots, screen shares and people passing by see, so every
page masks a number unless its viewer was given the right to read it whole.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.utils import quote
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse

GATEWAY_PERMISSION = "django_voiceotp.view_gateway"
FULL_PHONE_PERMISSION = "django_voiceotp.view_full_phone"


def can_see_gateway(request: HttpRequest) -> bool:
    return request.user.has_perm(GATEWAY_PERMISSION)


def can_see_full_phone(request: HttpRequest) -> bool:
    return request.user.has_perm(FULL_PHONE_PERMISSION)


def can_open(request: HttpRequest, site: AdminSite, model: type[Model], obj: Model | None = None) -> bool:
    """Whether ``model`` (or ``obj``) has a page on ``site`` that the viewer may see.

    Only then is a reference to it a link: a link to a 403, or to a page the site does not have, tells
    the viewer nothing the plain text does not.
    """
    return site.is_registered(model) and site.get_model_admin(model).has_view_permission(request, obj)


def change_url(site: AdminSite, obj: Model) -> str:
    opts = obj._meta
    return reverse(
        f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)], current_app=site.name
    )


def for_viewer(names: Any, swaps: dict[str, str]) -> tuple[Any, ...]:
    """``names`` (a ``list_display`` or ``fields``) with each column in ``swaps`` replaced for this viewer.

    The declared columns are what anyone may see (the masked number, a reference as plain text); a
    viewer with more rights gets the richer column in the same place.
    """
    return tuple(swaps.get(name, name) if isinstance(name, str) else name for name in names)


class ReadOnlyMixin:
    """Shown, never edited: every field is read-only and nothing is added here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
