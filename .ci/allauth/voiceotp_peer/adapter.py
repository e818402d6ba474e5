"""The outbox allauth's test project keeps, on top of this app's adapter.

allauth's project adapter writes each "SMS" into ``tests.projects.common.phone_stub.sms_outbox``:
``{"user_id", "phone", "code"}`` for a code to an account, ``{"phone", "reason"}`` when allauth asks
for a text with no account behind it. Here every send is a call this app placed; its entry is the
same, with the code the call read out (the test kit's gateway has it) added to every entry that had
a call: a number with no account is called all the same (so that no answer tells it apart).
"""

from __future__ import annotations

from typing import Any

from django_voiceotp.contrib.allauth import calls
from django_voiceotp.contrib.allauth.adapter import VoiceCallAccountAdapter
from django_voiceotp.gateways import locmem


def _outbox() -> list[dict[str, Any]]:
    from tests.projects.common import phone_stub  # allauth's, from its sdist

    return phone_stub.sms_outbox


def _record(adapter: VoiceCallAccountAdapter, entry: dict[str, Any]) -> None:
    """The entry, with the code of the call this request placed to its number (placed by a form
    earlier in the request, or by the send itself), unless the call was refused."""
    placed = locmem.calls(entry["phone"])
    if placed and calls.refusal(adapter._request()) is None:
        entry["code"] = placed[-1].code
    _outbox().append(entry)


class OutboxAdapter(VoiceCallAccountAdapter):
    def send_verification_code_sms(self, user: Any, phone: str, code: str, **kwargs: Any) -> None:
        super().send_verification_code_sms(user, phone, code, **kwargs)
        _record(self, {"user_id": user.pk, "phone": phone})

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        super().send_unknown_account_sms(phone, **kwargs)
        _record(self, {"phone": phone, "reason": "unknon"})  # allauth's stub's spelling

    def send_account_already_exists_sms(self, phone: str) -> None:
        super().send_account_already_exists_sms(phone)
        _record(self, {"phone": phone, "reason": "exists"})
