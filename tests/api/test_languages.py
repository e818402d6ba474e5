"""The API answers in the caller's language on any site, with or without LocaleMiddleware, every error
included; and each refusal says what to do next."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import translation

from django_voiceotp.models import ChallengeStatus, OtpChallenge

from ..helpers import NO_LIMITS, resend, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db

WITHOUT_LOCALE = [m for m in settings.MIDDLEWARE if m != "django.middleware.locale.LocaleMiddleware"]
ENGLISH = translation.gettext_noop


@pytest.fixture(autouse=True)
def _english_until_asked():
    """Each test starts in the site's default language, whatever an earlier request activated."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def vietnamese(text: str) -> str:
    with translation.override("vi"):
        return translation.gettext(text)


def answers(api, simulator) -> dict[str, object]:
    """One answer of each kind the API gives, asked in Vietnamese."""
    vi = {"HTTP_ACCEPT_LANGUAGE": "vi"}
    out: dict[str, object] = {}
    out["not_found"] = api.get("/api/otp/challenges/nope/", **vi)
    out["unknown_path"] = api.get("/api/otp/nothing-here/", **vi)
    out["invalid_request"] = api.post("/api/otp/challenges/", {}, format="json", **vi)
    out["bad_json"] = api.post("/api/otp/challenges/", "{bad", content_type="application/json", **vi)
    out["unsupported_media_type"] = api.post(
        "/api/otp/challenges/", "phone=1", content_type="application/x-www-form-urlencoded", **vi
    )
    out["charset"] = api.generic(
        "POST", "/api/otp/challenges/", "{}", content_type="application/json; charset=rot13", **vi
    )
    out["method_not_allowed"] = api.put("/api/otp/challenges/", {}, format="json", **vi)
    out["request_too_large"] = api.post(
        "/api/otp/challenges/", '{"phone": "' + "0" * 5000 + '"}', content_type="application/json", **vi
    )
    out["invalid_phone"] = start(api, phone="+14155552671", **vi)
    out["recipient_refused"] = start(api, phone="0361239907", **vi)
    out["provider_rejected"] = start(api, phone="0361239914", **vi)
    out["provider_unavailable"] = start(api, phone="0361239801", **vi)
    challenge = start(api, **vi).json()
    out["rate_limited"] = start(api, **vi)  # the cooldown
    out["invalid_code"] = verify(api, challenge["id"], wrong(simulator.calls[-1].code), **vi)
    return out


EXPECTED = {
    "not_found": ENGLISH("No such verification. Start a new one."),
    "unknown_path": ENGLISH("No such verification. Start a new one."),
    "invalid_request": ENGLISH("The request is not valid: see errors for each field."),
    "bad_json": ENGLISH("The body is not valid JSON."),
    "unsupported_media_type": ENGLISH("Send the body as JSON: Content-Type: application/json."),
    "charset": ENGLISH("Send the body as JSON in UTF-8 (charset=utf-8)."),
    "method_not_allowed": ENGLISH("This method is not allowed here: see the Allow header."),
    "request_too_large": ENGLISH("The request body is too large: send the phone number or the code only."),
    "invalid_phone": ENGLISH(
        "Numbers in this country cannot be called. Enter a number of a country this site calls."
    ),
    "recipient_refused": ENGLISH("This number does not accept such calls. Enter another number."),
    "provider_rejected": ENGLISH("The call service refused the call. Try again later."),
    "provider_unavailable": ENGLISH("The call service is not answering. Try again in a moment."),
    "invalid_code": ENGLISH("The code is not right. Check it and try again."),
}


@pytest.mark.parametrize("middleware", [WITHOUT_LOCALE, settings.MIDDLEWARE], ids=["without", "with"])
def test_every_answer_follows_accept_language_with_or_without_locale_middleware(simulator, api, middleware):
    with override_settings(MIDDLEWARE=middleware), voiceotp(RATE_LIMITS=NO_LIMITS):
        got = answers(api, simulator)
    for name, english in EXPECTED.items():
        response = got[name]
        assert response.json()["detail"] == vietnamese(english), name  # type: ignore[attr-defined]
        assert vietnamese(english) != english, f"{name} has no Vietnamese"
        assert response["Content-Language"] == "vi"  # type: ignore[index]
        assert "Accept-Language" in response["Vary"]  # type: ignore[index]
    errors = got["invalid_request"].json()["errors"]  # type: ignore[attr-defined]
    assert errors["phone"] == [vietnamese("This field is required.")]
    waited = got["rate_limited"].json()  # type: ignore[attr-defined]
    assert waited["detail"].startswith("Một cuộc gọi vừa được thực hiện đến số này")
    assert str(waited["retry_after"]) in waited["detail"]


def test_english_is_the_default_and_the_language_cookie_counts(simulator):
    with override_settings(MIDDLEWARE=WITHOUT_LOCALE):
        client = Client()  # a client builds its middleware once: build it under the override
        english = client.get("/api/otp/challenges/nope/").json()["detail"]
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        detail = client.get("/api/otp/challenges/nope/").json()["detail"]
    assert english == "No such verification. Start a new one."
    assert detail == vietnamese("No such verification. Start a new one.")


def test_a_csrf_refusal_says_what_to_send_in_the_callers_language(simulator):
    user = get_user_model().objects.create_user("mai", password="a-long-password-of-hers")
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(user)
    with override_settings(MIDDLEWARE=WITHOUT_LOCALE):
        answer = client.post("/api/otp/challenges/", {"phone": "0361234567"}, content_type="application/json")
    assert answer.status_code == 403
    assert "X-CSRFToken" in answer.json()["detail"]
    assert answer.json()["detail"] == vietnamese(
        "The CSRF check failed: a signed-in caller sends the csrftoken cookie's value "
        "in an X-CSRFToken header."
    )


# -- what to do next ----------------------------------------------------------------------------------


def test_a_locked_challenge_says_start_again_and_offers_no_resend(simulator, api):
    with voiceotp(MAX_ATTEMPTS=2, RATE_LIMITS=NO_LIMITS):
        challenge_id = start(api).json()["id"]
        bad = wrong(simulator.calls[0].code)
        verify(api, challenge_id, bad)
        locked = verify(api, challenge_id, bad)
        shown = api.get(f"/api/otp/challenges/{challenge_id}/").json()
        refused_resend = resend(api, challenge_id)
    assert locked.json() == {"code": "locked", "detail": "Too many wrong codes. Start a new verification."}
    assert (shown["status"], shown["sends_left"], shown["attempts_left"]) == ("locked", 0, 0)
    assert refused_resend.json()["code"] == "locked"


@pytest.mark.parametrize(
    "status",
    [ChallengeStatus.VERIFIED, ChallengeStatus.FAILED, ChallengeStatus.CANCELED, ChallengeStatus.LOCKED],
)
def test_no_resend_is_offered_once_none_can_happen(simulator, api, status):
    challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(status=status)
    shown = api.get(f"/api/otp/challenges/{challenge_id}/").json()
    assert shown["sends_left"] == 0
    assert resend(api, challenge_id).status_code in (403, 409, 410)


def test_a_pending_or_expired_challenge_offers_its_resends(simulator, api):
    challenge_id = start(api).json()["id"]
    assert api.get(f"/api/otp/challenges/{challenge_id}/").json()["sends_left"] == 2
    OtpChallenge.objects.update(status=ChallengeStatus.EXPIRED)
    assert api.get(f"/api/otp/challenges/{challenge_id}/").json()["sends_left"] == 2


def test_an_expired_code_with_no_call_left_says_start_again(simulator, api):
    with voiceotp(MAX_SENDS=1):
        challenge_id = start(api).json()["id"]
    OtpChallenge.objects.update(expires_at=OtpChallenge.objects.get().created_at)
    answer = verify(api, challenge_id, simulator.calls[0].code)
    assert answer.json() == {
        "code": "expired",
        "detail": "The code has expired and no call is left for it. Start a new verification.",
    }
