"""A hostile client against the request, verify, resend and cancel endpoints, and a gateway that misbehaves.

Hypothesis throws what an attacker would (numbers with extensions and in other scripts, very long
strings, values of the wrong type, bodies in odd charsets and content types, hostile proxy headers
and client addresses) at the real API, over loopback to the simulator, which fails on purpose now
and then. Whatever comes in:

- no answer is a 5xx but the documented ``503 provider_unavailable``, and every answer is the
  contract's JSON error or success body;
- nothing is dialled but the local form of a number the app stored (no extension digits, no text);
- no code the gateway read out, and no gateway credential, appears in any answer or log line.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_voiceotp.models import VoiceCall
from django_voiceotp.phones import national_from_e164

from ..conftest import SECRETS
from ..helpers import voiceotp
from ..hostile_input import DIGIT_SCRIPTS, in_script, says_no_code

pytestmark = pytest.mark.django_db

numbers = st.sampled_from(["0361234567", "0912345678", "+84 36 123 4567", "0281234567", "01681234567"])
extensions = st.sampled_from(["", " ext 12", " x9", ";ext=1", ",55", "#7", " extension 123456789"])
phones = st.one_of(
    st.builds(lambda n, s, e: in_script(n, s) + e, numbers, st.sampled_from(DIGIT_SCRIPTS), extensions),
    st.builds(lambda n, e: f"tel:{n.replace(' ', '-')}{e}", numbers, extensions),
    st.text(max_size=40),
    st.text(min_size=1000, max_size=5000),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
texts = st.one_of(st.text(max_size=80), st.text(min_size=500, max_size=3000), st.integers(), st.none())
codes = st.one_of(
    st.from_regex(r"[0-9]{1,8}", fullmatch=True),
    st.builds(in_script, st.from_regex(r"[0-9]{6}", fullmatch=True), st.sampled_from(DIGIT_SCRIPTS)),
    texts,
)
charsets = st.sampled_from(
    ["", "; charset=utf-8", "; charset=rot13", "; charset=utf-16", "; charset=base64", "; charset=x-junk"]
)
content_types = st.one_of(
    st.builds(lambda c: "application/json" + c, charsets),
    st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]),
    st.text(max_size=60),
)
addresses = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}"),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]:443"),
    st.text(max_size=60),
)
header_safe = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200)
faults = st.sampled_from([None, None, None, "drop", "http500", "garbage", -5, -6, 7, 27, 99])

requests_ = st.fixed_dictionaries(
    {
        "endpoint": st.sampled_from(["request", "verify", "resend", "cancel"]),
        "phone": phones,
        "purpose": st.one_of(st.just("login"), texts),
        "code": codes,
        "extra_field": st.one_of(st.none(), st.text(max_size=10)),
        "content_type": content_types,
        "raw_body": st.one_of(st.none(), st.binary(max_size=300)),
        "remote_addr": addresses,
        "forwarded_for": st.one_of(header_safe, st.lists(addresses, max_size=3).map(", ".join)),
        "challenge": st.sampled_from(["live", "garbage", "uuid"]),
        "fault": faults,
    }
)


def scrub_times(body: Any) -> Any:
    """Timestamps hold six-digit microseconds: not codes, so they are not scanned."""
    if isinstance(body, dict):
        return {k: scrub_times(v) for k, v in body.items() if not str(k).endswith("_at")}
    return body


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attempt=requests_)
def test_a_hostile_client_and_a_misbehaving_gateway_get_no_500_no_stray_dial_and_no_leak(
    simulator, api, caplog, attempt
):
    cache.clear()
    simulator.clear_faults()
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    limits = {
        "request_per_ip": "1000/h",
        "request_per_phone": "1000/h",
        "calls_per_phone": "1000/d",
        "verify_per_ip": "1000/h",
    }
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=limits, TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR"):
        live = api.post("/api/otp/challenges/", {"phone": "0361234567"}, format="json").json()
        if attempt["fault"] is not None:
            if isinstance(attempt["fault"], int):
                simulator.set_fault("code", code=attempt["fault"])
            else:
                simulator.set_fault(attempt["fault"])
        challenge_id = {
            "live": live.get("id", "x"),
            "garbage": "../../%00",
            "uuid": "00000000-0000-0000-0000-000000000000",
        }[attempt["challenge"]]
        path = {
            "request": "/api/otp/challenges/",
            "verify": f"/api/otp/challenges/{challenge_id}/verify/",
            "resend": f"/api/otp/challenges/{challenge_id}/resend/",
            "cancel": f"/api/otp/challenges/{challenge_id}/cancel/",
        }[attempt["endpoint"]]
        fields = {"phone": attempt["phone"], "purpose": attempt["purpose"], "code": attempt["code"]}
        if attempt["extra_field"] is not None:
            fields[attempt["extra_field"]] = attempt["extra_field"]
        body = attempt["raw_body"] if attempt["raw_body"] is not None else json.dumps(fields).encode()
        response = api.generic(
            "POST",
            path,
            body,
            content_type=attempt["content_type"],
            REMOTE_ADDR=attempt["remote_addr"],
            HTTP_X_FORWARDED_FOR=attempt["forwarded_for"],
        )

    answer = response.json()
    assert response.status_code < 500 or (response.status_code, answer["code"]) == (
        503,
        "provider_unavailable",
    )
    assert isinstance(answer, dict)
    assert "code" in answer or "id" in answer or answer.get("verified") is True
    if "code" in answer:
        assert isinstance(answer["detail"], str)
        assert answer["detail"]

    stored = {national_from_e164(phone) for phone in VoiceCall.objects.values_list("phone", flat=True)}
    for received in simulator.received:
        if received.endpoint == "postSMS":
            assert received.phone in stored
            assert re.fullmatch(r"0[1-9][0-9]{8,9}", received.phone or "")

    said = json.dumps(scrub_times(answer)) + json.dumps(scrub_times(live)) + caplog.text
    for secret in SECRETS:
        assert secret not in said
    says_no_code([call.code for call in simulator.calls], said)
