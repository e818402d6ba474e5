"""Claims on open calls: what a poller may take, what a claim covers, and how it ends."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from django_voiceotp import services
from django_voiceotp.models import CallStatus, VoiceCall
from django_voiceotp.operations import claims
from django_voiceotp.operations.polling import CallPool, poll_calls

from ..helpers import NO_LIMITS, an_interval_passes, run_together, start, voiceotp

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")


@pytest.fixture
def calls(simulator, api) -> list[VoiceCall]:
    """Six calls still ringing, newest first."""
    with voiceotp(RESEND_COOLDOWN=0, RATE_LIMITS=NO_LIMITS):
        for n in range(6):
            assert start(api, phone=f"03612341{n:02d}").status_code == 201
    for call in VoiceCall.objects.all():
        simulator.set_outcome(call.request_id, "pending")
    return list(VoiceCall.objects.order_by("-created_at", "-pk"))


def claimable(**kwargs):
    return claims.claimable(timezone.now(), interval=10, max_age=3600, **kwargs)


def test_claims_take_the_newest_calls_and_a_second_claim_takes_the_next(calls):
    now = timezone.now()
    first = claims.claim(claimable(), count=4, now=now)
    second = claims.claim(claimable(), count=4, now=now)
    assert [c.pk for c in first] == [c.pk for c in calls[:4]]
    assert [c.pk for c in second] == [c.pk for c in calls[4:]]
    assert claims.claim(claimable(), count=4, now=now) == []
    # Each stamp covers its checks one after another, each as long as the gateway may take (1 + 2 s).
    [stamp] = {c.poll_lease_until for c in first}
    assert stamp == now + timedelta(seconds=4 * 3 + claims.LEASE_SLACK)
    assert set(
        VoiceCall.objects.filter(pk__in=[c.pk for c in first]).values_list("poll_lease_until", flat=True)
    ) == {stamp}


def test_a_poller_may_claim_only_open_young_free_calls_not_asked_within_the_interval(calls):
    now = timezone.now()
    held, recent, old, settled, lapsed, asked_long_ago = calls
    VoiceCall.objects.filter(pk=held.pk).update(poll_lease_until=now + timedelta(seconds=5))
    VoiceCall.objects.filter(pk=recent.pk).update(checked_at=now - timedelta(seconds=9))
    VoiceCall.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=2))
    VoiceCall.objects.filter(pk=settled.pk).update(status=CallStatus.ANSWERED)
    VoiceCall.objects.filter(pk=lapsed.pk).update(
        poll_lease_until=now - timedelta(seconds=1)
    )  # a dead poller's
    VoiceCall.objects.filter(pk=asked_long_ago.pk).update(checked_at=now - timedelta(seconds=11))
    assert [c.pk for c in claimable()] == [lapsed.pk, asked_long_ago.pk]


def test_an_answer_ends_the_claim_and_the_call_is_due_an_interval_later(simulator, calls):
    [call] = claims.claim(claimable(), count=1, now=timezone.now())
    services.refresh_call(call)
    row = VoiceCall.objects.get(pk=call.pk)
    assert row.poll_lease_until is None
    assert row.checks == 1
    assert call.pk not in {c.pk for c in claimable()}
    an_interval_passes()
    assert call.pk in {c.pk for c in claimable()}


def test_giving_back_frees_only_the_calls_still_claimed_by_the_same_poller(calls):
    now = timezone.now()
    mine = claims.claim(claimable(), count=2, now=now)
    other = timezone.now() + timedelta(minutes=1)
    VoiceCall.objects.filter(pk=mine[1].pk).update(poll_lease_until=other)  # it ran out; another took it
    claims.release(mine)
    assert VoiceCall.objects.get(pk=mine[0].pk).poll_lease_until is None
    assert VoiceCall.objects.get(pk=mine[1].pk).poll_lease_until == other


def test_a_pool_run_asks_each_due_call_once_and_leaves_the_rest_to_later(simulator, calls):
    report = poll_calls(CallPool(interval=10, limit=4), workers=1)
    assert report.checked == 4
    assert simulator.count("checkVoice") == 4
    report = poll_calls(CallPool(interval=10), workers=1)
    assert report.checked == 2  # the four asked just now are not due yet
    assert simulator.count("checkVoice") == 6
    assert poll_calls(CallPool(interval=10), workers=1).checked == 0


def test_a_failed_check_holds_the_call_for_an_interval_for_every_poller(simulator, calls):
    simulator.set_fault("http500", endpoint="checkVoice")
    before = timezone.now()
    report = poll_calls(CallPool(interval=30, limit=1), workers=1)
    assert len(report.errors) == 1
    held = VoiceCall.objects.get(pk=report.errors[0][0])
    assert held.poll_lease_until is not None
    assert timedelta(seconds=30) <= held.poll_lease_until - before < timedelta(seconds=35)
    simulator.clear_faults()
    asked = simulator.count("checkVoice")
    poll_calls(CallPool(interval=30), workers=1)
    assert simulator.count("checkVoice") == asked + 5  # every call but the held one


def test_a_run_that_stops_at_a_silent_gateway_gives_its_claimed_calls_back(simulator, calls):
    simulator.set_fault("drop", endpoint="checkVoice")
    with voiceotp(TIMEOUT=(0.5, 0.5)):
        report = poll_calls(CallPool(interval=10), workers=1, stop_after=2)
    assert report.checked == 2
    assert report.not_asked == 6 - 2  # the rest of the batch it had claimed
    free = VoiceCall.objects.filter(poll_lease_until=None).count()
    assert free == 4  # given back; the two that failed are held for the interval


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_rows_another_poller_is_claiming_instead_of_waiting(calls):
    newest = calls[0]
    locked, release = threading.Event(), threading.Event()

    def hold_a_row_lock() -> None:
        try:
            with transaction.atomic():
                list(VoiceCall.objects.select_for_update().filter(pk=newest.pk))
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_a_row_lock)
    holder.start()
    try:
        assert locked.wait(30)
        taken = claims.claim(claimable(), count=2, now=timezone.now())
    finally:
        release.set()
        holder.join(30)
    assert [c.pk for c in taken] == [c.pk for c in calls[1:3]]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_pollers_claiming_at_the_same_moment_take_different_calls(calls):
    taken = run_together(
        6,
        lambda i: [c.pk for c in claims.claim(claimable(), count=2, now=timezone.now())],
        after=connections.close_all,
    )
    flat = [pk for batch in taken for pk in batch]
    assert sorted(flat) == sorted(c.pk for c in calls)


def test_reading_a_challenge_leaves_a_call_a_poller_holds(simulator, api):
    challenge_id = start(api).json()["id"]
    call = VoiceCall.objects.get()
    earlier = timezone.now() - timedelta(seconds=30)
    VoiceCall.objects.update(created_at=earlier)
    from django_voiceotp.models import OtpChallenge

    OtpChallenge.objects.update(created_at=earlier)
    VoiceCall.objects.update(poll_lease_until=timezone.now() + timedelta(seconds=20))
    assert api.get(f"/api/otp/challenges/{challenge_id}/").json()["call_status"] == "calling"
    assert simulator.count("checkVoice") == 0
    VoiceCall.objects.update(poll_lease_until=None)
    api.get(f"/api/otp/challenges/{challenge_id}/")
    assert simulator.count("checkVoice") == 1
    assert VoiceCall.objects.get(pk=call.pk).checks == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_list_of_calls_is_still_asked_about_from_forked_processes_each_call_once(simulator, calls):
    from django_voiceotp.operations.polling import poll_calls_in_processes

    report = poll_calls_in_processes(calls, processes=2, workers=2)
    assert report.checked == len(calls)
    assert simulator.count("checkVoice") == len(calls)
    assert set(VoiceCall.objects.values_list("checks", flat=True)) == {1}


@pytest.mark.parametrize("outcome", ["pending", "answered"])
def test_an_answer_ends_the_claim_it_was_read_with_and_leaves_a_newer_one(calls, simulator, outcome):
    """A reader's check of a row read before a poller claimed it must not free the poller's claim:
    a third poller would then ask about the call while the second still does."""
    call = calls[0]
    simulator.set_outcome(call.request_id, outcome)
    read_before = VoiceCall.objects.get(pk=call.pk)  # no claim on it yet
    [claimed] = claims.claim(claimable().filter(pk=call.pk), count=1, now=timezone.now())
    services.refresh_call(read_before)
    assert VoiceCall.objects.get(pk=call.pk).poll_lease_until == claimed.poll_lease_until

    simulator.set_outcome(call.request_id, "pending")
    VoiceCall.objects.filter(pk=call.pk).update(status=CallStatus.CALLING)
    [claimed] = claims.claim(
        claims.claimable(timezone.now() + timedelta(minutes=5), interval=0, max_age=None).filter(pk=call.pk),
        count=1,
        now=timezone.now() + timedelta(minutes=5),
    )
    services.refresh_call(claimed)
    assert VoiceCall.objects.get(pk=call.pk).poll_lease_until is None
    assert claimed.poll_lease_until is None
