"""The wizards' forms for a voice call: the number to set up, and the code, checked by the device.

Codes are text: a code may start with a zero, which an integer field (django-two-factor-auth's own
validation form) would drop. Every refusal reads as the rules gave it (a wrong code with the tries
left, a locked or expired code, a limit), never as a bare "invalid token".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from two_factor.forms import AuthenticationTokenForm

from ... import services
from ..hidden import HidesWhileValidating, hide_post_fields
from ..otp import messages
from ..otp.models import VoiceCallDevice

CODE_MAX_LENGTH = 16
"""Room for a code typed with spaces or dashes; the device reads the digits."""


def _code_input() -> forms.TextInput:
    return forms.TextInput(
        attrs={"autofocus": "autofocus", "inputmode": "numeric", "autocomplete": "one-time-code"}
    )


class PhoneNumberForm(forms.Form):
    """The setup step: the number to call, as a person writes it; kept in E.164."""

    number = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("We will call this number and read out a verification code, e.g. 0905 123 456."),
        widget=forms.TextInput(attrs={"autofocus": "autofocus", "inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_number(self) -> str:
        try:
            return services.normalize_phone(self.cleaned_data["number"]).e164
        except services.InvalidPhone as exc:
            raise ValidationError(str(exc.detail), code=exc.code) from None


class CallValidationForm(HidesWhileValidating, forms.Form):
    """The setup wizard's last step: the code the call read out, checked against that call.

    The wizard places the call just before it shows this form; when no call could be placed, the
    form says why at its top, as the page's own words cannot.
    """

    token = forms.CharField(label=_("Verification code"), max_length=CODE_MAX_LENGTH, widget=_code_input())
    idempotent = False
    """A code verifies once: the wizard must not check it a second time when it finishes."""

    def __init__(self, device: VoiceCallDevice, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.device = device
        hide_post_fields(request, self.add_prefix("token"))  # the setup wizard's view marks none
        if device.why_no_call() is None:
            self.fields["token"].help_text = messages.call_notice(device.masked_number)

    def non_field_errors(self) -> ErrorList:
        if not self.is_bound and self.device.call_refusal is not None:
            notice = messages.call_notice(self.device.masked_number, self.device.call_refusal)
            return self.error_class([notice], error_class="nonfield", renderer=self.renderer)
        return super().non_field_errors()

    @sensitive_variables("token")
    def clean_token(self) -> str:
        token: str = self.cleaned_data["token"]
        try:
            self.device.check_token(token)
        except services.VoiceOtpError as exc:
            raise ValidationError(messages.refusal(exc), code=exc.code) from None
        return token


class CallTokenForm(HidesWhileValidating, AuthenticationTokenForm):  # type: ignore[misc]  # no types
    """The login wizard's token step for a voice call device.

    django-otp's form logic checks the code (``verify_is_allowed``, then ``verify_token``); a
    refusal is then told in the rules' words instead of django-otp's "Invalid token". The request
    is handed to the device, so that its client's address counts against the per-IP limits.
    """

    otp_token = forms.CharField(
        label=_("Verification code"), max_length=CODE_MAX_LENGTH, widget=_code_input()
    )

    def __init__(self, user: Any, initial_device: Any, request: HttpRequest | None = None, **kwargs: Any):
        super().__init__(user, initial_device, **kwargs)
        hide_post_fields(request, self.add_prefix("otp_token"))
        if request is not None and isinstance(initial_device, VoiceCallDevice):
            initial_device.request = request

    def clean(self) -> dict[str, Any]:
        device = self.initial_device
        if isinstance(device, VoiceCallDevice):
            device.refusal = None
        try:
            cleaned: dict[str, Any] = super().clean()
        except ValidationError:
            if isinstance(device, VoiceCallDevice) and device.refusal is not None:
                refusal = device.refusal
                raise ValidationError(messages.refusal(refusal), code=refusal.code) from None
            raise
        return cleaned
