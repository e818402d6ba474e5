"""A django-phone-verify backend that makes the same gateway POST the app makes.

django-phone-verify ships Twilio and Nexmo backends; a fair comparison needs one that does what the
app's request does on the wire, so this one sends the simulator the same ``postSMS`` (see
:mod:`.gateway_post`). ``generate_message`` returns the bare code because the gateway (and so the
simulator) reads out 1 to 6 digits and refuses anything else with code 11. Numbers arrive in E.164
(``+84361234567``) and leave in the gateway's local form (``0361234567``).
"""

from __future__ import annotations

from typing import Any

from phone_verify.backends.base import BaseBackend  # type: ignore[import-untyped, import-not-found, unused-ignore]

from .gateway_post import GatewayPostError, post_sms


def local_form(number: str) -> str:
    number = str(number)
    return "0" + number[3:] if number.startswith("+84") else number


class SimulatorBackend(BaseBackend):  # type: ignore[misc]
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.exception_class = GatewayPostError

    def send_sms(self, number: Any, message: str) -> None:
        post_sms(local_form(str(number)), message)

    def send_bulk_sms(self, numbers: Any, message: str) -> None:
        for number in numbers:
            self.send_sms(number, message)

    def generate_message(self, security_code: str, context: Any = None) -> str:
        return security_code
