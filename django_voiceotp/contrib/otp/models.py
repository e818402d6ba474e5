"""A user's phone as a django-otp device: its challenge is a call placed by this app's rules.

The device keeps no code: ``generate_challenge`` starts a verification
(:func:`django_voiceotp.services.start_verification`, a purpose naming the device) and
``verify_token`` checks against that challenge alone (:func:`django_voiceotp.services.check_code`),
so every guarantee of the rules holds and a code verifies for no other device or purpose.
Throttling is the rules' too: django-otp's ``ThrottlingMixin`` would count each wrong code again in a
read-modify-write of the device row, so ``verify_is_allowed`` and ``generate_is_allowed`` report the
rules' lock and the resend cooldown in the shapes django-otp's forms use.

django-otp's interface raises nothing (django-two-factor-auth's login wizard does not catch): the
refusal is kept as :attr:`VoiceCallDevice.refusal`, and :meth:`~VoiceCallDevice.place_call` and
:meth:`~VoiceCallDevice.check_token` raise it for forms that show the reason. The per-IP limits need
:attr:`VoiceCallDevice.request` (django-otp passes none); the per-number ones hold either way.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables
from django_otp.models import Device, GenerateNotAllowed, TimestampMixin

from ... import services
from ...exceptions import InvalidRequest
from ...models import ChallengeStatus, OtpChallenge
from ...phones import mask, national_from_e164
from . import messages

NO_CALL_YET = _("Ask for a call first: no code was sent for this device.")
NOT_DIGITS = _("The code is digits only.")
_SEPARATORS = re.compile(r"[\s\-]")
_MAX_TOKEN_DIGITS = 10


class VoiceCallDevice(TimestampMixin, Device):  # type: ignore[misc]  # django-otp ships no types
    """A phone number (E.164) that proves the user by answering a call and typing its code."""

    number = models.CharField(_("phone number"), max_length=20, help_text=_("Stored in E.164: +84905123456."))
    challenge = models.ForeignKey(
        OtpChallenge,
        verbose_name=_("latest challenge"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "The verification challenge of the device's latest call: the only one its tokens verify."
        ),
    )

    request: HttpRequest | None = None
    """The request the device acts for, when its caller has one (not a field): its client's address
    then counts against the per-IP limits."""
    refusal: services.VoiceOtpError | None = None
    """Why the latest :meth:`generate_challenge` or :meth:`verify_token` on this instance failed (not
    a field); None after a success."""
    call_refusal: services.VoiceOtpError | None = None
    """Why the latest :meth:`generate_challenge` on this instance placed no call (not a field); None
    when it placed one or was not asked: what a page says about the call, whatever a code did since."""

    class Meta:
        verbose_name = _("voice call device")
        verbose_name_plural = _("voice call devices")

    @property
    def purpose(self) -> str:
        """The purpose of the device's challenges: a code verifies for this device alone."""
        if self.pk is None:
            raise ValueError("a device has a purpose once it is saved")
        return f"django_otp:{self.persistent_id}"

    @property
    def masked_number(self) -> str:
        return mask(national_from_e164(self.number)) if self.number else ""

    def clean(self) -> None:
        """Read the number as a person types it (``0905 123 456``) and keep it in E.164."""
        super().clean()
        if not self.number:
            return  # the field's own "required" says it
        try:
            self.number = services.normalize_phone(self.number).e164
        except services.InvalidPhone as exc:
            raise ValidationError({"number": ValidationError(str(exc.detail), code=exc.code)}) from None

    # -- the calls ---------------------------------------------------------------------------------

    def place_call(self) -> OtpChallenge:
        """Call the number with a new code; the code of the device's previous call dies.

        The previous call's challenge is canceled, also when it was for another number: a wizard
        the person went back in to type another number (django-two-factor-auth's setup) tells the
        device nothing but this new call, and the device checks codes against its latest call only.

        Raises the rules' refusal (:class:`~django_voiceotp.services.VoiceOtpError`), which is also
        kept in :attr:`refusal`. An unsaved device is saved first: its challenges need its id.
        """
        self.refusal = self.call_refusal = None
        if self.pk is None:
            self.save()
        previous = self.challenge_id
        try:
            challenge = services.start_verification(
                self.number, purpose=self.purpose, user=self.user, **self._caller()
            )
        except services.VoiceOtpError as exc:
            self.refusal = self.call_refusal = exc
            self._follow_failed_call()
            raise
        self._point_to(challenge)
        if previous is not None and previous != challenge.pk:
            _abandon(previous)
        return challenge

    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Not while the latest call's resend cooldown runs and its code can still be typed, in
        ``CooldownMixin``'s shape.

        The rules hold the cooldown per number across every purpose; this answers from the device's
        own latest challenge, so it may allow a call the rules then refuse (``generate_challenge``
        says so). Only a code still waiting to be typed is worth waiting for: a challenge verified
        (the setup a moment ago, the previous login), locked, expired, replaced or whose call failed
        leaves the decision to the rules, which give a verified number its cooldown back; so does
        one for a number the device no longer has.
        """
        challenge = self._latest_challenge()
        now = timezone.now()
        if (
            challenge is not None
            and challenge.status == ChallengeStatus.PENDING
            and challenge.expires_at > now
            and challenge.phone == self._e164()
            and now < challenge.resend_available_at
        ):
            return False, {
                "reason": GenerateNotAllowed.COOLDOWN_DURATION_PENDING,
                "next_generation_at": challenge.resend_available_at,
            }
        allowed: tuple[bool, dict[str, Any] | None] = super().generate_is_allowed()
        return allowed

    def generate_challenge(self) -> str:
        """Place the call; the message for the person either way (``OTP Challenge: {0}``)."""
        allowed, data = self.generate_is_allowed()
        if not allowed:
            until = data["next_generation_at"] if data else timezone.now()
            self.refusal = self.call_refusal = _cooldown(until)
            return messages.challenge_message(self.masked_number, self.refusal)
        try:
            self.place_call()
        except services.VoiceOtpError as exc:
            return messages.challenge_message(self.masked_number, exc)
        return messages.challenge_message(self.masked_number)

    def why_no_call(self) -> services.VoiceOtpError | None:
        """Why no call is on its way for the code a page asks for: the refusal of this instance's
        latest :meth:`generate_challenge`, or, when it was not asked (a page shown again after a
        code was typed), the device's latest call if the gateway could not place it."""
        if self.call_refusal is not None:
            return self.call_refusal
        challenge = self._latest_challenge()
        if challenge is not None and challenge.status == ChallengeStatus.FAILED and self._is_own(challenge):
            return services.Expired(messages.ASK_AGAIN)
        return None

    # -- the codes ---------------------------------------------------------------------------------

    @sensitive_variables("token", "code")
    def check_token(self, token: Any) -> services.Verification:
        """Check ``token`` against the device's latest call, or raise the rules' refusal (also kept in
        :attr:`refusal`): ``InvalidCode`` (with ``attempts_left``), ``Locked``, ``Expired``,
        ``AlreadyVerified``, ``RateLimited``, or ``NotFound`` when no call was placed.

        A token that is not digits is refused before it reaches the rules, and counts as no attempt.
        """
        self.refusal = None
        try:
            code = _digits(token)
            challenge = self._own_challenge()
            if challenge.status == ChallengeStatus.FAILED:
                raise services.Expired(messages.NOT_PLACED)
            verification = services.check_code(challenge.pk, code, **self._caller())
        except services.VoiceOtpError as exc:
            self.refusal = exc
            raise
        self.set_last_used_timestamp(commit=False)
        type(self).objects.filter(pk=self.pk).update(last_used_at=self.last_used_at)
        return verification

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        """Not once the latest call's code is locked (``MAX_ATTEMPTS`` spent): only a new call helps.

        Told with ``error_message``, not django-otp's ``N_FAILED_ATTEMPTS``, whose words ("try again
        soon") promise a wait that would not help.
        """
        challenge = self._latest_challenge()
        if challenge is not None and challenge.status == ChallengeStatus.LOCKED:
            return False, {"error_message": messages.LOCKED}
        allowed: tuple[bool, dict[str, Any] | None] = super().verify_is_allowed()
        return allowed

    @sensitive_variables("token")
    def verify_token(self, token: Any) -> bool:
        """True once for the code the latest call read out; the reason for False is :attr:`refusal`."""
        try:
            self.check_token(token)
        except services.VoiceOtpError:
            return False
        return True

    # -- internals ---------------------------------------------------------------------------------

    def _caller(self) -> dict[str, Any]:
        return {"request": self.request} if self.request is not None else {"client_ip": None}

    def _latest_challenge(self) -> OtpChallenge | None:
        if self.challenge_id is None:
            return None
        try:
            return services.get_challenge(self.challenge_id)
        except services.NotFound:
            return None

    def _own_challenge(self) -> OtpChallenge:
        """The latest challenge, if it is still this device's: its purpose and the device's number."""
        challenge = self._latest_challenge()
        if challenge is None or not self._is_own(challenge):
            raise services.NotFound(NO_CALL_YET)
        return challenge

    def _is_own(self, challenge: OtpChallenge) -> bool:
        return self.pk is not None and challenge.purpose == self.purpose and challenge.phone == self._e164()

    def _e164(self) -> str | None:
        """The number in E.164, however it was written; None when it is no number to call."""
        try:
            return services.normalize_phone(self.number).e164
        except services.InvalidPhone:
            return None

    def _point_to(self, challenge: OtpChallenge) -> None:
        type(self).objects.filter(pk=self.pk).update(challenge=challenge)
        self.challenge = challenge

    def _follow_failed_call(self) -> None:
        """After a refusal, point to the number's newest challenge of this purpose: a call that could
        not be placed leaves a failed challenge, whose code is then refused as such; a refusal before
        any challenge (a limit, the cooldown) leaves the previous call's code as it was."""
        number = self._e164()
        if number is None:
            return
        newest = (
            OtpChallenge.objects.filter(phone=number, purpose=self.purpose).order_by("-created_at").first()
        )
        if newest is not None and newest.pk != self.challenge_id:
            self._point_to(newest)


def _abandon(challenge_id: Any) -> None:
    """Cancel the device's previous challenge if it is still pending (one for the same number was
    replaced already). Its id is the device's, never the client's: no guess is counted."""
    with contextlib.suppress(services.VoiceOtpError):  # finished already (verified, replaced, ...), or purged
        services.cancel_challenge(challenge_id, client_ip=None)


def _digits(token: Any) -> str:
    digits = _SEPARATORS.sub("", str(token))
    if not digits.isascii() or not digits.isdigit() or not 1 <= len(digits) <= _MAX_TOKEN_DIGITS:
        raise InvalidRequest(NOT_DIGITS)
    return digits


def _cooldown(until: datetime) -> services.RateLimited:
    seconds = max(int((until - timezone.now()).total_seconds()) + 1, 1)
    detail = ngettext(
        "Ask for another call in %(seconds)d second.",
        "Ask for another call in %(seconds)d seconds.",
        seconds,
    ) % {"seconds": seconds}
    return services.RateLimited(seconds, detail)
