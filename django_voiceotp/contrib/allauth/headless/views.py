"""allauth's headless views, each with this app's input, and its refusals as answers.

A refusal of the rules reads as allauth's own input errors do (``{"status": 400, "errors": [{"code",
"message", "param"}]}``), with this app's machine code and, where the rules give them,
``retry_after`` (seconds) and ``attempts_left`` beside it. A resend has no input: its refusal is the
answer, with the refusal's own HTTP status (429 and ``Retry-After`` for a limit or the cooldown).
"""

from __future__ import annotations

import json
from typing import Any

from allauth.headless.account import views as allauth_views
from allauth.headless.internal.restkit.response import ErrorResponse
from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from ....services import RateLimited, VoiceOtpError
from .. import calls, errors
from . import inputs

NUMBERS = ("retry_after", "attempts_left", "challenge")
"""What a refusal carries beside its words, for a client to act on (``challenge``: what the site's
policy asks the client to show, a captcha, say)."""


def with_numbers(response: HttpResponse, refusals: dict[str, VoiceOtpError]) -> HttpResponse:
    """``response``'s errors, each that this app's refusal made given that refusal's numbers."""
    if not refusals:
        return response
    body = json.loads(response.content)
    for error in body.get("errors", []):
        refusal = refusals.get(error.get("param", ""))
        if refusal is not None and error.get("code") == refusal.code:
            error.update({name: refusal.extra[name] for name in NUMBERS if name in refusal.extra})
    response.content = json.dumps(body).encode()
    return response


def refusal_response(request: HttpRequest, refusal: VoiceOtpError) -> HttpResponse:
    response = ErrorResponse(request, exception=errors.validation_error(refusal), status=refusal.status_code)
    if isinstance(refusal, RateLimited):
        response["Retry-After"] = str(refusal.retry_after)
    return with_numbers(response, {"": refusal})


class _Answers:
    """For a view with an input: the rules' refusals answered with their numbers, and the JSON body
    (which may hold a code) shown in no error report."""

    @sensitive_variables("data")
    def handle_input(self, data: Any) -> HttpResponse | None:
        response: HttpResponse | None = super().handle_input(data)  # type: ignore[misc]
        return response

    def handle_invalid_input(self, input: Any) -> HttpResponse:
        response: HttpResponse = super().handle_invalid_input(input)  # type: ignore[misc]
        return with_numbers(response, getattr(input, "voiceotp_refusals", {}))


class _Resends:
    """For a resend endpoint: allauth's resend, and the rules' refusal of it as the answer."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        calls.mark_resend(request)
        response: HttpResponse = super().post(request, *args, **kwargs)  # type: ignore[misc]
        refused = calls.refusal(request)
        return response if refused is None else refusal_response(request, refused)


class SignupView(_Answers, allauth_views.SignupView):  # type: ignore[misc]
    input_class = {"POST": inputs.SignupInput}


class LoginView(_Answers, allauth_views.LoginView):  # type: ignore[misc]
    input_class = inputs.LoginInput


class RequestLoginCodeView(_Answers, allauth_views.RequestLoginCodeView):  # type: ignore[misc]
    input_class = inputs.RequestLoginCodeInput


class ConfirmLoginCodeView(_Answers, allauth_views.ConfirmLoginCodeView):  # type: ignore[misc]
    input_class = inputs.ConfirmLoginCodeInput


class ResendLoginCodeView(_Resends, allauth_views.ResendLoginCodeView):  # type: ignore[misc]
    pass


class VerifyPhoneView(_Answers, allauth_views.VerifyPhoneView):  # type: ignore[misc]
    input_class = inputs.VerifyPhoneInput


class ResendPhoneVerificationCodeView(_Resends, allauth_views.ResendPhoneVerificationCodeView):  # type: ignore[misc]
    pass


class ManagePhoneView(_Answers, allauth_views.ManagePhoneView):  # type: ignore[misc]
    input_class = inputs.ChangePhoneInput


class RequestReauthenticationCodeView(_Answers, allauth_views.RequestReauthenticationCodeView):  # type: ignore[misc]
    input_class = inputs.RequestReauthenticationCodeInput


class ConfirmReauthenticationCodeView(_Answers, allauth_views.ConfirmReauthenticationCodeView):  # type: ignore[misc]
    input_class = inputs.ConfirmReauthenticationCodeInput


class ResendReauthenticationCodeView(_Resends, allauth_views.ResendReauthenticationCodeView):  # type: ignore[misc]
    pass
