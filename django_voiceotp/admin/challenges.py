"""Challenges, newest first, with their calls inline, and the operator's "Refresh call status" action.

Nothing here can show a code: ``code_hash`` and ``code_salt`` are excluded, and no field holds the
code itself. Challenges come from the API only (no add), and no counter can be edited: an edited
counter would hand out attempts. The gateway page is served under this admin's URLs
(:mod:`.gateway_page`), so it sits beside the challenges it counts.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import OPEN_CALL_STATUSES, OtpChallenge, VoiceCall
from ..operations.polling import poll_for_a_person
from . import gateway_page
from .access import DeclaredLookupsMixin, ReadOnlyMixin, can_open, can_see_full_phone, change_url, for_viewer
from .changelist import OutOfRangeSafeChangeListMixin
from .display import ADMIN_CSS, EMPTY, FULL_PHONE, MASKED_PHONE, CallDisplay, PhoneDisplay, status_badge
from .search import phone_search

ACTION_CALL_LIMIT = 50
"""Calls one click asks about: the page waits on the gateway, so more belongs to the command."""


class VoiceCallInline(CallDisplay, ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = VoiceCall
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "gateway",
        "request_id",
        "status_badge",
        "send_code_meaning",
        "check_code_meaning",
        "send_ms",
        "check_ms",
        "created_at",
        "checked_at",
        "completed_at",
        "send_raw_answer",
        "check_raw_answer",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-pk")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OtpChallenge)
class OtpChallengeAdmin(
    PhoneDisplay,
    DeclaredLookupsMixin,
    ReadOnlyMixin,
    OutOfRangeSafeChangeListMixin,
    admin.ModelAdmin,  # type: ignore[type-arg]
):
    """Challenges, newest first.

    The number is masked as the API masks it, and whole only for a viewer with ``view_full_phone``
    (:mod:`.access`). The challenge's user is a link to their page when the site's admin has one the
    viewer may see, and plain text otherwise.
    """

    list_display = (
        MASKED_PHONE,
        "purpose",
        "status",
        "call_status_badge",
        "attempts_used",
        "calls_used",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "call_status", "purpose", "is_test", ("created_at", admin.DateFieldListFilter))
    search_fields = ("phone",)  # shows the search box; get_search_results does the matching
    search_help_text = _(
        "A number in any form (0912345678, +84 912 345 678), its last digits, a challenge or request id "
        "(a whole number needs the permission to see whole numbers)."
    )
    date_hierarchy = "created_at"
    exclude = ("code_hash", "code_salt")
    fields = (
        "id",
        MASKED_PHONE,
        "purpose",
        "status",
        "call_status_badge",
        "failure",
        "attempts_used",
        "calls_used",
        "created_at",
        "expires_at",
        "resend_available_at",
        "verified_at",
        "client_ip",
        "user_name",
    )
    readonly_fields = (*fields, FULL_PHONE, "user_link")
    inlines = (VoiceCallInline,)
    actions = ("refresh_call_status",)
    list_per_page = 100
    show_full_result_count = False

    class Media:
        css = {"all": (ADMIN_CSS,)}

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        return for_viewer(self.list_display, self.viewer_swaps(request))

    def get_fields(self, request: HttpRequest, obj: OtpChallenge | None = None) -> tuple[Any, ...]:
        return for_viewer(self.fields, self.viewer_swaps(request, obj))

    def viewer_swaps(self, request: HttpRequest, challenge: OtpChallenge | None = None) -> dict[str, str]:
        """The richer columns this viewer may have in place of the declared ones."""
        swaps = {MASKED_PHONE: FULL_PHONE} if can_see_full_phone(request) else {}
        user = None if challenge is None else challenge.user
        if user is not None and can_open(request, self.admin_site, type(user), user):
            swaps["user_name"] = "user_link"
        return swaps

    @admin.display(description=_("user"))
    def user_name(self, challenge: OtpChallenge) -> str:
        return EMPTY if challenge.user is None else str(challenge.user)

    @admin.display(description=_("user"))
    def user_link(self, challenge: OtpChallenge) -> SafeString | str:
        user = challenge.user
        if user is None:
            return EMPTY
        return format_html('<a href="{}">{}</a>', change_url(self.admin_site, user), user)

    @admin.display(description=_("call status"), ordering="call_status")
    def call_status_badge(self, challenge: OtpChallenge) -> SafeString | str:
        return status_badge(challenge.call_status)

    @admin.display(description=_("wrong codes"))
    def attempts_used(self, challenge: OtpChallenge) -> str:
        return f"{challenge.attempts}/{challenge.max_attempts}"

    @admin.display(description=_("calls"))
    def calls_used(self, challenge: OtpChallenge) -> str:
        return f"{challenge.sends}/{challenge.max_sends}"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[OtpChallenge], search_term: str
    ) -> tuple[QuerySet[OtpChallenge], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        found = phone_search(term, whole_numbers=can_see_full_phone(request))
        with contextlib.suppress(ValueError):
            found |= Q(pk=uuid.UUID(term))
        if len(term) <= 100:
            found |= Q(Exists(VoiceCall.objects.filter(challenge=OuterRef("pk"), request_id=term)))
        return queryset.filter(found), False

    # -- the gateway page and the balance ---------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [*gateway_page.urls(self), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **gateway_page.balance_context(request, self)}
        return super().changelist_view(request, extra_context=context)

    # -- actions ------------------------------------------------------------------------------------

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        """The model's own change permission: refreshing writes what the gateway says, nothing else."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    @admin.action(description=_("Refresh call status"), permissions=["refresh"])
    def refresh_call_status(self, request: HttpRequest, queryset: QuerySet[OtpChallenge]) -> None:
        """Ask the gateway about the selected challenges' open calls, newest first.

        Uses the gateway as for a person waiting and stops at the first transport failure, so one click
        never holds the page longer than one short timeout per call the gateway does answer.
        """
        calls = list(
            VoiceCall.objects.filter(
                challenge__in=queryset, status__in=OPEN_CALL_STATUSES, request_id__isnull=False
            ).order_by("-created_at", "-pk")[: ACTION_CALL_LIMIT + 1]
        )
        if not calls:
            self.message_user(request, _("No open call among the selected challenges."), messages.INFO)
            return
        report = poll_for_a_person(calls[:ACTION_CALL_LIMIT])
        asked = report.checked
        changed = len(report.changes)
        self.message_user(
            request,
            ngettext(
                "Asked the gateway about %(asked)d call: %(changed)d changed status.",
                "Asked the gateway about %(asked)d calls: %(changed)d changed status.",
                asked,
            )
            % {"asked": asked, "changed": changed},
            messages.SUCCESS if not report.failed else messages.WARNING,
        )
        if report.failed:
            failed = len(report.errors)
            self.message_user(
                request,
                ngettext(
                    "The gateway could not say for %(failed)d call (%(reason)s).",
                    "The gateway could not say for %(failed)d calls (%(reason)s).",
                    failed,
                )
                % {"failed": failed, "reason": report.errors[0][1]},
                messages.WARNING,
            )
        if report.not_asked:
            self.message_user(
                request,
                ngettext(
                    "%(count)d call was not asked about: the gateway stopped answering.",
                    "%(count)d calls were not asked about: the gateway stopped answering.",
                    report.not_asked,
                )
                % {"count": report.not_asked},
                messages.WARNING,
            )
        if len(calls) > ACTION_CALL_LIMIT:
            self.message_user(
                request,
                _("Only the %(limit)d newest open calls were asked about; voiceotp_poll_calls does the rest.")
                % {"limit": ACTION_CALL_LIMIT},
                messages.INFO,
            )
