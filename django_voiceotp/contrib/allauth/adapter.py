"""The account adapter: allauth's phone methods, answered by voice calls and the account numbers.

``VoiceCallAdapterMixin`` goes before a site's own adapter (or allauth's ``DefaultAccountAdapter``,
as :class:`VoiceCallAccountAdapter` does). allauth calls its send hooks once it has decided to send a
code; each becomes a call through :mod:`.calls`, and the code allauth generated is never read. The
storage methods keep the number on :class:`~.models.AccountPhone`; a site that keeps numbers on its
own user model overrides those four (``get_phone``, ``set_phone``, ``set_phone_verified``,
``get_user_by_phone``) and keeps the rest.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from ...services import InvalidPhone, normalize_phone
from . import calls, errors, slots
from .fields import PhoneNumberField
from .models import AccountPhone

logger = logging.getLogger("django_voiceotp")

SENT_MESSAGES = {
    "account/messages/phone_verification_sent.txt": slots.PHONE,
    "account/messages/login_code_sent.txt": slots.LOGIN,
}
"""allauth's "a code was sent" messages: each send ends with one, even a send it skipped."""
UNVERIFIED_CLAIMS_TRIED = 5
"""How many unverified claims on a number a password is tried against (newest first)."""
VERIFIED_MESSAGE = "account/messages/phone_verified.txt"
"""allauth's "you have verified phone number +84905123456": said here with the number masked."""


def _login_flow(kwargs: dict[str, Any]) -> str:
    return slots.REAUTHENTICATE if kwargs.get("reauthentication") else slots.LOGIN


class VoiceCallAdapterMixin:
    """allauth's phone verification by voice call. Mix in before the adapter class it extends."""

    request: HttpRequest | None
    error_messages: dict[str, Any]

    def phone_form_field(self, **kwargs: Any) -> PhoneNumberField:
        return PhoneNumberField(**kwargs)

    def generate_phone_verification_code(self, *, user: Any, phone: str) -> str:
        """allauth keeps this in the session and hands it to its own forms to compare; it is never
        sent and no one can type it, so a form left unswapped accepts no code at all."""
        return secrets.token_urlsafe(32)

    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        # Login and reauthentication by code pass ``reauthentication``; phone verification does not.
        flow = _login_flow(kwargs) if "reauthentication" in kwargs else slots.PHONE
        calls.deliver(self._request(), flow, phone, account=True, user=user)

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        """Login by code for a number no account has: called all the same (see :func:`.calls.deliver`)."""
        calls.deliver(self._request(), _login_flow(kwargs), phone, account=False)

    def send_account_already_exists_sms(self, phone: str) -> None:
        """Sign-up with a number an account has: called all the same (see :func:`.calls.deliver`)."""
        calls.deliver(self._request(), slots.PHONE, phone, account=False)

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        message_context: dict[str, Any] | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        """allauth's "a code was sent" becomes "we are calling", or nothing when the call was refused
        (the refusal's own error message is shown instead); its "too many requests" after a refused
        resend becomes that refusal's words."""
        flow = SENT_MESSAGES.get(message_template or "")
        phone = (message_context or {}).get("phone")
        if flow is not None and phone:
            if flow == slots.LOGIN:
                flow = _login_flow(message_context or {})
            if not calls.on_its_way(request, flow):
                return
            message, message_template = _calling(phone), None
        if message_template == VERIFIED_MESSAGE and (message_context or {}).get("phone"):
            message, message_template = _verified(str((message_context or {})["phone"])), None
        refused = calls.refusal(request)
        if refused is not None and message is not None and message == self.error_messages["rate_limited"]:
            message = errors.message(refused)
        super().add_message(  # type: ignore[misc]
            request, level, message_template, message_context, extra_tags, message
        )

    def logout(self, request: HttpRequest) -> None:
        """The session's pending calls are abandoned: their challenges are canceled, then allauth
        logs out. allauth calls this for a signed-in person's logout, and its headless API for
        ``DELETE /auth/session``, which is also how an app abandons a pending login or sign-up."""
        calls.abandon(request)
        super().logout(request)  # type: ignore[misc]

    def get_phone(self, user: Any) -> tuple[str, bool] | None:
        if user is None or user.pk is None:
            return None
        found = AccountPhone.objects.filter(user=user).values_list("phone", "verified").first()
        return (found[0], found[1]) if found else None

    def set_phone(self, user: Any, phone: str, verified: bool) -> None:
        AccountPhone.objects.update_or_create(
            user=user,
            defaults={
                "phone": phone,
                "verified": verified,
                "verified_at": timezone.now() if verified else None,
            },
        )

    def set_phone_verified(self, user: Any, phone: str) -> None:
        """The number proved by a call becomes the account's, verified (a changed number is attached
        only now). Another account verifying the same number at the same moment keeps it: this one
        stays unverified rather than failing the request."""
        try:
            with transaction.atomic():
                self.set_phone(user, phone, True)
        except IntegrityError:
            logger.warning(
                "a number was verified for two accounts at once; user %s keeps it unverified", user.pk
            )

    def get_user_by_phone(self, phone: str) -> Any:
        """Only a verified number finds an account (see :mod:`.models`)."""
        try:
            e164 = normalize_phone(phone).e164
        except InvalidPhone:
            return None
        found = AccountPhone.objects.filter(phone=e164, verified=True).select_related("user").first()
        return found.user if found else None

    def get_users_signing_in_by_phone(self, phone: str) -> list[Any]:
        """The accounts a number and a password may sign in to (:mod:`.auth_backends`): its verified
        holder; with none, the accounts that claim it unverified, newest first, a few at most (each
        costs a password hash). Any of those then answers a call to the number before it is in."""
        holder = self.get_user_by_phone(phone)
        if holder is not None:
            return [holder]
        try:
            e164 = normalize_phone(phone).e164
        except InvalidPhone:
            return []
        claims = AccountPhone.objects.filter(phone=e164, verified=False).select_related("user")
        return [claim.user for claim in claims.order_by("-pk")[:UNVERIFIED_CLAIMS_TRIED]]

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth keys its failed-login limit on the e-mail or the user name; a number has neither,
        so every number would share one key and a few wrong passwords anywhere would lock out every
        login by number. The number is the key here."""
        key = str(super()._get_login_attempts_cache_key(request, **credentials))  # type: ignore[misc]
        phone = credentials.get("phone")
        if not phone or credentials.get("email") or credentials.get("username"):
            return key
        with contextlib.suppress(InvalidPhone):
            phone = normalize_phone(str(phone)).e164
        return f"{key}phone:{phone}"

    def _request(self) -> HttpRequest:
        from allauth.core import context

        request = context.request or self.request
        if request is None:
            raise RuntimeError("allauth sent a code outside a request: is AccountMiddleware installed?")
        return request


def _masked(phone: str) -> str:
    try:
        return normalize_phone(phone).masked
    except InvalidPhone:
        return ""


def _calling(phone: str) -> str:
    return gettext("We are calling %(phone)s. Answer and type the code you hear.") % {"phone": _masked(phone)}


def _verified(phone: str) -> str:
    return gettext("Your number %(phone)s is verified.") % {"phone": _masked(phone)}


class VoiceCallAccountAdapter(VoiceCallAdapterMixin, DefaultAccountAdapter):  # type: ignore[misc]
    """allauth's default adapter with phone verification by voice call."""
