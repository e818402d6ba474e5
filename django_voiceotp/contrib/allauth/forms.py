"""allauth's forms, swapped in with ``ACCOUNT_FORMS``: a call placed while a form is validated, and a
code checked by this app's rules (:mod:`.mixins` says how)."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django import forms

from . import mixins, slots


class SignupForm(mixins.CallsAtSignup, allauth_forms.SignupForm):  # type: ignore[misc]
    pass


class LoginForm(mixins.PlacesCall, allauth_forms.LoginForm):  # type: ignore[misc]
    """Login by phone: by code (the call placed here), or by password (a call here only for a number
    not verified yet, whose code allauth's login stage then asks for)."""

    flow = slots.LOGIN
    phone_field = "login"

    def user_credentials(self) -> dict[str, Any]:
        """A number typed into a login field that also takes e-mail addresses or user names reaches
        allauth as typed; the account is looked up, and called, by its E.164 form."""
        credentials: dict[str, Any] = super().user_credentials()
        if "phone" in credentials:
            credentials["phone"] = get_adapter().phone_form_field(required=True).clean(credentials["phone"])
        return credentials

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        if not self.errors:
            credentials = self.user_credentials()
            if "password" not in credentials:
                # A typed number proves nothing yet: the call is served in the strangers' lane.
                self._place_call(credentials.get("phone"), account=self.user)
            else:
                number = mixins.number_to_verify_at_login(self.user)
                self._place_call(number, user=self.user, flow=slots.PHONE)
        return cleaned

    def _clean_without_password(self, email: str | None, phone: str | None) -> dict[str, Any]:
        """A login by code to a number: allauth's own, but for :func:`.mixins.account_asking_for_a_code`."""
        if email or not phone:
            cleaned: dict[str, Any] = super()._clean_without_password(email, phone)
            return cleaned
        try:
            self.user = mixins.account_asking_for_a_code(phone)
        except forms.ValidationError as refusal:
            self.add_error("login", refusal)
        return self.cleaned_data  # type: ignore[no-any-return]


class RequestLoginCodeForm(mixins.CallsForLoginCode, allauth_forms.RequestLoginCodeForm):  # type: ignore[misc]
    pass


class ChangePhoneForm(mixins.CallsForNewNumber, allauth_forms.ChangePhoneForm):  # type: ignore[misc]
    pass


class VerifyPhoneForm(mixins.ChecksPhoneCode, allauth_forms.VerifyPhoneForm):  # type: ignore[misc]
    pass


class ConfirmLoginCodeForm(mixins.ChecksLoginCode, allauth_forms.ConfirmLoginCodeForm):  # type: ignore[misc]
    pass


class ConfirmReauthenticationCodeForm(
    mixins.ChecksReauthenticationCode,
    allauth_forms.ConfirmReauthenticationCodeForm,  # type: ignore[misc]
):
    pass
