"""The admin: challenges and their calls, read-only, and the operator's "Refresh call status" action.

Display and actions only. The rules stay in :mod:`.services`; the balance, the gateway page's figures
and polling live in :mod:`.operations`; the gateway page itself is in :mod:`.admin_views`.

Nothing here can show a code: ``code_hash``, ``code_salt`` and ``sent_digest`` are excluded, and no
field holds the code itself. Challenges come from the API only (no add), and nothing the gateway said,
no counter and no hash can be edited: an edited counter would hand out attempts, an edited answer
would rewrite what the gateway charged for.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from . import admin_guards, admin_views  # noqa: F401  (admin_guards registers PrefixBlock)
from .conf import get_settings
from .gateway import GatewayCode
from .gateway.codes import send_code
from .gateway.quick import quick_client
from .models import OPEN_CALL_STATUSES, CallStatus, OtpChallenge, VoiceCall
from .operations.polling import poll_calls
from .phones import local_from_e164, mask, search_forms

EMPTY = "-"
"""What the admin shows for an empty value, as Django's own ``empty_value_display`` does."""
ACTION_CALL_LIMIT = 50
"""Calls one click asks about: the page waits on the gateway, so more belongs to the command."""


def status_badge(status: str) -> SafeString | str:
    """A call status as a coloured label; the colour is the status's CSS class, never its text."""
    if not status:
        return EMPTY
    label = CallStatus(status).label if status in CallStatus.values else status
    return format_html('<span class="voiceotp-badge voiceotp-badge-{}">{}</span>', status, label)


def code_title(code: GatewayCode | None) -> SafeString | str:
    """The code and its short title in the reader's language (the list)."""
    if code is None:
        return EMPTY
    title = code.title_vi if (get_language() or "").startswith("vi") else code.title_en
    return format_html('<span class="voiceotp-code">{}</span> {}', code.value, title)


def code_meaning(code: GatewayCode | None) -> SafeString | str:
    """The code with the gateway operator's full meaning in English and Vietnamese (detail pages)."""
    if code is None:
        return EMPTY
    return format_html(
        '<span class="voiceotp-code">{}</span> {}<br><span lang="vi">{}</span>',
        code.value,
        code.meaning_en,
        code.meaning_vi,
    )


def raw_answer(text: str) -> SafeString | str:
    return format_html('<pre class="voiceotp-raw">{}</pre>', text) if text else EMPTY


def phone_search(term: str, field: str = "phone") -> Q:
    """Rows whose number is what a person typed, in any form (``0361234567``, ``+84 36 123 4567``).

    The exact E.164 match is what the indexes serve; the ``icontains`` on the digits (a leading trunk
    ``0`` dropped) finds a number from a fragment, such as its last digits read out on the phone.
    """
    forms = search_forms(term, get_settings().DEFAULT_REGION)
    found = Q(**{f"{field}__in": forms}) if forms else Q(pk__in=[])
    digits = re.sub(r"\D", "", term).lstrip("0")
    if len(digits) >= 3:
        found |= Q(**{f"{field}__icontains": digits})
    return found


class SendCodeFilter(admin.SimpleListFilter):
    """The send codes present, by number and the gateway's title for them."""

    title = _("send code")
    parameter_name = "send_code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        values = (
            VoiceCall.objects.exclude(send_code=None)
            .order_by("send_code")
            .values_list("send_code", flat=True)
            .distinct()
        )
        return [(str(value), code_title(send_code(value))) for value in values if value is not None]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(send_code=int(value))
        except ValueError:
            return queryset.none()


class ReadOnlyMixin:
    """Shown, never edited: every field is read-only and nothing is added here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CallDisplay:
    """How a call's status, codes and raw answers read, in the inline and in the calls' own pages."""

    @admin.display(description=_("call status"), ordering="status")
    def status_badge(self, call: VoiceCall) -> SafeString | str:
        return status_badge(call.status)

    @admin.display(description=_("send code"))
    def send_code_meaning(self, call: VoiceCall) -> SafeString | str:
        return code_meaning(call.send_meaning)

    @admin.display(description=_("check code"))
    def check_code_meaning(self, call: VoiceCall) -> SafeString | str:
        return code_meaning(call.check_meaning)

    @admin.display(description=_("send answer"))
    def send_raw_answer(self, call: VoiceCall) -> SafeString | str:
        return raw_answer(call.send_raw)

    @admin.display(description=_("check answer"))
    def check_raw_answer(self, call: VoiceCall) -> SafeString | str:
        return raw_answer(call.check_raw)


class VoiceCallInline(CallDisplay, ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = VoiceCall
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
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
class OtpChallengeAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Challenges, newest first.

    The list shows the masked number, as the API does: a list is what screenshots, screen shares and
    people passing by see. The change page shows the full E.164 number, because an operator who opened
    one challenge on purpose is usually on the phone with its owner and has to compare it.
    """

    list_display = (
        "masked_phone",
        "purpose",
        "status",
        "call_status_badge",
        "attempts_used",
        "calls_used",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "call_status", "purpose", ("created_at", admin.DateFieldListFilter))
    search_fields = ("phone",)  # shows the search box; get_search_results does the matching
    search_help_text = _(
        "A number in any form (0912345678, +84 912 345 678), its last digits, a challenge or request id."
    )
    date_hierarchy = "created_at"
    exclude = ("code_hash", "code_salt")
    fields = (
        "id",
        "phone",
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
        "user",
    )
    readonly_fields = fields
    inlines = (VoiceCallInline,)
    actions = ("refresh_call_status",)
    list_per_page = 100
    show_full_result_count = False

    class Media:
        css = {"all": ("django_voiceotp/admin.css",)}

    @admin.display(description=_("phone"), ordering="phone")
    def masked_phone(self, challenge: OtpChallenge) -> str:
        return challenge.masked_phone

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
        found = phone_search(term)
        with contextlib.suppress(ValueError):
            found |= Q(pk=uuid.UUID(term))
        if len(term) <= 100:
            found |= Q(Exists(VoiceCall.objects.filter(challenge=OuterRef("pk"), request_id=term)))
        return queryset.filter(found), False

    # -- the gateway page and the balance ---------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(lambda request: view(self, request))

        return [
            path("gateway/", wrap(admin_views.gateway_page), name="django_voiceotp_gateway"),
            path(
                "gateway/balance/",
                wrap(admin_views.refresh_balance),
                name="django_voiceotp_gateway_balance",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), **admin_views.balance_context(request, self)}
        return super().changelist_view(request, extra_context=context)

    # -- actions ------------------------------------------------------------------------------------

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        """The model's own change permission: refreshing writes what the gateway says, nothing else."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    @admin.action(description=_("Refresh call status"), permissions=["refresh"])
    def refresh_call_status(self, request: HttpRequest, queryset: QuerySet[OtpChallenge]) -> None:
        """Ask the gateway about the selected challenges' open calls, newest first.

        Uses the quick client and stops at the first transport failure, so one click never holds the
        page longer than one capped timeout per call the gateway does answer.
        """
        calls = list(
            VoiceCall.objects.filter(
                challenge__in=queryset, status__in=OPEN_CALL_STATUSES, request_id__isnull=False
            ).order_by("-created_at", "-pk")[: ACTION_CALL_LIMIT + 1]
        )
        if not calls:
            self.message_user(request, _("No open call among the selected challenges."), messages.INFO)
            return
        with quick_client() as client:
            report = poll_calls(calls[:ACTION_CALL_LIMIT], workers=1, client=client, stop_after=1)
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


@admin.register(VoiceCall)
class VoiceCallAdmin(CallDisplay, ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Every call the app tried, with what the gateway answered: evidence, so nothing is editable."""

    list_display = (
        "masked_phone",
        "request_id",
        "status_badge",
        "send_code_title",
        "check_code_title",
        "send_ms",
        "check_ms",
        "created_at",
        "checked_at",
        "completed_at",
        "challenge_link",
    )
    list_filter = ("status", SendCodeFilter)
    search_fields = ("request_id",)
    search_help_text = _("A number in any form, its last digits, or a request id.")
    date_hierarchy = "created_at"
    exclude = ("sent_digest",)
    fields = (
        "challenge_link",
        "phone",
        "request_id",
        "status_badge",
        "send_code_meaning",
        "send_error",
        "send_raw_answer",
        "send_ms",
        "check_code_meaning",
        "check_raw_answer",
        "check_ms",
        "checks",
        "created_at",
        "checked_at",
        "completed_at",
    )
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False

    class Media:
        css = {"all": ("django_voiceotp/admin.css",)}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Calls go with their challenge (``voiceotp_purge``, or deleting the challenge), never alone."""
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[VoiceCall], search_term: str
    ) -> tuple[QuerySet[VoiceCall], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(phone_search(term) | Q(request_id=term[:100])), False

    @admin.display(description=_("phone"), ordering="phone")
    def masked_phone(self, call: VoiceCall) -> str:
        return mask(local_from_e164(call.phone))

    @admin.display(description=_("send code"), ordering="send_code")
    def send_code_title(self, call: VoiceCall) -> SafeString | str:
        return code_title(call.send_meaning)

    @admin.display(description=_("check code"), ordering="check_code")
    def check_code_title(self, call: VoiceCall) -> SafeString | str:
        return code_title(call.check_meaning)

    @admin.display(description=_("challenge"))
    def challenge_link(self, call: VoiceCall) -> SafeString:
        url = reverse(f"{self.admin_site.name}:django_voiceotp_otpchallenge_change", args=[call.challenge_id])
        return format_html('<a href="{}">{}</a>', url, _("challenge"))
