"""Serializers validate and shape; they decide nothing."""

from __future__ import annotations

import re
import threading
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import CallStatus, ChallengeStatus, OtpChallenge

_PURPOSE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")


class StrictCharField(serializers.CharField):
    """A string field that takes JSON strings only: DRF's CharField turns 361234567 or true into text,
    which would let a malformed client through and contradict the schema it publishes. Its messages
    are the app's, in the app's catalogue: DRF's Vietnamese has none of them."""

    default_error_messages = {
        "not_a_string": _("Must be a string."),
        "required": _("This field is required."),
        "null": _("This field may not be null."),
        "blank": _("This field may not be blank."),
        "invalid": _("Must be a string."),
        "max_length": _("At most {max_length} characters."),
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class Body(serializers.Serializer[Any]):
    """A request body: a JSON object."""

    default_error_messages = {"invalid": _("Send a JSON object, not {datatype}.")}


class ChallengeRequestSerializer(Body):
    phone = StrictCharField(
        max_length=32,
        trim_whitespace=True,
        help_text=_("The number to call, as typed: 0361234567, +84 36 123 4567"),
    )
    purpose = StrictCharField(
        max_length=64,
        required=False,
        default="default",
        help_text=_(
            "What the number is verified for (login, signup, ...); a code verifies only its own purpose."
        ),
    )

    def validate_purpose(self, value: str) -> str:
        if not _PURPOSE.fullmatch(value):
            raise serializers.ValidationError(_("Use letters, digits and . _ : - only (at most 64)."))
        return value


class VerifySerializer(Body):
    code = StrictCharField(max_length=16, help_text=_("The digits the call read out."))

    def validate_code(self, value: str) -> str:
        digits = re.sub(r"[\s\-]", "", value)
        if not digits.isascii() or not digits.isdigit() or not 1 <= len(digits) <= 10:
            raise serializers.ValidationError(_("The code is digits only."))
        return digits


class ChallengeSerializer(serializers.Serializer[OtpChallenge]):
    """A challenge as the API shows it. Declared field by field, not a ModelSerializer: this runs on
    every request and verify, and a ModelSerializer rebuilds its fields from the model each time."""

    id = serializers.UUIDField(read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True, help_text=_("Masked: 036****567"))
    purpose = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ChallengeStatus.choices, source="current_status", read_only=True)
    call_status = serializers.ChoiceField(
        choices=[("", "none yet"), *CallStatus.choices],
        read_only=True,
        help_text=_("The latest call's status."),
    )
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    resend_available_at = serializers.DateTimeField(read_only=True)
    attempts_left = serializers.IntegerField(read_only=True)
    sends_left = serializers.IntegerField(read_only=True)


class VerifiedSerializer(serializers.Serializer[Any]):
    verified = serializers.BooleanField()
    token = serializers.CharField(
        help_text=_(
            "Signed proof of the verified number; "
            "spend it once with django_voiceotp.services.consume_token()."
        )
    )
    challenge = ChallengeSerializer()


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error body; some codes add fields (``errors``, ``attempts_left``, ``retry_after``,
    ``challenge``, ``status``)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)  # type: ignore[assignment]
    attempts_left = serializers.IntegerField(required=False)
    retry_after = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(
        choices=ChallengeStatus.choices,
        required=False,
        help_text=_("With already_finished: what the challenge is now."),
    )
    challenge = serializers.DictField(
        required=False,
        help_text=_(
            "challenge_required: what the site's policy asks the client to show (a captcha's key and "
            "image URL, say); ask again with the answer in the fields the site names."
        ),
    )


class Shaper:
    """One serializer instance per thread, built on first use and used by that thread's requests, for
    reading bodies and shaping answers.

    Why: a serializer instance deep-copies its declared fields when it is built, which on these
    endpoints cost more than the validation and the shaping themselves. Why per thread: DRF makes no
    promise that one instance may serve two threads at once; one thread's requests come one after
    another, and validation (``run_validation``) and shaping (``to_representation``) keep nothing of a
    request on the instance.
    """

    def __init__(self, serializer_class: type[serializers.Serializer[Any]]) -> None:
        self.serializer_class = serializer_class
        self._local = threading.local()

    @property
    def serializer(self) -> serializers.Serializer[Any]:
        found: serializers.Serializer[Any] | None = getattr(self._local, "serializer", None)
        if found is None:
            found = self._local.serializer = self.serializer_class()
            found.fields  # noqa: B018 (binds the fields now, once)
        return found

    def read(self, data: Any) -> dict[str, Any]:
        """The validated body; a ``ValidationError`` (400 ``invalid_request``) otherwise."""
        validated: dict[str, Any] = self.serializer.run_validation(data)
        return validated

    def shape(self, instance: Any) -> dict[str, Any]:
        shaped: dict[str, Any] = self.serializer.to_representation(instance)
        return shaped


CHALLENGE_REQUEST = Shaper(ChallengeRequestSerializer)
VERIFY = Shaper(VerifySerializer)
CHALLENGE = Shaper(ChallengeSerializer)
