"""The managers' hand-written statements agree with the ORM, on SQLite and PostgreSQL: a verify's, and
a request's writes before and after the gateway (one statement each on PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall

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


def a_new_challenge(**fields) -> OtpChallenge:
    now = timezone.now()
    values = {
        "phone": "+84361234567",
        "purpose": "login",
        "code_hash": "n" * 64,
        "code_salt": "t" * 32,
        "max_attempts": 5,
        "max_sends": 3,
        "sends": 1,
        "created_at": now,
        "expires_at": now + timedelta(minutes=5),
        "resend_available_at": now + timedelta(seconds=60),
        "client_ip": "203.0.113.7",
        **fields,
    }
    return OtpChallenge(**values)


def a_call(challenge: OtpChallenge, **fields) -> VoiceCall:
    return VoiceCall(
        challenge=challenge, phone=challenge.phone, gateway="onsms", sent_digest="d" * 64, **fields
    )


def test_open_replaces_the_live_challenge_and_writes_the_new_one_with_its_call(challenge):
    other_purpose = OtpChallenge.objects.create(**model_to_dict(a_new_challenge(purpose="signup")))
    new = a_new_challenge()
    call = a_call(new)
    with CaptureQueriesContext(connection) as writes:
        OtpChallenge.objects.open(new, call, canceled=ChallengeStatus.CANCELED)
    assert OtpChallenge.objects.get(pk=challenge.pk).status == ChallengeStatus.CANCELED
    assert OtpChallenge.objects.get(pk=other_purpose.pk).status == ChallengeStatus.PENDING
    # Every column as the ORM reads it back: casts and prepared values agree with the fields'.
    assert model_to_dict(OtpChallenge.objects.get(pk=new.pk)) == model_to_dict(new)
    stored_call = VoiceCall.objects.get(pk=call.pk)
    assert (stored_call.challenge_id, stored_call.sent_digest, stored_call.status) == (
        new.pk,
        "d" * 64,
        "queued",
    )
    assert stored_call.created_at == call.created_at
    assert new._state.adding is call._state.adding is False
    one_statement = connection.vendor == "postgresql"
    assert OtpChallenge.objects.opens_in_one_statement() is one_statement
    assert len(writes) == (1 if one_statement else 3)


def test_open_writes_nothing_when_one_of_its_rows_cannot_be_written(challenge):
    taken_id = a_new_challenge(id=challenge.pk, purpose="signup")  # its primary key is another's
    with pytest.raises(IntegrityError), transaction.atomic():
        OtpChallenge.objects.open(taken_id, a_call(taken_id), canceled=ChallengeStatus.CANCELED)
    assert OtpChallenge.objects.get(pk=challenge.pk).status == ChallengeStatus.PENDING
    assert not VoiceCall.objects.exists()


def test_an_answer_and_its_status_on_the_challenge_are_written_together(challenge):
    call = VoiceCall.objects.add(a_call(challenge))
    first = OtpChallenge.objects.call_status_update(challenge.pk, CallStatus.CALLING)
    with CaptureQueriesContext(connection) as writes:
        VoiceCall.objects.record(call.pk, first=first, status=CallStatus.CALLING, request_id="r-1")
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    assert OtpChallenge.objects.get(pk=challenge.pk).call_status == CallStatus.CALLING
    assert VoiceCall.objects.get(pk=call.pk).request_id == "r-1"

    # A request_id another call holds: the answer cannot be written, and neither is the status.
    later = VoiceCall.objects.add(a_call(challenge))
    unknown = OtpChallenge.objects.call_status_update(challenge.pk, CallStatus.UNKNOWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        VoiceCall.objects.record(later.pk, first=unknown, status=CallStatus.CALLING, request_id="r-1")
    assert OtpChallenge.objects.get(pk=challenge.pk).call_status == CallStatus.CALLING
    assert VoiceCall.objects.get(pk=later.pk).request_id is None


def test_open_writes_nothing_when_the_code_was_sent_to_the_number_since(challenge):
    """The gateway refuses a code sent to the number within its repeat window: a request's first
    write checks for one in the same statement, so that drawing a fresh code reads nothing."""
    sent = VoiceCall.objects.add(a_call(challenge))
    new = a_new_challenge()
    call = a_call(new)  # the same sent digest
    with CaptureQueriesContext(connection) as run:
        opened = OtpChallenge.objects.open(
            new, call, canceled=ChallengeStatus.CANCELED, unless_sent_since=sent.created_at
        )
    assert opened is False
    assert len(run) == 1  # PostgreSQL: the one statement; elsewhere: the read before the writes
    assert OtpChallenge.objects.get(pk=challenge.pk).status == ChallengeStatus.PENDING
    assert not OtpChallenge.objects.filter(pk=new.pk).exists()
    assert list(VoiceCall.objects.values_list("pk", flat=True)) == [sent.pk]
    assert call.pk is None
    assert new._state.adding is True

    # Sent before the window began: written, the live challenge replaced.
    after = sent.created_at + timedelta(microseconds=1)
    assert OtpChallenge.objects.open(new, call, canceled=ChallengeStatus.CANCELED, unless_sent_since=after)
    assert OtpChallenge.objects.get(pk=challenge.pk).status == ChallengeStatus.CANCELED
    assert VoiceCall.objects.get(pk=call.pk).challenge_id == new.pk


def test_a_value_too_long_for_its_column_is_refused_never_cut(challenge):
    """One statement or three, a purpose longer than its column is what a plain INSERT makes of it:
    refused where the database holds lengths (PostgreSQL), kept whole where it does not (SQLite).
    Never cut: two purposes that share their first 64 characters would become one."""
    long_purpose = "p" * 70
    new = a_new_challenge(purpose=long_purpose)
    if connection.vendor == "postgresql":
        with pytest.raises(DataError), transaction.atomic():
            OtpChallenge.objects.open(new, a_call(new), canceled=ChallengeStatus.CANCELED)
        assert not OtpChallenge.objects.filter(pk=new.pk).exists()
    else:
        OtpChallenge.objects.open(new, a_call(new), canceled=ChallengeStatus.CANCELED)
        assert OtpChallenge.objects.get(pk=new.pk).purpose == long_purpose


def test_the_recent_codes_are_read_where_the_writes_go(challenge, settings):
    """A replica's lag must not hide the call whose code made a request draw again."""
    VoiceCall.objects.add(a_call(challenge))
    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    since = challenge.created_at - timedelta(minutes=1)
    assert VoiceCall.objects.digests_since(challenge.phone, since) == {"d" * 64}
