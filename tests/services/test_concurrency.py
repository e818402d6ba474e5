"""Races: real threads on separate database connections (PostgreSQL), and real processes sharing
PostgreSQL and Redis. SQLite cannot take parallel writers, so the default run skips these; the
services run (``make test-services``, ``.ci/run``) runs them."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from django_voiceotp.models import ChallengeStatus, OtpChallenge

from .. import children
from ..helpers import PHONE, run_together, voiceotp, wrong

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL (VOICEOTP_TEST_POSTGRES=1)"
)
needs_redis = pytest.mark.skipif(
    "redis" not in settings.CACHES["default"]["BACKEND"].lower(),
    reason="a cache shared across processes needs Redis (VOICEOTP_TEST_REDIS=1)",
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def in_parallel(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run ``action`` in ``count`` threads released together; each has its own database connection."""
    return run_together(count, action, after=connections.close_all)


def post(path: str, body: dict[str, Any], **extra: Any) -> tuple[int, dict[str, Any], str | None]:
    response = Client().post(path, body, content_type="application/json", **extra)
    return response.status_code, response.json(), response.headers.get("Retry-After")


def test_ten_parallel_requests_for_one_number_place_exactly_one_call(simulator):
    results = in_parallel(10, lambda i: post("/api/otp/challenges/", {"phone": PHONE}))
    statuses = Counter(status for status, _, _ in results)
    assert statuses == {201: 1, 429: 9}
    for status, body, retry_after in results:
        if status == 429:
            assert body["code"] == "rate_limited"
            assert retry_after is not None
            assert int(retry_after) >= 1
    assert simulator.count("postSMS") == 1
    assert OtpChallenge.objects.count() == 1


def test_parallel_requests_for_one_number_and_purpose_leave_one_pending_even_without_cooldown(simulator):
    with voiceotp(
        RESEND_COOLDOWN=0,
        RATE_LIMITS={"request_per_phone": None, "request_per_ip": None, "calls_per_phone": None},
    ):
        results = in_parallel(8, lambda i: post("/api/otp/challenges/", {"phone": PHONE}))
    assert {status for status, _, _ in results} <= {201, 429}
    assert OtpChallenge.objects.filter(status=ChallengeStatus.PENDING).count() == 1


def _start() -> tuple[str, str]:
    status, body, _ = post("/api/otp/challenges/", {"phone": PHONE})
    assert status == 201
    return body["id"], ""


def test_forty_parallel_wrong_guesses_judge_at_most_max_attempts(simulator):
    challenge_id, _ = _start()
    bad = wrong(simulator.calls[0].code)
    with voiceotp(RATE_LIMITS={"verify_per_ip": None, "verify_failures_per_phone": None}):
        results = in_parallel(
            40, lambda i: post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": bad})
        )
    codes = Counter(body["code"] for _, body, _ in results)
    challenge = OtpChallenge.objects.get()
    assert challenge.attempts == 5
    assert challenge.status == ChallengeStatus.LOCKED
    # Five guesses were judged: four say invalid_code, the fifth (the last attempt) locked.
    assert codes["invalid_code"] == 4
    assert codes["invalid_code"] + codes["locked"] == 40


def test_ten_parallel_right_codes_verify_exactly_once(simulator):
    challenge_id, _ = _start()
    code = simulator.calls[0].code
    results = in_parallel(10, lambda i: post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code}))
    statuses = Counter(status for status, _, _ in results)
    assert statuses == {200: 1, 409: 9}
    assert OtpChallenge.objects.get().status == ChallengeStatus.VERIFIED


def test_parallel_wrong_guesses_hold_with_atomic_requests(simulator, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    monkeypatch.setitem(settings.DATABASES["default"], "ATOMIC_REQUESTS", True)
    challenge_id, _ = _start()
    bad = wrong(simulator.calls[0].code)
    with voiceotp(RATE_LIMITS={"verify_per_ip": None, "verify_failures_per_phone": None}):
        in_parallel(20, lambda i: post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": bad}))
    challenge = OtpChallenge.objects.get()
    assert challenge.attempts == 5
    assert challenge.status == ChallengeStatus.LOCKED


def in_processes(simulator, phone_lists: list[list[str]], **changes: Any) -> Counter[str]:
    """Each list of numbers asked for by its own spawned process, all released at once."""
    ctx = multiprocessing.get_context("spawn")
    ready, start, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    db_name = connection.settings_dict["NAME"]
    connections.close_all()
    processes = [
        ctx.Process(
            target=children.request_many,
            args=(simulator.base_url, db_name, ready, start, out, phones),
            kwargs=changes,
        )
        for phones in phone_lists
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=60)  # every process has Django up before any of them asks
    start.set()
    outcomes = [out.get(timeout=60) for phones in phone_lists for _ in phones]
    for process in processes:
        process.join(30)
    return Counter(outcomes)


@needs_redis
def test_the_cooldown_holds_across_processes(simulator):
    outcomes = in_processes(simulator, [[PHONE]] * 6)
    assert outcomes == {"placed": 1, "rate_limited": 5}, outcomes
    assert simulator.count("postSMS") == 1


def test_twenty_parallel_requests_with_three_calls_left_place_three(simulator):
    limits = {"request_per_ip": None, "request_per_phone": None, "calls_per_phone": None}
    with voiceotp(DAILY_CALL_LIMIT=5, RATE_LIMITS=limits):
        for i in range(2):
            assert post("/api/otp/challenges/", {"phone": f"03712300{i:02d}"})[0] == 201
        results = in_parallel(20, lambda i: post("/api/otp/challenges/", {"phone": f"03612300{i:02d}"}))
    assert Counter(status for status, _, _ in results) == {201: 3, 429: 17}
    assert simulator.count("postSMS") == 5


def test_the_daily_call_limit_holds_across_processes(simulator):
    phone_lists = [[f"03612{p}{i:04d}" for i in range(5)] for p in range(4)]
    no_limits = {"request_per_ip": None, "request_per_phone": None, "calls_per_phone": None}
    outcomes = in_processes(simulator, phone_lists, DAILY_CALL_LIMIT=3, RATE_LIMITS=no_limits)
    assert outcomes == {"placed": 3, "rate_limited": 17}, outcomes
    assert simulator.count("postSMS") == 3


def test_the_failures_per_number_hold_exactly_over_parallel_guesses_on_several_challenges(simulator):
    """One live challenge per purpose, each with its own attempts: the number's budget still holds,
    because each guess is counted before it is judged. Past it a code is checked once per call: a
    guess on a challenge with more than one attempt left is not judged (ask for a new call), so at
    most one more guess per challenge that had used all but one (docs/security.md)."""
    purposes = ["login", "signup", "reset", "change"]  # 4 x 5 attempts, against a budget of 7
    limits = {
        "verify_per_ip": None,
        "request_per_phone": None,
        "calls_per_phone": None,
        "verify_failures_per_phone": "7/d",
    }
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=limits):
        ids = [post("/api/otp/challenges/", {"phone": PHONE, "purpose": p})[1]["id"] for p in purposes]
        bad = {
            challenge_id: wrong(call.code) for challenge_id, call in zip(ids, simulator.calls, strict=True)
        }
        results = in_parallel(
            48,
            lambda i: post(f"/api/otp/challenges/{ids[i % 4]}/verify/", {"code": bad[ids[i % 4]]}),
        )
    judged = sum(OtpChallenge.objects.values_list("attempts", flat=True))
    codes = Counter(body["code"] for _, body, _ in results)
    assert 7 <= judged <= 7 + 7 // 4
    assert codes["invalid_code"] + codes["locked"] == judged
    assert codes["expired"] + codes["rate_limited"] == 48 - judged


def test_a_right_code_gives_its_count_back(simulator):
    limits = {"verify_per_ip": None, "request_per_phone": None, "verify_failures_per_phone": "2/d"}
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=limits):
        for _ in range(4):  # four right codes in a row spend nothing of a budget of two failures
            challenge_id, _ = _start()
            code = simulator.calls[-1].code
            assert post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": code})[0] == 200


def test_a_token_consumed_in_parallel_is_consumed_once(simulator):
    from django_voiceotp.tokens import TokenAlreadyUsed, consume_token

    challenge_id, _ = _start()
    token = post(f"/api/otp/challenges/{challenge_id}/verify/", {"code": simulator.calls[0].code})[1]["token"]

    def use(i: int) -> str:
        try:
            return consume_token(token, purpose="default")
        except TokenAlreadyUsed:
            return "replay"

    assert Counter(in_parallel(10, use)) == {"+84361234567": 1, "replay": 9}


def test_parallel_resends_never_call_more_than_max_sends(simulator):
    """Every resend reads ``sends`` below ``MAX_SENDS`` before any of them writes: only the conditional
    update (``sends < max_sends``) keeps them to the calls left."""
    challenge_id, _ = _start()
    limits = {"resend_per_ip": None, "calls_per_phone": None, "request_per_phone": None}
    with voiceotp(RESEND_COOLDOWN=0, MAX_SENDS=3, RATE_LIMITS=limits):
        results = in_parallel(10, lambda i: post(f"/api/otp/challenges/{challenge_id}/resend/", {}))
    statuses = Counter(status for status, _, _ in results)
    assert statuses[200] <= 2
    assert set(statuses) <= {200, 410, 429}
    challenge = OtpChallenge.objects.get()
    assert challenge.sends <= 3
    assert simulator.count("postSMS") == challenge.sends == 1 + statuses[200]
