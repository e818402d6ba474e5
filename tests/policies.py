"""Site policies the tests name in ``VOICEOTP["POLICY"]``: each records what it was asked in
:data:`ASKED`, which a test's fixture empties."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from django_voiceotp.exceptions import ChallengeRequired, VoiceOtpError
from django_voiceotp.policy import Policy

ASKED: list[tuple[str, Any, Any, Any]] = []
"""``("before_call", request, number, purpose)`` and ``("after_verify", challenge, None, None)``."""

CAPTCHA = {"type": "captcha", "key": "k-1", "image_url": "/captcha/image/k-1/"}
ANSWER = "right"


class Recording(Policy):
    def before_call(self, request: Any, number: str, purpose: str) -> None:
        ASKED.append(("before_call", request, number, purpose))

    def after_verify(self, challenge: Any) -> None:
        ASKED.append(("after_verify", challenge, None, None))


class Blocked(VoiceOtpError):
    status_code = 451
    code = "blocked_here"
    default_detail = _("Not from here.")


class Refusing(Recording):
    def before_call(self, request: Any, number: str, purpose: str) -> None:
        super().before_call(request, number, purpose)
        raise Blocked(country="XX")


class AskingForCaptcha(Recording):
    """Calls only for a body that carries the captcha's answer (``captcha_value``)."""

    def before_call(self, request: Any, number: str, purpose: str) -> None:
        super().before_call(request, number, purpose)
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        if data.get("captcha_value") != ANSWER:
            raise ChallengeRequired(challenge=CAPTCHA)


class Crashing(Recording):
    def before_call(self, request: Any, number: str, purpose: str) -> None:
        super().before_call(request, number, purpose)
        raise RuntimeError("the site's policy has a bug")


class FailingAfterVerify(Recording):
    def after_verify(self, challenge: Any) -> None:
        super().after_verify(challenge)
        raise Blocked()


class NeedsAnArgument(Policy):
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold


NOT_A_POLICY = object()
