"""Voice call devices in the admin, as django-otp's own plugins show theirs, with numbers masked.

As on this app's other pages, a number is masked unless the viewer has ``view_full_phone``: without
it, a device's number is shown masked and cannot be changed (its input would show it whole). A new
device's number is typed by the person adding it, in any form people write (``0905 123 456``), and
kept in E.164. The device's latest challenge is a link when the viewer may open it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_otp import admin as otp_admin
from django_otp.admin import user_model_search_fields

from ...admin.access import DeclaredLookupsMixin, can_open, can_see_full_phone, change_url, for_viewer
from ...admin.display import EMPTY, describe_challenge
from .forms import OTPAdminAuthenticationForm
from .models import VoiceCallDevice

MASKED_NUMBER = "masked_number"
FULL_NUMBER = "number"

_NUMBER = VoiceCallDevice._meta.get_field("number").verbose_name
_CHALLENGE = VoiceCallDevice._meta.get_field("challenge").verbose_name


class VoiceCallDeviceAdmin(DeclaredLookupsMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "name", MASKED_NUMBER, "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed", "created_at", "last_used_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields, search_help_text = user_model_search_fields(["username", "email"])
    fields = ("user", "name", "confirmed", MASKED_NUMBER, "challenge_text", "created_at", "last_used_at")
    readonly_fields = (MASKED_NUMBER, "challenge_text", "challenge_link", "created_at", "last_used_at")

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        return for_viewer(self.list_display, self.viewer_swaps(request))

    def get_fields(self, request: HttpRequest, obj: VoiceCallDevice | None = None) -> tuple[Any, ...]:
        swaps = self.viewer_swaps(request, obj)
        if obj is None:  # a new device: whoever adds it is typing its number
            swaps[MASKED_NUMBER] = FULL_NUMBER
        return for_viewer(self.fields, swaps)

    def viewer_swaps(self, request: HttpRequest, device: VoiceCallDevice | None = None) -> dict[str, str]:
        """The richer columns this viewer may have in place of the declared ones."""
        swaps = {MASKED_NUMBER: FULL_NUMBER} if can_see_full_phone(request) else {}
        challenge = None if device is None else device.challenge
        if challenge is not None and can_open(request, self.admin_site, type(challenge), challenge):
            swaps["challenge_text"] = "challenge_link"
        return swaps

    @admin.display(description=_NUMBER)  # not sortable: the order would tell the hidden digits
    def masked_number(self, device: VoiceCallDevice) -> str:
        return device.masked_number or EMPTY

    @admin.display(description=_CHALLENGE)
    def challenge_text(self, device: VoiceCallDevice) -> str:
        return EMPTY if device.challenge is None else describe_challenge(device.challenge)

    @admin.display(description=_CHALLENGE)
    def challenge_link(self, device: VoiceCallDevice) -> SafeString | str:
        challenge = device.challenge
        if challenge is None:
            return EMPTY
        return format_html(
            '<a href="{}">{}</a>', change_url(self.admin_site, challenge), describe_challenge(challenge)
        )


admin.site.register(VoiceCallDevice, VoiceCallDeviceAdmin)


class OTPAdminSite(otp_admin.OTPAdminSite):  # type: ignore[misc]
    """django-otp's admin site for verified users, its login form keeping the typed token out of
    error reports (:mod:`.forms`). Instantiate it as django-otp's: ``OTPAdminSite(OTPAdminSite.name)``."""

    login_form = OTPAdminAuthenticationForm
