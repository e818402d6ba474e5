"""The method django-two-factor-auth's wizards use: a voice call device, set up and checked here.

Its code is ``"call"``: the setup wizard saves a device only for the methods it knows by code, and
its templates name the setup step's purpose by the method's code. The setup step is
:data:`SETUP_STEP`, not ``"call"``, because the wizard puts its own validation form (an integer
field, which drops a code's leading zeros) after any step named ``"call"``; this method brings its
own, which keeps the digits as typed and says why a code was refused.

While the wizard runs, the device exists unconfirmed: its calls need a saved device (their purpose
names it), and the wizard rebuilds the device on every request. The wizard confirms it at the end.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy
from two_factor.plugins.registry import MethodBase

from ..otp import messages
from ..otp.models import VoiceCallDevice
from .forms import CallTokenForm, CallValidationForm, PhoneNumberForm

SETUP_STEP = "voice_call"
DEVICE_NAME = "default"
"""django-two-factor-auth's name for the device its login wizard asks by default."""


class VoiceCallMethod(MethodBase):  # type: ignore[misc]  # django-two-factor-auth ships no types
    code = "call"
    verbose_name = gettext_lazy("Phone call: we call you and read out a code")

    def get_devices(self, user: Any) -> QuerySet[VoiceCallDevice]:
        return VoiceCallDevice.objects.devices_for_user(user, confirmed=True)  # type: ignore[no-any-return]

    def recognize_device(self, device: Any) -> bool:
        return isinstance(device, VoiceCallDevice)

    def get_setup_forms(self, wizard: Any) -> dict[str, type[Any]]:
        return {SETUP_STEP: PhoneNumberForm, "validation": CallValidationForm}

    def get_device_from_setup_data(
        self, request: HttpRequest, setup_data: dict[str, Any], **kwargs: Any
    ) -> VoiceCallDevice:
        """The user's unconfirmed device with the number of the setup step, acting for ``request``."""
        device = (
            VoiceCallDevice.objects.filter(user=request.user, name=DEVICE_NAME, confirmed=False)
            .order_by("pk")
            .first()
        ) or VoiceCallDevice(user=request.user, name=DEVICE_NAME, confirmed=False)
        number = (setup_data.get(SETUP_STEP) or {}).get("number")
        if number:
            device.number = number
        device.request = request
        return device

    def get_token_form_class(self) -> type[CallTokenForm]:
        return CallTokenForm

    def get_action(self, device: VoiceCallDevice) -> str:
        return gettext("Call %(number)s") % {"number": device.masked_number}

    def get_verbose_action(self, device: VoiceCallDevice) -> str:
        """Above the login wizard's code input: the call on its way, or why none was placed."""
        return messages.call_notice(device.masked_number, device.why_no_call())
