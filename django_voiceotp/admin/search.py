"""The search box of the challenge and call lists: a number as a person types or reads it out."""

from __future__ import annotations

import re

from django.db.models import Q

from ..conf import get_settings
from ..phones import search_forms

SHOWN_DIGITS = 3
"""The last digits a masked number shows (``036****567``)."""


def phone_search(term: str, field: str = "phone", *, fragments: bool = True) -> Q:
    """Rows whose number is what a person typed, in any form (``0361234567``, ``+84 36 123 4567``).

    The exact E.164 match is what the indexes serve; with ``fragments``, the ``icontains`` on the
    digits (a leading trunk ``0`` dropped) also finds a number from a piece of it, such as its last
    digits read out on the phone. Without ``fragments`` (a viewer who may not see whole numbers),
    only the last digits the mask shows anyway are matched: trying pieces one after another would
    otherwise read back the digits the mask hides.
    """
    forms = search_forms(term, get_settings().DEFAULT_REGION)
    found = Q(**{f"{field}__in": forms}) if forms else Q(pk__in=[])
    digits = re.sub(r"\D", "", term).lstrip("0")
    if fragments and len(digits) >= 3:
        found |= Q(**{f"{field}__icontains": digits})
    elif len(digits) == SHOWN_DIGITS:
        found |= Q(**{f"{field}__endswith": digits})
    return found
