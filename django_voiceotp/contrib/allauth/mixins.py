"""What this app adds to allauth's forms and to its headless API's inputs, which are built on them.

The forms that come before a send (sign-up, a login, requesting a code, a changed number) place
the call at the end of their validation, once every other field is right: a refused or unreachable
number is then an error on the number's field, and nothing exists yet (no user at sign-up, no
changed number, no login stage). The forms that take a code check it against the challenge the
flow's call belongs to; allauth's own code is never compared.

Each mixin goes first in the bases of an allauth form (:mod:`.forms`) or of an allauth headless
input (:mod:`.headless.inputs`), which share their fields and their ``clean`` methods.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.phone_verification import phone_already_exists
from allauth.core import context
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from ...services import VoiceOtpError, check_code
from ..hidden import HidesWhileValidating, hide_post_fields
from . import calls, errors, slots

NO_CALL = _("No call was placed for this number. Ask for a new call.")
NO_ACCOUNT = _("No account uses this number.")
DIGITS_ONLY = _("The code is digits only.")


def _request() -> HttpRequest:
    request = context.request
    if request is None:
        raise RuntimeError("allauth's forms run inside its AccountMiddleware's request context")
    return request  # type: ignore[no-any-return]


def account_asking_for_a_code(phone: str) -> Any:
    """The account a login code for ``phone`` is for, as allauth's own request-a-code form finds it,
    without its ``request_login_code`` limit: this app's limits (per number, per address, the
    cooldown, the spend guards) already count every call, so allauth's would only refuse a person
    whose calls the app allows ("Too many failed login attempts" when nothing failed)."""
    adapter = get_adapter()
    user = adapter.get_user_by_phone(phone)
    if user is None and not app_settings.PREVENT_ENUMERATION:
        raise adapter.validation_error("unknown_phone")
    return user


def number_to_verify_at_login(user: Any) -> str | None:
    """The number allauth's login stage will ask a code for once the password is right: the
    account's, when it is not verified yet (a sign-up whose call was missed). The call is placed
    while the form is validated, so that a refusal is a form error and no login stage starts."""
    if user is None or not app_settings.PHONE_VERIFICATION_ENABLED:
        return None
    if not app_settings.SIGNUP_FIELDS.get("phone"):
        return None
    number = get_adapter().get_phone(user)
    if number is None or number[1]:
        return None
    return str(number[0])


class Refusals:
    """Keeps the rules' refusal behind each field error this app adds, for answers that carry more
    than words (the headless API's ``retry_after`` and ``attempts_left``)."""

    def refuse(self: Any, field: str, refusal: VoiceOtpError) -> None:
        self.voiceotp_refusals = {**getattr(self, "voiceotp_refusals", {}), field: refusal}
        self.add_error(field, errors.validation_error(refusal))


class PlacesCall(Refusals):
    """For a form whose validation ends with a call to the number it took."""

    flow: ClassVar[str] = slots.PHONE
    phone_field: ClassVar[str] = "phone"

    def _place_call(
        self: Any, phone: str | None, *, user: Any = None, account: Any = None, flow: str | None = None
    ) -> None:
        """Call ``phone``: ``user`` an account the person proved (a password, a session), ``account``
        one a typed number names (kept with the challenge, vouched for by nothing)."""
        if not phone or self.errors:
            return
        try:
            calls.place(_request(), flow or self.flow, phone, user=user, account=account)
        except VoiceOtpError as refusal:
            self.refuse(self.phone_field, refusal)


class CallsAtSignup(PlacesCall):
    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        honeypot = app_settings.SIGNUP_FORM_HONEYPOT_FIELD
        if app_settings.PHONE_VERIFICATION_ENABLED and not (honeypot and cleaned.get(honeypot)):
            self._place_call(cleaned.get("phone"))
        return cleaned


class CallsForLoginCode(PlacesCall):
    """Requesting a login code for a number (allauth's request-a-code form, and its headless input)."""

    flow = slots.LOGIN

    def clean_phone(self: Any) -> str:
        phone: str = self.cleaned_data["phone"]
        if phone:
            self._user = account_asking_for_a_code(phone)
        return phone

    def clean(self: Any) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        self._place_call(cleaned.get("phone"), account=getattr(self, "_user", None))
        return cleaned


class CallsForNewNumber(PlacesCall):
    """A new number: on the account page (signed in) or at the verification stage of a sign-up."""

    def clean(self: Any) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        request = _request()
        if request.user.is_authenticated and not self.errors:
            # allauth asks for reauthentication only after this form is valid; asked first here, so
            # that no call is placed for a request allauth then suspends and replays.
            from allauth.account.internal.flows.reauthentication import raise_if_reauthentication_required

            raise_if_reauthentication_required(request, app="allauth.account")
        self._place_call(cleaned.get("phone"), user=self.user)
        return cleaned


class ChecksCode(HidesWhileValidating, Refusals):
    """For a form that takes the code a call read out; the code shows in no error report."""

    flow: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hide_post_fields(context.request, self.add_prefix("code"))  # type: ignore[attr-defined]

    @sensitive_variables("code")
    def clean_code(self: Any) -> str:
        code = re.sub(r"[\s-]", "", str(self.cleaned_data["code"]))
        if not code.isascii() or not code.isdigit():
            raise forms.ValidationError(DIGITS_ONLY, code="invalid_code")
        request = _request()
        slot = slots.read(request, self.flow)
        if slot is None or slot.challenge is None or not self._same_number(slot):
            raise forms.ValidationError(NO_CALL, code="no_call")
        try:
            check_code(slot.challenge, code, request=request)
        except VoiceOtpError as refusal:
            self.voiceotp_refusals = {**getattr(self, "voiceotp_refusals", {}), "code": refusal}
            raise errors.validation_error(refusal) from None
        if not slot.account:
            self._no_account()
        return code

    def _same_number(self: Any, slot: slots.Slot) -> bool:
        return True

    def _no_account(self: Any) -> None:
        """The right code of a call placed with no account behind it: only the person who holds the
        number reads this, so it may say why nothing happens."""
        raise forms.ValidationError(NO_ACCOUNT, code="no_account")


class ChecksPhoneCode(ChecksCode):
    """The code of a phone verification (a sign-up, a changed number, an unverified number at login)."""

    flow = slots.PHONE

    @sensitive_variables("code")
    def clean_code(self: Any) -> str:
        code: str = super().clean_code()
        # The code was right; can the number be this account's? allauth's own check, which also says
        # so to the holder of a number that has an account already (see ``_no_account``).
        phone_already_exists(self.user, self.phone, always_raise=True)
        return code

    def _same_number(self: Any, slot: slots.Slot) -> bool:
        return bool(slot.phone == self.phone)

    def _no_account(self: Any) -> None:
        pass


class ChecksLoginCode(ChecksCode):
    flow = slots.LOGIN


class ChecksReauthenticationCode(ChecksCode):
    flow = slots.REAUTHENTICATE
