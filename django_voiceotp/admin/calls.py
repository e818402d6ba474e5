"""Every call the app tried, with what the gateway answered: evidence, so nothing is editable.

``sent_digest`` is excluded: it is derived from the code that was read out.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..gateways import Operation, describe
from ..models import OtpChallenge, VoiceCall
from .access import DeclaredLookupsMixin, ReadOnlyMixin, can_open, can_see_full_phone, change_url, for_viewer
from .changelist import OutOfRangeSafeChangeListMixin
from .display import (
    ADMIN_CSS,
    FULL_PHONE,
    MASKED_PHONE,
    CallDisplay,
    PhoneDisplay,
    check_meaning,
    code_title,
    describe_challenge,
    send_meaning,
)
from .search import phone_search


class SendCodeFilter(admin.SimpleListFilter):
    """The send codes present, by gateway and code, with the gateway's title for them."""

    title = _("send code")
    parameter_name = "send_code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        pairs = (
            VoiceCall.objects.exclude(send_code="")
            .order_by("gateway", "send_code")
            .values_list("gateway", "send_code")
            .distinct()
        )
        return [
            (f"{gateway}:{code}", code_title(describe(gateway, Operation.SEND, code)))
            for gateway, code in pairs
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        gateway, by_gateway, code = value.rpartition(":")
        found = queryset.filter(send_code=code)
        return found.filter(gateway=gateway) if by_gateway else found


@admin.register(VoiceCall)
class VoiceCallAdmin(
    CallDisplay,
    PhoneDisplay,
    DeclaredLookupsMixin,
    ReadOnlyMixin,
    OutOfRangeSafeChangeListMixin,
    admin.ModelAdmin,  # type: ignore[type-arg]
):
    """Calls, newest first, the number masked unless the viewer has ``view_full_phone`` (:mod:`.access`).

    The challenge is a link for a viewer who may open challenges, plain text for one who may not.
    """

    list_display = (
        MASKED_PHONE,
        "request_id",
        "status_badge",
        "send_code_title",
        "check_code_title",
        "send_ms",
        "check_ms",
        "created_at",
        "checked_at",
        "completed_at",
        "gateway",
        "challenge_text",
    )
    list_select_related = ("challenge",)
    list_filter = ("status", SendCodeFilter, "gateway", "is_test")
    search_fields = ("request_id",)
    search_help_text = _(
        "A number in any form, its last digits, or a request id (a whole number needs the permission "
        "to see whole numbers)."
    )
    date_hierarchy = "created_at"
    exclude = ("sent_digest",)
    fields = (
        "challenge_text",
        MASKED_PHONE,
        "gateway",
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
    readonly_fields = (*fields, FULL_PHONE, "challenge_link")
    list_per_page = 100
    show_full_result_count = False

    class Media:
        css = {"all": (ADMIN_CSS,)}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Calls go with their challenge (``voiceotp_purge``, or deleting the challenge), never alone."""
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[VoiceCall], search_term: str
    ) -> tuple[QuerySet[VoiceCall], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        numbers = phone_search(term, whole_numbers=can_see_full_phone(request))
        return queryset.filter(numbers | Q(request_id=term[:100])), False

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        return for_viewer(self.list_display, self.viewer_swaps(request))

    def get_fields(self, request: HttpRequest, obj: VoiceCall | None = None) -> tuple[Any, ...]:
        return for_viewer(self.fields, self.viewer_swaps(request))

    def viewer_swaps(self, request: HttpRequest) -> dict[str, str]:
        """The richer columns this viewer may have in place of the declared ones."""
        swaps = {MASKED_PHONE: FULL_PHONE} if can_see_full_phone(request) else {}
        if can_open(request, self.admin_site, OtpChallenge):
            swaps["challenge_text"] = "challenge_link"
        return swaps

    @admin.display(description=_("send code"), ordering="send_code")
    def send_code_title(self, call: VoiceCall) -> SafeString | str:
        return code_title(send_meaning(call))

    @admin.display(description=_("check code"), ordering="check_code")
    def check_code_title(self, call: VoiceCall) -> SafeString | str:
        return code_title(check_meaning(call))

    @admin.display(description=_("challenge"))
    def challenge_text(self, call: VoiceCall) -> str:
        return describe_challenge(call.challenge)

    @admin.display(description=_("challenge"))
    def challenge_link(self, call: VoiceCall) -> SafeString:
        challenge = call.challenge
        return format_html(
            '<a href="{}">{}</a>', change_url(self.admin_site, challenge), describe_challenge(challenge)
        )
