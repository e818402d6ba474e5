"""The challenge manager's hand-written verify statements agree with the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from django_voiceotp.models import ChallengeStatus, OtpChallenge

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge() -> OtpChallenge:
    now = timezone.now()
    return OtpChallenge.objects.create(
        phone="+84361234567",
        purpose="login",
        code_hash="h" * 64,
        code_salt="s" * 32,
        max_attempts=5,
        max_sends=3,
        sends=1,
        created_at=now,
        expires_at=now + timedelta(minutes=5),
        resend_available_at=now + timedelta(seconds=60),
        client_ip="2001:db8::1",
    )


def test_a_challenge_read_by_sql_is_the_one_the_orm_reads(challenge):
    for given in (challenge.pk, str(challenge.pk), challenge.pk.hex):
        read = OtpChallenge.objects.get_for_verify(given)
        assert read is not None
        assert model_to_dict(read) == model_to_dict(OtpChallenge.objects.get(pk=challenge.pk))
        assert read.expires_at == challenge.expires_at  # an aware datetime, to the microsecond
        assert read._state.adding is False


@pytest.mark.parametrize("given", [None, "", "not-a-uuid", 12, "1' OR '1'='1", str(uuid.uuid4())])
def test_an_unknown_or_malformed_id_reads_as_none(challenge, given):
    assert OtpChallenge.objects.get_for_verify(given) is None


def test_compare_and_set_writes_only_a_row_still_as_read(challenge):
    now = timezone.now()
    as_read = OtpChallenge.objects.get_for_verify(challenge.pk)
    assert as_read is not None
    assert OtpChallenge.objects.compare_and_set(as_read, now, attempts=1, status=ChallengeStatus.PENDING)
    # The row moved on (attempts is 1 now): the same read can no longer write.
    assert not OtpChallenge.objects.compare_and_set(as_read, now, attempts=1, status=ChallengeStatus.PENDING)
    fresh = OtpChallenge.objects.get(pk=challenge.pk)
    assert fresh.attempts == 1
    assert OtpChallenge.objects.compare_and_set(fresh, now, status=ChallengeStatus.VERIFIED, verified_at=now)
    assert OtpChallenge.objects.get(pk=challenge.pk).verified_at == now
    # Verified is final: nothing matches a pending row any more.
    assert not OtpChallenge.objects.compare_and_set(
        fresh, now, status=ChallengeStatus.VERIFIED, verified_at=now
    )


def test_compare_and_set_refuses_a_new_code_or_an_expired_one(challenge):
    as_read = OtpChallenge.objects.get_for_verify(challenge.pk)
    assert as_read is not None
    OtpChallenge.objects.filter(pk=challenge.pk).update(code_hash="n" * 64)  # a resend
    assert not OtpChallenge.objects.compare_and_set(as_read, timezone.now(), status=ChallengeStatus.VERIFIED)
    fresh = OtpChallenge.objects.get(pk=challenge.pk)
    after_expiry = fresh.expires_at + timedelta(microseconds=1)
    assert not OtpChallenge.objects.compare_and_set(fresh, after_expiry, status=ChallengeStatus.VERIFIED)
    assert not OtpChallenge.objects.compare_and_set(fresh, fresh.expires_at, status=ChallengeStatus.VERIFIED)
    assert OtpChallenge.objects.get(pk=challenge.pk).status == ChallengeStatus.PENDING


class ReadsFromAReplica:
    """A router that sends every read to an alias that does not exist: any read that uses it fails."""

    def db_for_read(self, model, **hints):
        return "replica"


def test_a_guess_is_read_and_judged_on_the_database_the_writes_go_to(challenge, settings):
    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    read = OtpChallenge.objects.get_for_verify(challenge.pk, for_write=True)
    assert read is not None
    assert read._state.db == "default"  # so refresh_from_db re-reads there too
    assert OtpChallenge.objects.compare_and_set(
        read, timezone.now(), attempts=1, status=ChallengeStatus.PENDING
    )
