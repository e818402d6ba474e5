"""How the admin's pages show a call's status, the gateway's codes and its raw answers.

Shared by the challenge page's inline and the calls' own pages, so one status or code reads the same
wherever an operator meets it.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..gateway import GatewayCode
from ..models import CallStatus, VoiceCall

EMPTY = "-"
"""What the admin shows for an empty value, as Django's own ``empty_value_display`` does."""
ADMIN_CSS = "django_voiceotp/admin.css"


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
