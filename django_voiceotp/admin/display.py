"""How the admin's pages show a number, a challenge, a call's status, the gateway's codes and answers.

Shared by the challenge and call pages and the inline, so one number, status or code reads the same
wherever an operator meets it.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..gateways import Meaning, Operation, describe
from ..models import FORGOTTEN_MARK, TEST_NUMBER_HELP, CallStatus, OtpChallenge, VoiceCall, is_forgotten
from ..phones import mask, national_from_e164

EMPTY = "-"
"""What the admin shows for an empty value, as Django's own ``empty_value_display`` does."""
ADMIN_CSS = "django_voiceotp/admin.css"
MASKED_PHONE = "masked_phone"
"""The number's column as lists and pages declare it; see :class:`PhoneDisplay`."""
FULL_PHONE = "full_phone"
FORGOTTEN_HELP = _(
    "Erased at its person's request (voiceotp_forget). The row stays for the spend cap and the "
    "statistics; a prefix shown is what the prefix guard still counts."
)


def describe_challenge(challenge: OtpChallenge) -> str:
    """``036****567 · login · 2026-12-01 10:00``: enough to tell a challenge from its neighbours."""
    created = timezone.localtime(challenge.created_at)
    return f"{challenge.masked_phone} · {challenge.purpose} · {created:%Y-%m-%d %H:%M}"


class PhoneDisplay:
    """A row's number, masked, or whole for a viewer with ``view_full_phone``.

    Lists and pages declare :data:`MASKED_PHONE`, and each ModelAdmin's ``get_list_display`` and
    ``get_fields`` put :data:`FULL_PHONE` in its place for a viewer who may read it: masked is what a
    page shows when nothing says otherwise.
    """

    @admin.display(description=_("phone"))  # not sortable: the order would tell the hidden digits
    def masked_phone(self, row: OtpChallenge | VoiceCall) -> SafeString | str:
        if is_forgotten(row.phone):
            return forgotten_marked(row, kept="")
        return test_marked(row, mask(national_from_e164(row.phone)))

    @admin.display(description=_("phone"), ordering="phone")
    def full_phone(self, row: OtpChallenge | VoiceCall) -> SafeString | str:
        if is_forgotten(row.phone):
            return forgotten_marked(row, kept=row.phone.removesuffix(FORGOTTEN_MARK))
        return test_marked(row, row.phone)


def forgotten_marked(row: OtpChallenge | VoiceCall, *, kept: str) -> SafeString:
    """A number erased at its person's request (``voiceotp_forget``), and the prefix the prefix guard
    still counts (``kept``) for a viewer who may read whole numbers: it shows more leading digits
    than the masked form does."""
    return format_html(
        '<span class="voiceotp-badge voiceotp-badge-forgotten" title="{}">{}</span>{}',
        FORGOTTEN_HELP,
        _("forgotten"),
        format_html(" {}…", kept) if kept else "",
    )


def test_marked(row: OtpChallenge | VoiceCall, phone: str) -> SafeString | str:
    """The number, and a "test" label when it is one of ``TEST_NUMBERS``: its rows are no real calls."""
    if not row.is_test:
        return phone
    return format_html(
        '{} <span class="voiceotp-badge voiceotp-badge-test" title="{}">{}</span>',
        phone,
        TEST_NUMBER_HELP,
        _("test"),
    )


def status_badge(status: str) -> SafeString | str:
    """A call status as a coloured label; the colour is the status's CSS class, never its text."""
    if not status:
        return EMPTY
    label = CallStatus(status).label if status in CallStatus.values else status
    return format_html('<span class="voiceotp-badge voiceotp-badge-{}">{}</span>', status, label)


def code_title(code: Meaning | None) -> SafeString | str:
    """The code and its short title in the reader's language (the list)."""
    if code is None:
        return EMPTY
    title = code.title_vi if (get_language() or "").startswith("vi") else code.title_en
    return format_html('<span class="voiceotp-code">{}</span> {}', code.code, title)


def code_meaning(code: Meaning | None) -> SafeString | str:
    """The code with the gateway operator's full meaning in English and Vietnamese, and what to do
    about it in the reader's language (detail pages)."""
    if code is None:
        return EMPTY
    meaning = format_html(
        '<span class="voiceotp-code">{}</span> {}<br><span lang="vi">{}</span>',
        code.code,
        code.meaning_en,
        code.meaning_vi,
    )
    hint = code.hint_vi if (get_language() or "").startswith("vi") else code.hint_en
    if not hint:
        return meaning
    return format_html('{}<br><span class="voiceotp-hint">{}</span>', meaning, hint)


def send_meaning(call: VoiceCall) -> Meaning | None:
    """The call's send code in the words of the gateway that answered it."""
    return describe(call.gateway, Operation.SEND, call.send_code)


def check_meaning(call: VoiceCall) -> Meaning | None:
    return describe(call.gateway, Operation.CHECK, call.check_code)


def raw_answer(text: str) -> SafeString | str:
    return format_html('<pre class="voiceotp-raw">{}</pre>', text) if text else EMPTY


class CallDisplay:
    """How a call's status, codes and raw answers read, in the inline and in the calls' own pages."""

    @admin.display(description=_("call status"), ordering="status")
    def status_badge(self, call: VoiceCall) -> SafeString | str:
        return status_badge(call.status)

    @admin.display(description=_("send code"))
    def send_code_meaning(self, call: VoiceCall) -> SafeString | str:
        return code_meaning(send_meaning(call))

    @admin.display(description=_("check code"))
    def check_code_meaning(self, call: VoiceCall) -> SafeString | str:
        return code_meaning(check_meaning(call))

    @admin.display(description=_("send answer"))
    def send_raw_answer(self, call: VoiceCall) -> SafeString | str:
        return raw_answer(call.send_raw)

    @admin.display(description=_("check answer"))
    def check_raw_answer(self, call: VoiceCall) -> SafeString | str:
        return raw_answer(call.check_raw)
