"""OpenAPI annotations for drf-spectacular, when it is installed; without it they do nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .serializers import (
    ChallengeRequestSerializer,
    ChallengeSerializer,
    ErrorSerializer,
    VerifiedSerializer,
    VerifySerializer,
)

F = TypeVar("F", bound=Callable[..., Any])

try:
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import (
        OpenApiExample,
        OpenApiParameter,
        OpenApiResponse,
        extend_schema,
    )

    HAVE_SPECTACULAR = True
except ImportError:  # pragma: no cover - the optional extra is not installed
    HAVE_SPECTACULAR = False


def _error(description: str) -> Any:
    return OpenApiResponse(ErrorSerializer, description=description)


def _operations() -> dict[str, dict[str, Any]]:
    limited = _error(
        "rate_limited: a rate limit, the resend cooldown, MAX_SENDS or the gateway's code 6 "
        "(header Retry-After)"
    )
    not_found = _error("not_found: no such challenge")
    invalid = _error("invalid_request (field errors under `errors`)")
    challenge_id = [
        OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The challenge")
    ]
    too_large = _error("request_too_large")
    challenge_required = (
        "challenge_required: the site's policy (VOICEOTP['POLICY']) asks for a captcha or other proof "
        "first; `challenge` describes it"
    )
    return {
        "request": {
            "summary": "Start a challenge: call the number and read out a fresh code",
            "request": ChallengeRequestSerializer,
            "responses": {
                201: ChallengeSerializer,
                400: _error("invalid_request, invalid_phone or recipient_refused"),
                403: _error(challenge_required),
                413: too_large,
                429: limited,
                502: _error("provider_rejected: the gateway refused for account reasons"),
                503: _error("provider_unavailable: the gateway did not answer or answered nonsense"),
            },
            "examples": [
                OpenApiExample("Login", value={"phone": "0361234567", "purpose": "login"}, request_only=True)
            ],
        },
        "read": {
            "summary": "Read a challenge (the call's status is refreshed when it is stale)",
            "parameters": challenge_id,
            "responses": {200: ChallengeSerializer, 404: not_found},
        },
        "verify": {
            "summary": "Check the code the person typed",
            "parameters": challenge_id,
            "request": VerifySerializer,
            "responses": {
                200: VerifiedSerializer,
                400: _error("invalid_request, or invalid_code with attempts_left"),
                403: _error("locked: attempts used up"),
                404: not_found,
                409: _error("already_verified"),
                410: _error("expired"),
                413: too_large,
                429: limited,
            },
        },
        "resend": {
            "summary": "Call again with a new code (the old one stops working)",
            "parameters": challenge_id,
            "request": None,
            "responses": {
                200: ChallengeSerializer,
                400: invalid,
                403: _error(f"locked, or {challenge_required}"),
                404: not_found,
                409: _error("already_verified"),
                410: _error("expired: the challenge was replaced or failed; start again"),
                429: limited,
                502: _error("provider_rejected"),
                503: _error("provider_unavailable"),
            },
        },
        "cancel": {
            "summary": "Cancel a pending challenge: the person gave up, its code stops working",
            "description": (
                "Limits, the cooldown and the spend cap keep what the challenge's calls spent: a "
                "cancel followed by a new request is refused or counted as that request would be."
            ),
            "parameters": challenge_id,
            "request": None,
            "responses": {
                200: ChallengeSerializer,
                404: not_found,
                409: _error(
                    "already_finished: the challenge is verified, failed, expired, locked or canceled "
                    "already (`status` says which)"
                ),
                429: _error("rate_limited: unknown ids counted against verify_per_ip (header Retry-After)"),
            },
        },
    }


def document(operation: str) -> Callable[[F], F]:
    if not HAVE_SPECTACULAR:
        return lambda view: view

    def decorate(view: F) -> F:
        return extend_schema(
            tags=["voice OTP"], operation_id=f"voiceotp_{operation}", **_operations()[operation]
        )(view)

    return decorate
