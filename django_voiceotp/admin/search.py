"""The search box of the challenge and call lists: a number as a person types or reads it out."""

from __future__ import annotations

import re

from django.db.models import Q

from ..conf import get_settings
from ..phones import search_forms

SHOWN_DIGITS = 3
"""The last digits a masked number shows (``036****567``)."""


def phone_search(term: str, field: str = "phone", *, whole_numbers: bool = True) -> Q:
    """Rows whose number is what a person typed, in any form (``0361234567``, ``+84 36 123 4567``).

    The exact E.164 match is what the indexes serve; the ``icontains`` on the digits (a leading trunk
    ``0`` dropped) also finds a number from a piece of it, such as its last digits read out on the
    phone. Without ``whole_numbers`` (a viewer who may not see whole numbers) neither is tried, only
    the last digits the mask shows anyway: a whole number, or a piece of one, tried one after another
    would read back the digits the mask hides (a hit or a miss per search, at most 10,000 of them).
    """
    digits = re.sub(r"\D", "", term).lstrip("0")
    if not whole_numbers:
        return Q(**{f"{field}__endswith": digits}) if len(digits) == SHOWN_DIGITS else Q(pk__in=[])
    forms = search_forms(term, get_settings().DEFAULT_REGION)
    found = Q(**{f"{field}__in": forms}) if forms else Q(pk__in=[])
    if len(digits) >= SHOWN_DIGITS:
        found |= Q(**{f"{field}__icontains": digits})
    return found
