"""A cancel racing a right code, and cancels racing each other: real threads on separate PostgreSQL
connections (SQLite takes no parallel writers, so the default run skips these)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from django_voiceotp.models import ChallengeStatus, OtpChallenge

from ..helpers import PHONE, run_together

NEEDS_POSTGRES = "parallel writers need PostgreSQL (VOICEOTP_TEST_POSTGRES=1)"
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason=NEEDS_POSTGRES),
    pytest.mark.django_db(transaction=True),
]


def post(path: str, body: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    response = Client().post(path, body or {}, content_type="application/json")
    return response.status_code, response.json()


def started() -> str:
    status, body = post("/api/otp/challenges/", {"phone": PHONE})
    assert status == 201
    return str(body["id"])


ROUNDS = 8


def test_a_cancel_racing_a_right_code_leaves_exactly_one_done(simulator):
    outcomes: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        OtpChallenge.objects.all().delete()
        cache.clear()  # the number's cooldown: each round starts a challenge for it
        challenge_id = started()
        code = simulator.calls[-1].code

        def act(i: int, challenge_id: str = challenge_id, code: str = code) -> tuple[int, dict[str, object]]:
            if i % 2:
                return post(f"/api/otp/challenges/{challenge_id}/cancel/")
            return post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code})

        results = run_together(2, act, after=connections.close_all)
        verified, canceled = results[0], results[1]
        status = OtpChallenge.objects.get(pk=challenge_id).status
        if status == ChallengeStatus.VERIFIED:
            assert verified[0] == 200
            assert canceled == (409, {**canceled[1], "code": "already_finished", "status": "verified"})
        else:
            assert status == ChallengeStatus.CANCELED, round_
            assert canceled[0] == 200
            assert verified[0] == 410
            assert verified[1]["code"] == "expired"
        outcomes[status] += 1
    assert sum(outcomes.values()) == ROUNDS


def test_ten_parallel_cancels_cancel_once(simulator):
    challenge_id = started()
    results = run_together(
        10, lambda i: post(f"/api/otp/challenges/{challenge_id}/cancel/"), after=connections.close_all
    )
    assert Counter(status for status, _ in results) == {200: 1, 409: 9}
    assert all(body["status"] == "canceled" for _, body in results)
    assert OtpChallenge.objects.get().status == ChallengeStatus.CANCELED
