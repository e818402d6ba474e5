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
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
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


FILTER_LOOKUPS = frozenset({"exact", "in", "isnull", "gte", "lte", "lt", "gt", "year", "month", "day"})
"""The lookups the lists' own filters and date hierarchy make; any other (``regex``, ``iso_year``,
``startswith``) is refused as a filter the list does not offer."""


class DeclaredLookupsMixin:
    """A list filters on the fields of its own filters and date hierarchy, and on nothing else.

    Django's admin takes a filter on any of the model's own fields from the query string. Here that
    would let a viewer who sees numbers masked read the hidden digits back one at a time from the row
    count (``?phone__startswith=%2B8436``), and probe columns no page shows
    (``?code_hash__startswith=``). A filter on another field is refused as Django refuses any
    lookup it does not allow: a 400, and the list unchanged. Parameters that name no field (a
    ``SimpleListFilter``'s own) are left to Django.
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        name, _, how = lookup.partition(LOOKUP_SEP)
        model: type[Model] = self.model  # type: ignore[attr-defined]
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            pass
        else:
            if name not in self._declared_filter_fields(request) or (how and how not in FILTER_LOOKUPS):
                return False
        allowed: bool = super().lookup_allowed(lookup, value, request)  # type: ignore[misc]
        return allowed

    def _declared_filter_fields(self, request: HttpRequest) -> set[str]:
        names = {self.date_hierarchy} if self.date_hierarchy else set()  # type: ignore[attr-defined]
        for entry in self.get_list_filter(request):  # type: ignore[attr-defined]
            if isinstance(entry, str):
                names.add(entry.split(LOOKUP_SEP, 1)[0])
            elif isinstance(entry, (tuple, list)):
                names.add(str(entry[0]).split(LOOKUP_SEP, 1)[0])
            elif getattr(entry, "parameter_name", None):  # a SimpleListFilter, its own queryset
                names.add(str(entry.parameter_name))
        return names
