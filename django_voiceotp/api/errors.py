"""One exception handler for the whole API: every error is ``{"code", "detail", ...}``, in the caller's
language.

It covers the app's own refusals and everything DRF raises (parse errors, 404, 405, 415, CSRF, ...),
so that no input produces a 500 or an HTML page. DRF's own messages are replaced by the app's: DRF's
Vietnamese catalogue holds a handful of them, and a detail should say what to do next. Views answer
the app's refusals with :func:`error_response` instead of raising them through DRF, because DRF
marks the request's transaction for rollback when a view raises, and a wrong guess's count must
survive.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import NotFound, RateLimited, VoiceOtpError
from ..signals import api_refused


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large: send the phone number or the code only.")
    default_code = "request_too_large"


class UnsupportedCharset(exceptions.UnsupportedMediaType):
    """A JSON body declared in a charset other than UTF-8 (see :mod:`.parsers`)."""

    def __init__(self, media_type: str) -> None:
        super().__init__(media_type, detail=_("Send the body as JSON in UTF-8 (charset=utf-8)."))


INVALID = _("The request is not valid: see errors for each field.")
CSRF = _(
    "The CSRF check failed: a signed-in caller sends the csrftoken cookie's value in an X-CSRFToken header."
)

DRF_ANSWERS: tuple[tuple[type[Exception], str, Promise | None], ...] = (
    (exceptions.ValidationError, "invalid_request", INVALID),
    (exceptions.ParseError, "invalid_request", None),  # the parser's own detail, already the app's
    (exceptions.NotFound, "not_found", NotFound.default_detail),
    (Http404, "not_found", NotFound.default_detail),
    (
        exceptions.MethodNotAllowed,
        "method_not_allowed",
        _("This method is not allowed here: see the Allow header."),
    ),
    (UnsupportedCharset, "unsupported_media_type", None),  # its detail is the app's
    (
        exceptions.UnsupportedMediaType,
        "unsupported_media_type",
        _("Send the body as JSON: Content-Type: application/json."),
    ),
    (
        exceptions.NotAcceptable,
        "not_acceptable",
        _("This API answers in JSON only: accept application/json."),
    ),
    (exceptions.NotAuthenticated, "not_authenticated", _("Authentication failed: sign in again.")),
    (exceptions.AuthenticationFailed, "not_authenticated", _("Authentication failed: sign in again.")),
    (exceptions.PermissionDenied, "permission_denied", _("You may not do this.")),
    (exceptions.Throttled, "rate_limited", RateLimited.default_detail),
)


def error_response(exc: VoiceOtpError) -> Response:
    body = {"code": exc.code, "detail": str(exc.detail), **exc.extra}
    response = Response(body, status=exc.status_code)
    api_refused.send(sender=type(exc), code=exc.code, status_code=exc.status_code)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, VoiceOtpError):
        return error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", None) or "error"
    detail: Any = None
    for kind, machine_code, message in DRF_ANSWERS:
        if isinstance(exc, kind):
            code, detail = machine_code, message
            break
    drf_detail = response.data.get("detail") if isinstance(response.data, dict) else None
    if isinstance(exc, exceptions.PermissionDenied) and str(drf_detail or "").startswith("CSRF Failed"):
        detail = CSRF
    if detail is None:
        detail = drf_detail if drf_detail is not None else INVALID
    body: dict[str, Any] = {"code": code, "detail": str(detail)}
    if isinstance(exc, exceptions.ValidationError):
        body["errors"] = (
            response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        )
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        body["retry_after"] = max(int(wait), 1)
    response.data = body
    api_refused.send(sender=type(exc), code=code, status_code=response.status_code)
    return response
