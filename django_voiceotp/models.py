"""Challenges and the calls placed for them: state only, no HTTP and no rules.

Every call the app tries is a row, written *before* the gateway is asked, so that a process that dies
mid-request, a timeout or an unreadable answer still leaves a record of what happened.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .phones import mask, national_from_e164

TEST_NUMBER_HELP = _("A number of TEST_NUMBERS: never dialled, and it costs nothing.")
FORGOTTEN_MARK = "*"
"""Ends the number of a forgotten call that the prefix guard still counts: ``+8436123*`` (no number
ends so, and no lookup by number finds it). See :mod:`django_voiceotp.operations.forget`."""


def is_forgotten(phone: str) -> bool:
    """Whether a row's number was forgotten (``voiceotp_forget``): erased, or kept as a prefix only."""
    return not phone or phone.endswith(FORGOTTEN_MARK)


class ChallengeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    EXPIRED = "expired", _("Expired")
    LOCKED = "locked", _("Locked")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


class CallStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    CALLING = "calling", _("Calling")
    ANSWERED = "answered", _("Answered")
    UNANSWERED = "unanswered", _("Unanswered")
    REJECTED = "rejected", _("Rejected")
    UNKNOWN = "unknown", _("Unknown")


OPEN_CALL_STATUSES = (CallStatus.CALLING, CallStatus.UNKNOWN)
CLOSED_STATUSES = (
    ChallengeStatus.VERIFIED,
    ChallengeStatus.LOCKED,
    ChallengeStatus.FAILED,
    ChallengeStatus.CANCELED,
)


class OtpChallenge(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    purpose = models.CharField(_("purpose"), max_length=64, default="default")
    is_test = models.BooleanField(
        _("test number"),
        default=False,
        help_text=_("A number of TEST_NUMBERS: never dialled, costs nothing."),
    )
    owner = models.CharField(
        _("started by"),
        max_length=64,
        default="",
        editable=False,
        help_text=_(
            "Whose live code a new challenge replaces, and whose limits its calls and guesses spend: "
            "holder (a browser that verified the number), member:<user id>, or anyone:<client tag>."
        ),
    )
    code_hash = models.CharField(max_length=64, editable=False)
    code_salt = models.CharField(max_length=32, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING
    )
    call_status = models.CharField(
        _("call status"), max_length=16, choices=CallStatus.choices, blank=True, default=""
    )
    failure = models.CharField(
        _("failure"), max_length=200, blank=True, default="", help_text=_("Why no call was placed.")
    )
    attempts = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("wrong codes allowed"))
    sends = models.PositiveSmallIntegerField(_("calls placed"), default=0)
    max_sends = models.PositiveSmallIntegerField(_("calls allowed"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    resend_available_at = models.DateTimeField(_("resend available"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    token_used_at = models.DateTimeField(
        _("proof used"),
        null=True,
        blank=True,
        help_text=_("When the site consumed this verification's token (consume_token)."),
    )
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["phone", "purpose", "status"], name="voiceotp_ch_phone_purpose"),
            models.Index(fields=["status", "created_at"], name="voiceotp_ch_status_created"),
            models.Index(fields=["created_at"], name="voiceotp_ch_created"),
        ]
        constraints = [
            # One live code per number, purpose and owner, held by the database itself: a stranger's
            # challenge for the same number never replaces the one its holder is about to type.
            models.UniqueConstraint(
                fields=["phone", "purpose", "owner"],
                condition=Q(status="pending"),
                name="voiceotp_one_pending_per_owner",
            ),
        ]
        permissions = [
            ("view_gateway", _("Can see the gateway page and its balance")),
            ("view_full_phone", _("Can see full phone numbers")),
        ]

    def __str__(self) -> str:
        return f"{self.masked_phone} {self.purpose} ({self.status})"

    @property
    def masked_phone(self) -> str:
        return mask(national_from_e164(self.phone))

    @property
    def closed(self) -> bool:
        """Verified, locked, failed or replaced: no guess and no resend can change it any more."""
        return self.status in CLOSED_STATUSES

    @property
    def attempts_left(self) -> int:
        return 0 if self.closed else max(self.max_attempts - self.attempts, 0)

    @property
    def sends_left(self) -> int:
        """Calls a resend can still place: 0 once none can, so a client never offers a dead button."""
        return 0 if self.closed else max(self.max_sends - self.sends, 0)

    @property
    def current_status(self) -> str:
        """:meth:`effective_status` now: what the API shows."""
        return self.effective_status()

    def effective_status(self, now: datetime | None = None) -> str:
        """The status a reader should see: a pending code past its time is expired, written or not."""
        if self.status == ChallengeStatus.PENDING and self.expires_at <= (now or timezone.now()):
            return ChallengeStatus.EXPIRED
        return self.status


NOT_CHARGED = (CallStatus.REJECTED,)
"""Calls that cost nothing: the gateway refused them, or never saw them."""


class CallQuerySet(models.QuerySet["VoiceCall"]):
    def charged_since(self, since: datetime) -> CallQuerySet:
        """Calls placed (or in flight) since ``since``: every one but those that cost nothing (refused,
        or to a test number)."""
        return self.filter(created_at__gt=since, is_test=False).exclude(status__in=NOT_CHARGED)


class VoiceCall(models.Model):
    challenge = models.ForeignKey(
        OtpChallenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="calls"
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20)
    gateway = models.CharField(
        _("gateway"), max_length=32, default="", help_text=_("The gateway (its NAME) that placed the call.")
    )
    is_test = models.BooleanField(
        _("test number"),
        default=False,
        help_text=_("A number of TEST_NUMBERS: never dialled, costs nothing."),
    )
    sent_digest = models.CharField(max_length=64, editable=False)
    # NULL, not "": calls the gateway never took have no id, and the unique constraint skips NULLs.
    request_id = models.CharField(_("request id"), max_length=100, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(
        _("call status"), max_length=16, choices=CallStatus.choices, default=CallStatus.QUEUED
    )
    send_code = models.CharField(
        _("send code"), max_length=32, blank=True, default="", help_text=_("As the gateway wrote it.")
    )
    send_error = models.CharField(_("send error"), max_length=200, blank=True, default="")
    send_raw = models.TextField(_("send answer"), blank=True, default="")
    send_ms = models.PositiveIntegerField(_("send time (ms)"), null=True, blank=True)
    check_code = models.CharField(
        _("check code"), max_length=32, blank=True, default="", help_text=_("As the gateway wrote it.")
    )
    check_raw = models.TextField(_("check answer"), blank=True, default="")
    check_ms = models.PositiveIntegerField(_("check time (ms)"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("status checks"), default=0)
    created_at = models.DateTimeField(_("placed"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    poll_lease_until = models.DateTimeField(
        _("claimed until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "A poller asking the gateway about this call holds it until then; after a failed check, "
            "no poller asks again before then."
        ),
    )

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["phone", "created_at"], name="voiceotp_call_phone_created"),
            models.Index(fields=["status", "created_at"], name="voiceotp_call_status_created"),
            # The pollers' claim: the open calls, newest first, read a few at a time under a row lock,
            # which keeps the database from sorting only the first few; without an index in that
            # order every claim sorts every open call.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(status__in=OPEN_CALL_STATUSES, request_id__isnull=False),
                name="voiceotp_call_open_newest",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request_id"],
                condition=Q(request_id__isnull=False),
                name="voiceotp_call_unique_request_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask(national_from_e164(self.phone))} {self.status} {self.request_id or ''}".strip()


class PrefixBlock(models.Model):
    """A number prefix refused by the toll-fraud guard (``PREFIX_GUARD``) until ``blocked_until``."""

    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    blocked_at = models.DateTimeField(_("blocked"), default=timezone.now)
    blocked_until = models.DateTimeField(_("blocked until"))
    calls = models.PositiveIntegerField(_("calls in the window"), default=0)
    unverified = models.PositiveIntegerField(_("never verified"), default=0)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("blocked prefix")
        verbose_name_plural = _("blocked prefixes")
        ordering = ("-blocked_at",)

    def __str__(self) -> str:
        return self.prefix

    @property
    def active(self) -> bool:
        return self.lifted_at is None and self.blocked_until > timezone.now()


class CallLedger(models.Model):
    """One row, locked while a call is counted against ``DAILY_CALL_LIMIT`` and inserted."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)

    class Meta:
        verbose_name = _("call ledger")

    def __str__(self) -> str:
        return "call ledger"
