"""The phone field allauth's forms get from the adapter: a number as people type it, kept in E.164.

allauth's own field takes E.164 only (``+84905123456``); people in Vietnam type ``0905 123 456``. The
number is read under the site's region rules (``DEFAULT_REGION``, ``ALLOWED_REGIONS``), so that a
number the gateway could never call is refused here, with the reason, before any account exists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ...services import InvalidPhone, normalize_phone


class PhoneNumberField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Phone number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "tel",
                    "autocomplete": "tel",
                    "placeholder": _("Phone number"),
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if not value:
            return value
        try:
            number = normalize_phone(value)
        except InvalidPhone as refusal:
            raise forms.ValidationError(str(refusal.detail), code=refusal.code) from None
        from allauth.account.adapter import get_adapter

        return get_adapter().clean_phone(number.e164)
