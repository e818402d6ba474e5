"""allauth's headless inputs with this app's behaviour: the same mixins as :mod:`..forms`."""

from __future__ import annotations

from typing import Any

from allauth.headless.account import inputs as allauth_inputs

from .. import mixins, slots
from ..fields import PhoneNumberField


class SignupInput(mixins.CallsAtSignup, allauth_inputs.SignupInput):  # type: ignore[misc]
    pass


class LoginInput(mixins.PlacesCall, allauth_inputs.LoginInput):  # type: ignore[misc]
    """Login by number and password: a number as people type it, and a call when its number is not
    verified yet (allauth's login stage then asks for that call's code)."""

    flow = slots.PHONE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            self.fields["phone"] = PhoneNumberField(required=self.fields["phone"].required)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        login = getattr(self, "login", None)
        if login is not None and not self.errors:
            self._place_call(mixins.number_to_verify_at_login(login.user), user=login.user)
        return cleaned


class RequestLoginCodeInput(mixins.CallsForLoginCode, allauth_inputs.RequestLoginCodeInput):  # type: ignore[misc]
    pass


class ChangePhoneInput(mixins.CallsForNewNumber, allauth_inputs.ChangePhoneInput):  # type: ignore[misc]
    pass


class RequestReauthenticationCodeInput(mixins.PlacesCall, allauth_inputs.RequestReauthenticationCodeInput):  # type: ignore[misc]
    """allauth's own checks (a verified recipient of the account's), then the call to that number."""

    flow = slots.REAUTHENTICATE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"] = PhoneNumberField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        self._place_call(cleaned.get("phone"), user=self.user)
        return cleaned


class VerifyPhoneInput(mixins.ChecksPhoneCode, allauth_inputs.VerifyPhoneInput):  # type: ignore[misc]
    pass


class ConfirmLoginCodeInput(mixins.ChecksLoginCode, allauth_inputs.ConfirmLoginCodeInput):  # type: ignore[misc]
    pass


class ConfirmReauthenticationCodeInput(
    mixins.ChecksReauthenticationCode,
    allauth_inputs.ConfirmReauthenticationCodeInput,  # type: ignore[misc]
):
    pass
