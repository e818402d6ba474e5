"""Rules that cut across the API: transactions, call outcomes and attempts, query budgets, schema."""

from __future__ import annotations

import pytest
from django.db import connection

from django_voiceotp import services
from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

from ..helpers import start, verify, voiceotp, wrong

pytestmark = pytest.mark.django_db


def test_a_wrong_guess_survives_atomic_requests(simulator, api, monkeypatch):
    """DRF rolls back the request's transaction when a view raises; a wrong code is answered, not
    raised, and the views opt out of ATOMIC_REQUESTS, so the count stays."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    challenge_id = start(api).json()["id"]
    bad = wrong(simulator.calls[0].code)
    assert verify(api, challenge_id, bad).json()["attempts_left"] == 4
    assert verify(api, challenge_id, bad).json()["attempts_left"] == 3
    assert OtpChallenge.objects.get().attempts == 2


def test_a_failed_send_survives_atomic_requests(simulator, api, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    simulator.set_fault("code", code=14)
    assert start(api).status_code == 502
    assert OtpChallenge.objects.get().status == ChallengeStatus.FAILED
    assert VoiceCall.objects.get().send_code == "14"


def test_an_unanswered_call_never_costs_a_verify_attempt(simulator, api):
    with voiceotp(RESEND_COOLDOWN=0):
        body = start(api, phone="0361239700").json()  # the simulator's "never answers" ending
        call = VoiceCall.objects.get()
        simulator.set_outcome(call.request_id, "failed")
        assert services.refresh_call(call)
        after = api.get(f"/api/otp/challenges/{body['id']}/").json()
        assert after["call_status"] == "unanswered"
        assert after["attempts_left"] == body["attempts_left"]
        resent = api.post(f"/api/otp/challenges/{body['id']}/resend/", format="json").json()
        assert resent["attempts_left"] == body["attempts_left"]
        assert resent["call_status"] == "calling"


def test_refresh_call_records_the_outcome_and_signals_once(simulator, api):
    from django_voiceotp.signals import call_status_changed

    start(api)
    call = VoiceCall.objects.get()
    changes = []
    call_status_changed.connect(lambda **kw: changes.append(kw), weak=False, dispatch_uid="t")
    try:
        assert not services.refresh_call(call)  # still ringing: 27
        simulator.set_outcome(call.request_id, "answered")
        assert services.refresh_call(call)
        assert not services.refresh_call(call)  # finished calls are not asked again
    finally:
        call_status_changed.disconnect(dispatch_uid="t")
    call.refresh_from_db()
    assert call.status == CallStatus.ANSWERED
    assert call.check_code == "1"
    assert call.checks == 2
    assert call.completed_at is not None
    assert OtpChallenge.objects.get().call_status == CallStatus.ANSWERED
    assert [(c["old_status"], c["new_status"]) for c in changes] == [("calling", "answered")]
    assert simulator.count("checkVoice") == 2


REQUEST_QUERIES = {"postgresql": 6, "sqlite": 10}
"""First, all or nothing: the older pending challenge canceled, the new one and its call inserted,
unless the code drawn was sent to the number within the gateway's repeat window; the gateway; the
call's status on the challenge, then the gateway's answer on the call. PostgreSQL runs each group as
one statement (a data-modifying WITH); SQLite as a read and three writes, in a transaction, then two.
The test runs in a transaction, so each group has a SAVEPOINT and its RELEASE around it (inside a
caller's transaction a failed statement must not doom it); in autocommit there are none, and on
SQLite BEGIN and COMMIT are not captured: 2 statements on PostgreSQL, 6 on SQLite."""
VERIFY_QUERIES = 2
"""Read the challenge; one compare-and-set UPDATE, right code or wrong."""
CANCEL_QUERIES = 2
"""Read the challenge; one conditional UPDATE."""


def test_query_budget_for_a_request(simulator, api, django_assert_num_queries):
    with django_assert_num_queries(REQUEST_QUERIES[connection.vendor]):
        assert start(api).status_code == 201


def test_query_budget_for_a_verify(simulator, api, django_assert_max_num_queries):
    challenge_id = start(api).json()["id"]
    with django_assert_max_num_queries(VERIFY_QUERIES):
        assert verify(api, challenge_id, simulator.calls[0].code).status_code == 200


def test_query_budget_for_a_wrong_guess(simulator, api, django_assert_max_num_queries):
    challenge_id = start(api).json()["id"]
    with django_assert_max_num_queries(VERIFY_QUERIES):
        assert verify(api, challenge_id, wrong(simulator.calls[0].code)).status_code == 400


def test_query_budget_for_a_cancel(simulator, api, django_assert_max_num_queries):
    challenge_id = start(api).json()["id"]
    with django_assert_max_num_queries(CANCEL_QUERIES):
        assert api.post(f"/api/otp/challenges/{challenge_id}/cancel/").status_code == 200


def test_the_openapi_schema_shows_every_call_status_and_error_body():
    pytest.importorskip("drf_spectacular")
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(patterns=None, urlconf="tests.urls").get_schema(request=None, public=True)
    paths = schema["paths"]
    create = paths["/api/otp/challenges/"]["post"]
    assert set(create["responses"]) == {"201", "400", "403", "413", "429", "502", "503"}
    assert "challenge_required" in create["responses"]["403"]["description"]
    verify_op = paths["/api/otp/challenges/{id}/verify/"]["post"]
    assert set(verify_op["responses"]) == {"200", "400", "403", "404", "409", "410", "413", "429"}
    assert "/api/otp/challenges/{id}/" in paths
    assert verify_op["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert "/api/otp/challenges/{id}/resend/" in paths
    cancel_op = paths["/api/otp/challenges/{id}/cancel/"]["post"]
    assert set(cancel_op["responses"]) == {"200", "404", "409", "429"}
    assert "already_finished" in cancel_op["responses"]["409"]["description"]
    assert "requestBody" not in cancel_op
    error = schema["components"]["schemas"]["Error"]
    assert {"code", "detail", "retry_after", "attempts_left", "errors", "challenge", "status"} <= set(
        error["properties"]
    )
    challenge = schema["components"]["schemas"]["Challenge"]
    assert {"id", "phone", "status", "call_status", "attempts_left", "sends_left"} <= set(
        challenge["properties"]
    )
