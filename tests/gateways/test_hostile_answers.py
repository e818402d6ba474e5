"""A gateway that answers anything at all, through the API end to end over loopback: whatever bytes
and status come back, the request ends in a documented answer, its call is on record (never left
``queued``), nothing unsafe is stored (the PostgreSQL run: no NUL in a text column), and no call is
``calling`` without a request id."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_voiceotp.gateways.safe_text import is_safe
from django_voiceotp.models import CallStatus, OtpChallenge, VoiceCall

from ..helpers import NO_LIMITS, start, voiceotp

pytestmark = pytest.mark.django_db

DOCUMENTED = {201, 400, 429, 502, 503}
pieces = st.sampled_from(
    [
        "1",
        "6",
        "-1",
        "27",
        ",,,",
        "{id}",
        "RESULT:",
        " ",
        "\x00",
        "\r\n",
        '"',
        "{",
        "}",
        "code",
        ":",
        "\uff11",
    ]
)
bodies = st.one_of(
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.text(max_size=200),
    st.lists(pieces, max_size=8).map("".join),
    st.dictionaries(
        st.sampled_from(["code", "request_id", "status", "id", "result"]),
        st.one_of(
            st.integers(-10, 30), st.sampled_from(["{id}", "1,,,{id}", "", "\u0000", "a" * 120]), st.none()
        ),
        max_size=3,
    ).map(json.dumps),
)
statuses = st.sampled_from([None, None, None, 400, 403, 404, 500, 502, 503])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, status=statuses)
def test_any_answer_ends_in_a_documented_answer_with_its_call_kept_safely(simulator, api, body, status):
    cache.clear()
    simulator.clear_faults()
    OtpChallenge.objects.all().delete()
    simulator.set_fault("body", body=body, status=status)
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        response = start(api)
    assert response.status_code in DOCUMENTED
    for call in VoiceCall.objects.all():
        assert call.status != CallStatus.QUEUED
        assert is_safe(call.send_raw)
        assert is_safe(call.send_code)
        assert is_safe(call.send_error)
        if call.status == CallStatus.CALLING:
            assert call.request_id
            assert response.status_code == 201
    if response.status_code == 201:
        assert VoiceCall.objects.latest("pk").status in (CallStatus.CALLING, CallStatus.UNKNOWN)
