"""The number each account holds, and whether a call proved it: what allauth asks its adapter to keep.

A number is unique among *verified* holders only. Anyone may type any number at sign-up, so an
unverified claim must not block the person who really holds it (nor hand them an account someone
else made with their number): only a verified number finds an account.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccountPhone(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="voiceotp_phone",
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20, db_index=True)
    verified = models.BooleanField(_("number verified"), default=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    class Meta:
        verbose_name = _("account phone number")
        verbose_name_plural = _("account phone numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=Q(verified=True), name="voiceotp_allauth_one_verified_holder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ({'verified' if self.verified else 'unverified'})"
