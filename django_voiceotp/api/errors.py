"""One exception handler for the whole API: every error is ``{"code", "detail", ...}``.

It covers the app's own refusals and everything DRF raises (parse errors, 404, 405, 415, ...), so that
no input produces a 500 or an HTML page. Views answer the app's refusals with :func:`error_response`
instead of raising them through DRF, because DRF marks the request's transaction for rollback when a
view raises, and a wrong guess's count must survive.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import RateLimited, VoiceOtpError

DRF_CODES: dict[type[Exception], tuple[str, Any]] = {
    exceptions.ValidationError: ("invalid_request", None),
    exceptions.ParseError: ("invalid_request", None),
    exceptions.NotFound: ("not_found", None),
    Http404: ("not_found", None),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.NotAuthenticated: ("not_authenticated", None),
    exceptions.AuthenticationFailed: ("not_authenticated", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.Throttled: ("rate_limited", None),
}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


def error_response(exc: VoiceOtpError) -> Response:
    body = {"code": exc.code, "detail": str(exc.detail), **exc.extra}
    response = Response(body, status=exc.status_code)
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
    for kind, (machine_code, _unused) in DRF_CODES.items():
        if isinstance(exc, kind):
            code = machine_code
            break
    body: dict[str, Any] = {"code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = _("The request is not valid.")
        body["errors"] = (
            response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        )
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body["detail"] = str(detail) if detail is not None else _("The request is not valid.")
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        body["retry_after"] = max(int(wait), 1)
    response.data = body
    return response
