"""Contract section 3 on what the REST API is given and gives away: bad bodies, charsets, sizes, methods
and codes are 4xx with a machine code, and no answer tells whether a number was seen before."""

from __future__ import annotations

import io
import uuid

import pytest

from django_voiceotp.api.errors import RequestTooLarge
from django_voiceotp.api.parsers import LimitedJSONParser
from django_voiceotp.models import OtpChallenge

from ..helpers import PHONE, start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{bad json", "application/json"),
        ("[]", "application/json"),
        ('"0361234567"', "application/json"),
        ("null", "application/json"),
        ('{"phone": null}', "application/json"),
        ('{"phone": ["0361234567"]}', "application/json"),
        ('{"purpose": "login"}', "application/json"),
        ('{"phone": "0361234567", "purpose": "has spaces"}', "application/json"),
        ('{"phone": "0361234567", "purpose": "' + "x" * 65 + '"}', "application/json"),
        ('{"phone": NaN}', "application/json"),
        ("\xff\xfe", "application/json"),
        ("[" * 1000, "application/json"),
    ],
)
def test_bad_bodies_are_400_invalid_request(simulator, api, body, content_type):
    response = api.post("/api/otp/challenges/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_request", "invalid_phone"}
    assert response.json()["detail"]
    assert simulator.count("postSMS") == 0


@pytest.mark.parametrize(
    "charset",
    ["rot13", "base64", "zlib", "hex", "no-such-charset", "utf-7", "utf-16", "idna", "latin-1", '"utf-32"'],
)
@pytest.mark.parametrize("path", ["/api/otp/challenges/", f"/api/otp/challenges/{uuid.uuid4()}/verify/"])
def test_a_body_in_any_charset_but_utf8_is_415_never_500(simulator, api, charset, path):
    """Python's codec registry holds codecs that are no text encoding at all; JSON is UTF-8."""
    body = '{"phone": "0361234567", "code": "123456"}'
    response = api.generic("POST", path, body, content_type=f"application/json; charset={charset}")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "UTF-8" in response.json()["detail"]
    assert simulator.count("postSMS") == 0


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", '"utf-8"', "us-ascii"])
def test_utf8_and_ascii_bodies_are_read(simulator, api, charset):
    body = '{"phone": "0361234567"}'
    response = api.generic(
        "POST", "/api/otp/challenges/", body, content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 201


def test_a_body_that_is_not_utf8_is_400(simulator, api):
    body = '{"phone": "0361234567", "purpose": "đăng"}'.encode("utf-16")
    response = api.generic("POST", "/api/otp/challenges/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_field_errors_are_listed(api):
    response = api.post("/api/otp/challenges/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert "phone" in response.json()["errors"]


def test_an_oversized_body_is_413(api):
    response = api.post(
        "/api/otp/challenges/", '{"phone": "' + "0" * 100_000 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


BODY_CAP = 4096
"""docs/api.md's "a body over 4 KiB": written out, so that raising the parser's cap fails here."""


def body_of(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes asking for a call to :data:`PHONE`."""
    head, tail = b'{"phone": "0361234567", "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_body_of_4_kib_is_read_and_one_byte_more_is_413(simulator, api):
    over = api.post("/api/otp/challenges/", body_of(BODY_CAP + 1), content_type="application/json")
    assert over.status_code == 413
    assert over.json()["code"] == "request_too_large"
    assert simulator.count("postSMS") == 0
    at_cap = api.post("/api/otp/challenges/", body_of(BODY_CAP), content_type="application/json")
    assert at_cap.status_code == 201


def test_the_parser_caps_a_body_without_a_content_length_too():
    """A chunked body has no ``Content-Length`` to refuse it by: the stream is read one byte past the cap."""
    parser = LimitedJSONParser()
    assert parser.parse(io.BytesIO(body_of(BODY_CAP)), "application/json", {})["phone"] == PHONE
    with pytest.raises(RequestTooLarge):
        parser.parse(io.BytesIO(body_of(BODY_CAP + 1)), "application/json", {})


def test_wrong_method_and_media_type(api):
    response = api.put("/api/otp/challenges/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    response = api.post("/api/otp/challenges/", "phone=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("code", ["", "abc", "12 34 56 78 90 12", None, ["1"], {"a": 1}])
def test_a_malformed_code_is_400(simulator, api, code):
    challenge_id = start(api).json()["id"]
    response = api.post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert OtpChallenge.objects.get().attempts == 0


def test_a_code_with_spaces_is_read_as_digits(simulator, api):
    challenge_id = start(api).json()["id"]
    code = simulator.calls[0].code
    assert verify(api, challenge_id, f"{code[:3]} {code[3:]}").status_code == 200


# --- what an answer gives away -------------------------------------------------------------------


def test_answers_do_not_tell_whether_a_number_was_seen_before(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        first_ever = start(api, phone="0361234599").json()
        start(api, phone="0361234598")
        seen_before = start(api, phone="0361234598").json()
    assert set(first_ever) == set(seen_before)
    for key in ("status", "call_status", "attempts_left", "sends_left", "purpose"):
        assert first_ever[key] == seen_before[key]


def test_detail_follows_the_request_language(simulator, api):
    response = api.get("/api/otp/challenges/nope/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "Không tìm thấy yêu cầu xác minh này. Hãy bắt đầu một yêu cầu mới."
    challenge_id = start(api).json()["id"]
    response = verify(api, challenge_id, wrong(simulator.calls[0].code), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.json()["detail"] == "Mã xác minh không đúng. Hãy kiểm tra và thử lại."
