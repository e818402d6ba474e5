"""The challenge and call lists' ChangeList: a value out of range is a bad filter, not a server error.

Django's ``ChangeList.get_filters`` builds the date hierarchy's bounds outside its ``try`` and catches
only ``ValueError``, so ``?created_at__year=9999`` (the year after it is out of range),
``?created_at__year=99999999999999999999`` (``OverflowError``) or the day after 9999-12-31 answer 500
(Django ticket #37357). A bound that is a datetime but not one the database adapter can move to UTC
(``?created_at__year=1`` in a zone east of UTC) fails later, when the count query is compiled. Both
are raised here as ``IncorrectLookupParameters``, which gets the admin's own answer to a bad filter: a
redirect to the list with ``?e=1``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.filters import ListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import DataError
from django.http import HttpRequest


class OutOfRangeSafeChangeList(ChangeList):
    def get_filters(
        self, request: HttpRequest
    ) -> tuple[list[ListFilter], bool, dict[str, bool | str], bool, bool]:
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except (ValueError, OverflowError, DataError) as exc:
            # A date part out of range (``?created_at__iso_year=10000``) fails when the count query
            # is built or run, and a bad pattern (``?purpose__regex=(``) when the database reads it.
            raise IncorrectLookupParameters(exc) from exc


class OutOfRangeSafeChangeListMixin:
    """For a ModelAdmin with a ``date_hierarchy``."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return OutOfRangeSafeChangeList
