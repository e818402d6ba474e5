"""The search box of the challenge and call lists: a number as a person types or reads it out."""

from __future__ import annotations

import re

from django.db.models import Q

from ..conf import get_settings
from ..phones import search_forms


def phone_search(term: str, field: str = "phone") -> Q:
    """Rows whose number is what a person typed, in any form (``0361234567``, ``+84 36 123 4567``).

    The exact E.164 match is what the indexes serve; the ``icontains`` on the digits (a leading trunk
    ``0`` dropped) finds a number from a fragment, such as its last digits read out on the phone.
    """
    forms = search_forms(term, get_settings().DEFAULT_REGION)
    found = Q(**{f"{field}__in": forms}) if forms else Q(pk__in=[])
    digits = re.sub(r"\D", "", term).lstrip("0")
    if len(digits) >= 3:
        found |= Q(**{f"{field}__icontains": digits})
    return found
