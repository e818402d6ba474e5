"""A replayed, forged or stale proof of verification is a refusal like every other: a ``VoiceOtpError``
with a machine code, which the README's own pattern (``except VoiceOtpError``) answers, and still a
``signing.BadSignature`` for code written against the first release."""

from __future__ import annotations

import json
import time

import pytest
from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from django_voiceotp import services, tokens
from django_voiceotp.services import VoiceOtpError, consume_token

from ..helpers import start, verify
from ..urls import urlpatterns as api_urlpatterns

pytestmark = pytest.mark.django_db


@csrf_exempt
def sign_up(request: HttpRequest) -> JsonResponse:
    """A site's sign-up view written as the README says, with the refusal answered as the API does."""
    try:
        phone = consume_token(json.loads(request.body)["token"], purpose="signup")
    except VoiceOtpError as refusal:
        return JsonResponse({"code": refusal.code, "detail": str(refusal.detail)}, status=refusal.status_code)
    return JsonResponse({"phone": phone}, status=201)


urlpatterns = [path("signup/", sign_up), *api_urlpatterns]


class _AnHourAgo(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 3600)


def verified_token(api, simulator) -> str:
    challenge_id = start(api, purpose="signup").json()["id"]
    return str(verify(api, challenge_id, simulator.calls[-1].code).json()["token"])


def signed_an_hour_ago(token: str) -> str:
    """The same proof, as if it had been handed out an hour ago (``TOKEN_MAX_AGE`` is 600 s)."""
    payload = signing.loads(token, salt=tokens.SALT)
    return _AnHourAgo(salt=tokens.SALT).sign_object(payload, compress=True)


def post_token(client, token) -> tuple[int, dict[str, str]]:
    answer = client.post("/signup/", {"token": token}, content_type="application/json")
    return answer.status_code, answer.json()


@override_settings(ROOT_URLCONF=__name__)
def test_the_readme_s_sign_up_view_answers_a_replay_a_forgery_and_a_stale_proof(client, api, simulator):
    token = verified_token(api, simulator)
    assert post_token(client, token) == (201, {"phone": "+84361234567"})
    status, body = post_token(client, token)
    assert (status, body["code"]) == (409, "token_used")
    status, body = post_token(client, token[:-3] + "abc")
    assert (status, body["code"]) == (400, "invalid_token")
    status, body = post_token(client, 12)
    assert (status, body["code"]) == (400, "invalid_token")
    status, body = post_token(client, signed_an_hour_ago(verified_token(api, simulator)))
    assert (status, body["code"]) == (410, "token_expired")
    assert "Verify the number again." in body["detail"]


@pytest.mark.parametrize(
    ("refusal", "code", "status", "old_base"),
    [
        (services.InvalidToken, "invalid_token", 400, signing.BadSignature),
        (services.TokenAlreadyUsed, "token_used", 409, signing.BadSignature),
        (services.TokenExpired, "token_expired", 410, signing.SignatureExpired),
    ],
)
def test_each_token_refusal_is_a_voiceotp_error_and_still_a_signing_error(refusal, code, status, old_base):
    error = refusal()
    assert isinstance(error, VoiceOtpError)
    assert isinstance(error, old_base)
    assert isinstance(error, services.InvalidToken)
    assert (error.code, error.status_code) == (code, status)
    assert str(error.detail)


def test_a_stale_token_is_still_caught_by_signature_expired(api, simulator):
    token = verified_token(api, simulator)
    with pytest.raises(signing.SignatureExpired) as stale:
        services.read_token(token, purpose="signup", max_age=-1)
    assert isinstance(stale.value, services.TokenExpired)
