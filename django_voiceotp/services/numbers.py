"""Which numbers the site calls: what a person typed, under the site's region rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .. import phones
from ..conf import VoiceOtpSettings, get_settings
from ..exceptions import InvalidPhone


def normalize_phone(raw: str, values: VoiceOtpSettings | None = None) -> phones.Phone:
    """Parse what a person typed, under the site's region rules, or raise ``InvalidPhone``."""
    values = values or get_settings()
    try:
        return phones.parse_phone(
            raw, default_region=values.DEFAULT_REGION, allowed_regions=values.ALLOWED_REGIONS
        )
    except phones.UncallableNumber as exc:
        raise InvalidPhone(_reason_detail(exc.reason)) from None


def _reason_detail(reason: str) -> Any:
    return {
        phones.RETIRED: _(
            "This 11-digit number was retired in 2018 and has no 10-digit form. Enter the number in use now."
        ),
        phones.OTHER_REGION: _(
            "Numbers in this country cannot be called. Enter a number of a country this site calls."
        ),
        phones.NOT_CALLABLE: _(
            "This kind of number (premium-rate, toll-free) cannot be called. "
            "Enter a mobile or landline number."
        ),
        phones.EXTENSION: _("Numbers with an extension cannot be called. Enter the number without it."),
    }.get(reason, InvalidPhone.default_detail)
