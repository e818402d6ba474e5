"""The literal statements do what their ORM twins do: each operation of :mod:`django_voiceotp.store.writers`
run by both, from the same rows, on SQLite and (the services run) PostgreSQL, writes the same rows and
reads the same values."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_voiceotp.models import CallStatus, ChallengeStatus, OtpChallenge, VoiceCall
from django_voiceotp.store import sql, writers

pytestmark = pytest.mark.django_db

ALIAS = "default"
RAN: set[sql.Statement] = set()
"""The literal statements the tests of this module ran."""


@pytest.fixture(autouse=True)
def _note_the_statements_run(monkeypatch):
    run = sql.Statement.run

    def noted(statement, *args, **kwargs):
        RAN.add(statement)
        return run(statement, *args, **kwargs)

    monkeypatch.setattr(sql.Statement, "run", noted)


WRITERS = {"literal": writers.LITERAL, "reference": writers.REFERENCE}


def a_challenge(**fields: Any) -> OtpChallenge:
    now = timezone.now()
    values = {
        "phone": "+84361234567",
        "purpose": "login",
        "code_hash": "h" * 64,
        "code_salt": "s" * 32,
        "max_attempts": 5,
        "max_sends": 3,
        "sends": 1,
        "created_at": now,
        "expires_at": now + timedelta(minutes=5),
        "resend_available_at": now + timedelta(seconds=60),
        "client_ip": "2001:db8::1",
        **fields,
    }
    return OtpChallenge(**values)


def a_call(challenge: OtpChallenge, **fields: Any) -> VoiceCall:
    """A call of ``challenge``, placed when it was made (two writers' rows must agree to the microsecond)."""
    values = {"phone": challenge.phone, "gateway": "onsms", "sent_digest": "d" * 64}
    return VoiceCall(challenge=challenge, **{**values, "created_at": challenge.created_at, **fields})


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of both tables, as the ORM reads them (a call's own id aside: a sequence moves on
    even when its insert is rolled back)."""
    challenges = [model_to_dict(c) for c in OtpChallenge.objects.order_by("created_at", "purpose")]
    calls = [
        {k: v for k, v in model_to_dict(c).items() if k != "id"}
        for c in VoiceCall.objects.order_by("created_at")
    ]
    return {"challenges": challenges, "calls": calls}


def both(operation: Callable[[writers.Reference], Any]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """``operation`` run by each writer from the same rows: what it returned and the rows after."""
    seen = {}
    for name, writer in WRITERS.items():
        with transaction.atomic():
            returned = operation(writer)
            seen[name] = (returned, rows())
            transaction.set_rollback(True)
    return seen


def agree(operation: Callable[[writers.Reference], Any]) -> Any:
    seen = both(operation)
    assert seen["literal"] == seen["reference"]
    return seen["literal"][0]


@pytest.fixture
def live() -> OtpChallenge:
    challenge = a_challenge()
    challenge.save()
    return challenge


def test_a_challenge_read_is_the_one_the_orm_reads(live):
    for given in (live.pk, str(live.pk)):
        read = writers.LITERAL.read_challenge(ALIAS, OtpChallenge._meta.pk.to_python(given))
        assert read is not None
        by_the_orm = writers.REFERENCE.read_challenge(ALIAS, live.pk)
        assert by_the_orm is not None
        assert model_to_dict(read) == model_to_dict(by_the_orm)
        assert read.expires_at == live.expires_at  # an aware datetime, to the microsecond
        assert read._state.adding is False
        assert read._state.db == ALIAS
    assert writers.LITERAL.read_challenge(ALIAS, uuid.uuid4()) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"status": ChallengeStatus.PENDING, "attempts": 1},
        {"status": ChallengeStatus.LOCKED, "attempts": 5},
        {"status": ChallengeStatus.VERIFIED, "verified_at": "now"},
    ],
    ids=["wrong", "last wrong", "right"],
)
def test_judging_agrees(live, changes):
    now = timezone.now()
    written = {k: now if v == "now" else v for k, v in changes.items()}
    assert agree(lambda w: w.judge(ALIAS, live, now, written)) is True


def test_a_judgement_writes_only_a_row_still_as_it_was_read(live):
    now = timezone.now()
    OtpChallenge.objects.filter(pk=live.pk).update(attempts=1)  # another guess was judged meanwhile
    assert agree(lambda w: w.judge(ALIAS, live, now, {"status": ChallengeStatus.VERIFIED})) is False
    OtpChallenge.objects.filter(pk=live.pk).update(attempts=0, code_hash="n" * 64)  # a resend
    assert agree(lambda w: w.judge(ALIAS, live, now, {"status": ChallengeStatus.VERIFIED})) is False
    OtpChallenge.objects.filter(pk=live.pk).update(code_hash=live.code_hash)
    at_expiry = live.expires_at
    assert agree(lambda w: w.judge(ALIAS, live, at_expiry, {"status": ChallengeStatus.VERIFIED})) is False
    OtpChallenge.objects.filter(pk=live.pk).update(status=ChallengeStatus.VERIFIED)
    assert agree(lambda w: w.judge(ALIAS, live, now, {"status": ChallengeStatus.VERIFIED})) is False


def test_sent_recently_agrees(live):
    sent = a_call(live, created_at=timezone.now())
    sent.save()
    just_after = sent.created_at + timedelta(microseconds=1)
    assert agree(lambda w: w.sent_recently(ALIAS, a_call(live), sent.created_at)) is True
    assert agree(lambda w: w.sent_recently(ALIAS, a_call(live), just_after)) is False
    other_code = a_call(live, sent_digest="e" * 64)
    assert agree(lambda w: w.sent_recently(ALIAS, other_code, sent.created_at)) is False


def open_step_by_step(writer: writers.Reference, challenge: OtpChallenge, call: VoiceCall, since) -> bool:
    """What the store does where a writer has no one-statement open."""
    at_once = writer.open_at_once(ALIAS, challenge, call, since)
    if at_once is not None:
        return at_once
    if since is not None and writer.sent_recently(ALIAS, call, since):
        return False
    writer.replace_live(ALIAS, challenge)
    writer.insert(ALIAS, challenge, call)
    return True


def test_opening_replaces_the_live_challenge_and_writes_the_new_one_with_its_call(live):
    a_challenge(purpose="signup").save()  # another purpose's live challenge stays
    new = a_challenge(code_hash="n" * 64, client_ip="203.0.113.7")

    def opened(writer):
        new._state.adding, call = True, a_call(new)
        return open_step_by_step(writer, new, call, since=None), call.pk is not None, call._state.adding

    assert agree(opened) == (True, True, False)
    seen = both(opened)["literal"][1]
    assert [c["status"] for c in seen["challenges"]] == [ChallengeStatus.CANCELED, "pending", "pending"]
    assert seen["calls"][0]["challenge"] == new.pk


def test_replacing_and_inserting_step_by_step_agree(live):
    """The statements SQLite opens a challenge with, compared on every database."""
    new = a_challenge(code_hash="n" * 64)

    def step_by_step(writer):
        new._state.adding, call = True, a_call(new)
        writer.replace_live(ALIAS, new)
        writer.insert(ALIAS, new, call)
        return call.pk is not None, new._state.adding, call._state.db

    assert agree(step_by_step) == (True, False, ALIAS)


def test_opening_writes_nothing_when_the_code_was_sent_to_the_number_since(live):
    sent = a_call(live, created_at=live.created_at - timedelta(minutes=1))
    sent.save()
    new = a_challenge(code_hash="n" * 64)
    assert agree(lambda w: open_step_by_step(w, new, a_call(new), since=sent.created_at)) is False
    after = sent.created_at + timedelta(microseconds=1)
    opened = agree(lambda w: (open_step_by_step(w, new, a_call(new), since=after), new._state.adding))
    assert opened == (True, False)


def test_postgresql_opens_in_one_statement_and_sends_the_insert_signals(live):
    from django.db.models.signals import post_save, pre_save

    seen = []

    def heard(signal):
        return lambda sender, instance, **kw: seen.append((signal, sender.__name__, kw.get("created")))

    pre, post = heard("pre"), heard("post")
    pre_save.connect(pre, weak=False)
    post_save.connect(post, weak=False)
    try:
        new = a_challenge(code_hash="n" * 64)
        with CaptureQueriesContext(connection) as run:
            assert open_step_by_step(writers.LITERAL, new, a_call(new), since=None)
    finally:
        pre_save.disconnect(pre)
        post_save.disconnect(post)
    one = connection.vendor == "postgresql"
    assert len(run) == (1 if one else 3)  # elsewhere the replace and two inserts (no read: since is None)
    assert ("post", "OtpChallenge", True) in seen
    assert ("post", "VoiceCall", True) in seen
    assert ("pre", "OtpChallenge", None) in seen


def test_opening_writes_nothing_when_one_of_its_rows_cannot_be_written(live):
    taken = a_challenge(id=live.pk, purpose="signup")  # its primary key is another's
    for writer in WRITERS.values():
        with pytest.raises(IntegrityError), transaction.atomic():
            open_step_by_step(writer, taken, a_call(taken), since=None)
        assert OtpChallenge.objects.get(pk=live.pk).status == ChallengeStatus.PENDING
        assert not VoiceCall.objects.exists()


def test_a_value_too_long_for_its_column_is_refused_never_cut(live):
    """A purpose longer than its column is what a plain INSERT makes of it: refused where the database
    holds lengths (PostgreSQL), kept whole where it does not (SQLite). Never cut: two purposes that
    share their first 64 characters would become one."""
    new = a_challenge(purpose="p" * 70)
    if connection.vendor == "postgresql":
        with pytest.raises(DataError), transaction.atomic():
            open_step_by_step(writers.LITERAL, new, a_call(new), since=None)
    else:
        open_step_by_step(writers.LITERAL, new, a_call(new), since=None)
        assert OtpChallenge.objects.get(pk=new.pk).purpose == "p" * 70


ANSWER = {
    "status": CallStatus.CALLING,
    "send_code": "1",
    "request_id": "r-1",
    "send_error": "",
    "send_raw": "1,,,r-1",
    "send_ms": 12,
    "completed_at": None,
}


def test_recording_an_answer_agrees(live):
    call = a_call(live)
    call.save()

    def recorded(writer):
        if not writer.record_at_once(ALIAS, live.pk, CallStatus.CALLING, call.pk, ANSWER):
            writer.show_call_status(ALIAS, live.pk, CallStatus.CALLING)
            writer.record_answer(ALIAS, call.pk, ANSWER)

    agree(recorded)
    with CaptureQueriesContext(connection) as run:
        recorded(writers.LITERAL)
    assert len(run) == (1 if connection.vendor == "postgresql" else 2)
    assert OtpChallenge.objects.get(pk=live.pk).call_status == CallStatus.CALLING
    assert VoiceCall.objects.get(pk=call.pk).request_id == "r-1"


def test_showing_the_status_and_recording_the_answer_apart_agree(live):
    call = a_call(live)
    call.save()

    def apart(writer):
        writer.show_call_status(ALIAS, live.pk, CallStatus.UNKNOWN)
        writer.record_answer(ALIAS, call.pk, {**ANSWER, "status": CallStatus.UNKNOWN})

    agree(apart)


def test_an_answer_whose_request_id_is_taken_writes_nothing_on_postgresql(live):
    first, later = a_call(live, request_id="r-1"), a_call(live)
    first.save()
    later.save()

    def record() -> None:
        if not writers.LITERAL.record_at_once(ALIAS, live.pk, CallStatus.UNKNOWN, later.pk, ANSWER):
            writers.LITERAL.record_answer(ALIAS, later.pk, ANSWER)

    with pytest.raises(IntegrityError), transaction.atomic():
        record()
    assert VoiceCall.objects.get(pk=later.pk).request_id is None


def test_every_literal_statement_ran_in_a_test_above():
    """Each statement of ``sql.STATEMENTS`` was run by the tests of this module (on PostgreSQL all of
    them; elsewhere all but PostgreSQL's own)."""
    postgres_only = {sql.OPEN, sql.RECORD}
    expected = set(sql.STATEMENTS) - (set() if connection.vendor == "postgresql" else postgres_only)
    assert expected <= RAN, f"never run: {sorted(s.name for s in expected - RAN)}"


def test_a_value_follows_the_column_it_is_compared_with():
    assert sql.JUDGE.fields[:3] == (
        ("challenge", "status"),
        ("challenge", "attempts"),
        ("challenge", "verified_at"),
    )
    assert sql.OPEN.fields[-2:] == (("challenge", sql.ROW), ("call", sql.ROW))
    with pytest.raises(ValueError, match="every %s"):
        sql.Statement("broken", "UPDATE {challenge} SET {challenge.status} = 'x' WHERE %s")


class ReadsFromAReplica:
    """A router that sends every read to an alias that does not exist: any read that uses it fails."""

    def db_for_read(self, model, **hints):
        return "replica"


def test_a_guess_is_read_and_judged_on_the_database_the_writes_go_to(live, settings):
    from django_voiceotp import store

    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    read = store.read_challenge(live.pk, for_write=True)
    assert read is not None
    assert read._state.db == "default"
    assert store.judge(read, timezone.now(), status=ChallengeStatus.PENDING, attempts=1)


def test_the_recent_codes_are_read_where_the_writes_go(live, settings):
    """A replica's lag must not hide the call whose code made a request draw again."""
    from django_voiceotp import store

    a_call(live).save()
    settings.DATABASE_ROUTERS = [ReadsFromAReplica()]
    assert store.codes_sent_since(live.phone, live.created_at - timedelta(minutes=1)) == {"d" * 64}


@pytest.mark.parametrize("given", [None, "", "not-a-uuid", 12, "1' OR '1'='1", str(uuid.uuid4())])
def test_an_unknown_or_malformed_id_reads_as_none(live, given):
    from django_voiceotp import store

    assert store.read_challenge(given) is None
