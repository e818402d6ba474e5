"""Views translate HTTP to service calls and back; nothing else.

They opt out of ``ATOMIC_REQUESTS``: the services manage their own short transactions and call the
gateway outside them, and a refusal must not roll back the counters it moved. They answer in the
caller's language whether or not the site runs ``LocaleMiddleware`` (``startproject`` does not).
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import holders, services
from ..conf import get_settings
from ..exceptions import VoiceOtpError
from .errors import error_response, exception_handler
from .parsers import LimitedJSONParser
from .schema import document
from .serializers import CHALLENGE, CHALLENGE_REQUEST, VERIFY


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class VoiceOtpView(APIView):
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []  # our own limits, keyed on the number as well as the IP
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return exception_handler

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The whole request, its errors included, in the caller's language: the one
        ``LocaleMiddleware`` chose when the site runs it, else the one ``Accept-Language`` or the
        language cookie asks for, among the site's ``LANGUAGES``."""
        language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        holders.remember(self.request, response)  # a right code: its browser is the number's holder
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def get_authenticators(self) -> list[BaseAuthentication]:
        """``VOICEOTP['AUTHENTICATION_CLASSES']``, not DRF's defaults: those include HTTP Basic, which
        would turn these unthrottled, anonymous endpoints into a password oracle for every account."""
        return [cls() for cls in _classes(get_settings().AUTHENTICATION_CLASSES)]

    def answer(self, call: Any, *args: Any, status_code: int = 200, **kwargs: Any) -> Response:
        """Run a service call; a refusal becomes its error answer without being raised through DRF."""
        try:
            result = call(*args, **kwargs)
        except VoiceOtpError as exc:
            return error_response(exc)
        return Response(result, status=status_code)


@functools.lru_cache(maxsize=8)
def _classes(paths: tuple[str, ...]) -> tuple[type[BaseAuthentication], ...]:
    return tuple(import_string(path) for path in paths)


class ChallengeListView(VoiceOtpView):
    @document("request")
    def post(self, request: Request) -> Response:
        body = CHALLENGE_REQUEST.read(request.data)

        def start() -> dict[str, Any]:
            challenge = services.start_verification(
                body["phone"], purpose=body["purpose"], request=request, integrations=False
            )
            return CHALLENGE.shape(challenge)

        return self.answer(start, status_code=status.HTTP_201_CREATED)


class ChallengeDetailView(VoiceOtpView):
    @document("read")
    def get(self, request: Request, pk: str) -> Response:
        return self.answer(lambda: CHALLENGE.shape(services.refresh_challenge(pk, integrations=False)))


@method_decorator(sensitive_post_parameters("code"), name="dispatch")
class ChallengeVerifyView(VoiceOtpView):
    @document("verify")
    @sensitive_variables("body", "code")
    def post(self, request: Request, pk: str) -> Response:
        body = VERIFY.read(request.data)

        def check() -> dict[str, Any]:
            verification = services.check_code(pk, body["code"], request=request, integrations=False)
            # VerifiedSerializer's shape (the schema documents it), built without instantiating it.
            return {
                "verified": True,
                "token": verification.token,
                "challenge": CHALLENGE.shape(verification.challenge),
            }

        return self.answer(check)


class ChallengeResendView(VoiceOtpView):
    @document("resend")
    def post(self, request: Request, pk: str) -> Response:
        return self.answer(
            lambda: CHALLENGE.shape(services.resend_call(pk, request=request, integrations=False))
        )


class ChallengeCancelView(VoiceOtpView):
    @document("cancel")
    def post(self, request: Request, pk: str) -> Response:
        return self.answer(
            lambda: CHALLENGE.shape(services.cancel_challenge(pk, request=request, integrations=False))
        )


class UnknownPathView(VoiceOtpView):
    """Anything under the API's mount that is no endpoint: a JSON 404 like every other answer here,
    not the site's HTML page (a challenge id with a slash in it lands here)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()
