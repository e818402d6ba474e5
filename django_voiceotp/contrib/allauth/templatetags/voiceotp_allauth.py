"""What this app's versions of allauth's code pages need: a number as the person may see it."""

from __future__ import annotations

from django import template

from ....services import InvalidPhone, normalize_phone

register = template.Library()


@register.filter
def masked_phone(phone: object) -> str:
    """``+84905123456`` as ``090****456``: the page says which number is called, not the number.
    Anything that is no number shows as nothing."""
    try:
        return normalize_phone(str(phone)).masked if phone else ""
    except InvalidPhone:
        return ""
