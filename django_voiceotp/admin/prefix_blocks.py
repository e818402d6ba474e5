"""The fraud guard's blocks in the admin: see which prefixes are refused, and lift a block."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import guards
from ..models import PrefixBlock
from .changelist import OutOfRangeSafeChangeListMixin


class ActiveFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "active"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[PrefixBlock]
    ) -> list[tuple[str, str]]:
        return [("yes", str(_("Yes"))), ("no", str(_("No")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PrefixBlock]) -> QuerySet[PrefixBlock]:
        live = {"lifted_at__isnull": True, "blocked_until__gt": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**live)
        if self.value() == "no":
            return queryset.exclude(**live)
        return queryset


@admin.register(PrefixBlock)
class PrefixBlockAdmin(OutOfRangeSafeChangeListMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "prefix",
        "is_active",
        "blocked_at",
        "blocked_until",
        "calls",
        "unverified",
        "lifted_at",
        "lifted_by",
    )
    list_filter = (ActiveFilter, "blocked_at")
    search_fields = ("prefix",)
    date_hierarchy = "blocked_at"
    readonly_fields = tuple(field for field in list_display if field != "is_active")
    actions = ("lift",)

    @admin.display(boolean=True, description=_("in force"))
    def is_active(self, block: PrefixBlock) -> bool:
        return block.active

    @admin.action(description=_("Lift the selected blocks"), permissions=["change"])
    def lift(self, request: HttpRequest, queryset: QuerySet[PrefixBlock]) -> None:
        lifted = sum(guards.lift(block, request.user) for block in queryset.filter(lifted_at__isnull=True))
        self.message_user(
            request,
            ngettext("Lifted %(count)d block.", "Lifted %(count)d blocks.", lifted) % {"count": lifted},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
